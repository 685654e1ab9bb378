// ResNet Lab's training kernels for TF.js's wasm backend: convolution forward, its input and
// filter gradients, and BatchNorm, in C with WebAssembly SIMD (128-bit). Built by wasm/build.sh
// into wasm/kernels.wasm (committed). The memory is imported and shared: several instances of
// this module, one per worker thread, work on disjoint parts of one call (core/engine/
// wasmThreads.ts). So the code keeps no static data and no arrays on the stack: every buffer
// is passed in by the caller, and each function touches only the rows it is given.
//
// Layouts (TF.js's): x, y NHWC; filter [kh, kw, cin, cout] (HWIO). A convolution is an
// implicit matrix product: rows are output pixels (n, oh, ow), K = kh·kw·cin, columns cout.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
typedef v128_t f4;

static inline f4 ld(const float* p) { return wasm_v128_load(p); }
static inline void st(float* p, f4 v) { wasm_v128_store(p, v); }
static inline f4 splat(float v) { return wasm_f32x4_splat(v); }
static inline f4 madd(f4 acc, f4 a, f4 b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }

// C[M×N] = (accumulate ? C : 0) + A[M×K]·B[K×N]; row-major with leading dimensions.
// 4×8 register tiles (8 accumulators), then 4-wide and scalar tails.
static void gemm(int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc, int accumulate) {
  int i = 0;
  for (; i + 4 <= M; i += 4) {
    const float* a0 = A + (i + 0) * lda;
    const float* a1 = A + (i + 1) * lda;
    const float* a2 = A + (i + 2) * lda;
    const float* a3 = A + (i + 3) * lda;
    float* c0 = C + (i + 0) * ldc;
    float* c1 = C + (i + 1) * ldc;
    float* c2 = C + (i + 2) * ldc;
    float* c3 = C + (i + 3) * ldc;
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      f4 s00 = splat(0), s01 = splat(0), s10 = splat(0), s11 = splat(0);
      f4 s20 = splat(0), s21 = splat(0), s30 = splat(0), s31 = splat(0);
      const float* b = B + j;
      for (int k = 0; k < K; k++, b += ldb) {
        f4 b0 = ld(b), b1 = ld(b + 4);
        f4 v0 = splat(a0[k]);
        s00 = madd(s00, v0, b0); s01 = madd(s01, v0, b1);
        f4 v1 = splat(a1[k]);
        s10 = madd(s10, v1, b0); s11 = madd(s11, v1, b1);
        f4 v2 = splat(a2[k]);
        s20 = madd(s20, v2, b0); s21 = madd(s21, v2, b1);
        f4 v3 = splat(a3[k]);
        s30 = madd(s30, v3, b0); s31 = madd(s31, v3, b1);
      }
      if (accumulate) {
        s00 = wasm_f32x4_add(s00, ld(c0 + j)); s01 = wasm_f32x4_add(s01, ld(c0 + j + 4));
        s10 = wasm_f32x4_add(s10, ld(c1 + j)); s11 = wasm_f32x4_add(s11, ld(c1 + j + 4));
        s20 = wasm_f32x4_add(s20, ld(c2 + j)); s21 = wasm_f32x4_add(s21, ld(c2 + j + 4));
        s30 = wasm_f32x4_add(s30, ld(c3 + j)); s31 = wasm_f32x4_add(s31, ld(c3 + j + 4));
      }
      st(c0 + j, s00); st(c0 + j + 4, s01);
      st(c1 + j, s10); st(c1 + j + 4, s11);
      st(c2 + j, s20); st(c2 + j + 4, s21);
      st(c3 + j, s30); st(c3 + j + 4, s31);
    }
    for (; j + 4 <= N; j += 4) {
      f4 s0 = splat(0), s1 = splat(0), s2 = splat(0), s3 = splat(0);
      const float* b = B + j;
      for (int k = 0; k < K; k++, b += ldb) {
        f4 b0 = ld(b);
        s0 = madd(s0, splat(a0[k]), b0);
        s1 = madd(s1, splat(a1[k]), b0);
        s2 = madd(s2, splat(a2[k]), b0);
        s3 = madd(s3, splat(a3[k]), b0);
      }
      if (accumulate) {
        s0 = wasm_f32x4_add(s0, ld(c0 + j)); s1 = wasm_f32x4_add(s1, ld(c1 + j));
        s2 = wasm_f32x4_add(s2, ld(c2 + j)); s3 = wasm_f32x4_add(s3, ld(c3 + j));
      }
      st(c0 + j, s0); st(c1 + j, s1); st(c2 + j, s2); st(c3 + j, s3);
    }
    for (; j < N; j++) {
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int k = 0; k < K; k++) {
        float bv = B[k * ldb + j];
        s0 += a0[k] * bv; s1 += a1[k] * bv; s2 += a2[k] * bv; s3 += a3[k] * bv;
      }
      if (accumulate) { s0 += c0[j]; s1 += c1[j]; s2 += c2[j]; s3 += c3[j]; }
      c0[j] = s0; c1[j] = s1; c2[j] = s2; c3[j] = s3;
    }
  }
  for (; i < M; i++) {
    const float* a = A + i * lda;
    float* c = C + i * ldc;
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      f4 s = splat(0);
      for (int k = 0; k < K; k++) s = madd(s, splat(a[k]), ld(B + k * ldb + j));
      if (accumulate) s = wasm_f32x4_add(s, ld(c + j));
      st(c + j, s);
    }
    for (; j < N; j++) {
      float s = 0;
      for (int k = 0; k < K; k++) s += a[k] * B[k * ldb + j];
      c[j] = accumulate ? c[j] + s : s;
    }
  }
}

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

