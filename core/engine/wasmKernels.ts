// Training kernels for tfjs's wasm backend, built from its own fast kernels (XNNPACK conv2d,
// transpose, pad, reverse, slice) through the kernel registry:
// - Conv2DBackpropFilter: missing in tfjs-backend-wasm 4.22 ("not registered").
// - Conv2DBackpropInput: the shipped one is a plain scalar loop, about half of a training step.
// Both are rewritten as one forward convolution each (XNNPACK's fast path), so the rest of the
// product is unchanged. (Patches of x times dy as one matrix product was tried: 3× slower here,
// the strided slices that gather the patches being slow on wasm.)
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInput,
  Conv2DBackpropInputAttrs,
  getKernel,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  registerKernel,
  TensorInfo,
  unregisterKernel,
} from '@tensorflow/tfjs-core';

const WASM = 'wasm';
type Shape4 = [number, number, number, number];
type Padding4 = [[number, number], [number, number], [number, number], [number, number]];

/** Runs another registered wasm kernel directly (no engine bookkeeping): the caller disposes. */
class KernelRunner {
  private readonly temporaries: TensorInfo[] = [];
  constructor(private readonly backend: KernelBackend) {}

  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): TensorInfo {
    const config = getKernel(kernelName, WASM);
    if (!config) throw new Error(`The wasm backend has no '${kernelName}' kernel, needed to train on wasm.`);
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs }) as TensorInfo;
    this.temporaries.push(out);
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  pad(x: TensorInfo, paddings: Padding4): TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  /** Keeps rows [top, top+height) and columns [left, left+width) of an NHWC tensor. */
  crop(x: TensorInfo, top: number, height: number, left: number, width: number): TensorInfo {
    const [n, h, w, c] = x.shape as Shape4;
    if (top === 0 && left === 0 && height === h && width === w) return x;
    return this.run('Slice', { x }, { begin: [0, top, left, 0], size: [n, height, width, c] });
  }

  conv2d(x: TensorInfo, filter: TensorInfo, pad: Padding4, dilations: [number, number]): TensorInfo {
    return this.run('Conv2D', { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined as unknown as string });
  }

  /** Disposes every temporary except `keep` (the kernel's result). */
  finish(keep: TensorInfo): TensorInfo {
    for (const t of this.temporaries) if (t !== keep) this.backend.disposeData(t.dataId);
    return keep;
  }
}

/** Inserts stride−1 zeros after every row and column of dy: [n, oh·sh, ow·sw, c]. */
function dilate(r: KernelRunner, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, oh, ow, c] = dy.shape as Shape4;
  let t = dy;
  if (sw > 1) {
    t = r.reshape(t, [n * oh, ow, 1, c]);
    t = r.pad(t, [[0, 0], [0, 0], [0, sw - 1], [0, 0]]);
  }
  if (sh > 1) {
    t = r.reshape(t, [n * oh, 1, ow * sw, c]);
    t = r.pad(t, [[0, 0], [0, sh - 1], [0, 0], [0, 0]]);
  }
  return r.reshape(t, [n, oh * sh, ow * sw, c]);
}

/**
 * Pads (or, where a pad is negative, crops) the two spatial sides of `x` so that a stride-1
 * convolution can take explicit non-negative padding.
 */
function padOrCrop(r: KernelRunner, x: TensorInfo, top: number, bottom: number, left: number, right: number): { x: TensorInfo; pad: Padding4 } {
  const [, h, w] = x.shape as Shape4;
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  const cropped = r.crop(x, cropTop, h - cropTop - cropBottom, cropLeft, w - cropLeft - cropRight);
  return { x: cropped, pad: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]] };
}

function convInfoOf(xShape: Shape4, filterShape: Shape4, attrs: Conv2DBackpropInputAttrs | Conv2DBackpropFilterAttrs): backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error('The wasm training kernels support NHWC data only.');
  return backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

/**
 * dx = conv(dilate(dy), filter rotated 180° with in/out channels swapped), stride 1:
 * the transposed convolution written as a forward one.
 */
function conv2DBackpropInputWasm(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const info = convInfoOf(attrs.inputShape, filter.shape as Shape4, attrs);
  const r = new KernelRunner(args.backend);
  const flipped = r.run('Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = r.transpose(flipped, [0, 1, 3, 2]);
  const dilated = dilate(r, dy, info.strideHeight, info.strideWidth);
  const [, dh, dw] = dilated.shape as Shape4;
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.filterHeight - 1 - dh - top;
  const right = info.inWidth + info.filterWidth - 1 - dw - left;
  const padded = padOrCrop(r, dilated, top, bottom, left, right);
  return r.finish(r.conv2d(padded.x, swapped, padded.pad, [1, 1]));
}

/**
 * dW[kh, kw, ci, co] = Σ x[n, oh·s + kh, ow·s + kw, ci] · dy[n, oh, ow, co]: a convolution of
 * x laid out as [ci, h, w, n] with dy laid out as a [oh, ow, n, co] filter dilated by the stride.
 */
function conv2DBackpropFilterWasm(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { x, dy } = args.inputs;
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const info = convInfoOf(x.shape as Shape4, attrs.filterShape, attrs);
  const r = new KernelRunner(args.backend);
  const xT = r.transpose(x, [3, 1, 2, 0]);
  const dyT = r.transpose(dy, [1, 2, 0, 3]);
  const spanH = (info.outHeight - 1) * info.strideHeight + 1;
  const spanW = (info.outWidth - 1) * info.strideWidth + 1;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const bottom = info.filterHeight + spanH - 1 - info.inHeight - top;
  const right = info.filterWidth + spanW - 1 - info.inWidth - left;
  const padded = padOrCrop(r, xT, top, bottom, left, right);
  const grad = r.conv2d(padded.x, dyT, padded.pad, [info.strideHeight, info.strideWidth]);
  return r.finish(r.transpose(grad, [1, 2, 0, 3]));
}

export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [
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
