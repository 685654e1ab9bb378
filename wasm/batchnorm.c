// BatchNorm in training mode, NHWC as a [rows × C] matrix: the per-channel sums, then the
// per-channel affine map, forward and backward.
#include "kernels.h"

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