// The geometry of one convolution, written by the caller as 16 int32s.
typedef struct {
  int n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl, dh, dw, pad_;
} Geom;

// Rows [m0, m0+mc) of the im2col matrix of x: row (n, oy, ox), columns (ky, kx, ci), zeros outside.
static void im2col_rows(const Geom* g, const float* x, int m0, int mc, float* col) {
  const int K = g->kh * g->kw * g->cin;
  const int per = g->oh * g->ow;
  for (int r = 0; r < mc; r++) {
    int m = m0 + r;
    int n = m / per, rem = m - n * per;
    int oy = rem / g->ow, ox = rem - oy * g->ow;
    float* dst = col + r * K;
    for (int ky = 0; ky < g->kh; ky++) {
      int iy = oy * g->sh - g->pt + ky * g->dh;
      for (int kx = 0; kx < g->kw; kx++) {
        int ix = ox * g->sw - g->pl + kx * g->dw;
        float* d = dst + (ky * g->kw + kx) * g->cin;
        if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) zero_floats(d, g->cin);
        else copy_floats(d, x + ((n * g->h + iy) * g->w + ix) * g->cin, g->cin);
      }
    }
  }
}

// The same rows, transposed: colT[(ky, kx, ci)][r], for r in [0, mc), leading dimension mc.
static void im2col_rows_t(const Geom* g, const float* x, int m0, int mc, float* colT) {
  const int per = g->oh * g->ow;
  const int cin = g->cin;
  for (int r = 0; r < mc; r++) {
    int m = m0 + r;
    int n = m / per, rem = m - n * per;
    int oy = rem / g->ow, ox = rem - oy * g->ow;
    for (int ky = 0; ky < g->kh; ky++) {
      int iy = oy * g->sh - g->pt + ky * g->dh;
      for (int kx = 0; kx < g->kw; kx++) {
        int ix = ox * g->sw - g->pl + kx * g->dw;
        float* d = colT + ((ky * g->kw + kx) * cin) * mc + r;
        if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) {
          for (int c = 0; c < cin; c++) d[c * mc] = 0;
        } else {
          const float* s = x + ((n * g->h + iy) * g->w + ix) * cin;
          for (int c = 0; c < cin; c++) d[c * mc] = s[c];
        }
      }
    }
  }
}

static inline int is_pointwise(const Geom* g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0;
}

