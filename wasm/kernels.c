// ResNet Lab's training kernels for TF.js's wasm backend: convolution forward, its input and
// filter gradients, and BatchNorm, in C with WebAssembly SIMD (128-bit). Built by wasm/build.sh
// into wasm/kernels.wasm (committed). The memory is imported and shared: several instances of
// this module, one per worker thread, work on disjoint parts of one call (core/engine/
// wasmThreads.ts). So the code keeps no static data and no arrays on the stack: every buffer
// is passed in by the caller, and each function touches only the rows it is given.
//
// Layouts (TF.js's): x, y NHWC; filter [kh, kw, cin, cout] (HWIO). A convolution is an
// implicit matrix product: rows are output pixels (n, oh, ow), K = kh·kw·cin, columns cout.
// 3×3 stride-1 convolutions (and their gradients) use Winograd F(2×2, 3×3) instead (at the end).
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
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

// C[M×N] = (accumulate ? C : 0) + A[M×K]·B[K×N], B row-major (leading dimension ldb), and A
// given as A(r, k) = a[r + k·ska]: its rows are adjacent (a packed panel has ska = 4, the
// transposed im2col matrix of the filter gradient has ska = K). Rows come in groups of 4: the
// caller pads A so that reading up to 3 rows past M stays in bounds (those rows are not
// stored). 4×8 register tiles of f32x4 (8 accumulators), then 4-wide and scalar column tails.
static inline void store_rows(float* c, int ldc, int mr, f4 s0, f4 s1, f4 s2, f4 s3, int accumulate) {
  if (accumulate) {
    s0 = wasm_f32x4_add(s0, ld(c));
    if (mr > 1) s1 = wasm_f32x4_add(s1, ld(c + ldc));
    if (mr > 2) s2 = wasm_f32x4_add(s2, ld(c + 2 * ldc));
    if (mr > 3) s3 = wasm_f32x4_add(s3, ld(c + 3 * ldc));
  }
  st(c, s0);
  if (mr > 1) st(c + ldc, s1);
  if (mr > 2) st(c + 2 * ldc, s2);
  if (mr > 3) st(c + 3 * ldc, s3);
}

static void gemm_panel(int mr, int N, int K, const float* a, int ska, const float* B, int ldb, float* c, int ldc, int accumulate) {
  int j = 0;
  for (; j + 8 <= N; j += 8) {
    f4 s00 = splat(0), s01 = splat(0), s10 = splat(0), s11 = splat(0);
    f4 s20 = splat(0), s21 = splat(0), s30 = splat(0), s31 = splat(0);
    const float* ap = a;
    const float* b = B + j;
    for (int k = 0; k < K; k++, b += ldb, ap += ska) {
      f4 b0 = ld(b), b1 = ld(b + 4);
      f4 v = ldsplat(ap);
      s00 = madd(s00, v, b0); s01 = madd(s01, v, b1);
      v = ldsplat(ap + 1);
      s10 = madd(s10, v, b0); s11 = madd(s11, v, b1);
      v = ldsplat(ap + 2);
      s20 = madd(s20, v, b0); s21 = madd(s21, v, b1);
      v = ldsplat(ap + 3);
      s30 = madd(s30, v, b0); s31 = madd(s31, v, b1);
    }
    store_rows(c + j, ldc, mr, s00, s10, s20, s30, accumulate);
    store_rows(c + j + 4, ldc, mr, s01, s11, s21, s31, accumulate);
  }
  for (; j + 4 <= N; j += 4) {
    f4 s0 = splat(0), s1 = splat(0), s2 = splat(0), s3 = splat(0);
    const float* ap = a;
    const float* b = B + j;
    for (int k = 0; k < K; k++, b += ldb, ap += ska) {
      f4 b0 = ld(b);
      s0 = madd(s0, ldsplat(ap), b0);
      s1 = madd(s1, ldsplat(ap + 1), b0);
      s2 = madd(s2, ldsplat(ap + 2), b0);
      s3 = madd(s3, ldsplat(ap + 3), b0);
    }
    store_rows(c + j, ldc, mr, s0, s1, s2, s3, accumulate);
  }
  for (; j < N; j++) {
    for (int r = 0; r < mr; r++) {
      float s = 0;
      for (int k = 0; k < K; k++) s += a[r + k * ska] * B[k * ldb + j];
      c[r * ldc + j] = accumulate ? c[r * ldc + j] + s : s;
    }
  }
}

