// The graph IR: stages → blocks → layers, each layer with its input and output shapes and a
// stable id that the table, the diagram and the trainer all use.
import { BOTTLENECK_EXPANSION, NetworkSpec } from './spec';

/** Height, width, channels of one image's tensor (NHWC without the batch). */
export type Shape = readonly [number, number, number];

/** Where a layer sits: on the residual branch F(x), on the shortcut, or elsewhere. */
export type LayerRole = 'stem' | 'branch' | 'shortcut' | 'merge' | 'head';
/** identity: x itself; zeropad: option A; projection: 1×1 conv + BN (options B, C); none: plain net. */
export type ShortcutKind = 'identity' | 'zeropad' | 'projection' | 'none';

interface LayerBase {
  /** Stable id, e.g. "conv3_1.conv1", "conv3_1.shortcut.conv", "fc". */
  id: string;
  /** Short readable description, e.g. "conv 3×3, 128, /2". */
  name: string;
  stageId: string;
  /** The block the layer belongs to, or null for stem and head layers. */
  blockId: string | null;
  role: LayerRole;
  /** Ids of the layers feeding this one; empty for the network input. */
  inputs: string[];
  inputShape: Shape;
  outputShape: Shape;
}

export type LayerNode =
  | (LayerBase & { kind: 'conv'; kernel: number; stride: number; padding: number; filters: number })
  | (LayerBase & { kind: 'batchnorm' | 'relu' | 'add' | 'avgpool' | 'softmax' })
  | (LayerBase & { kind: 'maxpool'; kernel: number; stride: number; padding: number })
  /** Option A shortcut: subsample by `stride`, then zero-pad the channels to `filters`. */
  | (LayerBase & { kind: 'zeropad'; stride: number; filters: number })
  | (LayerBase & { kind: 'fc'; units: number });

export interface BlockNode {
  /** e.g. "conv2_1": stage 2 (paper numbering), block 1. */
  id: string;
  stageId: string;
  /** 0-based position in the whole net. */
  index: number;
  type: NetworkSpec['blockType'];
  shortcut: ShortcutKind;
  stride: number;
  inputShape: Shape;
  outputShape: Shape;
  /** The layers of F(x), in order. */
  branch: string[];
  /** The shortcut's layers (empty for identity and plain). */
  shortcutLayers: string[];
  /** The add (residual nets only) and the final ReLU. */
  merge: string[];
}

export interface StageNode {
  /** "conv1", "conv2_x" … "conv5_x", "fc" as in Table 1. */
  id: string;
  /** e.g. "conv2_x (56×56)". */
  title: string;
  outputShape: Shape;
  blockIds: string[];
  layerIds: string[];
}

export interface NetworkGraph {
  spec: NetworkSpec;
  inputShape: Shape;
  stages: StageNode[];
  blocks: BlockNode[];
  /** All layers in execution order (every layer's inputs come before it). */
  layers: LayerNode[];
  /** Id of the layer whose output is the logits (the fc layer). */
  logitsId: string;
  outputId: string;
}

export function formatShape(shape: Shape): string {
  const [h, w, c] = shape;
  return h === 1 && w === 1 ? `${c}` : `${h}×${w}×${c}`;
}