// y rows [m0, m1) = im2col(x) rows · filter. col: scratch of chunk·K floats.
EXPORT(conv2d_forward)
void conv2d_forward(const Geom* g, const float* x, const float* filter, float* y, int m0, int m1, float* col, int chunk) {
  const int K = g->kh * g->kw * g->cin;
  if (is_pointwise(g)) {
    gemm(m1 - m0, g->cout, K, x + m0 * K, K, filter, g->cout, y + m0 * g->cout, g->cout, 0);
    return;
  }
  for (int m = m0; m < m1; m += chunk) {
    int mc = m1 - m < chunk ? m1 - m : chunk;
    im2col_rows(g, x, m, mc, col);
    gemm(mc, g->cout, K, col, K, filter, g->cout, y + m * g->cout, g->cout, 0);
  }
}

// dW partial over rows [m0, m1): dw[K×cout] = Σ_rows im2col(x)ᵀ · dy. colT: chunk·K floats.
// Overwrites dw (each thread has its own, summed by conv2d_sum).
EXPORT(conv2d_backprop_filter)
void conv2d_backprop_filter(const Geom* g, const float* x, const float* dy, float* dw, int m0, int m1, float* colT, int chunk) {
  const int K = g->kh * g->kw * g->cin;
  zero_floats(dw, K * g->cout);
  for (int m = m0; m < m1; m += chunk) {
    int mc = m1 - m < chunk ? m1 - m : chunk;
    im2col_rows_t(g, x, m, mc, colT);
    gemm(K, g->cout, mc, colT, mc, dy + m * g->cout, g->cout, dw, g->cout, 1);
  }
}

// out[i] = Σ_t parts[t][i] (t < count), each part `size` floats apart.
EXPORT(sum_parts)
void sum_parts(float* out, const float* parts, int count, int size, int i0, int i1) {
  copy_floats(out + i0, parts + i0, i1 - i0);
  for (int t = 1; t < count; t++) add_floats(out + i0, parts + t * size + i0, i1 - i0);
}

// wt[co][k] = w[k][co]: the filter as [cout, K] for the input gradient.
EXPORT(transpose2d)
void transpose2d(const float* w, float* wt, int rows, int cols) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) wt[c * rows + r] = w[r * cols + c];
}

// dx for images [n0, n1): dcol = dy rows · wt (wt: [cout, K]), scattered back onto dx (col2im).
// dcol: chunk·K floats.
EXPORT(conv2d_backprop_input)
void conv2d_backprop_input(const Geom* g, const float* dy, const float* wt, float* dx, int n0, int n1, float* dcol, int chunk) {
  const int K = g->kh * g->kw * g->cin;
  const int per = g->oh * g->ow;
  const int cin = g->cin;
  if (is_pointwise(g)) {
    gemm((n1 - n0) * per, cin, g->cout, dy + n0 * per * g->cout, g->cout, wt, K, dx + n0 * per * cin, cin, 0);
    return;
  }
  zero_floats(dx + n0 * g->h * g->w * cin, (n1 - n0) * g->h * g->w * cin);
  const int m1 = n1 * per;
  for (int m = n0 * per; m < m1; m += chunk) {
    int mc = m1 - m < chunk ? m1 - m : chunk;
    gemm(mc, K, g->cout, dy + m * g->cout, g->cout, wt, K, dcol, K, 0);
    for (int r = 0; r < mc; r++) {
      int mm = m + r;
      int n = mm / per, rem = mm - n * per;
      int oy = rem / g->ow, ox = rem - oy * g->ow;
      const float* src = dcol + r * K;
      for (int ky = 0; ky < g->kh; ky++) {
        int iy = oy * g->sh - g->pt + ky * g->dh;
        if (iy < 0 || iy >= g->h) continue;
        for (int kx = 0; kx < g->kw; kx++) {
          int ix = ox * g->sw - g->pl + kx * g->dw;
          if (ix < 0 || ix >= g->w) continue;
          add_floats(dx + ((n * g->h + iy) * g->w + ix) * cin, src + (ky * g->kw + kx) * cin, cin);
        }
      }
    }
  }
}
