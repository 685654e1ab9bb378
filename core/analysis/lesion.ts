// Lesions as graph transforms: a net with blocks deleted or two adjacent blocks swapped is
// another NetworkGraph with the same layer ids, run by the same ResNetModel with the
// checkpoint's weights loaded by name (the weights of removed layers are simply not loaded).
// Deleting a residual block drops its branch F(x): y = ReLU(shortcut(x)). A plain block can
// only be removed where its output has its input's shape; the next layer then reads its input.
//
// The errors of many lesions of one net are measured in one pass over the images: per batch,
// the intact net runs once with every needed block input captured, and each lesioned net runs
// only from its first changed block on (a suffix graph whose input is that block's input).
import * as tf from '@tensorflow/tfjs-core';
import { modelWithWeights, NamedWeight, ResNetModel } from '../engine/model';
import { BlockNode, formatShape, LayerNode, NetworkGraph, Shape } from '../graph';

export interface Lesion {
  /** Blocks to delete. */
  deleted?: readonly string[];
  /** Two adjacent blocks to run in the other order (applied before any deletion). */
  swapped?: readonly [string, string];
}

const sameShape = (a: Shape, b: Shape) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

function findBlock(graph: NetworkGraph, blockId: string): BlockNode {
  const block = graph.blocks.find((b) => b.id === blockId);
  if (!block) throw new RangeError(`${graph.spec.title} has no block "${blockId}" (it has ${graph.blocks[0]?.id ?? 'none'} … ${graph.blocks[graph.blocks.length - 1]?.id ?? ''}).`);
  return block;
}

/** The id of the layer whose output is the block's input: what its first layer reads. */
function blockInput(layers: readonly LayerNode[], block: BlockNode): string {
  const first = layers.find((l) => l.blockId === block.id);
  if (!first) throw new Error(`Block ${block.id} has no layers left.`);
  return first.inputs[0];
}

const blockOutput = (block: BlockNode) => block.merge[block.merge.length - 1];

const shapeChange = (block: BlockNode) =>
  `${block.id} changes the shape (${formatShape(block.inputShape)} → ${formatShape(block.outputShape)}${block.stride > 1 ? `, stride ${block.stride}` : ''})`;

/** Why a block cannot be deleted, or null where it can: every residual block can; a plain one only where it keeps the shape. */
export function deletionProblem(graph: NetworkGraph, blockId: string): string | null {
  const block = findBlock(graph, blockId);
  if (block.shortcut !== 'none' || sameShape(block.inputShape, block.outputShape)) return null;
  return `${shapeChange(block)} and a plain net has no shortcut to carry x past it, so it cannot be removed`;
}

/** Why two blocks cannot trade places, or null where they can: adjacent, and both keep the shape. */
export function swapProblem(graph: NetworkGraph, firstId: string, secondId: string): string | null {
  const first = findBlock(graph, firstId);
  const second = findBlock(graph, secondId);
  if (second.index !== first.index + 1) return `${firstId} and ${secondId} are not adjacent (${secondId} must come right after ${firstId})`;
  for (const block of [first, second]) {
    if (!sameShape(block.inputShape, block.outputShape)) return `${shapeChange(block)}, so it cannot run in the other's place`;
  }
  if (blockInput(graph.layers, second) !== blockOutput(first)) return `a layer lies between ${firstId} and ${secondId}`;
  return null;
}

/**
 * The graph of the net with the lesion applied: same layer ids, execution order valid. A
 * deleted residual block keeps its shortcut and final ReLU (branch and add dropped); a
 * deleted plain block is gone, its readers reading its input. Throws where a block cannot be
 * deleted or swapped (deletionProblem, swapProblem say why).
 */
