// Training kernels for tfjs's wasm backend, registered in TF.js's kernel registry so the rest
// of the product is unchanged:
// - Conv2DBackpropFilter: missing in tfjs-backend-wasm 4.22 ("not registered").
// - Conv2DBackpropInput: the shipped one is a plain scalar loop.
// - Conv2D: the shipped one (XNNPACK) is fast but single-threaded.
// - ResNetLabConvBatchNorm (inference): a convolution with the BatchNorm after it folded in, and
//   the ReLU after that.
// - ResNetLabBatchNormTrain / ResNetLabBatchNormGrad (core/engine/kernelNames.ts): BatchNorm in
//   training mode, forward and backward, each two threaded passes (per-channel sums, then the
//   per-channel affine map); used by core/engine/model.ts where registered.
// - Identity: shares the data instead of copying it (see identityWasm).
// - ResNetLabSgdMomentum: the optimizer's update of one variable in one pass.
// - AvgPoolGrad: a fast path for 1×1 pools (the option-A shortcut), the shipped kernel otherwise.
// - Slice: a fast path for slices of the channels alone (the gradient of option A's channel
//   padding), the shipped kernel otherwise.
// - Mean: a fast path for the mean over the spatial axes (the global average pool), the shipped
//   kernel otherwise.
// The convolutions and BatchNorm run the project's own C kernels (wasm/*.c: SIMD,
// implicit matrix products; Winograd F(4×4, 3×3) or F(2×2, 3×3) for the 3×3 stride-1 convolutions,
// their input gradients and filter gradients) on every core (core/engine/wasmThreads.ts), on
// the tensors in TF.js's heap itself (core/engine/wasmHeap.ts): nothing is copied.
import {
  AvgPoolGrad,
  backend_util,
  Conv2D,
  Conv2DAttrs,
  Conv2DBackpropFilter,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInput,
  Conv2DBackpropInputAttrs,
  engine,
  getGradient,
  getKernel,
  GradConfig,
  Identity,
  KernelConfig,
  KernelFunc,
  Mean,
  NamedAttrMap,
  registerGradient,
  registerKernel,
  Slice,
  slice_util,
  Tensor,
  TensorInfo,
  unregisterKernel,
  util,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN, CONV_BATCH_NORM, SGD_MOMENTUM, SgdMomentumAttrs } from './kernelNames';
import { Geom, STRIDE_PAD } from './kernelExports';
import { getKernelThreads, KernelThreads } from './wasmThreads';

const WASM = 'wasm';
type Shape4 = [number, number, number, number];
interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs?: NamedAttrMap;
}

/** Rows of a chunk of the im2col matrix: about 64 KiB of it, a multiple of 4. */
function chunkRows(k: number): number {
  return Math.max(4, Math.floor(16384 / k / 4) * 4);
}

/** Writes the kernels' Geom struct of the convolution `info` into the arena; returns its offset. */
function writeGeom(kt: KernelThreads, info: backend_util.Conv2DInfo): number {
  const geom: Geom = {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, cin: info.inChannels, oh: info.outHeight, ow: info.outWidth, cout: info.outChannels,
    kh: info.filterHeight, kw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth, pt: info.padInfo.top, pl: info.padInfo.left,
    dh: info.dilationHeight, dw: info.dilationWidth,
  };
  return kt.allocGeom(geom);
}

/** The byte offset of t's data in TF.js's heap, the memory the kernels work in. */
function heapOffset(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/** Splits [0, total) into at most `parts` ranges, each boundary a multiple of `align`. */
function splitRange(total: number, parts: number, align: number): Array<[number, number]> {
  const units = Math.ceil(total / align);
  const n = Math.max(1, Math.min(parts, units));
  const ranges: Array<[number, number]> = [];
  for (let t = 0; t < n; t++) {
    const a = Math.min(total, Math.floor((units * t) / n) * align);
    const b = Math.min(total, Math.floor((units * (t + 1)) / n) * align);
    if (b > a) ranges.push([a, b]);
  }
  return ranges;
}

function convInfo(xShape: Shape4, filterShape: Shape4, attrs: { strides: number | [number, number]; pad: Conv2DAttrs['pad']; dataFormat: string; dimRoundingMode?: string }, dilations: number | [number, number] = 1): backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error('The wasm training kernels support NHWC data only.');
  return backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast');
}

