// Winograd F(4×4, 3×3): 3×3 convolutions of stride 1 (no dilation), forward and filter gradient,
// on 4×4 output tiles (6×6 input windows): 36 multiplies per 16 outputs and channel pair, where
// F(2×2, 3×3) (winograd.c) takes 64 and the direct convolution 144. Interpolation points 0, ±1,
// ±2, ∞ (Lavin & Gray 2016), the transforms Bᵀ, G, Aᵀ below; winograd_conv.c walks the tiles,
// as for F(2×2). core/engine/wasmKernels.ts picks F(4×4) or F(2×2) per layer.
#include "kernels.h"

// U[k][ci][co] (k = 6a + b) = (G g Gᵀ)[a][b] of g = w[·][·][ci][co] (w: [3, 3, cin, cout])
// (winograd_conv.c: winograd4_filter). G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1].
static inline f4 wg4_g(int a, f4 x, f4 y, f4 z) {
  // Divisions, as the scalar transform had them: multiplying by the rounded reciprocals moved an
  // ill-conditioned gradient of test/unit/pytorchEngine.test.ts past its bound.
#define DIV(v, d) wasm_f32x4_div(v, splat(d))
  switch (a) {
    case 0: return wasm_f32x4_mul(splat(0.25f), x);
    case 1: return wasm_f32x4_neg(DIV(wasm_f32x4_add(wasm_f32x4_add(x, y), z), 6.0f));
    case 2: return wasm_f32x4_neg(DIV(wasm_f32x4_add(wasm_f32x4_sub(x, y), z), 6.0f));
    case 3: return wasm_f32x4_add(wasm_f32x4_add(DIV(x, 24.0f), DIV(y, 12.0f)), DIV(z, 6.0f));
    case 4: return wasm_f32x4_add(wasm_f32x4_sub(DIV(x, 24.0f), DIV(y, 12.0f)), DIV(z, 6.0f));
    default: return z;
  }
#undef DIV
}

// U of the 4 filters at p (full) or of 1 (lane 0), stored at u; cc: the stride of w's taps, us: of U's points.
static inline void winograd4_filter_at(const float* p, float* u, int cc, int us, int full) {
  const f4 g00 = ld_ch(p, full), g01 = ld_ch(p + cc, full), g02 = ld_ch(p + 2 * cc, full);
  const f4 g10 = ld_ch(p + 3 * cc, full), g11 = ld_ch(p + 4 * cc, full), g12 = ld_ch(p + 5 * cc, full);
  const f4 g20 = ld_ch(p + 6 * cc, full), g21 = ld_ch(p + 7 * cc, full), g22 = ld_ch(p + 8 * cc, full);
  // Row a of G g (G's row a down each column kx), then that row times Gᵀ.
  for (int a = 0; a < 6; a++) {
    const f4 x0 = wg4_g(a, g00, g10, g20), x1 = wg4_g(a, g01, g11, g21), x2 = wg4_g(a, g02, g12, g22);
    for (int b = 0; b < 6; b++) st_ch(u + (6 * a + b) * us, wg4_g(b, x0, x1, x2), full);
  }
}

// Stores a row of 6 transformed values for the 4 channels (full) or 1 at p, s apart.
static inline void st6_ch(float* p, int s, f4 r0, f4 r1, f4 r2, f4 r3, f4 r4, f4 r5, int full) {
  st_ch(p, r0, full);
  st_ch(p + s, r1, full);
  st_ch(p + 2 * s, r2, full);
  st_ch(p + 3 * s, r3, full);
  st_ch(p + 4 * s, r4, full);
  st_ch(p + 5 * s, r5, full);
}

// Bᵀ d of 6 values: Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].
#define WG4_BT(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5)                                  \
  {                                                                                            \
    const f4 four = splat(4), five = splat(5), two = splat(2);                                 \
    const f4 s12 = wasm_f32x4_add(d1, d2), s34 = wasm_f32x4_add(d3, d4);                       \
    const f4 e12 = wasm_f32x4_sub(d1, d2), e43 = wasm_f32x4_sub(d4, d3);                       \
    const f4 f42 = wasm_f32x4_sub(d4, d2), f31 = wasm_f32x4_sub(d3, d1);                       \
    r0 = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(four, d0), wasm_f32x4_mul(five, d2)), d4); \
    r1 = wasm_f32x4_sub(s34, wasm_f32x4_mul(four, s12));                                       \
    r2 = wasm_f32x4_add(e43, wasm_f32x4_mul(four, e12));                                       \
    r3 = wasm_f32x4_add(f42, wasm_f32x4_mul(two, f31));                                        \
    r4 = wasm_f32x4_sub(f42, wasm_f32x4_mul(two, f31));                                        \
    r5 = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(four, d1), wasm_f32x4_mul(five, d3)), d5); \
  }

