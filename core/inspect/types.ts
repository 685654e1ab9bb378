// What an inspection of one image through one net yields, as plain data: the block maps
// (input x, residual branch F(x), shortcut, output y), the ratio ‖F(x)‖/‖x‖ per block, the
// paper's Fig. 7 layer responses and the top-5 prediction. Shared by core, the extension and
// the inspector page (through protocol/inspector.ts). Declared as schemas: the extension
// checks what the inspector's worker sends against them.
import { z } from 'zod';

/** A number as computed: NaN or ±Infinity too (a diverged net), which z.number() refuses. */
const value = z.custom<number>((v) => typeof v === 'number', 'expected a number');

/** Summary statistics of a set of values. */
const valueStats = z.object({ mean: value, std: value, min: value, max: value });
export type ValueStats = z.infer<typeof valueStats>;

/** Per-channel statistics, one entry per channel of the full tensor (not only those shown). */
const channelStats = z.object({ mean: z.array(value), std: z.array(value), min: z.array(value), max: z.array(value) });
export type ChannelStats = z.infer<typeof channelStats>;

/**
 * One feature map of one image, ready to draw: the first `shownChannels` channels, each
 * average-pooled down to tileHeight × tileWidth, quantised to int8 as round(127·v/scale).
 */
const featureMap = z.object({
  /** The tensor's own height, width and channels. */
  shape: z.tuple([z.number(), z.number(), z.number()]),
  tileHeight: z.number(),
  tileWidth: z.number(),
  shownChannels: z.number(),
  /** max |v| over the values shown (0 when all are 0); a value v is drawn as v/scale in [−1, 1]. */
  scale: value,
  /** Base64 of an Int8Array, channel-major: [channel][row][column]. */
  data: z.string(),
  channels: channelStats,
  /** Over all values of the full tensor. */
  summary: valueStats,
  /** L2 norm of the full tensor. */
  norm: value,
});
export type FeatureMap = z.infer<typeof featureMap>;

const blockInspection = z.object({
  blockId: z.string(),
  index: z.number(),
  stageId: z.string(),
  shortcutKind: z.enum(['identity', 'zeropad', 'projection', 'none']),
  /** The block's input x. */
  input: featureMap,
  /** F(x): the residual branch after its last BatchNorm, before the add. */
  residual: featureMap,
  /** The shortcut's output (x itself, zero-padded or projected); null in a plain net. */
  shortcut: featureMap.nullable(),
  /** y = ReLU(F(x) + shortcut), or ReLU(F(x)) in a plain net. */
  output: featureMap,
  /** ‖F(x)‖ / ‖x‖ (L2 norms over the image's tensors). */
  residualRatio: value,
});
export type BlockInspection = z.infer<typeof blockInspection>;

/** Fig. 7: one conv layer's response (its BatchNorm's output, before the add or ReLU). */
const layerResponse = z.object({
  /** The conv layer, e.g. "conv3_1.conv2". */
  convId: z.string(),
  /** The BatchNorm whose output is measured, e.g. "conv3_1.bn2". */
  bnId: z.string(),
  blockId: z.string().nullable(),
  role: z.enum(['stem', 'branch', 'shortcut', 'merge', 'head']),
  /** Standard deviation of all values of the response over the response images. */
  std: value,
});
export type LayerResponse = z.infer<typeof layerResponse>;

const classScore = z.object({ classIndex: z.number(), className: z.string(), probability: value });
export type ClassScore = z.infer<typeof classScore>;

export const netInspection = z.object({
  /** e.g. "ResNet-56", "plain-56". */
  title: z.string(),
  modelName: z.string(),
  residual: z.boolean(),
  /** Where the weights came from, e.g. "run 2026…-resnet20, checkpoint step 400". */
  weightsSource: z.string(),
  /** The training step of the weights; null for fresh initialisation. */
  step: z.number().nullable(),
  blocks: z.array(blockInspection),
  /** One per conv layer, in layer order. */
  responses: z.array(layerResponse),
  /** How many images the Fig. 7 standard deviations are taken over. */
  responseImages: z.number(),
  /** The five most likely classes, most likely first. */
  top5: z.array(classScore),
  /** Milliseconds the forward pass and the read-back took. */
  elapsedMs: z.number(),
});
export type NetInspection = z.infer<typeof netInspection>;

/** One picker thumbnail: the image's bytes (HWC, RGB) as base64 with its class. */
const thumbnail = z.object({
  /** The image's index in the inspection data's test images. */
  index: z.number(),
  label: z.number(),
  className: z.string(),
  /** Base64 of height × width × channels bytes. */
  pixels: z.string(),
});
export type Thumbnail = z.infer<typeof thumbnail>;

/** The image being inspected, as the page shows it: a thumbnail's fields and its size. */
export const inspectedImage = thumbnail.extend({ height: z.number(), width: z.number() });
export type InspectedImage = z.infer<typeof inspectedImage>;

/** The images an inspector picks from, as the page shows them. */
export const pickerImages = z.object({
  thumbnails: z.array(thumbnail),
  classNames: z.array(z.string()),
  height: z.number(),
  width: z.number(),
  /** e.g. "CIFAR-10 (…): 45,000 train / 10,000 test images". */
  dataDescription: z.string(),
});
export type PickerImages = z.infer<typeof pickerImages>;

/** How far a run's nets are, and whether a live process trains it now (the inspector's live state). */
export const runProgress = z.object({ steps: z.array(z.number().nullable()), training: z.boolean() });
export type RunProgress = z.infer<typeof runProgress>;