/** Below this many input or output channels the im2col path is as fast (the first layer). */
export const WINOGRAD_DEFAULT_MIN_CHANNELS = 4;
let WINOGRAD_MIN_CHANNELS = WINOGRAD_DEFAULT_MIN_CHANNELS;
/** For tests: the smallest channel count that takes Winograd (a large one turns it off). */
export function setWinogradMinChannels(c: number): void {
  WINOGRAD_MIN_CHANNELS = c;
}

/** Whether conv2d_winograd computes this convolution: 3×3, stride 1, no dilation. */
export function winogradApplies(info: backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 3 && info.filterWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 && info.outHeight >= 2 && info.outWidth >= 2 &&
    info.inChannels >= WINOGRAD_MIN_CHANNELS && info.outChannels >= WINOGRAD_MIN_CHANNELS
  );
}

/** Output tile edge of a Winograd convolution: 4 is F(4×4, 3×3) (winograd4.c), 2 is F(2×2, 3×3) (winograd.c). */
export type WinogradTile = 2 | 4;
let WINOGRAD_TILE_FORCED: WinogradTile | null = null;
/** For tests and measurements: every Winograd convolution on one tile size (null: the rule below). */
export function setWinogradTile(tile: WinogradTile | null): void {
  WINOGRAD_TILE_FORCED = tile;
}

/**
 * F(4×4) or F(2×2) for the Winograd convolution `info` (for an input gradient: the flipped one),
 * or for its filter gradient. Rule, measured by bench/winogradTiles.ts: F(4×4) from 8 channels
 * on, for outputs of 16×16 and more, and of 8×8 in batches of 64 or more (ResNet-56 inference at
 * batch 125: 1.07×, ResNet-20 training at 128: 1.05–1.08×). In batches of 16–32 it would be
 * 1.04–1.07× too, but there it took the stem's ill-conditioned filter gradient in
 * test/unit/pytorchEngine.test.ts (batch 16) from within 1e-4 of float64's to 7e-3 off it. Not the
 * 8×8 filter gradients: summed over so few whole tiles, F(4×4)'s was off by 7e-3 of float64's, 9×
 * PyTorch's float32 error. Narrower outputs (all edge tiles) keep F(2×2).
 */
export function winogradTile(info: backend_util.Conv2DInfo, filterGradient = false): WinogradTile {
  if (WINOGRAD_TILE_FORCED !== null) return WINOGRAD_TILE_FORCED;
  const minSize = info.batchSize >= WINOGRAD4_LARGE_BATCH && !filterGradient ? 8 : 16;
  return info.outHeight >= minSize && info.outWidth >= minSize && Math.min(info.inChannels, info.outChannels) >= WINOGRAD4_MIN_CHANNELS ? 4 : 2;
}
const WINOGRAD4_LARGE_BATCH = 64;
const WINOGRAD4_MIN_CHANNELS = 8;

/** Transformed values a tile: (tile + 2)². */
const winogradPoints = (tile: WinogradTile): number => (tile + 2) * (tile + 2);

/**
 * Tiles of one Winograd chunk, forward and filter gradient: the rows of its matrix products (the
 * inner dimension of the filter gradient's). Measured with the strides padded: 16 to 48 about
 * equal; 4 (a chunk of V and M within the L1 cache) 5–13% slower at 16 and 32 channels, 8 for
 * the filter gradient 12–26% slower.
 */
const WINOGRAD_CHUNK = 16;
/** Floats of one tensor of transformed filters U or filter-gradient sums M: its points padded apart (wasm/kernels.h: point_stride). */
const winogradPointsSize = (points: number, cin: number, cout: number): number => points * (cin * cout + STRIDE_PAD);
/** Scratch floats of one part of a Winograd convolution or filter gradient (wasm/winograd_conv.c): a chunk's V and M (or W), padded. */
const winogradScratch = (points: number, cin: number, cout: number): number => points * (WINOGRAD_CHUNK * (cin + cout) + 2 * STRIDE_PAD) + 8;

/** Winograd tiles of the convolution `info` on tiles of `tile`². */
function winogradTiles(info: backend_util.Conv2DInfo, tile: WinogradTile): number {
  return info.batchSize * Math.ceil(info.outHeight / tile) * Math.ceil(info.outWidth / tile);
}

/** What a convolution adds to its products before storing them: a bias (per channel), a residual (y's shape), then a ReLU. Offsets 0: none. */
interface Epilogue {
  bias: number;
  res: number;
  relu: boolean;
}
const NO_EPILOGUE: Epilogue = { bias: 0, res: 0, relu: false };

