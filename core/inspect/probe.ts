// The block probe: one forward pass of the training engine's own model (ResNetModel.forward
// with captures, so no second forward code) that returns, for every block, its input x, the
// residual branch F(x), the shortcut and the output y, every conv layer's response after BN
// (the paper's Fig. 7) and the top-5 prediction. Every tensor it makes is disposed.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedWeight, ResNetModel } from '../engine/model';
import type { BlockNode, LayerNode, NetworkGraph } from '../graph';
import { featureMap, tileFactor } from './featureMaps';
import type { BlockInspection, ClassScore, FeatureMap, LayerResponse, NetInspection } from './types';

/** The layer ids whose outputs make up one block's view. */
export interface BlockTaps {
  block: BlockNode;
  /** The layer whose output is the block's input x. */
  inputId: string;
  /** The branch's last layer (its last BatchNorm): F(x). */
  residualId: string;
  /** The shortcut's last layer, or inputId for an identity shortcut; null in a plain net. */
  shortcutId: string | null;
  /** The block's final ReLU: y. */
  outputId: string;
}

/** Where each block's x, F(x), shortcut and y are in the graph. */
export function blockTaps(graph: NetworkGraph): BlockTaps[] {
  const byId = new Map(graph.layers.map((l) => [l.id, l]));
  return graph.blocks.map((block) => {
    const first = byId.get(block.branch[0]);
    if (!first || first.inputs.length !== 1) throw new Error(`Block ${block.id} has no branch input in the graph.`);
    const inputId = first.inputs[0];
    const residualId = block.branch[block.branch.length - 1];
    const shortcutId = block.shortcut === 'none' ? null : block.shortcutLayers.length > 0 ? block.shortcutLayers[block.shortcutLayers.length - 1] : inputId;
    return { block, inputId, residualId, shortcutId, outputId: block.merge[block.merge.length - 1] };
  });
}

/** Fig. 7's layers: every conv layer with the BatchNorm that follows it, in layer order. */
function responseLayers(graph: NetworkGraph): Array<{ conv: LayerNode; bn: LayerNode }> {
  const bnAfter = new Map<string, LayerNode>();
  for (const layer of graph.layers) if (layer.kind === 'batchnorm') bnAfter.set(layer.inputs[0], layer);
  return graph.layers
    .filter((l) => l.kind === 'conv')
    .map((conv) => {
      const bn = bnAfter.get(conv.id);
      if (!bn) throw new Error(`Conv layer ${conv.id} has no BatchNorm after it.`);
      return { conv, bn };
    });
}

export interface InspectRequest {
  /** One image, normalised as the net was trained (height × width × channels floats, HWC). */
  image: Float32Array;
  /** Images for Fig. 7's standard deviations (count × h × w × c); when absent, the image itself. */
  responseImages?: { data: Float32Array; count: number };
  /** The class names, in label order (the data's). */
  classNames: readonly string[];
}

export interface WeightsOrigin {
  /** Readable, e.g. "run …, checkpoint step 400" or "fresh initialisation (seed 1)". */
  source: string;
  step: number | null;
}

export class BlockProbe {
  readonly taps: BlockTaps[];
  readonly responses: Array<{ conv: LayerNode; bn: LayerNode }>;
  private readonly capture: string[];

  constructor(readonly model: ResNetModel, public origin: WeightsOrigin) {
    const graph = model.graph;
    this.taps = blockTaps(graph);
    this.responses = responseLayers(graph);
    const ids = new Set<string>();
    for (const t of this.taps) for (const id of [t.inputId, t.residualId, t.shortcutId, t.outputId]) if (id) ids.add(id);
    for (const r of this.responses) ids.add(r.bn.id);
    this.capture = [...ids];
  }

  /** Replaces the weights (e.g. the latest of a run in progress); extra entries such as momentum buffers are ignored. */
  setWeights(weights: readonly NamedWeight[], origin: WeightsOrigin): void {
    this.model.setWeights(weights);
    this.origin = origin;
  }

  inspect(request: InspectRequest): NetInspection {
    return this.inspectWithValues(request).inspection;
  }

