// The shapes of image data shared by the readers, the augmentation and the trainer.

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** A set of labelled images, stored compactly as bytes. */
export interface LabeledImages {
  /** count × height × width × channels bytes, HWC order per image (as TF.js's NHWC wants). */
  images: Uint8Array;
  /** count labels, each in [0, classNames.length). */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: readonly string[];
  /** Where it came from, as the UI says it: e.g. "CIFAR-10 data_batch_1.bin". */
  source: string;
}

/** One mini-batch, ready for the engine: normalized float pixels in NHWC order. */
export interface Batch {
  /** size × height × width × channels floats: byte / 255 minus the training split's per-pixel mean (augment.ts). */
  x: Float32Array;
  /** size labels. */
  y: Int32Array;
  size: number;
  height: number;
  width: number;
  channels: number;
}

/** The three parts a training run uses, with what the UI says about them. */
export interface DataSplits {
  train: LabeledImages;
  validation: LabeledImages;
  test: LabeledImages;
  meta: DataMeta;
}

export interface DataMeta {
  /** "CIFAR-10" or "Synthetic shapes". */
  name: string;
  classNames: readonly string[];
  /** Where the data came from, as the UI says it (a folder, or "synthetic shapes (embedded, no download)"). */
  source: string;
  /** How train and validation were separated, e.g. "45,000 / 5,000, stratified (500 per class), seed 1". */
  split: string;
}

/** What went wrong is part of the type, so the UI can tell a cancel from a failure. */
export type DataErrorKind = 'missing' | 'format' | 'checksum' | 'http' | 'network' | 'cancelled';

/** A data problem, naming the file (or URL) and the problem; message is "<file>: <problem>". */
export class DataError extends Error {
  constructor(readonly file: string, readonly problem: string, readonly kind: DataErrorKind = 'format') {
    super(`${file}: ${problem}`);
    this.name = 'DataError';
  }
}