/**
 * Runs conv2d_winograd (or conv2d_winograd4) on every thread: x at xOff, the filter [3, 3, cin,
 * cout] at wOff, y at yOff (geometry `info`, already written at geom), then the epilogue.
 */
function winogradConv(kt: KernelThreads, info: backend_util.Conv2DInfo, geom: number, xOff: number, wOff: number, yOff: number, epilogue: Epilogue): void {
  const cin = info.inChannels;
  const cout = info.outChannels;
  const tile = winogradTile(info);
  const points = winogradPoints(tile);
  const uOff = kt.alloc(winogradPointsSize(points, cin, cout));
  kt.parallel(tile === 4 ? 'winograd4_filter' : 'winograd_filter', splitRange(cout, kt.parts, 4).map(([co0, co1]) => ({ w: wOff, U: uOff, cin, cout, co0, co1 })));
  const parts = splitRange(winogradTiles(info, tile), kt.parts, 4).map(([t0, t1]) => ({ g: geom, x: xOff, U: uOff, y: yOff, t0, t1, scratch: kt.alloc(winogradScratch(points, cin, cout)), chunk: WINOGRAD_CHUNK, ...epilogue }));
  kt.parallel(tile === 4 ? 'conv2d_winograd4' : 'conv2d_winograd', parts);
}

/** The filter gradient of a Winograd convolution (x at xOff, dy at dyOff) into dwOff. */
function winogradFilterGrad(kt: KernelThreads, info: backend_util.Conv2DInfo, geom: number, xOff: number, dyOff: number, dwOff: number): void {
  // Per thread the transformed sums M (points·cin·cout), summed, then dw = Gᵀ M G.
  const cin = info.inChannels;
  const cout = info.outChannels;
  const tile = winogradTile(info, true);
  const points = winogradPoints(tile);
  const msize = winogradPointsSize(points, cin, cout);
  const tileRanges = splitRange(winogradTiles(info, tile), kt.parts, 4);
  const mOff = kt.alloc(tileRanges.length * msize);
  const parts = tileRanges.map(([t0, t1], t) => ({ g: geom, x: xOff, dy: dyOff, M: mOff + 4 * t * msize, t0, t1, scratch: kt.alloc(winogradScratch(points, cin, cout)), chunk: WINOGRAD_CHUNK }));
  kt.parallel(tile === 4 ? 'conv2d_winograd4_filter_grad' : 'conv2d_winograd_filter_grad', parts);
  const mSum = kt.alloc(msize);
  kt.parallel('sum_parts', splitRange(msize, kt.parts, 4).map(([i0, i1]) => ({ out: mSum, parts: mOff, count: tileRanges.length, size: msize, i0, i1 })));
  kt.parallel(tile === 4 ? 'winograd4_filter_grad_out' : 'winograd_filter_grad_out', splitRange(cin * cout, kt.parts, 4).map(([i0, i1]) => ({ M: mSum, dw: dwOff, cin, cout, i0, i1 })));
}

function conv2DWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, filter } = inputs;
  const a = attrs as unknown as Conv2DAttrs;
  const info = convInfo(x.shape as Shape4, filter.shape as Shape4, a, a.dilations);
  const out = backend.makeOutput(info.outShape, 'float32');
  const rows = info.batchSize * info.outHeight * info.outWidth;
  if (rows === 0 || info.outChannels === 0) return out;
  const kt = getKernelThreads();
  kt.reset();
  const geom = writeGeom(kt, info);
  const xOff = heapOffset(backend, x);
  const wOff = heapOffset(backend, filter);
  const yOff = heapOffset(backend, out);
  if (winogradApplies(info)) winogradConv(kt, info, geom, xOff, wOff, yOff, NO_EPILOGUE);
  else implicitConv(kt, info, geom, xOff, wOff, yOff, NO_EPILOGUE);
  return out;
}

/** Runs conv2d_forward (an implicit im2col matrix product) on every thread; arguments as winogradConv's. */
function implicitConv(kt: KernelThreads, info: backend_util.Conv2DInfo, geom: number, xOff: number, wOff: number, yOff: number, epilogue: Epilogue): void {
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const chunk = chunkRows(k);
  const parts = splitRange(rows, kt.parts, 4).map(([m0, m1]) => ({ g: geom, x: xOff, filter: wOff, y: yOff, m0, m1, panel: kt.alloc(chunk * k), chunk, ...epilogue }));
  kt.parallel('conv2d_forward', parts);
}