// Packs rows [0, mc) of a row-major A (leading dimension lda, K columns) into panels of 4 rows,
// [mc/4][K][4] (the last one zero-padded), with 4×4 transposes.
static void pack_rows(const float* A, int lda, int mc, int K, float* panel) {
  for (int i = 0; i < mc; i += 4) {
    int mr = mc - i < 4 ? mc - i : 4;
    float* p = panel + i * K;
    const float* a0 = A + i * lda;
    if (mr == 4 && (K & 3) == 0) {
      const float *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
      for (int k = 0; k < K; k += 4, p += 16) {
        f4 r0 = ld(a0 + k), r1 = ld(a1 + k), r2 = ld(a2 + k), r3 = ld(a3 + k);
        f4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
        f4 t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
        st(p, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
        st(p + 4, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
        st(p + 8, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
        st(p + 12, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
      }
    } else {
      for (int k = 0; k < K; k++)
        for (int r = 0; r < 4; r++) p[k * 4 + r] = r < mr ? a0[r * lda + k] : 0;
    }
  }
}

// C rows [0, mc) = A·B with A packed by pack_rows.
static void gemm_packed(int mc, int N, int K, const float* panel, const float* B, int ldb, float* C, int ldc, int accumulate) {
  for (int i = 0; i < mc; i += 4) {
    int mr = mc - i < 4 ? mc - i : 4;
    gemm_panel(mr, N, K, panel + i * K, 4, B, ldb, C + i * ldc, ldc, accumulate);
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
// The kw inputs of one ky are adjacent in x (no dilation): one copy when all are inside.
static void im2col_rows(const Geom* g, const float* x, int m0, int mc, float* col) {
  const int K = g->kh * g->kw * g->cin;
  const int per = g->oh * g->ow;
  const int cin = g->cin;
  const int span = g->kw * cin;
  int n = m0 / per, rem = m0 - n * per;
  int oy = rem / g->ow, ox = rem - oy * g->ow;
  for (int r = 0; r < mc; r++) {
    float* dst = col + r * K;
    const int ix0 = ox * g->sw - g->pl;
    const int inside = g->dw == 1 && ix0 >= 0 && ix0 + g->kw <= g->w;
    for (int ky = 0; ky < g->kh; ky++) {
      int iy = oy * g->sh - g->pt + ky * g->dh;
      float* d = dst + ky * span;
      if (iy < 0 || iy >= g->h) {
        zero_floats(d, span);
        continue;
      }
      const float* row = x + (n * g->h + iy) * g->w * cin;
      if (inside) {
        copy_floats(d, row + ix0 * cin, span);
        continue;
      }
      for (int kx = 0; kx < g->kw; kx++, d += cin) {
        int ix = ix0 + kx * g->dw;
        if (ix < 0 || ix >= g->w) zero_floats(d, cin);
        else copy_floats(d, row + ix * cin, cin);
      }
    }
    if (++ox == g->ow) {
      ox = 0;
      if (++oy == g->oh) {
        oy = 0;
        n++;
      }
    }
  }
}

static inline void transpose4(float* d, const float* s0, const float* s1, const float* s2, const float* s3) {
  f4 r0 = ld(s0), r1 = ld(s1), r2 = ld(s2), r3 = ld(s3);
  f4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
  f4 t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  st(d, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
  st(d + 4, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
  st(d + 8, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
  st(d + 12, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
}

// Rows [m0, m0+mc) of the im2col matrix, packed as pack_rows does: panels of 4 rows, [K][4].
// The common case, 4 output pixels of one output row whose (ky, kx) inputs are all inside x,
// reads 4 evenly spaced input pixels with no per-row bounds tests.
static void im2col_panel(const Geom* g, const float* x, int m0, int mc, float* panel) {
  const int K = g->kh * g->kw * g->cin;
  const int per = g->oh * g->ow;
  const int cin = g->cin;
  const int step = g->sw * cin;
  int n = m0 / per, rem = m0 - n * per;
  int oy = rem / g->ow, ox = rem - oy * g->ow;
  for (int i = 0; i < mc; i += 4) {
    int mr = mc - i < 4 ? mc - i : 4;
    int rn[4], ry[4], rx[4];
    for (int r = 0; r < 4; r++) {
      rn[r] = n;
      ry[r] = oy;
      rx[r] = ox;
      if (r < mr && ++ox == g->ow) {
        ox = 0;
        if (++oy == g->oh) {
          oy = 0;
          n++;
        }
      }
    }
    const int one_row = mr == 4 && rn[3] == rn[0] && ry[3] == ry[0];
    float* p = panel + i * K;
    for (int ky = 0; ky < g->kh; ky++) {
      if (one_row && g->dw == 1) {
        // All kw inputs of all 4 rows inside x: each row's (kx, c) values are adjacent in x.
        int iy0 = ry[0] * g->sh - g->pt + ky * g->dh;
        int ix0 = rx[0] * g->sw - g->pl;
        if (iy0 >= 0 && iy0 < g->h && ix0 >= 0 && ix0 + 3 * g->sw + g->kw <= g->w) {
          const int span = g->kw * cin;
          const float* s0 = x + ((rn[0] * g->h + iy0) * g->w + ix0) * cin;
          float* d = p + ky * span * 4;
          int c = 0;
          for (; c + 4 <= span; c += 4, d += 16) transpose4(d, s0 + c, s0 + step + c, s0 + 2 * step + c, s0 + 3 * step + c);
          for (; c < span; c++, d += 4)
            for (int r = 0; r < 4; r++) d[r] = s0[r * step + c];
          continue;
        }
      }
      for (int kx = 0; kx < g->kw; kx++) {
        float* d = p + (ky * g->kw + kx) * cin * 4;
        const float* src[4];
        int iy0 = ry[0] * g->sh - g->pt + ky * g->dh;
        int ix0 = rx[0] * g->sw - g->pl + kx * g->dw;
        if (one_row && iy0 >= 0 && iy0 < g->h && ix0 >= 0 && ix0 + 3 * g->sw < g->w) {
          const float* s0 = x + ((rn[0] * g->h + iy0) * g->w + ix0) * cin;
          int c = 0;
          for (; c + 4 <= cin; c += 4, d += 16) transpose4(d, s0 + c, s0 + step + c, s0 + 2 * step + c, s0 + 3 * step + c);
          for (; c < cin; c++, d += 4)
            for (int r = 0; r < 4; r++) d[r] = s0[r * step + c];
          continue;
        }
        for (int r = 0; r < 4; r++) {
          int iy = ry[r] * g->sh - g->pt + ky * g->dh;
          int ix = rx[r] * g->sw - g->pl + kx * g->dw;
          src[r] = (r >= mr || iy < 0 || iy >= g->h || ix < 0 || ix >= g->w) ? 0 : x + ((rn[r] * g->h + iy) * g->w + ix) * cin;
        }
        int c = 0;
        if (src[0] && src[1] && src[2] && src[3]) {
          for (; c + 4 <= cin; c += 4, d += 16) transpose4(d, src[0] + c, src[1] + c, src[2] + c, src[3] + c);
        }
        for (; c < cin; c++, d += 4)
          for (int r = 0; r < 4; r++) d[r] = src[r] ? src[r][c] : 0;
      }
    }
  }
}

static inline int is_pointwise(const Geom* g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0;
}

// y[r][c] = max(y[r][c] + bias[c], 0) (bias: 0 for none; relu: 0 or 1), rows [0, rows).
static void bias_relu(float* y, int rows, int C, const float* bias, int relu) {
  const f4 zero = splat(0);
  for (int r = 0; r < rows; r++, y += C) {
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      f4 v = ld(y + c);
      if (bias) v = wasm_f32x4_add(v, ld(bias + c));
      if (relu) v = wasm_f32x4_max(v, zero);
      st(y + c, v);
    }
    for (; c < C; c++) {
      float v = y[c] + (bias ? bias[c] : 0);
      y[c] = relu && v < 0 ? 0 : v;
    }
  }
}

// y rows [m0, m1) = im2col(x) rows · filter (+ bias, then ReLU when relu; bias 0 for none).
// panel: scratch of chunk·K floats (chunk: a multiple of 4).
EXPORT(conv2d_forward)
void conv2d_forward(const Geom* g, const float* x, const float* filter, float* y, int m0, int m1, float* panel, int chunk, const float* bias, int relu) {
  const int K = g->kh * g->kw * g->cin;
  const int pointwise = is_pointwise(g);
  for (int m = m0; m < m1; m += chunk) {
    int mc = m1 - m < chunk ? m1 - m : chunk;
    if (pointwise) pack_rows(x + m * K, K, mc, K, panel);
    else im2col_panel(g, x, m, mc, panel);
    gemm_packed(mc, g->cout, K, panel, filter, g->cout, y + m * g->cout, g->cout, 0);
    if (bias || relu) bias_relu(y + m * g->cout, mc, g->cout, bias, relu);
  }
}

// dW partial over rows [m0, m1): dw[K×cout] = Σ_rows im2col(x)ᵀ · dy. col: chunk·K + 4 floats.
// Overwrites dw (each thread has its own, summed by sum_parts). The transposed im2col matrix
// needs no copy: its rows (k) are adjacent in im2col's rows, so it is read with ska = K.
EXPORT(conv2d_backprop_filter)
void conv2d_backprop_filter(const Geom* g, const float* x, const float* dy, float* dw, int m0, int m1, float* col, int chunk) {
  const int K = g->kh * g->kw * g->cin;
  const int cout = g->cout;
  const int pointwise = is_pointwise(g);
  zero_floats(dw, K * cout);
  for (int m = m0; m < m1; m += chunk) {
    int mc = m1 - m < chunk ? m1 - m : chunk;
    const float* a = x + m * K;
    if (!pointwise) {
      im2col_rows(g, x, m, mc, col);
      a = col;
    }
    for (int i = 0; i < K; i += 4) {
      int mr = K - i < 4 ? K - i : 4;
      gemm_panel(mr, cout, mc, a + i, K, dy + m * cout, cout, dw + i * cout, cout, 1);
    }
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

// The filter of a stride-1 convolution's input gradient, which is itself a convolution of dy:
// out[ky][kx][co][ci] = w[kh−1−ky][kw−1−kx][ci][co].
EXPORT(flip_filter)
void flip_filter(const float* w, float* out, int kh, int kw, int cin, int cout) {
  for (int ky = 0; ky < kh; ky++)
    for (int kx = 0; kx < kw; kx++) {
      const float* src = w + ((kh - 1 - ky) * kw + (kw - 1 - kx)) * cin * cout;
      float* dst = out + (ky * kw + kx) * cout * cin;
      for (int ci = 0; ci < cin; ci++)
        for (int co = 0; co < cout; co++) dst[co * cin + ci] = src[ci * cout + co];
    }
}

// dx for images [n0, n1): dcol = dy rows · wt (wt: [cout, K]), scattered back onto dx (col2im).
// scratch: chunk·(K + cout) floats (the packed dy rows, then dcol).
EXPORT(conv2d_backprop_input)
void conv2d_backprop_input(const Geom* g, const float* dy, const float* wt, float* dx, int n0, int n1, float* scratch, int chunk) {
  const int K = g->kh * g->kw * g->cin;
  const int per = g->oh * g->ow;
  const int cin = g->cin;
  const int cout = g->cout;
  float* panel = scratch;
  float* dcol = scratch + chunk * cout;
  const int m1 = n1 * per;
  if (is_pointwise(g)) {
    for (int m = n0 * per; m < m1; m += chunk) {
      int mc = m1 - m < chunk ? m1 - m : chunk;
      pack_rows(dy + m * cout, cout, mc, cout, panel);
      gemm_packed(mc, cin, cout, panel, wt, K, dx + m * cin, cin, 0);
    }
    return;
  }
  zero_floats(dx + n0 * g->h * g->w * cin, (n1 - n0) * g->h * g->w * cin);
  for (int m = n0 * per; m < m1; m += chunk) {
    int mc = m1 - m < chunk ? m1 - m : chunk;
    pack_rows(dy + m * cout, cout, mc, cout, panel);
    gemm_packed(mc, K, cout, panel, wt, K, dcol, K, 0);
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

// ---- BatchNorm (training), NHWC as a [rows × C] matrix -------------------------------------
// Per-channel sums over rows [m0, m1), in blocks of 64 rows summed in float, the blocks summed
// in double: sums[c] = Σ (x − shift[c]), sums[C + c] = Σ (x − shift[c])² (doubles). shift: any
// row of x (the first), so the variance is computed from values near the mean. scratch: 2C
// floats.
EXPORT(bn_stats)
void bn_stats(const float* x, int C, int m0, int m1, const float* shift, double* sums, float* scratch) {
  float* bs = scratch;
  float* bq = scratch + C;
  for (int c = 0; c < 2 * C; c++) sums[c] = 0;
  for (int m = m0; m < m1; m += 64) {
    int m2 = m1 - m < 64 ? m1 : m + 64;
    zero_floats(bs, 2 * C);
    for (int r = m; r < m2; r++) {
      const float* row = x + r * C;
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        f4 v = wasm_f32x4_sub(ld(row + c), ld(shift + c));
        st(bs + c, wasm_f32x4_add(ld(bs + c), v));
        st(bq + c, madd(ld(bq + c), v, v));
      }
      for (; c < C; c++) {
        float v = row[c] - shift[c];
        bs[c] += v;
        bq[c] += v * v;
      }
    }
    for (int c = 0; c < C; c++) {
      sums[c] += bs[c];
      sums[C + c] += bq[c];
    }
  }
}

// y = x·a[c] + b[c] over rows [m0, m1), then max(y, 0) when relu.
EXPORT(bn_apply)
void bn_apply(const float* x, float* y, int C, int m0, int m1, const float* a, const float* b, int relu) {
  const f4 zero = splat(0);
  for (int r = m0; r < m1; r++) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      f4 v = madd(ld(b + c), ld(xr + c), ld(a + c));
      st(yr + c, relu ? wasm_f32x4_max(v, zero) : v);
    }
    for (; c < C; c++) {
      float v = xr[c] * a[c] + b[c];
      yr[c] = relu && v < 0 ? 0 : v;
    }
  }
}

// The backward pass's sums over rows [m0, m1): sums[c] = Σ dy, sums[C + c] = Σ dy·(x − mean[c])
// (doubles, blocked as bn_stats). scratch: 2C floats. With y (the forward's output after a fused
// ReLU; 0 without), dy counts only where y > 0.
static inline f4 relu_mask(f4 d, const float* y) {
  return y ? wasm_v128_and(d, wasm_f32x4_gt(ld(y), splat(0))) : d;
}

EXPORT(bn_grad_stats)
void bn_grad_stats(const float* dy, const float* x, const float* y, int C, int m0, int m1, const float* mean, double* sums, float* scratch) {
  float* bs = scratch;
  float* bq = scratch + C;
  for (int c = 0; c < 2 * C; c++) sums[c] = 0;
  for (int m = m0; m < m1; m += 64) {
    int m2 = m1 - m < 64 ? m1 : m + 64;
    zero_floats(bs, 2 * C);
    for (int r = m; r < m2; r++) {
      const float* dr = dy + r * C;
      const float* xr = x + r * C;
      int c = 0;
      const float* yr = y ? y + r * C : 0;
      for (; c + 4 <= C; c += 4) {
        f4 d = relu_mask(ld(dr + c), yr ? yr + c : 0);
        st(bs + c, wasm_f32x4_add(ld(bs + c), d));
        st(bq + c, madd(ld(bq + c), d, wasm_f32x4_sub(ld(xr + c), ld(mean + c))));
      }
      for (; c < C; c++) {
        float d = yr && !(yr[c] > 0) ? 0 : dr[c];
        bs[c] += d;
        bq[c] += d * (xr[c] - mean[c]);
      }
    }
    for (int c = 0; c < C; c++) {
      sums[c] += bs[c];
      sums[C + c] += bq[c];
    }
  }
}

// dx = dy·p[c] + x·p[C + c] + p[2C + c] over rows [m0, m1); dy masked by y > 0 as in bn_grad_stats.
EXPORT(bn_grad_apply)
void bn_grad_apply(const float* dy, const float* x, const float* y, float* dx, int C, int m0, int m1, const float* p) {
  const float* p0 = p;
  const float* p1 = p + C;
  const float* p2 = p + 2 * C;
  for (int r = m0; r < m1; r++) {
    const float* dr = dy + r * C;
    const float* xr = x + r * C;
    const float* yr = y ? y + r * C : 0;
    float* o = dx + r * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) st(o + c, madd(madd(ld(p2 + c), relu_mask(ld(dr + c), yr ? yr + c : 0), ld(p0 + c)), ld(xr + c), ld(p1 + c)));
    for (; c < C; c++) o[c] = (yr && !(yr[c] > 0) ? 0 : dr[c]) * p0[c] + xr[c] * p1[c] + p2[c];
  }
}

// ---- Winograd F(2×2, 3×3): 3×3 convolutions of stride 1 (no dilation) ----------------------
// The output in 2×2 tiles, tile (n, ty, tx) reading the 4×4 input window at (2ty − pt, 2tx − pl)
// (zeros outside x). Per tile and input channel V = Bᵀ d B (16 values); per filter U = G g Gᵀ
// (winograd_filter, once per call); the 16 products M[k] = V[k] (tiles × cin) · U[k] (cin ×
// cout) by the packed gemm; then Y = Aᵀ M A (2×2 outputs; a last odd row/column not stored).
// 16 multiplies per 2×2 outputs and channel pair instead of 36.

// U[k][ci][co] (k = 4a + b) = (G g Gᵀ)[a][b] of g = w[·][·][ci][co] (w: [3, 3, cin, cout]),
// for output channels [co0, co1).
EXPORT(winograd_filter)
void winograd_filter(const float* w, float* U, int cin, int cout, int co0, int co1) {
  const int cc = cin * cout;
  for (int ci = 0; ci < cin; ci++)
    for (int co = co0; co < co1; co++) {
      const float* p = w + ci * cout + co;
      float g00 = p[0], g01 = p[cc], g02 = p[2 * cc];
      float g10 = p[3 * cc], g11 = p[4 * cc], g12 = p[5 * cc];
      float g20 = p[6 * cc], g21 = p[7 * cc], g22 = p[8 * cc];
      // G g: rows over ky, per kx.
      float t00 = g00, t01 = g01, t02 = g02;
      float t10 = 0.5f * (g00 + g10 + g20), t11 = 0.5f * (g01 + g11 + g21), t12 = 0.5f * (g02 + g12 + g22);
      float t20 = 0.5f * (g00 - g10 + g20), t21 = 0.5f * (g01 - g11 + g21), t22 = 0.5f * (g02 - g12 + g22);
      float t30 = g20, t31 = g21, t32 = g22;
      float* u = U + ci * cout + co;
#define WG_ROW(a, r0, r1, r2)                                        \
  u[(4 * a + 0) * cc] = r0;                                          \
  u[(4 * a + 1) * cc] = 0.5f * (r0 + r1 + r2);                       \
  u[(4 * a + 2) * cc] = 0.5f * (r0 - r1 + r2);                       \
  u[(4 * a + 3) * cc] = r2;
      WG_ROW(0, t00, t01, t02)
      WG_ROW(1, t10, t11, t12)
      WG_ROW(2, t20, t21, t22)
      WG_ROW(3, t30, t31, t32)
#undef WG_ROW
    }
}

// 4 channels (full) or 1 (the tail: lane 0) of x at p, or zeros.
static inline f4 ld_ch(const float* p, int full) { return full ? ld(p) : wasm_f32x4_make(*p, 0, 0, 0); }
static inline void st_ch(float* p, f4 v, int full) {
  if (full) st(p, v);
  else *p = wasm_f32x4_extract_lane(v, 0);
}

// V = Bᵀ d B of one tile's 4×4 window for channels [c, c + 4) (or c alone when !full), stored
// at v + k·vs (k = 4i + j). ok_i / oc_j: whether window row i / column j is inside x.
static inline void winograd_input_tile(const float* base, int rs, int cs, int full, int ok0, int ok1, int ok2, int ok3, int oc0, int oc1, int oc2, int oc3, float* v, int vs) {
  const f4 z = splat(0);
#define LDW(i, j) ((ok##i && oc##j) ? ld_ch(base + (i) * rs + (j) * cs, full) : z)
#define COL(j)                                                            \
  f4 d0##j = LDW(0, j), d1##j = LDW(1, j), d2##j = LDW(2, j), d3##j = LDW(3, j); \
  f4 a0##j = wasm_f32x4_sub(d0##j, d2##j), a1##j = wasm_f32x4_add(d1##j, d2##j); \
  f4 a2##j = wasm_f32x4_sub(d2##j, d1##j), a3##j = wasm_f32x4_sub(d1##j, d3##j);
  COL(0)
  COL(1)
  COL(2)
  COL(3)
#define ROW(i)                                                                   \
  st_ch(v + (4 * i + 0) * vs, wasm_f32x4_sub(a##i##0, a##i##2), full);            \
  st_ch(v + (4 * i + 1) * vs, wasm_f32x4_add(a##i##1, a##i##2), full);            \
  st_ch(v + (4 * i + 2) * vs, wasm_f32x4_sub(a##i##2, a##i##1), full);            \
  st_ch(v + (4 * i + 3) * vs, wasm_f32x4_sub(a##i##1, a##i##3), full);
  ROW(0)
  ROW(1)
  ROW(2)
  ROW(3)
#undef ROW
#undef COL
#undef LDW
}

// Y = Aᵀ M A for output channels [c, c + 4) (or c alone): m + k·ms holds M[k]; the 2×2 outputs
// (+ bias, ReLU) stored at y (row stride rs, column stride cs), row 1 / column 1 only when s1 / t1.
static inline void winograd_output_tile(const float* m, int ms, float* y, int rs, int cs, int full, int s1, int t1, const float* bias, int relu) {
#define LDM(k) ld_ch(m + (k) * ms, full)
#define COL(j)                                                                               \
  f4 m0##j = LDM(j), m1##j = LDM(4 + j), m2##j = LDM(8 + j), m3##j = LDM(12 + j);            \
  f4 p0##j = wasm_f32x4_add(wasm_f32x4_add(m0##j, m1##j), m2##j);                             \
  f4 p1##j = wasm_f32x4_sub(wasm_f32x4_sub(m1##j, m2##j), m3##j);
  COL(0)
  COL(1)
  COL(2)
  COL(3)
#undef COL
#undef LDM
  f4 y00 = wasm_f32x4_add(wasm_f32x4_add(p00, p01), p02), y01 = wasm_f32x4_sub(wasm_f32x4_sub(p01, p02), p03);
  f4 y10 = wasm_f32x4_add(wasm_f32x4_add(p10, p11), p12), y11 = wasm_f32x4_sub(wasm_f32x4_sub(p11, p12), p13);
  if (bias) {
    f4 b = ld_ch(bias, full);
    y00 = wasm_f32x4_add(y00, b);
    y01 = wasm_f32x4_add(y01, b);
    y10 = wasm_f32x4_add(y10, b);
    y11 = wasm_f32x4_add(y11, b);
  }
  if (relu) {
    const f4 z = splat(0);
    y00 = wasm_f32x4_max(y00, z);
    y01 = wasm_f32x4_max(y01, z);
    y10 = wasm_f32x4_max(y10, z);
    y11 = wasm_f32x4_max(y11, z);
  }
  st_ch(y, y00, full);
  if (t1) st_ch(y + cs, y01, full);
  if (s1) {
    st_ch(y + rs, y10, full);
    if (t1) st_ch(y + rs + cs, y11, full);
  }
}

// The 16 transformed values V = Bᵀ d B of every input channel of the tile at (ty, tx) of image
// n (its 4×4 window starts at 2·ty − pad, 2·tx − pad; rows and columns outside the image are 0),
// stored at v[k·vs + channel].
static inline void winograd_input_tiles(const Geom* g, const float* x, int n, int ty, int tx, float* v, int vs) {
  const int cin = g->cin, h = g->h, w = g->w, rs = w * cin;
  const int iy = 2 * ty - g->pt, ix = 2 * tx - g->pl;
  const float* base = x + ((n * h + iy) * w + ix) * cin;
  if (iy >= 0 && iy + 4 <= h && ix >= 0 && ix + 4 <= w) {
    int c = 0;
    for (; c + 4 <= cin; c += 4) winograd_input_tile(base + c, rs, cin, 1, 1, 1, 1, 1, 1, 1, 1, 1, v + c, vs);
    for (; c < cin; c++) winograd_input_tile(base + c, rs, cin, 0, 1, 1, 1, 1, 1, 1, 1, 1, v + c, vs);
  } else {
    const int r0 = iy >= 0 && iy < h, r1 = iy + 1 >= 0 && iy + 1 < h, r2 = iy + 2 >= 0 && iy + 2 < h, r3 = iy + 3 >= 0 && iy + 3 < h;
    const int c0 = ix >= 0 && ix < w, c1 = ix + 1 >= 0 && ix + 1 < w, c2 = ix + 2 >= 0 && ix + 2 < w, c3 = ix + 3 >= 0 && ix + 3 < w;
    int c = 0;
    for (; c + 4 <= cin; c += 4) winograd_input_tile(base + c, rs, cin, 1, r0, r1, r2, r3, c0, c1, c2, c3, v + c, vs);
    for (; c < cin; c++) winograd_input_tile(base + c, rs, cin, 0, r0, r1, r2, r3, c0, c1, c2, c3, v + c, vs);
  }
}

// The next tile in (image, tile row, tile column) order: tw tiles a row, ⌈oh/2⌉ rows an image.
static inline void next_tile(int* n, int* ty, int* tx, int tw, int oh) {
  if (++*tx < tw) return;
  *tx = 0;
  if (++*ty * 2 < oh) return;
  *ty = 0;
  ++*n;
}

// y for tiles [t0, t1) (tiles numbered (n, ty, tx), ceil(oh/2)·ceil(ow/2) per image) of a 3×3,
// stride-1 convolution, U from winograd_filter (+ bias, then ReLU when relu; bias 0 for none).
// scratch: 16·chunk·cin (V) + chunk·cin + 4 (a packed panel) + 16·chunk·cout (M) floats;
// chunk: a multiple of 4.
EXPORT(conv2d_winograd)
void conv2d_winograd(const Geom* g, const float* x, const float* U, float* y, int t0, int t1, float* scratch, int chunk, const float* bias, int relu) {
  const int cin = g->cin, cout = g->cout, oh = g->oh, ow = g->ow;
  const int tw = (ow + 1) / 2, per = ((oh + 1) / 2) * tw;
  const int vs = chunk * cin, ms = chunk * cout;
  float* V = scratch;
  float* panel = V + 16 * vs;
  float* M = panel + vs + 4;
  const int yrs = ow * cout;
  for (int t = t0; t < t1; t += chunk) {
    const int tc = t1 - t < chunk ? t1 - t : chunk;
    int n = t / per, rem = t - n * per;
    int ty = rem / tw, tx = rem - ty * tw;
    for (int lt = 0; lt < tc; lt++) {
      winograd_input_tiles(g, x, n, ty, tx, V + lt * cin, vs);
      next_tile(&n, &ty, &tx, tw, oh);
    }
    for (int k = 0; k < 16; k++) {
      pack_rows(V + k * vs, cin, tc, cin, panel);
      gemm_packed(tc, cout, cin, panel, U + k * cin * cout, cout, M + k * ms, cout, 0);
    }
    n = t / per;
    rem = t - n * per;
    ty = rem / tw;
    tx = rem - ty * tw;
    for (int lt = 0; lt < tc; lt++) {
      const int oy = 2 * ty, ox = 2 * tx;
      const int s1 = oy + 1 < oh, q1 = ox + 1 < ow;
      float* yo = y + ((n * oh + oy) * ow + ox) * cout;
      const float* m = M + lt * cout;
      int c = 0;
      for (; c + 4 <= cout; c += 4) winograd_output_tile(m + c, ms, yo + c, yrs, cout, 1, s1, q1, bias ? bias + c : 0, relu);
      for (; c < cout; c++) winograd_output_tile(m + c, ms, yo + c, yrs, cout, 0, s1, q1, bias ? bias + c : 0, relu);
      next_tile(&n, &ty, &tx, tw, oh);
    }
  }
}

// The filter gradient by the same transforms: with V = Bᵀ d B (the input windows) and
// W = A e Aᵀ (e: a tile's 2×2 output gradient, zeros past an odd edge), each tile adds
// Gᵀ (W ⊙ V) G to the 3×3 gradient of every channel pair. So M[k] = Σ_tiles V[k]ᵀ · W[k]
// (16 products cin × tiles × cout), then dw = Gᵀ M G (winograd_filter_grad_out).
// M (16·cin·cout floats, [k][ci][co]) over tiles [t0, t1) is overwritten (one per thread,
// summed by sum_parts). scratch: 16·chunk·(cin + cout) + 8 floats.
EXPORT(conv2d_winograd_filter_grad)
void conv2d_winograd_filter_grad(const Geom* g, const float* x, const float* dy, float* M, int t0, int t1, float* scratch, int chunk) {
  const int cin = g->cin, cout = g->cout, oh = g->oh, ow = g->ow;
  const int tw = (ow + 1) / 2, per = ((oh + 1) / 2) * tw;
  const int vs = chunk * cin, ws = chunk * cout;
  float* V = scratch;
  float* W = V + 16 * vs + 4;
  const int drs = ow * cout;
  zero_floats(M, 16 * cin * cout);
  for (int t = t0; t < t1; t += chunk) {
    const int tc = t1 - t < chunk ? t1 - t : chunk;
    int n = t / per, rem = t - n * per;
    int ty = rem / tw, tx = rem - ty * tw;
    for (int lt = 0; lt < tc; lt++) {
      winograd_input_tiles(g, x, n, ty, tx, V + lt * cin, vs);
      // W = A e Aᵀ, A = [1 0; 1 1; 1 −1; 0 −1].
      const int oy = 2 * ty, ox = 2 * tx;
      const int s1 = oy + 1 < oh, q1 = ox + 1 < ow;
      const float* e = dy + ((n * oh + oy) * ow + ox) * cout;
      float* wt = W + lt * cout;
      const f4 z = splat(0);
      int c = 0;
      for (; c < cout; c += 4) {
        const int full = c + 4 <= cout;
        f4 e00 = ld_ch(e + c, full);
        f4 e01 = q1 ? ld_ch(e + cout + c, full) : z;
        f4 e10 = s1 ? ld_ch(e + drs + c, full) : z;
        f4 e11 = s1 && q1 ? ld_ch(e + drs + cout + c, full) : z;
#define WROW(a, r0, r1)                                                          \
  st_ch(wt + c + (4 * a + 0) * ws, r0, full);                                    \
  st_ch(wt + c + (4 * a + 1) * ws, wasm_f32x4_add(r0, r1), full);                \
  st_ch(wt + c + (4 * a + 2) * ws, wasm_f32x4_sub(r0, r1), full);                \
  st_ch(wt + c + (4 * a + 3) * ws, wasm_f32x4_neg(r1), full);
        WROW(0, e00, e01)
        WROW(1, wasm_f32x4_add(e00, e10), wasm_f32x4_add(e01, e11))
        WROW(2, wasm_f32x4_sub(e00, e10), wasm_f32x4_sub(e01, e11))
        WROW(3, wasm_f32x4_neg(e10), wasm_f32x4_neg(e11))
#undef WROW
        if (!full) {
          // The tail: one channel at a time (ld_ch/st_ch with !full move lane 0 only).
          for (int cc = c + 1; cc < cout; cc++) {
            f4 f00 = ld_ch(e + cc, 0);
            f4 f01 = q1 ? ld_ch(e + cout + cc, 0) : z;
            f4 f10 = s1 ? ld_ch(e + drs + cc, 0) : z;
            f4 f11 = s1 && q1 ? ld_ch(e + drs + cout + cc, 0) : z;
#define WROW(a, r0, r1)                                                          \
  st_ch(wt + cc + (4 * a + 0) * ws, r0, 0);                                      \
  st_ch(wt + cc + (4 * a + 1) * ws, wasm_f32x4_add(r0, r1), 0);                  \
  st_ch(wt + cc + (4 * a + 2) * ws, wasm_f32x4_sub(r0, r1), 0);                  \
  st_ch(wt + cc + (4 * a + 3) * ws, wasm_f32x4_neg(r1), 0);
            WROW(0, f00, f01)
            WROW(1, wasm_f32x4_add(f00, f10), wasm_f32x4_add(f01, f11))
            WROW(2, wasm_f32x4_sub(f00, f10), wasm_f32x4_sub(f01, f11))
            WROW(3, wasm_f32x4_neg(f10), wasm_f32x4_neg(f11))
#undef WROW
          }
          break;
        }
      }
      next_tile(&n, &ty, &tx, tw, oh);
    }
    // M[k] (cin × cout) += V[k]ᵀ · W[k]: V[k]'s columns (ci) are adjacent, tiles cin apart.
    for (int k = 0; k < 16; k++)
      for (int i = 0; i < cin; i += 4) {
        int mr = cin - i < 4 ? cin - i : 4;
        gemm_panel(mr, cout, tc, V + k * vs + i, cin, W + k * ws, cout, M + (k * cin + i) * cout, cout, 1);
      }
  }
}

// dw[ky][kx][ci][co] = (Gᵀ M G)[ky][kx] of M from conv2d_winograd_filter_grad (summed), for the
// (ci, co) pairs [i0, i1) (i = ci·cout + co). Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1].
EXPORT(winograd_filter_grad_out)
void winograd_filter_grad_out(const float* M, float* dw, int cin, int cout, int i0, int i1) {
  const int cc = cin * cout;
  for (int i = i0; i < i1; i++) {
    const float* m = M + i;
    float* o = dw + i;
    // Rows: Gᵀ M (3×4), per column b.
#define GROWS(b)                                                                              \
    float m0##b = m[(0 + b) * cc], m1##b = m[(4 + b) * cc], m2##b = m[(8 + b) * cc], m3##b = m[(12 + b) * cc]; \
    float q0##b = m0##b + 0.5f * (m1##b + m2##b), q1##b = 0.5f * (m1##b - m2##b), q2##b = 0.5f * (m1##b + m2##b) + m3##b;
    GROWS(0)
    GROWS(1)
    GROWS(2)
    GROWS(3)
#undef GROWS
#define GCOLS(a)                                                                              \
    o[(3 * a + 0) * cc] = q##a##0 + 0.5f * (q##a##1 + q##a##2);                               \
    o[(3 * a + 1) * cc] = 0.5f * (q##a##1 - q##a##2);                                         \
    o[(3 * a + 2) * cc] = 0.5f * (q##a##1 + q##a##2) + q##a##3;
    GCOLS(0)
    GCOLS(1)
    GCOLS(2)
#undef GCOLS
  }
}
