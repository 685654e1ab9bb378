// Training kernels for tfjs's wasm backend, registered in TF.js's kernel registry so the rest
// of the product is unchanged:
// - Conv2DBackpropFilter: missing in tfjs-backend-wasm 4.22 ("not registered").
// - Conv2DBackpropInput: the shipped one is a plain scalar loop.
// - Conv2D: the shipped one (XNNPACK) is fast but single-threaded.
// All three run the project's own C kernels (wasm/kernels.c: SIMD, implicit matrix products)
// on every core (core/engine/wasmThreads.ts). Inputs are copied from the tfjs heap into the
// kernels' shared memory and results copied back; the copies are a few percent of a call.
import {
  backend_util,
  Conv2D,
  Conv2DAttrs,
  Conv2DBackpropFilter,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInput,
  Conv2DBackpropInputAttrs,
  getKernel,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  registerKernel,
  TensorInfo,
  unregisterKernel,
  util,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
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

/** Writes the Geom struct of kernels.c (16 int32s) into the arena; returns its offset. */
function writeGeom(kt: KernelThreads, info: backend_util.Conv2DInfo): number {
  const offset = kt.alloc(16);
  kt.i32(offset, 16).set([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
    info.dilationHeight, info.dilationWidth, 0,
  ]);
  return offset;
}

function copyIn(kt: KernelThreads, backend: BackendWasm, t: TensorInfo): number {
  const size = util.sizeFromShape(t.shape);
  const offset = kt.alloc(size);
  kt.f32(offset, size).set(backend.typedArrayFromHeap(t) as Float32Array);
  return offset;
}

function copyOut(kt: KernelThreads, backend: BackendWasm, offset: number, out: TensorInfo): TensorInfo {
  (backend.typedArrayFromHeap(out) as Float32Array).set(kt.f32(offset, util.sizeFromShape(out.shape)));
  return out;
}

/** Splits [0, total) into at most `parts` ranges, each boundary a multiple of `align`. */
export function splitRange(total: number, parts: number, align: number): Array<[number, number]> {
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
  const xOff = copyIn(kt, backend, x);
  const wOff = copyIn(kt, backend, filter);
  const yOff = kt.alloc(rows * info.outChannels);
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const chunk = chunkRows(k);
  const parts = splitRange(rows, kt.threads, 4).map(([m0, m1]) => [geom, xOff, wOff, yOff, m0, m1, kt.alloc(chunk * k), chunk]);
  kt.parallel('conv2d_forward', parts);
  return copyOut(kt, backend, yOff, out);
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
  const xOff = copyIn(kt, backend, x);
  const dyOff = copyIn(kt, backend, dy);
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const chunk = 128;
  const ranges = rows === 0 ? [[0, 0] as [number, number]] : splitRange(rows, kt.threads, 4);
  const partsOff = kt.alloc(ranges.length * size);
  const parts = ranges.map(([m0, m1], t) => [geom, xOff, dyOff, partsOff + 4 * t * size, m0, m1, kt.alloc(chunk * k), chunk]);
  kt.parallel('conv2d_backprop_filter', parts);
  const sumOff = kt.alloc(size);
  kt.call('sum_parts', [sumOff, partsOff, ranges.length, size, 0, size]);
  return copyOut(kt, backend, sumOff, out);
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
  const geom = writeGeom(kt, info);
  const dyOff = copyIn(kt, backend, dy);
  const wOff = copyIn(kt, backend, filter);
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const wtOff = kt.alloc(k * info.outChannels);
  kt.call('transpose2d', [wOff, wtOff, k, info.outChannels]);
  const dxOff = kt.alloc(size);
  const chunk = 128;
  const parts = splitRange(info.batchSize, kt.threads, 1).map(([n0, n1]) => [geom, dyOff, wtOff, dxOff, n0, n1, kt.alloc(chunk * k), chunk]);
  kt.parallel('conv2d_backprop_input', parts);
  return copyOut(kt, backend, dxOff, out);
}

export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
  { kernelName: Conv2D, backendName: WASM, kernelFunc: conv2DWasm as unknown as KernelFunc },
  { kernelName: Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2DBackpropFilterWasm as unknown as KernelFunc },
  { kernelName: Conv2DBackpropInput, backendName: WASM, kernelFunc: conv2DBackpropInputWasm as unknown as KernelFunc },
];

let registered = false;

/** Registers (once) the training kernels for 'wasm', replacing any shipped ones. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const config of WASM_TRAINING_KERNELS) {
    if (getKernel(config.kernelName, WASM)) unregisterKernel(config.kernelName, WASM);
    registerKernel(config);
  }
  registered = true;
}