export function lesionedGraph(graph: NetworkGraph, lesion: Lesion): NetworkGraph {
  let layers: LayerNode[] = graph.layers.map((l) => ({ ...l, inputs: [...l.inputs] }));
  let blocks: BlockNode[] = graph.blocks.map((b) => ({ ...b }));
  const rename = (list: LayerNode[], from: string, to: string) => {
    for (const layer of list) layer.inputs = layer.inputs.map((id) => (id === from ? to : id));
  };

  if (lesion.swapped) {
    const [firstId, secondId] = lesion.swapped;
    const problem = swapProblem(graph, firstId, secondId);
    if (problem) throw new RangeError(`Cannot swap ${firstId} and ${secondId}: ${problem}.`);
    const first = findBlock(graph, firstId);
    const second = findBlock(graph, secondId);
    const input = blockInput(layers, first);
    const [outFirst, outSecond] = [blockOutput(first), blockOutput(second)];
    const ofFirst = layers.filter((l) => l.blockId === firstId);
    const ofSecond = layers.filter((l) => l.blockId === secondId);
    const start = layers.indexOf(ofFirst[0]);
    const rest = layers.slice(start + ofFirst.length + ofSecond.length);
    rename(ofSecond, outFirst, input);
    rename(ofFirst, input, outSecond);
    rename(rest, outSecond, outFirst);
    layers = [...layers.slice(0, start), ...ofSecond, ...ofFirst, ...rest];
    blocks.splice(first.index, 2, blocks[second.index], blocks[first.index]);
  }

  for (const blockId of new Set(lesion.deleted ?? [])) {
    const problem = deletionProblem(graph, blockId);
    if (problem) throw new RangeError(`Cannot delete ${blockId}: ${problem}.`);
    const block = blocks.find((b) => b.id === blockId)!;
    if (block.shortcut === 'none') {
      const input = blockInput(layers, block);
      layers = layers.filter((l) => l.blockId !== blockId);
      rename(layers, blockOutput(block), input);
      blocks = blocks.filter((b) => b !== block);
    } else {
      // y = ReLU(shortcut(x)): the add and the branch go, the final ReLU reads the shortcut.
      const [addId, reluId] = block.merge;
      const add = layers.find((l) => l.id === addId)!;
      const relu = layers.find((l) => l.id === reluId)!;
      relu.inputs = [add.inputs[1]];
      const dropped = new Set([...block.branch, addId]);
      layers = layers.filter((l) => !dropped.has(l.id));
      blocks[blocks.indexOf(block)] = { ...block, branch: [], merge: [reluId] };
    }
  }
  return withLayers(graph, layers, blocks);
}

/** The graph with these layers and blocks: stages follow, block indices renumbered. */
function withLayers(graph: NetworkGraph, layers: LayerNode[], blocks: BlockNode[]): NetworkGraph {
  const known = new Set<string>();
  for (const layer of layers) {
    const missing = layer.inputs.find((id) => !known.has(id));
    if (missing !== undefined) throw new Error(`Layer ${layer.id} reads ${missing}, which does not run before it.`);
    known.add(layer.id);
  }
  const order = new Map(blocks.map((b, i) => [b.id, i]));
  return {
    ...graph,
    layers,
    blocks: blocks.map((b, index) => ({ ...b, index })),
    stages: graph.stages.map((s) => ({
      ...s,
      blockIds: s.blockIds.filter((id) => order.has(id)).sort((a, b) => order.get(a)! - order.get(b)!),
      layerIds: layers.filter((l) => l.stageId === s.id).map((l) => l.id),
    })).filter((s) => s.layerIds.length > 0),
  };
}

/**
 * The part of the net after layer `inputId`, taking that layer's output as its input: the
 * same layers from there on, with `inputId` itself as the first layer. It must be a ReLU's
 * output (or a max pool of one), so the ReLU the input layer becomes leaves it unchanged.
 */
