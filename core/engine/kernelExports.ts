// The C↔TS contract of the project's WebAssembly kernels (wasm/*.c → wasm/kernels.wasm): each
// export's parameters in order, the Geom struct's fields, and the stride padding. Each is written
// here once and checked against the C sources (and the built module) by
// test/unit/kernelExports.test.ts; names are the C ones.

/** How a parameter is passed: a byte offset into the kernels' memory (0 for none), an int32, or an int 0/1. */
type ParamKind = 'ptr' | 'int' | 'flag';

/** Each export's parameters, in the order the C function takes them. */
export const KERNEL_EXPORTS = {
  // im2col.c
  conv2d_forward: { g: 'ptr', x: 'ptr', filter: 'ptr', y: 'ptr', m0: 'int', m1: 'int', panel: 'ptr', chunk: 'int', bias: 'ptr', res: 'ptr', relu: 'flag' },
  conv2d_backprop_filter: { g: 'ptr', x: 'ptr', dy: 'ptr', dw: 'ptr', m0: 'int', m1: 'int', col: 'ptr', chunk: 'int' },
  sum_parts: { out: 'ptr', parts: 'ptr', count: 'int', size: 'int', i0: 'int', i1: 'int' },
  transpose2d: { w: 'ptr', wt: 'ptr', rows: 'int', cols: 'int' },
  flip_filter: { w: 'ptr', out: 'ptr', kh: 'int', kw: 'int', cin: 'int', cout: 'int' },
  conv2d_backprop_input: { g: 'ptr', dy: 'ptr', wt: 'ptr', dx: 'ptr', n0: 'int', n1: 'int', dcol: 'ptr', chunk: 'int' },
  // batchnorm.c
  bn_stats: { x: 'ptr', C: 'int', m0: 'int', m1: 'int', shift: 'ptr', sums: 'ptr', scratch: 'ptr' },
  bn_apply: { x: 'ptr', y: 'ptr', C: 'int', m0: 'int', m1: 'int', a: 'ptr', b: 'ptr', res: 'ptr', relu: 'flag' },
  bn_grad_stats: { dy: 'ptr', x: 'ptr', y: 'ptr', C: 'int', m0: 'int', m1: 'int', mean: 'ptr', sums: 'ptr', scratch: 'ptr' },
  bn_grad_apply: { dy: 'ptr', x: 'ptr', y: 'ptr', dx: 'ptr', dres: 'ptr', C: 'int', m0: 'int', m1: 'int', p: 'ptr' },
  // winograd.c
  winograd_filter: { w: 'ptr', U: 'ptr', cin: 'int', cout: 'int', co0: 'int', co1: 'int' },
  conv2d_winograd: { g: 'ptr', x: 'ptr', U: 'ptr', y: 'ptr', t0: 'int', t1: 'int', scratch: 'ptr', chunk: 'int', bias: 'ptr', res: 'ptr', relu: 'flag' },
  conv2d_winograd_filter_grad: { g: 'ptr', x: 'ptr', dy: 'ptr', M: 'ptr', t0: 'int', t1: 'int', scratch: 'ptr', chunk: 'int' },
  winograd_filter_grad_out: { M: 'ptr', dw: 'ptr', cin: 'int', cout: 'int', i0: 'int', i1: 'int' },
  // winograd4.c
  winograd4_filter: { w: 'ptr', U: 'ptr', cin: 'int', cout: 'int', co0: 'int', co1: 'int' },
  conv2d_winograd4: { g: 'ptr', x: 'ptr', U: 'ptr', y: 'ptr', t0: 'int', t1: 'int', scratch: 'ptr', chunk: 'int', bias: 'ptr', res: 'ptr', relu: 'flag' },
  conv2d_winograd4_filter_grad: { g: 'ptr', x: 'ptr', dy: 'ptr', M: 'ptr', t0: 'int', t1: 'int', scratch: 'ptr', chunk: 'int' },
  winograd4_filter_grad_out: { M: 'ptr', dw: 'ptr', cin: 'int', cout: 'int', i0: 'int', i1: 'int' },
  // sgd.c
  sgd_momentum: { w: 'ptr', g: 'ptr', b: 'ptr', w_out: 'ptr', b_out: 'ptr', n: 'int', h: 'ptr' },
} as const satisfies Record<string, Record<string, ParamKind>>;

export type KernelExportName = keyof typeof KERNEL_EXPORTS;
type Params<F extends KernelExportName> = (typeof KERNEL_EXPORTS)[F];
/** The named arguments of one call of `F`: numbers, booleans for flags. */
export type KernelExportArgs<F extends KernelExportName> = { [P in keyof Params<F>]: Params<F>[P] extends 'flag' ? boolean : number };

export const KERNEL_EXPORT_NAMES = Object.keys(KERNEL_EXPORTS) as KernelExportName[];

/** The int32s that the export takes, in its parameters' order. */
export function positionalArgs<F extends KernelExportName>(fn: F, args: KernelExportArgs<F>): number[] {
  const values = args as Record<string, number | boolean>;
  return Object.entries(KERNEL_EXPORTS[fn] as Record<string, ParamKind>).map(([name, kind]) => (kind === 'flag' ? (values[name] ? 1 : 0) : (values[name] as number)));
}

/** The fields of wasm/kernels.h's Geom struct (one convolution's geometry), one int32 each, in order; pad_ is 0. */
export const GEOM_FIELDS = ['n', 'h', 'w', 'cin', 'oh', 'ow', 'cout', 'kh', 'kw', 'sh', 'sw', 'pt', 'pl', 'dh', 'dw', 'pad_'] as const;
export type Geom = Record<Exclude<(typeof GEOM_FIELDS)[number], 'pad_'>, number>;

/**
 * Floats added to the strides between the Winograd convolutions' transformed points, which the
 * callers' scratch sizes count: wasm/kernels.h's STRIDE_PAD.
 */
export const STRIDE_PAD = 16;

/** The Geom struct's int32s. */
export function geomInt32s(geom: Geom): number[] {
  return GEOM_FIELDS.map((field) => (field === 'pad_' ? 0 : geom[field]));
}