function convOut(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** Builds the layer graph of a spec. Pure and fast: ResNet-1202 takes a few milliseconds. */
export function buildGraph(spec: NetworkSpec): NetworkGraph {
  const layers: LayerNode[] = [];
  const stages: StageNode[] = [];
  const blocks: BlockNode[] = [];
  const inputShape: Shape = [spec.inputSize, spec.inputSize, spec.inputChannels];
  let stage: StageNode;

  const push = (layer: LayerNode): LayerNode => {
    layers.push(layer);
    stage.layerIds.push(layer.id);
    stage.outputShape = layer.outputShape;
    return layer;
  };
  const base = (id: string, from: LayerNode | null, blockId: string | null, role: LayerRole) => ({
    id,
    stageId: stage.id,
    blockId,
    role,
    inputs: from ? [from.id] : [],
    inputShape: from ? from.outputShape : inputShape,
  });
  const conv = (id: string, from: LayerNode | null, blockId: string | null, role: LayerRole, kernel: number, filters: number, stride: number): LayerNode => {
    const inShape = from ? from.outputShape : inputShape;
    const padding = Math.floor((kernel - 1) / 2);
    const size = convOut(inShape[0], kernel, stride, padding);
    const strideText = stride > 1 ? `, /${stride}` : '';
    return push({ ...base(id, from, blockId, role), kind: 'conv', name: `conv ${kernel}×${kernel}, ${filters}${strideText}`, kernel, stride, padding, filters, outputShape: [size, size, filters] });
  };
  const pointwise = (kind: 'batchnorm' | 'relu', id: string, from: LayerNode, blockId: string | null, role: LayerRole): LayerNode =>
    push({ ...base(id, from, blockId, role), kind, name: kind === 'batchnorm' ? 'batch norm' : 'ReLU', outputShape: from.outputShape });
  const newStage = (id: string) => {
    stage = { id, title: id, outputShape: inputShape, blockIds: [], layerIds: [] };
    stages.push(stage);
  };

  // Stem.
  newStage('conv1');
  let x: LayerNode;
  if (spec.stem === 'imagenet') {
    x = conv('conv1.conv', null, null, 'stem', 7, spec.stemWidth, 2);
  } else {
    x = conv('conv1.conv', null, null, 'stem', 3, spec.stemWidth, 1);
  }
  x = pointwise('batchnorm', 'conv1.bn', x, null, 'stem');
  x = pointwise('relu', 'conv1.relu', x, null, 'stem');

  // Residual stages: paper numbering conv2_x, conv3_x, ...
  spec.stages.forEach((stageSpec, s) => {
    const stageNumber = s + 2;
    newStage(`conv${stageNumber}_x`);
    if (s === 0 && spec.stem === 'imagenet') {
      const [h, , c] = x.outputShape;
      const size = convOut(h, 3, 2, 1);
      x = push({ ...base(`conv${stageNumber}_x.maxpool`, x, null, 'stem'), kind: 'maxpool', name: 'max pool 3×3, /2', kernel: 3, stride: 2, padding: 1, outputShape: [size, size, c] });
    }
    for (let b = 0; b < stageSpec.blocks; b++) {
      const blockId = `conv${stageNumber}_${b + 1}`;
      const stride = b === 0 ? stageSpec.stride : 1;
      const input = x;
      const inChannels = input.outputShape[2];
      const outChannels = spec.blockType === 'bottleneck' ? stageSpec.width * BOTTLENECK_EXPANSION : stageSpec.width;
      const branch: string[] = [];
      const track = (layer: LayerNode, list: string[]) => (list.push(layer.id), layer);

      // F(x): the paper's "v1" bottleneck puts the stride in the first 1×1.
      let f: LayerNode = input;
      const convSpecs: Array<[number, number, number]> =
        spec.blockType === 'basic'
          ? [[3, stageSpec.width, stride], [3, stageSpec.width, 1]]
          : [[1, stageSpec.width, stride], [3, stageSpec.width, 1], [1, outChannels, 1]];
      convSpecs.forEach(([kernel, filters, convStride], i) => {
        const last = i === convSpecs.length - 1;
        f = track(conv(`${blockId}.conv${i + 1}`, f, blockId, 'branch', kernel, filters, convStride), branch);
        f = track(pointwise('batchnorm', `${blockId}.bn${i + 1}`, f, blockId, 'branch'), branch);
        if (!last) f = track(pointwise('relu', `${blockId}.relu${i + 1}`, f, blockId, 'branch'), branch);
      });

      const shape: Shape = f.outputShape;
      const dimensionsChange = stride !== 1 || inChannels !== outChannels;
      let shortcutKind: ShortcutKind = 'none';
      const shortcutLayers: string[] = [];
      const merge: string[] = [];
      let y: LayerNode = f;
      if (spec.residual) {
        let s: LayerNode = input;
        const project = spec.shortcut === 'C' || (dimensionsChange && spec.shortcut === 'B');
        if (project) {
          shortcutKind = 'projection';
          s = track(conv(`${blockId}.shortcut.conv`, input, blockId, 'shortcut', 1, outChannels, stride), shortcutLayers);
          s = track(pointwise('batchnorm', `${blockId}.shortcut.bn`, s, blockId, 'shortcut'), shortcutLayers);
        } else if (dimensionsChange) {
          shortcutKind = 'zeropad';
          const size = convOut(input.outputShape[0], 1, stride, 0);
          s = track(
            push({ ...base(`${blockId}.shortcut.zeropad`, input, blockId, 'shortcut'), kind: 'zeropad', name: `zero-pad to ${outChannels}${stride > 1 ? `, /${stride}` : ''}`, stride, filters: outChannels, outputShape: [size, size, outChannels] }),
            shortcutLayers,
          );
        } else {
          shortcutKind = 'identity';
        }
        y = track(push({ ...base(`${blockId}.add`, f, blockId, 'merge'), inputs: [f.id, s.id], kind: 'add', name: 'add F(x) + shortcut', outputShape: shape }), merge);
      }
      y = track(pointwise('relu', `${blockId}.relu${convSpecs.length}`, y, blockId, 'merge'), merge);
      stage.blockIds.push(blockId);
      blocks.push({ id: blockId, stageId: stage.id, index: blocks.length, type: spec.blockType, shortcut: shortcutKind, stride, inputShape: input.outputShape, outputShape: shape, branch, shortcutLayers, merge });
      x = y;
    }
  });

  // Head: global average pool, fc, softmax.
  newStage('fc');
  const channels = x.outputShape[2];
  const pooled = push({ ...base('fc.avgpool', x, null, 'head'), kind: 'avgpool', name: 'global average pool', outputShape: [1, 1, channels] });
  const fc = push({ ...base('fc.fc', pooled, null, 'head'), kind: 'fc', name: `fc ${spec.classes}`, units: spec.classes, outputShape: [1, 1, spec.classes] });
  const softmax = push({ ...base('fc.softmax', fc, null, 'head'), kind: 'softmax', name: 'softmax', outputShape: [1, 1, spec.classes] });

  for (const st of stages) {
    const [h, w] = st.outputShape;
    st.title = h === 1 && w === 1 ? `${st.id} (avg pool, fc)` : `${st.id} (${h}×${w})`;
  }
  return { spec, inputShape, stages, blocks, layers, logitsId: fc.id, outputId: softmax.id };
}