export function suffixGraph(graph: NetworkGraph, inputId: string): NetworkGraph {
  const start = graph.layers.findIndex((l) => l.id === inputId);
  if (start < 0) throw new RangeError(`${graph.spec.title} has no layer "${inputId}".`);
  const source = graph.layers[start];
  if (source.kind !== 'relu' && source.kind !== 'maxpool') throw new RangeError(`A suffix starts after a ReLU or max pool; ${inputId} is a ${source.kind}.`);
  const input: LayerNode = { id: source.id, name: 'input (captured ReLU output)', stageId: source.stageId, blockId: source.blockId, role: source.role, kind: 'relu', inputs: [], inputShape: source.outputShape, outputShape: source.outputShape };
  const layers = [input, ...graph.layers.slice(start + 1)];
  const after = new Set(layers.map((l) => l.blockId));
  const suffix = withLayers(graph, layers, graph.blocks.filter((b) => after.has(b.id) && b.id !== source.blockId));
  return { ...suffix, inputShape: source.outputShape };
}


/** Test images, normalised as in training: x NHWC, labels, count. */
export interface LesionImages {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

export interface LesionErrors {
  /** The intact net's error. */
  baseline: number;
  /** One per lesion, in order. */
  errors: number[];
}

export interface LesionRunOptions {
  /** Images per forward pass (default 125). */
  batchSize?: number;
  /** Called after each batch with the images done so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The test error of the intact net and of each lesioned net, in inference mode (moving
 * statistics, as the test error is measured in training). Every tensor made is disposed.
 */
export function lesionErrors(graph: NetworkGraph, weights: readonly NamedWeight[], lesions: readonly Lesion[], images: LesionImages, options: LesionRunOptions = {}): LesionErrors {
  const batchSize = options.batchSize ?? 125;
  const indexOf = new Map(graph.blocks.map((b) => [b.id, b.index]));
  const inputs = graph.blocks.map((b) => blockInput(graph.layers, b));
  const intact = modelWithWeights(graph, weights);
  const runs: Array<{ model: ResNetModel; inputId: string } | null> = [];
  try {
    for (const lesion of lesions) {
      const changed = [...(lesion.deleted ?? []), ...(lesion.swapped ?? [])].map((id) => indexOf.get(id) ?? findBlock(graph, id).index);
      if (changed.length === 0) {
        runs.push(null); // the intact net
        continue;
      }
      const inputId = inputs[Math.min(...changed)];
      runs.push({ model: modelWithWeights(suffixGraph(lesionedGraph(graph, lesion), inputId), weights), inputId });
    }
    const capture = [...new Set(runs.flatMap((r) => (r ? [r.inputId] : [])))];
    const [h, w, c] = graph.inputShape;
    const pixels = h * w * c;
    const wrong = new Array<number>(lesions.length).fill(0);
    let baselineWrong = 0;
    for (let start = 0; start < images.size; start += batchSize) {
      const n = Math.min(batchSize, images.size - start);
      const labels = images.y.subarray(start, start + n);
      const mistakes = (logits: tf.Tensor2D) => {
        const predicted = tf.tidy(() => tf.argMax(logits, 1));
        const p = predicted.dataSync();
        predicted.dispose();
        let count = 0;
        for (let i = 0; i < n; i++) if (p[i] !== labels[i]) count++;
        return count;
      };
      const x = tf.tensor4d(images.x.subarray(start * pixels, (start + n) * pixels), [n, h, w, c]);
      const full = intact.forward(x, { training: false, capture });
      try {
        const base = mistakes(full.logits);
        baselineWrong += base;
        runs.forEach((run, i) => {
          if (!run) {
            wrong[i] += base;
            return;
          }
          const { logits } = run.model.forward(full.captured[run.inputId] as tf.Tensor4D, { training: false });
          wrong[i] += mistakes(logits);
          logits.dispose();
        });
      } finally {
        tf.dispose([x, full.logits, ...Object.values(full.captured)]);
      }
      options.onProgress?.(start + n, images.size);
    }
    return { baseline: baselineWrong / images.size, errors: wrong.map((count) => count / images.size) };
  } finally {
    intact.dispose();
    for (const run of runs) run?.model.dispose();
  }
}
