// Convolutions as implicit matrix products of the im2col matrix (rows: output pixels (n, oh, ow),
// columns: K = kh·kw·cin) and the filter: forward, filter gradient and input gradient; and
// sum_parts, which adds up the threads' partial filter gradients (winograd.c's too).
#include "kernels.h"

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

// Rows [m0, m0+mc) of the im2col matrix, packed in panels of 4 rows, [K][4] (gemm.c: gemm_packed).
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

// y[r][c] = max(y[r][c] + bias[c] + res[r][c], 0) (bias, res: 0 for none; relu: 0 or 1), rows [0, rows).
static void bias_relu(float* y, int rows, int C, const float* bias, const float* res, int relu) {
  const f4 zero = splat(0);
  for (int r = 0; r < rows; r++, y += C) {
    const float* rr = res ? res + r * C : 0;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      f4 v = ld(y + c);
      if (bias) v = wasm_f32x4_add(v, ld(bias + c));
      if (rr) v = wasm_f32x4_add(v, ld(rr + c));
      if (relu) v = wasm_f32x4_max(v, zero);
      st(y + c, v);
    }
    for (; c < C; c++) {
      float v = y[c] + (bias ? bias[c] : 0) + (rr ? rr[c] : 0);
      y[c] = relu && v < 0 ? 0 : v;
    }
  }
}

// y rows [m0, m1) = im2col(x) rows · filter (+ bias, + res: a tensor of y's shape, then ReLU when
// relu; bias, res 0 for none). panel: scratch of chunk·K floats for the im2col rows (a 1×1
// stride-1 convolution reads x's rows in place instead); chunk: a multiple of 4.
EXPORT(conv2d_forward)
void conv2d_forward(const Geom* g, const float* x, const float* filter, float* y, int m0, int m1, float* panel, int chunk, const float* bias, const float* res, int relu) {
  const int K = g->kh * g->kw * g->cin;
  const int pointwise = is_pointwise(g);
  for (int m = m0; m < m1; m += chunk) {
    int mc = m1 - m < chunk ? m1 - m : chunk;
    if (pointwise) gemm_rows(mc, g->cout, K, x + m * K, K, filter, g->cout, y + m * g->cout, g->cout);
    else {
      im2col_panel(g, x, m, mc, panel);
      gemm_packed(mc, g->cout, K, panel, filter, g->cout, y + m * g->cout, g->cout, 0);
    }
    if (bias || res || relu) bias_relu(y + m * g->cout, mc, g->cout, bias, res ? res + m * g->cout : 0, relu);
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
// dcol: chunk·K floats of scratch.
EXPORT(conv2d_backprop_input)
void conv2d_backprop_input(const Geom* g, const float* dy, const float* wt, float* dx, int n0, int n1, float* dcol, int chunk) {
  const int K = g->kh * g->kw * g->cin;
  const int per = g->oh * g->ow;
  const int cin = g->cin;
  const int cout = g->cout;
  const int m1 = n1 * per;
  if (is_pointwise(g)) {
    for (int m = n0 * per; m < m1; m += chunk) {
      int mc = m1 - m < chunk ? m1 - m : chunk;
      gemm_rows(mc, cin, cout, dy + m * cout, cout, wt, K, dx + m * cin, cin);
    }
    return;
  }
  zero_floats(dx + n0 * g->h * g->w * cin, (n1 - n0) * g->h * g->w * cin);
  for (int m = n0 * per; m < m1; m += chunk) {
    int mc = m1 - m < chunk ? m1 - m : chunk;
    gemm_rows(mc, K, cout, dy + m * cout, cout, wt, K, dcol, K);
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