/**
 * CONV_BATCH_NORM: the folded filter and bias written straight into the kernels' memory, then
 * conv2DWasm's kernel with them, adding the optional input `residual` (y's shape) before the ReLU.
 */
function convBatchNormWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, filter, gamma, beta, mean, variance, residual } = inputs;
  const a = attrs as unknown as Conv2DAttrs & { epsilon: number; relu: boolean };
  const info = convInfo(x.shape as Shape4, filter.shape as Shape4, a, 1);
  if (residual && !util.arraysEqual(residual.shape, info.outShape)) throw new Error(`${CONV_BATCH_NORM}: the residual is ${residual.shape.join('×')}, the output ${info.outShape.join('×')}.`);
  const out = backend.makeOutput(info.outShape, 'float32');
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const cout = info.outChannels;
  if (rows === 0 || cout === 0) return out;
  const kt = getKernelThreads();
  kt.reset();
  const geom = writeGeom(kt, info);
  const xOff = heapOffset(backend, x);
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const wOff = kt.alloc(k * cout);
  const biasOff = kt.alloc(cout);
  const w = backend.typedArrayFromHeap(filter) as Float32Array;
  const g = backend.typedArrayFromHeap(gamma) as Float32Array;
  const b = backend.typedArrayFromHeap(beta) as Float32Array;
  const mu = backend.typedArrayFromHeap(mean) as Float32Array;
  const v = backend.typedArrayFromHeap(variance) as Float32Array;
  const scale = new Float32Array(cout);
  const bias = kt.f32(biasOff, cout);
  for (let c = 0; c < cout; c++) {
    scale[c] = g[c] / Math.sqrt(v[c] + a.epsilon);
    bias[c] = b[c] - mu[c] * scale[c];
  }
  const folded = kt.f32(wOff, k * cout);
  for (let i = 0, o = 0; i < k; i++) for (let c = 0; c < cout; c++, o++) folded[o] = w[o] * scale[c];
  const yOff = heapOffset(backend, out);
  const epilogue = { bias: biasOff, res: residual ? heapOffset(backend, residual) : 0, relu: a.relu };
  if (winogradApplies(info)) winogradConv(kt, info, geom, xOff, wOff, yOff, epilogue);
  else implicitConv(kt, info, geom, xOff, wOff, yOff, epilogue);
  return out;
}

function conv2DBackpropFilterWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs;
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = convInfo(x.shape as Shape4, a.filterShape as Shape4, a);
  const out = backend.makeOutput(a.filterShape, 'float32');
  const size = util.sizeFromShape(a.filterShape);
  const rows = info.batchSize * info.outHeight * info.outWidth;
  if (size === 0) return out;
  const kt = getKernelThreads();
  kt.reset();
  const geom = writeGeom(kt, info);
  const xOff = heapOffset(backend, x);
  const dyOff = heapOffset(backend, dy);
  const dwOff = heapOffset(backend, out);
  if (winogradApplies(info) && rows > 0) {
    winogradFilterGrad(kt, info, geom, xOff, dyOff, dwOff);
    return out;
  }
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const chunk = 64;
  const ranges = rows === 0 ? [[0, 0] as [number, number]] : splitRange(rows, kt.parts, 4);
  const partsOff = kt.alloc(ranges.length * size);
  const parts = ranges.map(([m0, m1], t) => ({ g: geom, x: xOff, dy: dyOff, dw: partsOff + 4 * t * size, m0, m1, col: kt.alloc(chunk * k), chunk }));
  kt.parallel('conv2d_backprop_filter', parts);
  kt.call('sum_parts', { out: dwOff, parts: partsOff, count: ranges.length, size, i0: 0, i1: size });
  return out;
}

