// Feature maps as plain numbers: statistics per channel and overall, L2 norms, and the
// downsampled, int8-quantised tiles the inspector draws. Pure JavaScript on NHWC data of one image.
import type { ChannelStats, FeatureMap, ValueStats } from './types';

/** At most this many channels are sent as tiles (statistics cover all channels). */
const MAX_SHOWN_CHANNELS = 64;
/** Tiles are average-pooled to at most this many pixels per side. */
const MAX_TILE_SIDE = 32;

/** The pooling factor that brings `side` to at most MAX_TILE_SIDE. */
export function tileFactor(side: number): number {
  return Math.max(1, Math.ceil(side / MAX_TILE_SIDE));
}

function channelStats(values: Float32Array, height: number, width: number, channels: number): ChannelStats {
  const n = height * width;
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const min = new Array<number>(channels).fill(Infinity);
  const max = new Array<number>(channels).fill(-Infinity);
  for (let p = 0; p < n; p++) {
    const base = p * channels;
    for (let c = 0; c < channels; c++) {
      const v = values[base + c];
      sum[c] += v;
      sumSq[c] += v * v;
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    }
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sumSq, (s, c) => Math.sqrt(Math.max(0, s / n - mean[c] * mean[c])));
  return { mean, std, min, max };
}

function valueStats(values: Float32Array): ValueStats {
  let sum = 0;
  let sumSq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    sum += v;
    sumSq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(Math.max(0, sumSq / values.length - mean * mean)), min, max };
}

function l2Norm(values: Float32Array): number {
  let sumSq = 0;
  for (let i = 0; i < values.length; i++) sumSq += values[i] * values[i];
  return Math.sqrt(sumSq);
}

/**
 * One image's NHWC values (full resolution, for the statistics) and the same values pooled by
 * `factor` (for the tiles; the same array when factor is 1) as a FeatureMap.
 */
export function featureMap(full: Float32Array, shape: [number, number, number], pooled: Float32Array, factor: number): FeatureMap {
  const [height, width, channels] = shape;
  if (full.length !== height * width * channels) throw new Error(`A feature map of ${height}×${width}×${channels} needs ${height * width * channels} values; got ${full.length}.`);
  const tileHeight = Math.floor(height / factor) || 1;
  const tileWidth = Math.floor(width / factor) || 1;
  if (pooled.length !== tileHeight * tileWidth * channels) throw new Error(`Pooled map has ${pooled.length} values; expected ${tileHeight}×${tileWidth}×${channels}.`);
  const shownChannels = Math.min(channels, MAX_SHOWN_CHANNELS);
  const pixels = tileHeight * tileWidth;
  let scale = 0;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < shownChannels; c++) scale = Math.max(scale, Math.abs(pooled[p * channels + c]));
  }
  const quantised = new Int8Array(shownChannels * pixels);
  if (scale > 0) {
    for (let c = 0; c < shownChannels; c++) {
      for (let p = 0; p < pixels; p++) quantised[c * pixels + p] = Math.round((127 * pooled[p * channels + c]) / scale);
    }
  }
  return {
    shape: [height, width, channels],
    tileHeight,
    tileWidth,
    shownChannels,
    scale,
    data: Buffer.from(quantised.buffer, quantised.byteOffset, quantised.byteLength).toString('base64'),
    channels: channelStats(full, height, width, channels),
    summary: valueStats(full),
    norm: l2Norm(full),
  };
}
