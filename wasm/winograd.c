// Winograd F(2×2, 3×3): the transforms of 3×3 convolutions of stride 1 (no dilation), forward
// and filter gradient (the input gradient is a forward convolution: core/engine/wasmKernels.ts);
// winograd_conv.c walks the tiles.
#include "kernels.h"

// The output in 2×2 tiles, tile (n, ty, tx) reading the 4×4 input window at (2ty − pt, 2tx − pl)
// (zeros outside x). Per tile and input channel V = Bᵀ d B (16 values); per filter U = G g Gᵀ
// (winograd_filter, once per call); the 16 products M[k] = V[k] (tiles × cin) · U[k] (cin ×
// cout) by gemm_rows; then Y = Aᵀ M A (2×2 outputs; a last odd row/column not stored).
// 16 multiplies per 2×2 outputs and channel pair instead of 36.

// U[k][ci][co] (k = 4a + b) = (G g Gᵀ)[a][b] of g = w[·][·][ci][co] (w: [3, 3, cin, cout])
// (winograd_conv.c: winograd_filter): U of the 4 filters at p (full) or of 1 (lane 0), stored at
// u; cc: the stride of w's taps, us: of U's points.
static inline void winograd_filter_at(const float* p, float* u, int cc, int us, int full) {
  const f4 half = splat(0.5f);
#define G(t) ld_ch(p + (t) * cc, full)
  // G g: rows over ky, per kx; then each row times Gᵀ.
#define WG_ROW(a, r0, r1, r2)                                                                          \
  {                                                                                                    \
    const f4 x0 = r0, x1 = r1, x2 = r2;                                                                \
    st_ch(u + (4 * a + 0) * us, x0, full);                                                             \
    st_ch(u + (4 * a + 1) * us, wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_add(x0, x1), x2)), full); \
    st_ch(u + (4 * a + 2) * us, wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_sub(x0, x1), x2)), full); \
    st_ch(u + (4 * a + 3) * us, x2, full);                                                             \
  }
#define SUM(kx) wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_add(G(kx), G(3 + kx)), G(6 + kx)))
#define DIF(kx) wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_sub(G(kx), G(3 + kx)), G(6 + kx)))
  WG_ROW(0, G(0), G(1), G(2))
  WG_ROW(1, SUM(0), SUM(1), SUM(2))
  WG_ROW(2, DIF(0), DIF(1), DIF(2))
  WG_ROW(3, G(6), G(7), G(8))
#undef SUM
#undef DIF
#undef WG_ROW
#undef G
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
// (+ bias, + r: the residual at y's place, then ReLU) stored at y (row stride rs, column stride
// cs), only the first nr rows and nc columns.
static inline void winograd_output_tile(const float* m, int ms, float* y, int rs, int cs, int full, int nr, int nc, const float* bias, const float* r, int relu) {
  const int s1 = nr > 1, t1 = nc > 1;
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
  if (r) {
    y00 = wasm_f32x4_add(y00, ld_ch(r, full));
    if (t1) y01 = wasm_f32x4_add(y01, ld_ch(r + cs, full));
    if (s1) y10 = wasm_f32x4_add(y10, ld_ch(r + rs, full));
    if (s1 && t1) y11 = wasm_f32x4_add(y11, ld_ch(r + rs + cs, full));
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
NOINLINE void winograd_input_tiles(const Geom* g, const float* x, int n, int ty, int tx, float* v, int vs) {
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

// W = A e Aᵀ of one tile's output gradient e (nr × nc values of 2 × 2, zeros past them) for
// channels [c, c + 4) (or c alone), stored at w + k·ws. A = [1 0; 1 1; 1 −1; 0 −1].
static inline void winograd_grad_tile(const float* e, int rs, int cs, int full, int nr, int nc, float* w, int ws) {
  const f4 z = splat(0);
  const f4 e00 = ld_ch(e, full);
  const f4 e01 = nc > 1 ? ld_ch(e + cs, full) : z;
  const f4 e10 = nr > 1 ? ld_ch(e + rs, full) : z;
  const f4 e11 = nr > 1 && nc > 1 ? ld_ch(e + rs + cs, full) : z;
#define WROW(a, r0, r1)                                          \
  st_ch(w + (4 * a + 0) * ws, r0, full);                         \
  st_ch(w + (4 * a + 1) * ws, wasm_f32x4_add(r0, r1), full);     \
  st_ch(w + (4 * a + 2) * ws, wasm_f32x4_sub(r0, r1), full);     \
  st_ch(w + (4 * a + 3) * ws, wasm_f32x4_neg(r1), full);
  WROW(0, e00, e01)
  WROW(1, wasm_f32x4_add(e00, e10), wasm_f32x4_add(e01, e11))
  WROW(2, wasm_f32x4_sub(e00, e10), wasm_f32x4_sub(e01, e11))
  WROW(3, wasm_f32x4_neg(e10), wasm_f32x4_neg(e11))
#undef WROW
}

// dw[ky][kx][ci][co] = (Gᵀ M G)[ky][kx] of M from conv2d_winograd_filter_grad (summed), for the
// (ci, co) pairs [i0, i1) (i = ci·cout + co). Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1].
EXPORT(winograd_filter_grad_out)
void winograd_filter_grad_out(const float* M, float* dw, int cin, int cout, int i0, int i1) {
  const int cc = cin * cout, ms = point_stride(cin, cout);
  for (int i = i0; i < i1; i++) {
    const float* m = M + i;
    float* o = dw + i;
    // Rows: Gᵀ M (3×4), per column b.
#define GROWS(b)                                                                              \
    float m0##b = m[(0 + b) * ms], m1##b = m[(4 + b) * ms], m2##b = m[(8 + b) * ms], m3##b = m[(12 + b) * ms]; \
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