  /**
   * The inspection and, by layer id, the full-precision values (first image, NHWC) of every
   * layer its block maps were made from: what the maps show, before quantisation.
   */
  inspectWithValues(request: InspectRequest): { inspection: NetInspection; values: Map<string, Float32Array> } {
    const graph = this.model.graph;
    const [h, w, c] = graph.inputShape;
    const pixels = h * w * c;
    if (request.image.length !== pixels) throw new Error(`${graph.spec.title} takes ${h}×${w}×${c} images (${pixels} values); the image has ${request.image.length}.`);
    const extra = request.responseImages;
    if (extra && (extra.count < 1 || extra.data.length !== extra.count * pixels)) {
      throw new Error(`Fig. 7 images: ${extra.count} images of ${h}×${w}×${c} need ${extra.count * pixels} values; got ${extra.data.length}.`);
    }
    if (request.classNames.length !== graph.spec.classes) {
      throw new Error(`${graph.spec.title} has ${graph.spec.classes} classes; ${request.classNames.length} class names were given.`);
    }
    const began = performance.now();
    const count = 1 + (extra?.count ?? 0);
    const batch = new Float32Array(count * pixels);
    batch.set(request.image, 0);
    if (extra) batch.set(extra.data, pixels);

    let blocks: BlockInspection[] = [];
    let responses: LayerResponse[] = [];
    let top5: ClassScore[] = [];
    const values = new Map<string, Float32Array>();
    tf.tidy(() => {
      const x = tf.tensor4d(batch, [count, h, w, c]);
      const { logits, captured } = this.model.forward(x, { training: false, capture: this.capture });
      // Fig. 7 over the response images (all but the first), or over the one image.
      const from = extra ? 1 : 0;
      const stds = tf.stack(this.responses.map((r) => {
        const t = captured[r.bn.id];
        const part = tf.slice(t, [from, 0, 0, 0], [count - from, -1, -1, -1]);
        return tf.sqrt(tf.moments(part).variance);
      })).dataSync();
      responses = this.responses.map((r, i) => ({ convId: r.conv.id, bnId: r.bn.id, blockId: r.conv.blockId, role: r.conv.role, std: stds[i] }));

      const maps = new Map<string, FeatureMap>();
      const mapOf = (id: string): FeatureMap => {
        let map = maps.get(id);
        if (!map) {
          const first = tf.slice(captured[id], [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
          const [, mh, mw, mc] = first.shape;
          const factor = tileFactor(Math.max(mh, mw));
          const full = first.dataSync() as Float32Array;
          values.set(id, full);
          const pooled = factor > 1 ? (tf.avgPool(first, factor, factor, 'valid').dataSync() as Float32Array) : full;
          map = featureMap(full, [mh, mw, mc], pooled, factor);
          maps.set(id, map);
        }
        return map;
      };
      blocks = this.taps.map((t) => {
        const input = mapOf(t.inputId);
        const residual = mapOf(t.residualId);
        return {
          blockId: t.block.id,
          index: t.block.index,
          stageId: t.block.stageId,
          shortcutKind: t.block.shortcut,
          input,
          residual,
          shortcut: t.shortcutId ? mapOf(t.shortcutId) : null,
          output: mapOf(t.outputId),
          residualRatio: input.norm > 0 ? residual.norm / input.norm : 0,
        };
      });

      const probabilities = tf.softmax(tf.slice(logits, [0, 0], [1, -1])).dataSync() as Float32Array;
      top5 = Array.from(probabilities, (probability: number, classIndex: number): ClassScore => ({ classIndex, className: request.classNames[classIndex], probability }))
        .sort((a, b) => b.probability - a.probability)
        .slice(0, 5);
    });
    const inspection: NetInspection = {
      title: graph.spec.title,
      modelName: graph.spec.name,
      residual: graph.spec.residual,
      weightsSource: this.origin.source,
      step: this.origin.step,
      blocks,
      responses,
      responseImages: extra?.count ?? 1,
      top5,
      elapsedMs: performance.now() - began,
    };
    return { inspection, values };
  }

  dispose(): void {
    this.model.dispose();
  }
}
