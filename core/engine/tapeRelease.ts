// Frees memory during TF.js's backward pass as PyTorch does. TF.js keeps, until the whole
// backward pass ends, both every tensor saved for it and every intermediate gradient (engine.
// gradients: one tidy around backpropagateGradients), so a training step's peak holds all
// activations and all their gradients at once. The tape is walked in reverse, one node at a
// time; once a node's input gradients are computed, its saved tensors and its outputs'
// gradients are never read again. releaseTapeEarly() wraps each recorded node's gradient
// function so that those are disposed when the next node's gradient starts.
import * as tf from '@tensorflow/tfjs-core';

interface TapeNodeLike {
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineStateLike {
  activeTape: TapeNodeLike[] | null;
  gradientDepth: number;
}

/**
 * Call inside the function given to tf.variableGrads / tf.grads, after the loss is computed
 * (every node is on the tape by then) and only for first-order gradients.
 */
export function releaseTapeEarly(): void {
  const state = (tf.engine() as unknown as { state: EngineStateLike }).state;
  if (!state.activeTape || state.gradientDepth !== 1) return;
  let pending: { dys: tf.Tensor[]; saved: tf.Tensor[] } | null = null;
  const flush = () => {
    if (!pending) return;
    for (const t of pending.dys) t.dispose();
    for (const t of pending.saved) t.dispose();
    pending = null;
  };
  for (const node of state.activeTape) {
    const original = node.gradient;
    if (!original) continue;
    node.gradient = (dys: tf.Tensor[]) => {
      flush();
      const grads = original(dys);
      const given = new Set(dys);
      // A gradient closure that returns one of the dys as is would hand the engine a tensor
      // disposed here later: it gets a clone (which shares the data) instead.
      const wrapped: Record<string, () => tf.Tensor> = {};
      for (const [name, f] of Object.entries(grads)) {
        wrapped[name] = () => {
          const dx = f();
          return given.has(dx) ? tf.clone(dx) : dx;
        };
      }
      pending = { dys: dys.filter((d) => d != null), saved: node.saved ?? [] };
      return wrapped;
    };
  }
}