function conv2DBackpropInputWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs;
  const a = attrs as unknown as Conv2DBackpropInputAttrs;
  const info = convInfo(a.inputShape as Shape4, filter.shape as Shape4, a);
  const out = backend.makeOutput(a.inputShape, 'float32');
  const size = util.sizeFromShape(a.inputShape);
  if (size === 0) return out;
  const kt = getKernelThreads();
  kt.reset();
  if (info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1) {
    // Stride 1: dx is the convolution of dy (padded by k − 1 − pad) with the filter rotated by
    // 180° and its channels swapped, run by the forward kernel: no col2im scatter.
    const flipped: backend_util.Conv2DInfo = {
      ...info,
      inHeight: info.outHeight,
      inWidth: info.outWidth,
      inChannels: info.outChannels,
      outHeight: info.inHeight,
      outWidth: info.inWidth,
      outChannels: info.inChannels,
      padInfo: { ...info.padInfo, top: info.filterHeight - 1 - info.padInfo.top, left: info.filterWidth - 1 - info.padInfo.left },
    };
    const geom = writeGeom(kt, flipped);
    const dyOff = heapOffset(backend, dy);
    const wOff = heapOffset(backend, filter);
    const fOff = kt.alloc(util.sizeFromShape(filter.shape));
    kt.call('flip_filter', { w: wOff, out: fOff, kh: info.filterHeight, kw: info.filterWidth, cin: info.inChannels, cout: info.outChannels });
    const dxOff = heapOffset(backend, out);
    if (winogradApplies(flipped)) winogradConv(kt, flipped, geom, dyOff, fOff, dxOff, NO_EPILOGUE);
    else implicitConv(kt, flipped, geom, dyOff, fOff, dxOff, NO_EPILOGUE);
    return out;
  }
  const geom = writeGeom(kt, info);
  const dyOff = heapOffset(backend, dy);
  const wOff = heapOffset(backend, filter);
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const wtOff = kt.alloc(k * info.outChannels);
  kt.call('transpose2d', { w: wOff, wt: wtOff, rows: k, cols: info.outChannels });
  const dxOff = heapOffset(backend, out);
  const chunk = 128;
  // dcol: the chunk's im2col-shaped gradient (its dy rows are read in place).
  const parts = splitRange(info.batchSize, kt.parts, 1).map(([n0, n1]) => ({ g: geom, dy: dyOff, wt: wtOff, dx: dxOff, n0, n1, dcol: kt.alloc(chunk * k), chunk }));
  kt.parallel('conv2d_backprop_input', parts);
  return out;
}


/** Runs fn over row ranges of [0, rows) on every thread; each part gets its own `scratch` floats (offsets after the range). */
function rowParts(kt: KernelThreads, rows: number, perPart: number[]): Array<{ m0: number; m1: number; scratch: number[] }> {
  const ranges = rows === 0 ? [[0, 0] as [number, number]] : splitRange(rows, kt.parts, 1);
  return ranges.map(([m0, m1]) => ({ m0, m1, scratch: perPart.map((floats) => kt.alloc(floats)) }));
}

/** Per-channel double sums of the parts (2C each, at scratch[0]) added up. */
function sumParts(kt: KernelThreads, parts: Array<{ scratch: number[] }>, c: number): Float64Array {
  const total = new Float64Array(2 * c);
  for (const p of parts) {
    const s = kt.f64(p.scratch[0], 2 * c);
    for (let i = 0; i < 2 * c; i++) total[i] += s[i];
  }
  return total;
}

/**
 * BATCH_NORM_TRAIN: [y, mean, variance]; y = BN(x) (+ the optional input `residual`, x's shape),
 * then the ReLU when attrs.relu. Given the inputs movingMean and movingVariance, also their next
 * values (momentum attrs.momentum; the variance unbiased), as PyTorch updates them.
 */
function batchNormTrainWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { x, gamma, beta, residual, movingMean, movingVariance } = inputs;
  const momentum = Number((attrs as { momentum?: number } | undefined)?.momentum ?? 0);
  const epsilon = Number((attrs as { epsilon?: number } | undefined)?.epsilon ?? 1e-5);
  const relu = Boolean((attrs as { relu?: boolean } | undefined)?.relu);
  const c = x.shape[x.shape.length - 1];
  const size = util.sizeFromShape(x.shape);
  const rows = c === 0 ? 0 : size / c;
  if (residual && !util.arraysEqual(residual.shape, x.shape)) throw new Error(`${BATCH_NORM_TRAIN}: the residual is ${residual.shape.join('×')}, x ${x.shape.join('×')}.`);
  const y = backend.makeOutput(x.shape, 'float32');
  const meanOut = backend.makeOutput([c], 'float32');
  const varOut = backend.makeOutput([c], 'float32');
  const moving = movingMean && movingVariance ? [backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')] : [];
  if (size === 0) return [y, meanOut, varOut, ...moving];
  const kt = getKernelThreads();
  kt.reset();
  const xOff = heapOffset(backend, x);
  // Sums of x − (x's first row): values near the mean, so the variance keeps its digits.
  const stats = rowParts(kt, rows, [4 * c, 2 * c]);
  kt.parallel('bn_stats', stats.map((p) => ({ x: xOff, C: c, m0: p.m0, m1: p.m1, shift: xOff, sums: p.scratch[0], scratch: p.scratch[1] })));
  const sums = sumParts(kt, stats, c);
  const shift = kt.f32(xOff, c);
  const g = backend.typedArrayFromHeap(gamma) as Float32Array;
  const b = backend.typedArrayFromHeap(beta) as Float32Array;
  const mean = backend.typedArrayFromHeap(meanOut) as Float32Array;
  const variance = backend.typedArrayFromHeap(varOut) as Float32Array;
  const aOff = kt.alloc(c);
  const bOff = kt.alloc(c);
  const a = kt.f32(aOff, c);
  const shiftB = kt.f32(bOff, c);
  for (let i = 0; i < c; i++) {
    const m = sums[i] / rows;
    const v = Math.max(0, sums[c + i] / rows - m * m);
    const mu = shift[i] + m;
    const scale = g[i] / Math.sqrt(v + epsilon);
    mean[i] = mu;
    variance[i] = v;
    a[i] = scale;
    shiftB[i] = b[i] - mu * scale;
  }
  if (moving.length > 0) {
    const [m0, v0] = [movingMean, movingVariance].map((t) => backend.typedArrayFromHeap(t) as Float32Array);
    const [m1, v1] = moving.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
    const unbiased = rows / Math.max(1, rows - 1);
    for (let i = 0; i < c; i++) {
      m1[i] = momentum * m0[i] + (1 - momentum) * mean[i];
      v1[i] = momentum * v0[i] + (1 - momentum) * variance[i] * unbiased;
    }
  }
  const [yOff, resOff] = [heapOffset(backend, y), residual ? heapOffset(backend, residual) : 0];
  kt.parallel('bn_apply', stats.map((p) => ({ x: xOff, y: yOff, C: c, m0: p.m0, m1: p.m1, a: aOff, b: bOff, res: resOff, relu })));
  return [y, meanOut, varOut, ...moving];
}

/**
 * BATCH_NORM_GRAD: [dx, dγ, dβ], and with attrs.residual the residual's gradient too (dy where
 * the fused ReLU's output y is > 0).
 */
function batchNormGradWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { dy, x, gamma, mean, variance, y } = inputs;
  const epsilon = Number((attrs as { epsilon?: number } | undefined)?.epsilon ?? 1e-5);
  const withResidual = Boolean((attrs as { residual?: boolean } | undefined)?.residual);
  const c = x.shape[x.shape.length - 1];
  const size = util.sizeFromShape(x.shape);
  const rows = c === 0 ? 0 : size / c;
  const dx = backend.makeOutput(x.shape, 'float32');
  const dgammaOut = backend.makeOutput([c], 'float32');
  const dbetaOut = backend.makeOutput([c], 'float32');
  const dres = withResidual ? [backend.makeOutput(x.shape, 'float32')] : [];
  const dgamma = backend.typedArrayFromHeap(dgammaOut) as Float32Array;
  const dbeta = backend.typedArrayFromHeap(dbetaOut) as Float32Array;
  if (size === 0) {
    dgamma.fill(0);
    dbeta.fill(0);
    return [dx, dgammaOut, dbetaOut, ...dres];
  }
  const kt = getKernelThreads();
  kt.reset();
  const dyOff = heapOffset(backend, dy);
  const xOff = heapOffset(backend, x);
  const meanOff = heapOffset(backend, mean);
  // With a fused ReLU, its output: dy counts where it is > 0.
  const yOff = y ? heapOffset(backend, y) : 0;
  const stats = rowParts(kt, rows, [4 * c, 2 * c]);
  kt.parallel('bn_grad_stats', stats.map((p) => ({ dy: dyOff, x: xOff, y: yOff, C: c, m0: p.m0, m1: p.m1, mean: meanOff, sums: p.scratch[0], scratch: p.scratch[1] })));
  const sums = sumParts(kt, stats, c);
  const g = backend.typedArrayFromHeap(gamma) as Float32Array;
  const v = backend.typedArrayFromHeap(variance) as Float32Array;
  const mu = kt.f32(meanOff, c);
  const pOff = kt.alloc(3 * c);
  const p = kt.f32(pOff, 3 * c);
  // dx = γ·rstd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M), x̂ = (x − μ)·rstd, as dy·p0 + x·p1 + p2.
  for (let i = 0; i < c; i++) {
    const rstd = 1 / Math.sqrt(v[i] + epsilon);
    const db = sums[i];
    const dg = sums[c + i] * rstd;
    dbeta[i] = db;
    dgamma[i] = dg;
    const a = g[i] * rstd;
    const p1 = (-a * rstd * dg) / rows;
    p[i] = a;
    p[c + i] = p1;
    p[2 * c + i] = -p1 * mu[i] - (a * db) / rows;
  }
  const dxOff = heapOffset(backend, dx);
  const dresOff = withResidual ? heapOffset(backend, dres[0]) : 0;
  kt.parallel('bn_grad_apply', stats.map((q) => ({ dy: dyOff, x: xOff, y: yOff, dx: dxOff, dres: dresOff, C: c, m0: q.m0, m1: q.m1, p: pOff })));
  return [dx, dgammaOut, dbetaOut, ...dres];
}

