// ResNet Lab's training kernels for TF.js's wasm backend: the shared header of gemm.c, im2col.c,
// batchnorm.c, winograd.c, winograd4.c, winograd_conv.c and sgd.c, which wasm/build.sh compiles
// as one translation unit into wasm/kernels.wasm (committed). The memory is imported and shared:
// several instances of this module, one per worker thread, work on disjoint parts of one call
// (core/engine/wasmThreads.ts).
// So the code keeps no static data and no arrays on the stack: every buffer is passed in by the
// caller, and each function touches only the rows it is given. Each export's parameters are
// listed in core/engine/kernelExports.ts (test/unit/kernelExports.test.ts checks they agree).
//
// Layouts (TF.js's): x, y NHWC; filter [kh, kw, cin, cout] (HWIO). A convolution is an
// implicit matrix product: rows are output pixels (n, oh, ow), K = kh·kw·cin, columns cout.
// 3×3 stride-1 convolutions (and their gradients) use Winograd instead: F(2×2, 3×3) (winograd.c) or
// F(4×4, 3×3) (winograd4.c), their tiles walked by winograd_conv.c, chosen per layer by
// core/engine/wasmKernels.ts.
#ifndef RESNETLAB_KERNELS_H
#define RESNETLAB_KERNELS_H
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
// For a tile's transforms called from several loops: inlined copies run ~5% slower under V8.
#define NOINLINE static __attribute__((noinline))
// For a body specialised by each caller's constant arguments (a register tile's rows, the tile size
// T, a full tile).
#define ALWAYS_INLINE static inline __attribute__((always_inline))
typedef v128_t f4;

static inline f4 ld(const float* p) { return wasm_v128_load(p); }
static inline void st(float* p, f4 v) { wasm_v128_store(p, v); }
static inline f4 splat(float v) { return wasm_f32x4_splat(v); }
static inline f4 ldsplat(const float* p) { return wasm_v128_load32_splat(p); }
// acc + a·b. Built twice (wasm/build.sh): with plain SIMD (a multiply and an add), and with
// relaxed SIMD, whose f32x4.relaxed_madd is one fused multiply-add on x86 with FMA and ARM:
// ~1.3× the speed of the matrix products under V8.
#ifdef RESNETLAB_RELAXED_SIMD
static inline f4 madd(f4 acc, f4 a, f4 b) { return __builtin_wasm_relaxed_madd_f32x4(a, b, acc); }
#else
static inline f4 madd(f4 acc, f4 a, f4 b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }
#endif

static inline void copy_floats(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) st(dst + i, ld(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

static inline void zero_floats(float* dst, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) st(dst + i, splat(0));
  for (; i < n; i++) dst[i] = 0;
}

static inline void add_floats(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) st(dst + i, wasm_f32x4_add(ld(dst + i), ld(src + i)));
  for (; i < n; i++) dst[i] += src[i];
}

// 4 channels (full) or 1 (the tail: lane 0) of the values at p.
static inline f4 ld_ch(const float* p, int full) { return full ? ld(p) : wasm_f32x4_make(*p, 0, 0, 0); }
static inline void st_ch(float* p, f4 v, int full) {
  if (full) st(p, v);
  else *p = wasm_f32x4_extract_lane(v, 0);
}

// Floats (a cache line) added to a stride between the transformed points of the Winograd
// convolutions (winograd*.c), which a tile or a filter reads or writes all at once: at a power
// of two (2 KiB between a tile's points at 32 channels, 16 KiB between a 64 × 64 filter's) they
// fell in a few of the L1 cache's sets. The filter gradient took 1.3–2× its time, the filter
// transform 4–8×. The callers' scratch sizes count it: core/engine/kernelExports.ts's STRIDE_PAD,
// checked against this one by test/unit/kernelExports.test.ts.
#define STRIDE_PAD 16

// The stride between the points of the transformed filters U and of the filter gradient's sums
// M: one cin × cout matrix each, padded.
static inline int point_stride(int cin, int cout) { return cin * cout + STRIDE_PAD; }

// The geometry of one convolution, written by the caller as 16 int32s (core/engine/
// kernelExports.ts: GEOM_FIELDS, checked against this struct by test/unit/kernelExports.test.ts).
typedef struct {
  int n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl, dh, dw, pad_;
} Geom;

// The matrix products of gemm.c, used by the convolutions of im2col.c and winograd_conv.c.
static void gemm_panel(int mr, int N, int K, const float* a, int ska, const float* B, int ldb, float* c, int ldc, int accumulate);
static void gemm_rows(int mc, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc);
static void gemm_packed(int mc, int N, int K, const float* panel, const float* B, int ldb, float* C, int ldc, int accumulate);

#endif
