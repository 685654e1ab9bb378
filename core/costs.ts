// Exact costs of a graph: parameters, multiply-adds (the paper's FLOPs convention) and
// activation memory, per layer, block, stage and in total.
import { LayerNode, NetworkGraph, Shape } from './graph';

export interface Cost {
  /** Trainable parameters (conv weights, BN gamma and beta, fc weights and bias). */
  params: number;
  /** Non-trainable values: BatchNorm's moving mean and variance. */
  nonTrainable: number;
  /** Multiply-adds of convolutions and fc layers only, for one image (the paper's FLOPs). */
  flops: number;
  /** Output values of the layer(s) for one image; bytes at float32 are 4× this. */
  activations: number;
}

export interface LayerCostRow extends Cost {
  id: string;
  name: string;
  kind: LayerNode['kind'];
  stageId: string;
  blockId: string | null;
  role: LayerNode['role'];
  outputShape: Shape;
}

export interface GroupCostRow extends Cost {
  id: string;
  title: string;
  outputShape: Shape;
}

export interface NetworkCosts {
  model: string;
  title: string;
  total: Cost;
  stages: GroupCostRow[];
  blocks: GroupCostRow[];
  layers: LayerCostRow[];
}

export const BYTES_PER_VALUE = 4;

const volume = (shape: Shape) => shape[0] * shape[1] * shape[2];
const zero = (): Cost => ({ params: 0, nonTrainable: 0, flops: 0, activations: 0 });

function layerCost(layer: LayerNode): Cost {
  const out = volume(layer.outputShape);
  const cost: Cost = { ...zero(), activations: out };
  switch (layer.kind) {
    case 'conv': {
      const weights = layer.kernel * layer.kernel * layer.inputShape[2] * layer.filters;
      cost.params = weights; // no bias: BatchNorm follows every convolution
      cost.flops = weights * layer.outputShape[0] * layer.outputShape[1];
      break;
    }
    case 'batchnorm': {
      const channels = layer.outputShape[2];
      cost.params = 2 * channels;
      cost.nonTrainable = 2 * channels;
      break;
    }
    case 'fc': {
      const inputs = volume(layer.inputShape);
      cost.params = inputs * layer.units + layer.units;
      cost.flops = inputs * layer.units;
      break;
    }
    default:
      break;
  }
  return cost;
}

function addInto(sum: Cost, c: Cost): void {
  sum.params += c.params;
  sum.nonTrainable += c.nonTrainable;
  sum.flops += c.flops;
  sum.activations += c.activations;
}

/** Computes every cost of a graph in one pass over its layers. */
export function computeCosts(graph: NetworkGraph): NetworkCosts {
  const total = zero();
  const byStage = new Map<string, Cost>(graph.stages.map((s) => [s.id, zero()]));
  const byBlock = new Map<string, Cost>(graph.blocks.map((b) => [b.id, zero()]));
  const layers: LayerCostRow[] = graph.layers.map((layer) => {
    const cost = layerCost(layer);
    addInto(total, cost);
    addInto(byStage.get(layer.stageId)!, cost);
    if (layer.blockId) addInto(byBlock.get(layer.blockId)!, cost);
    const { id, name, kind, stageId, blockId, role, outputShape } = layer;
    return { id, name, kind, stageId, blockId, role, outputShape, ...cost };
  });
  return {
    model: graph.spec.name,
    title: graph.spec.title,
    total,
    stages: graph.stages.map((s) => ({ id: s.id, title: s.title, outputShape: s.outputShape, ...byStage.get(s.id)! })),
    blocks: graph.blocks.map((b) => ({ id: b.id, title: `${b.id} (${b.shortcut})`, outputShape: b.outputShape, ...byBlock.get(b.id)! })),
    layers,
  };
}
