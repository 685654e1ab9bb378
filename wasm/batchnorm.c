// BatchNorm in training mode, NHWC as a [rows × C] matrix: the per-channel sums, then the
// per-channel affine map, forward and backward.
#include "kernels.h"

// The per-channel sums below run over blocks of 64 rows, summed in float, the blocks summed in
// double. Within a block, the float sums of 16 channels at a time stay in registers over a run of
// rows (a sum kept in memory made each row wait for the last one's store), a run at most 1024
// values wide (4 KiB an input) so that it stays in the L1 cache while each 16 channels read it.
// The float sums take the rows in order, as one pass would: the results do not depend on C.
#define BN_BLOCK 64
static inline int bn_run_rows(int C) {
  const int rows = 1024 / C;
  return rows > BN_BLOCK ? BN_BLOCK : rows < 1 ? 1 : rows;
}

// The float sums of a block (bs, bq: 2C floats) added to the double sums.
static inline void add_block(double* sums, const float* bs, const float* bq, int C) {
  for (int c = 0; c < C; c++) {
    sums[c] += bs[c];
    sums[C + c] += bq[c];
  }
}

// Per-channel sums over rows [m0, m1): sums[c] = Σ (x − shift[c]), sums[C + c] = Σ (x − shift[c])²
// (doubles). shift: any row of x (the first), so the variance is computed from values near the
// mean. scratch: 2C floats.
EXPORT(bn_stats)
void bn_stats(const float* x, int C, int m0, int m1, const float* shift, double* sums, float* scratch) {
  float* bs = scratch;
  float* bq = scratch + C;
  const int run = bn_run_rows(C);
  for (int c = 0; c < 2 * C; c++) sums[c] = 0;
  for (int m = m0; m < m1; m += BN_BLOCK) {
    const int m2 = m1 - m < BN_BLOCK ? m1 : m + BN_BLOCK;
    zero_floats(bs, 2 * C);
    for (int r0 = m; r0 < m2; r0 += run) {
      const float* end = x + (m2 - r0 < run ? m2 : r0 + run) * C;
      int c = 0;
      for (; c + 16 <= C; c += 16) {
        const float* h = shift + c;
        f4 s0 = ld(bs + c), s1 = ld(bs + c + 4), s2 = ld(bs + c + 8), s3 = ld(bs + c + 12);
        f4 q0 = ld(bq + c), q1 = ld(bq + c + 4), q2 = ld(bq + c + 8), q3 = ld(bq + c + 12);
        for (const float* row = x + r0 * C + c; row < end; row += C) {
          const f4 v0 = wasm_f32x4_sub(ld(row), ld(h)), v1 = wasm_f32x4_sub(ld(row + 4), ld(h + 4));
          const f4 v2 = wasm_f32x4_sub(ld(row + 8), ld(h + 8)), v3 = wasm_f32x4_sub(ld(row + 12), ld(h + 12));
          s0 = wasm_f32x4_add(s0, v0); q0 = madd(q0, v0, v0);
          s1 = wasm_f32x4_add(s1, v1); q1 = madd(q1, v1, v1);
          s2 = wasm_f32x4_add(s2, v2); q2 = madd(q2, v2, v2);
          s3 = wasm_f32x4_add(s3, v3); q3 = madd(q3, v3, v3);
        }
        st(bs + c, s0); st(bs + c + 4, s1); st(bs + c + 8, s2); st(bs + c + 12, s3);
        st(bq + c, q0); st(bq + c + 4, q1); st(bq + c + 8, q2); st(bq + c + 12, q3);
      }
      for (; c + 4 <= C; c += 4) {
        const f4 h = ld(shift + c);
        f4 s0 = ld(bs + c), q0 = ld(bq + c);
        for (const float* row = x + r0 * C + c; row < end; row += C) {
          const f4 v = wasm_f32x4_sub(ld(row), h);
          s0 = wasm_f32x4_add(s0, v);
          q0 = madd(q0, v, v);
        }
        st(bs + c, s0);
        st(bq + c, q0);
      }
      for (; c < C; c++) {
        float s0 = bs[c], q0 = bq[c];
        for (const float* row = x + r0 * C + c; row < end; row += C) {
          const float v = *row - shift[c];
          s0 += v;
          q0 += v * v;
        }
        bs[c] = s0;
        bq[c] = q0;
      }
    }
    add_block(sums, bs, bq, C);
  }
}