/** SGD_MOMENTUM on the tfjs heap: one pass (wasm/sgd.c) instead of five element-wise kernels per variable. */
function sgdMomentumWasm({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { w, g, buf } = inputs;
  const { learningRate, momentum, weightDecay } = attrs as unknown as SgdMomentumAttrs;
  const wOut = backend.makeOutput(w.shape, 'float32');
  const bufOut = backend.makeOutput(w.shape, 'float32');
  const kt = getKernelThreads();
  kt.reset();
  const h = kt.alloc(3);
  kt.f32(h, 3).set([learningRate, momentum, weightDecay]);
  kt.call('sgd_momentum', { w: heapOffset(backend, w), g: heapOffset(backend, g), b: heapOffset(backend, buf), w_out: heapOffset(backend, wOut), b_out: heapOffset(backend, bufOut), n: util.sizeFromShape(w.shape), h });
  return [wOut, bufOut];
}

/**
 * tfjs-backend-wasm's Identity copies the data; the engine clones every tensor it saves for a
 * backward pass, so each saved activation was stored twice (and copied). Tensors are immutable,
 * so a clone can share the data, as the cpu backend's Identity does.
 */
function identityWasm({ inputs, backend }: KernelArgs): TensorInfo {
  const { x } = inputs;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * AvgPoolGrad of a 1×1 pool (the option-A shortcut's subsampling, core/engine/model.ts): dy is
 * scattered onto every stride-th pixel of a zeroed dx. The shipped kernel takes ~10× as long.
 */
function avgPoolGradFast({ inputs, backend, attrs }: KernelArgs): TensorInfo | null {
  const { dy, input } = inputs;
  const a = attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const info = backend_util.computePool2DInfo(input.shape as Shape4, a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (info.filterHeight !== 1 || info.filterWidth !== 1 || info.padInfo.top !== 0 || info.padInfo.left !== 0) return null;
  const dx = backend.makeOutput(input.shape, 'float32');
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  const src = backend.typedArrayFromHeap(dy) as Float32Array;
  out.fill(0);
  const c = info.inChannels;
  let i = 0;
  for (let n = 0; n < info.batchSize; n++) {
    for (let oy = 0; oy < info.outHeight; oy++) {
      const rowBase = (n * info.inHeight + oy * info.strideHeight) * info.inWidth;
      for (let ox = 0; ox < info.outWidth; ox++) {
        let o = (rowBase + ox * info.strideWidth) * c;
        for (let k = 0; k < c; k++) out[o++] = src[i++];
      }
    }
  }
  return dx;
}

/**
 * Slice of the last axis alone (the option-A shortcut's channel padding, undone in its gradient):
 * a run of channels copied from each pixel. The shipped kernel takes ~20× as long.
 */
function sliceFast({ inputs, backend, attrs }: KernelArgs): TensorInfo | null {
  const { x } = inputs;
  const a = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [begin, size] = slice_util.parseSliceParams(x, a.begin, a.size);
  const last = x.shape.length - 1;
  const channelsOnly = last > 0 && x.dtype === 'float32' && x.shape.every((d, i) => i === last || (begin[i] === 0 && size[i] === d));
  if (!channelsOnly) return null;
  const out = backend.makeOutput(size, 'float32');
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const c = x.shape[last];
  const [c0, width] = [begin[last], size[last]];
  for (let i = 0, o = 0; o < dst.length; i += c) for (let k = c0; k < c0 + width; k++) dst[o++] = src[i + k];
  return out;
}

/**
 * Mean over the spatial axes of an NHWC tensor (the global average pool before the classifier):
 * per-channel sums in one pass. The shipped kernel transposes first and took ~5 ms of a
 * ResNet-20 step at batch 128.
 */
function meanFast({ inputs, backend, attrs }: KernelArgs): TensorInfo | null {
  const { x } = inputs;
  const a = attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const axes = util.parseAxisParam(a.axis, x.shape).sort((p, q) => p - q);
  if (x.shape.length !== 4 || x.dtype !== 'float32' || axes.length !== 2 || axes[0] !== 1 || axes[1] !== 2) return null;
  const [n, h, w, c] = x.shape;
  const out = backend.makeOutput(a.keepDims ? [n, 1, 1, c] : [n, c], 'float32');
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const sums = new Float64Array(c);
  for (let b = 0, i = 0; b < n; b++) {
    sums.fill(0);
    for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) sums[k] += src[i++];
    for (let k = 0; k < c; k++) dst[b * c + k] = sums[k] / (h * w);
  }
  return out;
}

const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAIN, backendName: WASM, kernelFunc: batchNormTrainWasm as unknown as KernelFunc },
  { kernelName: BATCH_NORM_GRAD, backendName: WASM, kernelFunc: batchNormGradWasm as unknown as KernelFunc },
  { kernelName: Identity, backendName: WASM, kernelFunc: identityWasm as unknown as KernelFunc },
  { kernelName: SGD_MOMENTUM, backendName: WASM, kernelFunc: sgdMomentumWasm as unknown as KernelFunc },
  { kernelName: CONV_BATCH_NORM, backendName: WASM, kernelFunc: convBatchNormWasm as unknown as KernelFunc },
  { kernelName: Conv2D, backendName: WASM, kernelFunc: conv2DWasm as unknown as KernelFunc },
  { kernelName: Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2DBackpropFilterWasm as unknown as KernelFunc },
  { kernelName: Conv2DBackpropInput, backendName: WASM, kernelFunc: conv2DBackpropInputWasm as unknown as KernelFunc },
];

/**
 * The gradient of BATCH_NORM_TRAIN: one BATCH_NORM_GRAD call for all its inputs. It keeps x
 * (the convolution's output), y (the next layer's input, kept by it too; the ReLU's mask when
 * fused), γ and the two per-channel statistics: no activation-sized tensor of its own. A fused
 * residual's gradient is dy (masked by the ReLU).
 */
const BATCH_NORM_TRAIN_GRADIENT: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, gamma, y, mean, variance] = saved;
    const dy = (dys as Tensor[])[0];
    const inputs: Record<string, Tensor> = { dy, x, gamma, mean, variance };
    if (attrs.relu) inputs.y = y;
    const residual = Boolean(attrs.residual) && Boolean(attrs.relu);
    const [dx, dgamma, dbeta, dres] = engine().runKernel(BATCH_NORM_GRAD, inputs, { ...attrs, residual }) as Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta, ...(attrs.residual ? { residual: () => (residual ? dres : dy) } : {}) };
  },
};

