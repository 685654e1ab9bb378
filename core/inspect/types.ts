// What an inspection of one image through one net yields, as plain data: the block maps
// (input x, residual branch F(x), shortcut, output y), the ratio ‖F(x)‖/‖x‖ per block, the
// paper's Fig. 7 layer responses and the top-5 prediction. Shared by core, the extension and
// the inspector page (through webview/inspectorProtocol.ts).
import type { LayerRole, ShortcutKind } from '../graph';

/** Summary statistics of a set of values. */
export interface ValueStats {
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** Per-channel statistics, one entry per channel of the full tensor (not only those shown). */
export interface ChannelStats {
  mean: number[];
  std: number[];
  min: number[];
  max: number[];
}

/**
 * One feature map of one image, ready to draw: the first `shownChannels` channels, each
 * average-pooled down to tileHeight × tileWidth, quantised to int8 as round(127·v/scale).
 */
export interface FeatureMap {
  /** The tensor's own height, width and channels. */
  shape: [number, number, number];
  tileHeight: number;
  tileWidth: number;
  shownChannels: number;
  /** max |v| over the values shown (0 when all are 0); a value v is drawn as v/scale in [−1, 1]. */
  scale: number;
  /** Base64 of an Int8Array, channel-major: [channel][row][column]. */
  data: string;
  channels: ChannelStats;
  /** Over all values of the full tensor. */
  summary: ValueStats;
  /** L2 norm of the full tensor. */
  norm: number;
}

export interface BlockInspection {
  blockId: string;
  index: number;
  stageId: string;
  shortcutKind: ShortcutKind;
  /** The block's input x. */
  input: FeatureMap;
  /** F(x): the residual branch after its last BatchNorm, before the add. */
  residual: FeatureMap;
  /** The shortcut's output (x itself, zero-padded or projected); null in a plain net. */
  shortcut: FeatureMap | null;
  /** y = ReLU(F(x) + shortcut), or ReLU(F(x)) in a plain net. */
  output: FeatureMap;
  /** ‖F(x)‖ / ‖x‖ (L2 norms over the image's tensors). */
  residualRatio: number;
}

/** Fig. 7: one conv layer's response (its BatchNorm's output, before the add or ReLU). */
export interface LayerResponse {
  /** The conv layer, e.g. "conv3_1.conv2". */
  convId: string;
  /** The BatchNorm whose output is measured, e.g. "conv3_1.bn2". */
  bnId: string;
  blockId: string | null;
  role: LayerRole;
  /** Standard deviation of all values of the response over the response images. */
  std: number;
}

export interface ClassScore {
  classIndex: number;
  className: string;
  probability: number;
}

export interface NetInspection {
  /** e.g. "ResNet-56", "plain-56". */
  title: string;
  modelName: string;
  residual: boolean;
  /** Where the weights came from, e.g. "run 2026…-resnet20, checkpoint step 400". */
  weightsSource: string;
  /** The training step of the weights; null for fresh initialisation. */
  step: number | null;
  blocks: BlockInspection[];
  /** One per conv layer, in layer order. */
  responses: LayerResponse[];
  /** How many images the Fig. 7 standard deviations are taken over. */
  responseImages: number;
  /** The five most likely classes, most likely first. */
  top5: ClassScore[];
  /** Milliseconds the forward pass and the read-back took. */
  elapsedMs: number;
}

/** One picker thumbnail: the image's bytes (HWC, RGB) as base64 with its class. */
export interface Thumbnail {
  /** The image's index in the inspection data's test images. */
  index: number;
  label: number;
  className: string;
  /** Base64 of height × width × channels bytes. */
  pixels: string;
}

/** The image being inspected, as the page shows it. */
export interface InspectedImage {
  index: number;
  label: number;
  className: string;
  /** Base64 of the image's bytes (height × width × channels, RGB). */
  pixels: string;
  height: number;
  width: number;
}

/** The images an inspector picks from, as the page shows them. */
export interface PickerImages {
  thumbnails: Thumbnail[];
  classNames: string[];
  height: number;
  width: number;
  /** e.g. "CIFAR-10 (…): 45,000 train / 10,000 test images". */
  dataDescription: string;
}