// y = x·a[c] + b[c] (+ res, a residual of y's shape; 0 for none) over rows [m0, m1), then
// max(y, 0) when relu.
EXPORT(bn_apply)
void bn_apply(const float* x, float* y, int C, int m0, int m1, const float* a, const float* b, const float* res, int relu) {
  const f4 zero = splat(0);
  for (int r = m0; r < m1; r++) {
    const float* xr = x + r * C;
    const float* rr = res ? res + r * C : 0;
    float* yr = y + r * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      f4 v = madd(ld(b + c), ld(xr + c), ld(a + c));
      if (rr) v = wasm_f32x4_add(v, ld(rr + c));
      st(yr + c, relu ? wasm_f32x4_max(v, zero) : v);
    }
    for (; c < C; c++) {
      float v = xr[c] * a[c] + b[c] + (rr ? rr[c] : 0);
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
  const int run = bn_run_rows(C);
  for (int c = 0; c < 2 * C; c++) sums[c] = 0;
  for (int m = m0; m < m1; m += BN_BLOCK) {
    const int m2 = m1 - m < BN_BLOCK ? m1 : m + BN_BLOCK;
    zero_floats(bs, 2 * C);
    for (int r0 = m; r0 < m2; r0 += run) {
      const int r1 = m2 - r0 < run ? m2 : r0 + run;
      int c = 0;
      for (; c + 16 <= C; c += 16) {
        const float* mu = mean + c;
        f4 s0 = ld(bs + c), s1 = ld(bs + c + 4), s2 = ld(bs + c + 8), s3 = ld(bs + c + 12);
        f4 q0 = ld(bq + c), q1 = ld(bq + c + 4), q2 = ld(bq + c + 8), q3 = ld(bq + c + 12);
        for (int r = r0; r < r1; r++) {
          const float* dr = dy + r * C + c;
          const float* xr = x + r * C + c;
          const float* yr = y ? y + r * C + c : 0;
          const f4 d0 = relu_mask(ld(dr), yr), d1 = relu_mask(ld(dr + 4), yr ? yr + 4 : 0);
          const f4 d2 = relu_mask(ld(dr + 8), yr ? yr + 8 : 0), d3 = relu_mask(ld(dr + 12), yr ? yr + 12 : 0);
          s0 = wasm_f32x4_add(s0, d0); q0 = madd(q0, d0, wasm_f32x4_sub(ld(xr), ld(mu)));
          s1 = wasm_f32x4_add(s1, d1); q1 = madd(q1, d1, wasm_f32x4_sub(ld(xr + 4), ld(mu + 4)));
          s2 = wasm_f32x4_add(s2, d2); q2 = madd(q2, d2, wasm_f32x4_sub(ld(xr + 8), ld(mu + 8)));
          s3 = wasm_f32x4_add(s3, d3); q3 = madd(q3, d3, wasm_f32x4_sub(ld(xr + 12), ld(mu + 12)));
        }
        st(bs + c, s0); st(bs + c + 4, s1); st(bs + c + 8, s2); st(bs + c + 12, s3);
        st(bq + c, q0); st(bq + c + 4, q1); st(bq + c + 8, q2); st(bq + c + 12, q3);
      }
      for (; c + 4 <= C; c += 4) {
        const f4 mu = ld(mean + c);
        f4 s0 = ld(bs + c), q0 = ld(bq + c);
        for (int r = r0; r < r1; r++) {
          const f4 d = relu_mask(ld(dy + r * C + c), y ? y + r * C + c : 0);
          s0 = wasm_f32x4_add(s0, d);
          q0 = madd(q0, d, wasm_f32x4_sub(ld(x + r * C + c), mu));
        }
        st(bs + c, s0);
        st(bq + c, q0);
      }
      for (; c < C; c++) {
        float s0 = bs[c], q0 = bq[c];
        for (int r = r0; r < r1; r++) {
          const int i = r * C + c;
          const float d = y && !(y[i] > 0) ? 0 : dy[i];
          s0 += d;
          q0 += d * (x[i] - mean[c]);
        }
        bs[c] = s0;
        bq[c] = q0;
      }
    }
    add_block(sums, bs, bq, C);
  }
}

// dx = dy·p[c] + x·p[C + c] + p[2C + c] over rows [m0, m1); dy masked by y > 0 as in bn_grad_stats.
// dres (0 for none): the masked dy itself, the gradient of a residual added before the ReLU.
EXPORT(bn_grad_apply)
void bn_grad_apply(const float* dy, const float* x, const float* y, float* dx, float* dres, int C, int m0, int m1, const float* p) {
  const float* p0 = p;
  const float* p1 = p + C;
  const float* p2 = p + 2 * C;
  for (int r = m0; r < m1; r++) {
    const float* dr = dy + r * C;
    const float* xr = x + r * C;
    const float* yr = y ? y + r * C : 0;
    float* o = dx + r * C;
    float* od = dres ? dres + r * C : 0;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      const f4 d = relu_mask(ld(dr + c), yr ? yr + c : 0);
      st(o + c, madd(madd(ld(p2 + c), d, ld(p0 + c)), ld(xr + c), ld(p1 + c)));
      if (od) st(od + c, d);
    }
    for (; c < C; c++) {
      const float d = yr && !(yr[c] > 0) ? 0 : dr[c];
      o[c] = d * p0[c] + xr[c] * p1[c] + p2[c];
      if (od) od[c] = d;
    }
  }
}
