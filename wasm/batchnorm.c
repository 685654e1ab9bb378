// BatchNorm in training mode, NHWC as a [rows × C] matrix: the per-channel sums, then the
// per-channel affine map, forward and backward.
#include "kernels.h"

// The lanes of s added to the doubles at d.
static inline void add_lanes(double* d, f4 s) {
  d[0] += wasm_f32x4_extract_lane(s, 0);
  d[1] += wasm_f32x4_extract_lane(s, 1);
  d[2] += wasm_f32x4_extract_lane(s, 2);
  d[3] += wasm_f32x4_extract_lane(s, 3);
}

// The per-channel sums below run over blocks of rows, summed in float (in registers, 16 channels
// at a time: a sum in memory would make each row wait for the last one's store), the blocks
// summed in double. A block is read once per 16 channels, so it holds at most 64 rows and 1024
// values (4 KiB an input), which stay in the L1 cache between those reads.
static inline int bn_block_rows(int C) {
  const int rows = 1024 / C;
  return rows > 64 ? 64 : rows < 1 ? 1 : rows;
}

// Per-channel sums over rows [m0, m1): sums[c] = Σ (x − shift[c]), sums[C + c] = Σ (x − shift[c])²
// (doubles). shift: any row of x (the first), so the variance is computed from values near the mean.
EXPORT(bn_stats)
void bn_stats(const float* x, int C, int m0, int m1, const float* shift, double* sums) {
  const int block = bn_block_rows(C);
  for (int c = 0; c < 2 * C; c++) sums[c] = 0;
  for (int m = m0; m < m1; m += block) {
    const float* end = x + (m1 - m < block ? m1 : m + block) * C;
    int c = 0;
    for (; c + 16 <= C; c += 16) {
      const float* h = shift + c;
      f4 s0 = splat(0), s1 = splat(0), s2 = splat(0), s3 = splat(0);
      f4 q0 = splat(0), q1 = splat(0), q2 = splat(0), q3 = splat(0);
      for (const float* row = x + m * C + c; row < end; row += C) {
        const f4 v0 = wasm_f32x4_sub(ld(row), ld(h)), v1 = wasm_f32x4_sub(ld(row + 4), ld(h + 4));
        const f4 v2 = wasm_f32x4_sub(ld(row + 8), ld(h + 8)), v3 = wasm_f32x4_sub(ld(row + 12), ld(h + 12));
        s0 = wasm_f32x4_add(s0, v0); q0 = madd(q0, v0, v0);
        s1 = wasm_f32x4_add(s1, v1); q1 = madd(q1, v1, v1);
        s2 = wasm_f32x4_add(s2, v2); q2 = madd(q2, v2, v2);
        s3 = wasm_f32x4_add(s3, v3); q3 = madd(q3, v3, v3);
      }
      add_lanes(sums + c, s0); add_lanes(sums + c + 4, s1); add_lanes(sums + c + 8, s2); add_lanes(sums + c + 12, s3);
      add_lanes(sums + C + c, q0); add_lanes(sums + C + c + 4, q1); add_lanes(sums + C + c + 8, q2); add_lanes(sums + C + c + 12, q3);
    }
    for (; c + 4 <= C; c += 4) {
      const f4 h = ld(shift + c);
      f4 s0 = splat(0), q0 = splat(0);
      for (const float* row = x + m * C + c; row < end; row += C) {
        const f4 v = wasm_f32x4_sub(ld(row), h);
        s0 = wasm_f32x4_add(s0, v);
        q0 = madd(q0, v, v);
      }
      add_lanes(sums + c, s0);
      add_lanes(sums + C + c, q0);
    }
    for (; c < C; c++) {
      float s0 = 0, q0 = 0;
      for (const float* row = x + m * C + c; row < end; row += C) {
        const float v = *row - shift[c];
        s0 += v;
        q0 += v * v;
      }
      sums[c] += s0;
      sums[C + c] += q0;
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
// (doubles, blocked as bn_stats). With y (the forward's output after a fused ReLU; 0 without), dy
// counts only where y > 0.
static inline f4 relu_mask(f4 d, const float* y) {
  return y ? wasm_v128_and(d, wasm_f32x4_gt(ld(y), splat(0))) : d;
}

EXPORT(bn_grad_stats)
void bn_grad_stats(const float* dy, const float* x, const float* y, int C, int m0, int m1, const float* mean, double* sums) {
  const int block = bn_block_rows(C);
  for (int c = 0; c < 2 * C; c++) sums[c] = 0;
  for (int m = m0; m < m1; m += block) {
    const int m2 = m1 - m < block ? m1 : m + block;
    int c = 0;
    for (; c + 16 <= C; c += 16) {
      const float* mu = mean + c;
      f4 s0 = splat(0), s1 = splat(0), s2 = splat(0), s3 = splat(0);
      f4 q0 = splat(0), q1 = splat(0), q2 = splat(0), q3 = splat(0);
      for (int r = m; r < m2; r++) {
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
      add_lanes(sums + c, s0); add_lanes(sums + c + 4, s1); add_lanes(sums + c + 8, s2); add_lanes(sums + c + 12, s3);
      add_lanes(sums + C + c, q0); add_lanes(sums + C + c + 4, q1); add_lanes(sums + C + c + 8, q2); add_lanes(sums + C + c + 12, q3);
    }
    for (; c + 4 <= C; c += 4) {
      const f4 mu = ld(mean + c);
      f4 s0 = splat(0), q0 = splat(0);
      for (int r = m; r < m2; r++) {
        const f4 d = relu_mask(ld(dy + r * C + c), y ? y + r * C + c : 0);
        s0 = wasm_f32x4_add(s0, d);
        q0 = madd(q0, d, wasm_f32x4_sub(ld(x + r * C + c), mu));
      }
      add_lanes(sums + c, s0);
      add_lanes(sums + C + c, q0);
    }
    for (; c < C; c++) {
      float s0 = 0, q0 = 0;
      for (int r = m; r < m2; r++) {
        const int i = r * C + c;
        const float d = y && !(y[i] > 0) ? 0 : dy[i];
        s0 += d;
        q0 += d * (x[i] - mean[c]);
      }
      sums[c] += s0;
      sums[C + c] += q0;
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