// V = Bᵀ d B of one tile's 6×6 window for channels [c, c + 4) (or c alone when !full), stored at
// v + k·vs (k = 6i + j). rows / cols: bit i set when window row / column i is inside x. Inlined
// into winograd4_input_tiles, so an inside tile's copy tests no edges and no channel count.
ALWAYS_INLINE void winograd4_input_tile(const float* base, int rs, int cs, int full, int rows, int cols, float* v, int vs) {
  const f4 z = splat(0);
#define LDW(i, j) (((rows >> (i)) & 1) && ((cols >> (j)) & 1) ? ld_ch(base + (i) * rs + (j) * cs, full) : z)
#define COL(j)                                                                                 \
  f4 t0##j, t1##j, t2##j, t3##j, t4##j, t5##j;                                                 \
  {                                                                                            \
    const f4 d0 = LDW(0, j), d1 = LDW(1, j), d2 = LDW(2, j), d3 = LDW(3, j), d4 = LDW(4, j), d5 = LDW(5, j); \
    WG4_BT(d0, d1, d2, d3, d4, d5, t0##j, t1##j, t2##j, t3##j, t4##j, t5##j)                   \
  }
  COL(0)
  COL(1)
  COL(2)
  COL(3)
  COL(4)
  COL(5)
#define ROW(i)                                                                                 \
  {                                                                                            \
    f4 r0, r1, r2, r3, r4, r5;                                                                 \
    WG4_BT(t##i##0, t##i##1, t##i##2, t##i##3, t##i##4, t##i##5, r0, r1, r2, r3, r4, r5)       \
    st6_ch(v + 6 * i * vs, vs, r0, r1, r2, r3, r4, r5, full);                                 \
  }
  ROW(0)
  ROW(1)
  ROW(2)
  ROW(3)
  ROW(4)
  ROW(5)
#undef ROW
#undef COL
#undef LDW
}

// Aᵀ m of 6 values: Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
#define WG4_AT(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3)                                          \
  {                                                                                            \
    const f4 s12 = wasm_f32x4_add(m1, m2), e12 = wasm_f32x4_sub(m1, m2);                       \
    const f4 s34 = wasm_f32x4_add(m3, m4), e34 = wasm_f32x4_sub(m3, m4);                       \
    o0 = wasm_f32x4_add(wasm_f32x4_add(m0, s12), s34);                                         \
    o1 = wasm_f32x4_add(e12, wasm_f32x4_mul(splat(2), e34));                                   \
    o2 = wasm_f32x4_add(s12, wasm_f32x4_mul(splat(4), s34));                                   \
    o3 = wasm_f32x4_add(wasm_f32x4_add(e12, wasm_f32x4_mul(splat(8), e34)), m5);               \
  }

// Y = Aᵀ M A for output channels [c, c + 4) (or c alone): m + k·ms holds M[k]; the 4×4 outputs
// (+ bias, + r: the residual at y's place, then ReLU) stored at y (row stride rs, column stride
// cs), only the first nr rows and nc columns.
ALWAYS_INLINE void winograd4_output(const float* m, int ms, float* y, int rs, int cs, int full, int nr, int nc, const float* bias, const float* r, int relu) {
#define LDM(k) ld_ch(m + (k) * ms, full)
#define COL(j)                                                                                 \
  f4 p0##j, p1##j, p2##j, p3##j;                                                               \
  WG4_AT(LDM(j), LDM(6 + j), LDM(12 + j), LDM(18 + j), LDM(24 + j), LDM(30 + j), p0##j, p1##j, p2##j, p3##j)
  COL(0)
  COL(1)
  COL(2)
  COL(3)
  COL(4)
  COL(5)
#undef COL
#undef LDM
  const f4 b = bias ? ld_ch(bias, full) : splat(0);
  const f4 z = splat(0);
#define ROW(i)                                                                                 \
  if (i < nr) {                                                                                \
    f4 o0, o1, o2, o3;                                                                         \
    WG4_AT(p##i##0, p##i##1, p##i##2, p##i##3, p##i##4, p##i##5, o0, o1, o2, o3)               \
    o0 = wasm_f32x4_add(o0, b); o1 = wasm_f32x4_add(o1, b);                                    \
    o2 = wasm_f32x4_add(o2, b); o3 = wasm_f32x4_add(o3, b);                                    \
    if (r) {                                                                                   \
      const float* rr = r + (i) * rs;                                                          \
      o0 = wasm_f32x4_add(o0, ld_ch(rr, full));                                               \
      if (nc > 1) o1 = wasm_f32x4_add(o1, ld_ch(rr + cs, full));                              \
      if (nc > 2) o2 = wasm_f32x4_add(o2, ld_ch(rr + 2 * cs, full));                          \
      if (nc > 3) o3 = wasm_f32x4_add(o3, ld_ch(rr + 3 * cs, full));                          \
    }                                                                                          \
    if (relu) {                                                                                \
      o0 = wasm_f32x4_max(o0, z); o1 = wasm_f32x4_max(o1, z);                                  \
      o2 = wasm_f32x4_max(o2, z); o3 = wasm_f32x4_max(o3, z);                                  \
    }                                                                                          \
    float* yr = y + (i) * rs;                                                                  \
    st_ch(yr, o0, full);                                                                      \
    if (nc > 1) st_ch(yr + cs, o1, full);                                                     \
    if (nc > 2) st_ch(yr + 2 * cs, o2, full);                                                 \
    if (nc > 3) st_ch(yr + 3 * cs, o3, full);                                                 \
  }
  ROW(0)
  ROW(1)
  ROW(2)
  ROW(3)
#undef ROW
}
// Any tile, and a full one (4 channels, 4×4 outputs: no edge or channel tests; most tiles).
NOINLINE void winograd4_output_tile(const float* m, int ms, float* y, int rs, int cs, int full, int nr, int nc, const float* bias, const float* r, int relu) {
  winograd4_output(m, ms, y, rs, cs, full, nr, nc, bias, r, relu);
}
NOINLINE void winograd4_output_tile_full(const float* m, int ms, float* y, int rs, int cs, const float* bias, const float* r, int relu) {
  winograd4_output(m, ms, y, rs, cs, 1, 4, 4, bias, r, relu);
}

// The 36 transformed values of every input channel of the tile at (ty, tx) of image n (its 6×6
// window starts at 4·ty − pt, 4·tx − pl; outside the image 0), stored at v[k·vs + channel].
NOINLINE void winograd4_input_tiles(const Geom* g, const float* x, int n, int ty, int tx, float* v, int vs) {
  const int cin = g->cin, h = g->h, w = g->w, rs = w * cin;
  const int iy = 4 * ty - g->pt, ix = 4 * tx - g->pl;
  const float* base = x + ((n * h + iy) * w + ix) * cin;
  if (iy >= 0 && iy + 6 <= h && ix >= 0 && ix + 6 <= w) {
    int c = 0;
    for (; c + 4 <= cin; c += 4) winograd4_input_tile(base + c, rs, cin, 1, 63, 63, v + c, vs);
    for (; c < cin; c++) winograd4_input_tile(base + c, rs, cin, 0, 63, 63, v + c, vs);
  } else {
    int rows = 0, cols = 0;
    for (int i = 0; i < 6; i++) {
      if (iy + i >= 0 && iy + i < h) rows |= 1 << i;
      if (ix + i >= 0 && ix + i < w) cols |= 1 << i;
    }
    int c = 0;
    for (; c + 4 <= cin; c += 4) winograd4_input_tile(base + c, rs, cin, 1, rows, cols, v + c, vs);
    for (; c < cin; c++) winograd4_input_tile(base + c, rs, cin, 0, rows, cols, v + c, vs);
  }
}

// A e Aᵀ's 6 values of 4: A = [1 0 0 0; 1 1 1 1; 1 −1 1 −1; 1 2 4 8; 1 −2 4 −8; 0 0 0 1].
#define WG4_A(e0, e1, e2, e3, w0, w1, w2, w3, w4, w5)                                           \
  {                                                                                            \
    const f4 s02 = wasm_f32x4_add(e0, e2), s13 = wasm_f32x4_add(e1, e3);                       \
    const f4 q02 = wasm_f32x4_add(e0, wasm_f32x4_mul(splat(4), e2));                           \
    const f4 q13 = wasm_f32x4_mul(splat(2), wasm_f32x4_add(e1, wasm_f32x4_mul(splat(4), e3))); \
    w0 = e0;                                                                                   \
    w1 = wasm_f32x4_add(s02, s13);                                                             \
    w2 = wasm_f32x4_sub(s02, s13);                                                             \
    w3 = wasm_f32x4_add(q02, q13);                                                             \
    w4 = wasm_f32x4_sub(q02, q13);                                                             \
    w5 = e3;                                                                                   \
  }

// W = A e Aᵀ of one tile's output gradient e (nr × nc values, zeros past them) for channels
// [c, c + 4) (or c alone), stored at w + k·ws.
ALWAYS_INLINE void winograd4_grad(const float* e, int rs, int cs, int full, int nr, int nc, float* w, int ws) {
  const f4 z = splat(0);
#define LDE(i, j) ((i) < nr && (j) < nc ? ld_ch(e + (i) * rs + (j) * cs, full) : z)
#define COL(j)                                                                                 \
  f4 a0##j, a1##j, a2##j, a3##j, a4##j, a5##j;                                                 \
  WG4_A(LDE(0, j), LDE(1, j), LDE(2, j), LDE(3, j), a0##j, a1##j, a2##j, a3##j, a4##j, a5##j)
  COL(0)
  COL(1)
  COL(2)
  COL(3)
#undef COL
#undef LDE
#define ROW(i)                                                                                 \
  {                                                                                            \
    f4 r0, r1, r2, r3, r4, r5;                                                                 \
    WG4_A(a##i##0, a##i##1, a##i##2, a##i##3, r0, r1, r2, r3, r4, r5)                          \
    st6_ch(w + 6 * i * ws, ws, r0, r1, r2, r3, r4, r5, full);                                 \
  }
  ROW(0)
  ROW(1)
  ROW(2)
  ROW(3)
  ROW(4)
  ROW(5)
#undef ROW
}
// Any tile, and a full one (4 channels, 4×4 gradients).
NOINLINE void winograd4_grad_tile(const float* e, int rs, int cs, int full, int nr, int nc, float* w, int ws) {
  winograd4_grad(e, rs, cs, full, nr, nc, w, ws);
}
NOINLINE void winograd4_grad_tile_full(const float* e, int rs, int cs, float* w, int ws) {
  winograd4_grad(e, rs, cs, 1, 4, 4, w, ws);
}

// dw[ky][kx][ci][co] = (Gᵀ M G)[ky][kx] of M from conv2d_winograd4_filter_grad (summed), for the
// (ci, co) pairs [i0, i1) (i = ci·cout + co). Gᵀ = [¼ −⅙ −⅙ 1/24 1/24 0; 0 −⅙ ⅙ 1/12 −1/12 0; 0 −⅙ −⅙ ⅙ ⅙ 1].
#define WG4_GT0(m0, m1, m2, m3, m4, m5) (0.25f * (m0) - ((m1) + (m2)) / 6.0f + ((m3) + (m4)) / 24.0f)
#define WG4_GT1(m0, m1, m2, m3, m4, m5) (((m2) - (m1)) / 6.0f + ((m3) - (m4)) / 12.0f)
#define WG4_GT2(m0, m1, m2, m3, m4, m5) (((m3) + (m4) - (m1) - (m2)) / 6.0f + (m5))
EXPORT(winograd4_filter_grad_out)
void winograd4_filter_grad_out(const float* M, float* dw, int cin, int cout, int i0, int i1) {
  const int cc = cin * cout, ms = point_stride(cin, cout);
  for (int i = i0; i < i1; i++) {
    const float* m = M + i;
    float* o = dw + i;
    // Gᵀ M (3×6), per column b.
#define GROWS(b)                                                                                   \
    const float m0##b = m[(0 + b) * ms], m1##b = m[(6 + b) * ms], m2##b = m[(12 + b) * ms];        \
    const float m3##b = m[(18 + b) * ms], m4##b = m[(24 + b) * ms], m5##b = m[(30 + b) * ms];      \
    const float q0##b = WG4_GT0(m0##b, m1##b, m2##b, m3##b, m4##b, m5##b);                         \
    const float q1##b = WG4_GT1(m0##b, m1##b, m2##b, m3##b, m4##b, m5##b);                         \
    const float q2##b = WG4_GT2(m0##b, m1##b, m2##b, m3##b, m4##b, m5##b);
    GROWS(0)
    GROWS(1)
    GROWS(2)
    GROWS(3)
    GROWS(4)
    GROWS(5)
#undef GROWS
#define GCOLS(a)                                                                                   \
    o[(3 * a + 0) * cc] = WG4_GT0(q##a##0, q##a##1, q##a##2, q##a##3, q##a##4, q##a##5);           \
    o[(3 * a + 1) * cc] = WG4_GT1(q##a##0, q##a##1, q##a##2, q##a##3, q##a##4, q##a##5);           \
    o[(3 * a + 2) * cc] = WG4_GT2(q##a##0, q##a##1, q##a##2, q##a##3, q##a##4, q##a##5);
    GCOLS(0)
    GCOLS(1)
    GCOLS(2)
#undef GCOLS
  }
}