let registered = false;

/** A fast path for some cases of a shipped kernel: `fast` returns null where the shipped kernel runs. */
const FAST_PATHS: ReadonlyArray<{ kernelName: string; fast: (args: KernelArgs) => TensorInfo | null }> = [
  { kernelName: AvgPoolGrad, fast: avgPoolGradFast },
  { kernelName: Slice, fast: sliceFast },
  { kernelName: Mean, fast: meanFast },
];

function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, WASM)) unregisterKernel(config.kernelName, WASM);
  registerKernel(config);
}

/** Registers (once) the training kernels for 'wasm', replacing any shipped ones. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  // The shipped kernels' setups (run when the backend starts) stay, for the cases they still run.
  for (const { kernelName, fast } of FAST_PATHS) {
    const shipped = getKernel(kernelName, WASM);
    const kernelFunc = (args: KernelArgs): TensorInfo => {
      const result = fast(args);
      if (result) return result;
      if (!shipped) throw new Error(`${kernelName} is not available for the wasm backend.`);
      return shipped.kernelFunc(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    };
    replaceKernel({ kernelName, backendName: WASM, setupFunc: shipped?.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc });
  }
  for (const config of WASM_TRAINING_KERNELS) {
    if (getKernel(config.kernelName, WASM)) unregisterKernel(config.kernelName, WASM);
    registerKernel(config);
  }
  if (!getGradient(BATCH_NORM_TRAIN)) registerGradient(BATCH_NORM_TRAIN_GRADIENT);
  registered = true;
}
