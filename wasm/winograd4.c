// Winograd F(4×4, 3×3): 3×3 convolutions of stride 1 (no dilation), forward and filter gradient,
// on 4×4 output tiles (6×6 input windows): 36 multiplies per 16 outputs and channel pair, where
// F(2×2, 3×3) (winograd.c) takes 64 and the direct convolution 144. Interpolation points 0, ±1,
// ±2, ∞ (Lavin & Gray 2016), the transforms Bᵀ, G, Aᵀ below. Same tiling, chunks and scratch
// layout as winograd.c with 36 transformed values instead of 16; core/engine/wasmKernels.ts
// picks F(4×4) or F(2×2) per layer.
#include "kernels.h"

// U[k][ci][co] (k = 6a + b) = (G g Gᵀ)[a][b] of g = w[·][·][ci][co] (w: [3, 3, cin, cout]), for
// output channels [co0, co1). G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1].
#define WG4_G0(a, b, c) (0.25f * (a))
#define WG4_G1(a, b, c) (-((a) + (b) + (c)) / 6.0f)
#define WG4_G2(a, b, c) (-((a) - (b) + (c)) / 6.0f)
#define WG4_G3(a, b, c) ((a) / 24.0f + (b) / 12.0f + (c) / 6.0f)
#define WG4_G4(a, b, c) ((a) / 24.0f - (b) / 12.0f + (c) / 6.0f)
#define WG4_G5(a, b, c) (c)

EXPORT(winograd4_filter)
void winograd4_filter(const float* w, float* U, int cin, int cout, int co0, int co1) {
  const int cc = cin * cout;
  for (int ci = 0; ci < cin; ci++)
    for (int co = co0; co < co1; co++) {
      const float* p = w + ci * cout + co;
      float* u = U + ci * cout + co;
      const float g00 = p[0], g01 = p[cc], g02 = p[2 * cc];
      const float g10 = p[3 * cc], g11 = p[4 * cc], g12 = p[5 * cc];
      const float g20 = p[6 * cc], g21 = p[7 * cc], g22 = p[8 * cc];
      // Row a of G g (G's row a down each column kx), then that row times Gᵀ.
#define WG4_ROW(a)                                                                              \
  {                                                                                             \
    const float x0 = WG4_G##a(g00, g10, g20), x1 = WG4_G##a(g01, g11, g21), x2 = WG4_G##a(g02, g12, g22); \
    u[(6 * a + 0) * cc] = WG4_G0(x0, x1, x2);                                                   \
    u[(6 * a + 1) * cc] = WG4_G1(x0, x1, x2);                                                   \
    u[(6 * a + 2) * cc] = WG4_G2(x0, x1, x2);                                                   \
    u[(6 * a + 3) * cc] = WG4_G3(x0, x1, x2);                                                   \
    u[(6 * a + 4) * cc] = WG4_G4(x0, x1, x2);                                                   \
    u[(6 * a + 5) * cc] = WG4_G5(x0, x1, x2);                                                   \
  }
      WG4_ROW(0)
      WG4_ROW(1)
      WG4_ROW(2)
      WG4_ROW(3)
      WG4_ROW(4)
      WG4_ROW(5)
#undef WG4_ROW
    }
}

// 4 channels (full) or 1 (the tail: lane 0) of x at p, or zeros.
static inline f4 ld4_ch(const float* p, int full) { return full ? ld(p) : wasm_f32x4_make(*p, 0, 0, 0); }
static inline void st4_ch(float* p, f4 v, int full) {
  if (full) st(p, v);
  else *p = wasm_f32x4_extract_lane(v, 0);
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
// v + k·vs (k = 6i + j). rows / cols: bit i set when window row / column i is inside x.
static inline void winograd4_input_tile(const float* base, int rs, int cs, int full, int rows, int cols, float* v, int vs) {
  const f4 z = splat(0);
#define LDW(i, j) (((rows >> (i)) & 1) && ((cols >> (j)) & 1) ? ld4_ch(base + (i) * rs + (j) * cs, full) : z)
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
    st4_ch(v + (6 * i + 0) * vs, r0, full);                                                    \
    st4_ch(v + (6 * i + 1) * vs, r1, full);                                                    \
    st4_ch(v + (6 * i + 2) * vs, r2, full);                                                    \
    st4_ch(v + (6 * i + 3) * vs, r3, full);                                                    \
    st4_ch(v + (6 * i + 4) * vs, r4, full);                                                    \
    st4_ch(v + (6 * i + 5) * vs, r5, full);                                                    \
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
static inline void winograd4_output_tile(const float* m, int ms, float* y, int rs, int cs, int full, int nr, int nc, const float* bias, const float* r, int relu) {
#define LDM(k) ld4_ch(m + (k) * ms, full)
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
  const f4 b = bias ? ld4_ch(bias, full) : splat(0);
  const f4 z = splat(0);
#define ROW(i)                                                                                 \
  if (i < nr) {                                                                                \
    f4 o0, o1, o2, o3;                                                                         \
    WG4_AT(p##i##0, p##i##1, p##i##2, p##i##3, p##i##4, p##i##5, o0, o1, o2, o3)               \
    o0 = wasm_f32x4_add(o0, b); o1 = wasm_f32x4_add(o1, b);                                    \
    o2 = wasm_f32x4_add(o2, b); o3 = wasm_f32x4_add(o3, b);                                    \
    if (r) {                                                                                   \
      const float* rr = r + (i) * rs;                                                          \
      o0 = wasm_f32x4_add(o0, ld4_ch(rr, full));                                               \
      if (nc > 1) o1 = wasm_f32x4_add(o1, ld4_ch(rr + cs, full));                              \
      if (nc > 2) o2 = wasm_f32x4_add(o2, ld4_ch(rr + 2 * cs, full));                          \
      if (nc > 3) o3 = wasm_f32x4_add(o3, ld4_ch(rr + 3 * cs, full));                          \
    }                                                                                          \
    if (relu) {                                                                                \
      o0 = wasm_f32x4_max(o0, z); o1 = wasm_f32x4_max(o1, z);                                  \
      o2 = wasm_f32x4_max(o2, z); o3 = wasm_f32x4_max(o3, z);                                  \
    }                                                                                          \
    float* yr = y + (i) * rs;                                                                  \
    st4_ch(yr, o0, full);                                                                      \
    if (nc > 1) st4_ch(yr + cs, o1, full);                                                     \
    if (nc > 2) st4_ch(yr + 2 * cs, o2, full);                                                 \
    if (nc > 3) st4_ch(yr + 3 * cs, o3, full);                                                 \
  }
  ROW(0)
  ROW(1)
  ROW(2)
  ROW(3)
#undef ROW
}

// The 36 transformed values of every input channel of the tile at (ty, tx) of image n (its 6×6
// window starts at 4·ty − pt, 4·tx − pl; outside the image 0), stored at v[k·vs + channel].
static inline void winograd4_input_tiles(const Geom* g, const float* x, int n, int ty, int tx, float* v, int vs) {
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

// The next tile in (image, tile row, tile column) order: tw tiles a row, ⌈oh/4⌉ rows an image.
static inline void next_tile4(int* n, int* ty, int* tx, int tw, int oh) {
  if (++*tx < tw) return;
  *tx = 0;
  if (++*ty * 4 < oh) return;
  *ty = 0;
  ++*n;
}

// y for tiles [t0, t1) (tiles numbered (n, ty, tx), ⌈oh/4⌉·⌈ow/4⌉ per image) of a 3×3, stride-1
// convolution, U from winograd4_filter (+ bias, + res: a tensor of y's shape, then ReLU when
// relu; bias, res 0 for none).
// scratch: 36·chunk·cin (V) + chunk·cin + 4 (a packed panel) + 36·chunk·cout (M) floats;
// chunk: a multiple of 4.
EXPORT(conv2d_winograd4)
void conv2d_winograd4(const Geom* g, const float* x, const float* U, float* y, int t0, int t1, float* scratch, int chunk, const float* bias, const float* res, int relu) {
  const int cin = g->cin, cout = g->cout, oh = g->oh, ow = g->ow;
  const int tw = (ow + 3) / 4, per = ((oh + 3) / 4) * tw;
  const int vs = chunk * cin, ms = chunk * cout;
  float* V = scratch;
  float* panel = V + 36 * vs;
  float* M = panel + vs + 4;
  const int yrs = ow * cout;
  for (int t = t0; t < t1; t += chunk) {
    const int tc = t1 - t < chunk ? t1 - t : chunk;
    int n = t / per, rem = t - n * per;
    int ty = rem / tw, tx = rem - ty * tw;
    for (int lt = 0; lt < tc; lt++) {
      winograd4_input_tiles(g, x, n, ty, tx, V + lt * cin, vs);
      next_tile4(&n, &ty, &tx, tw, oh);
    }
    for (int k = 0; k < 36; k++) {
      pack_rows(V + k * vs, cin, tc, cin, panel);
      gemm_packed(tc, cout, cin, panel, U + k * cin * cout, cout, M + k * ms, cout, 0);
    }
    n = t / per;
    rem = t - n * per;
    ty = rem / tw;
    tx = rem - ty * tw;
    for (int lt = 0; lt < tc; lt++) {
      const int oy = 4 * ty, ox = 4 * tx;
      const int nr = oh - oy < 4 ? oh - oy : 4, nc = ow - ox < 4 ? ow - ox : 4;
      const int at = ((n * oh + oy) * ow + ox) * cout;
      float* yo = y + at;
      const float* ro = res ? res + at : 0;
      const float* m = M + lt * cout;
      int c = 0;
      if (nr == 4 && nc == 4)
        for (; c + 4 <= cout; c += 4) winograd4_output_tile(m + c, ms, yo + c, yrs, cout, 1, 4, 4, bias ? bias + c : 0, ro ? ro + c : 0, relu);
      for (; c + 4 <= cout; c += 4) winograd4_output_tile(m + c, ms, yo + c, yrs, cout, 1, nr, nc, bias ? bias + c : 0, ro ? ro + c : 0, relu);
      for (; c < cout; c++) winograd4_output_tile(m + c, ms, yo + c, yrs, cout, 0, nr, nc, bias ? bias + c : 0, ro ? ro + c : 0, relu);
      next_tile4(&n, &ty, &tx, tw, oh);
    }
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
static inline void winograd4_grad_tile(const float* e, int rs, int cs, int full, int nr, int nc, float* w, int ws) {
  const f4 z = splat(0);
#define LDE(i, j) ((i) < nr && (j) < nc ? ld4_ch(e + (i) * rs + (j) * cs, full) : z)
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
    st4_ch(w + (6 * i + 0) * ws, r0, full);                                                    \
    st4_ch(w + (6 * i + 1) * ws, r1, full);                                                    \
    st4_ch(w + (6 * i + 2) * ws, r2, full);                                                    \
    st4_ch(w + (6 * i + 3) * ws, r3, full);                                                    \
    st4_ch(w + (6 * i + 4) * ws, r4, full);                                                    \
    st4_ch(w + (6 * i + 5) * ws, r5, full);                                                    \
  }
  ROW(0)
  ROW(1)
  ROW(2)
  ROW(3)
  ROW(4)
  ROW(5)
#undef ROW
}

// The filter gradient by the same transforms (as winograd.c's): M[k] = Σ_tiles V[k]ᵀ · W[k] with
// V = Bᵀ d B and W = A e Aᵀ (36 products cin × tiles × cout), then dw = Gᵀ M G
// (winograd4_filter_grad_out). M (36·cin·cout floats, [k][ci][co]) over tiles [t0, t1) is
// overwritten (one per thread, summed by sum_parts). scratch: 36·chunk·(cin + cout) + 8 floats.
EXPORT(conv2d_winograd4_filter_grad)
void conv2d_winograd4_filter_grad(const Geom* g, const float* x, const float* dy, float* M, int t0, int t1, float* scratch, int chunk) {
  const int cin = g->cin, cout = g->cout, oh = g->oh, ow = g->ow;
  const int tw = (ow + 3) / 4, per = ((oh + 3) / 4) * tw;
  const int vs = chunk * cin, ws = chunk * cout;
  float* V = scratch;
  float* W = V + 36 * vs + 4;
  const int drs = ow * cout;
  zero_floats(M, 36 * cin * cout);
  for (int t = t0; t < t1; t += chunk) {
    const int tc = t1 - t < chunk ? t1 - t : chunk;
    int n = t / per, rem = t - n * per;
    int ty = rem / tw, tx = rem - ty * tw;
    for (int lt = 0; lt < tc; lt++) {
      winograd4_input_tiles(g, x, n, ty, tx, V + lt * cin, vs);
      const int oy = 4 * ty, ox = 4 * tx;
      const int nr = oh - oy < 4 ? oh - oy : 4, nc = ow - ox < 4 ? ow - ox : 4;
      const float* e = dy + ((n * oh + oy) * ow + ox) * cout;
      float* wt = W + lt * cout;
      int c = 0;
      if (nr == 4 && nc == 4)
        for (; c + 4 <= cout; c += 4) winograd4_grad_tile(e + c, drs, cout, 1, 4, 4, wt + c, ws);
      for (; c + 4 <= cout; c += 4) winograd4_grad_tile(e + c, drs, cout, 1, nr, nc, wt + c, ws);
      for (; c < cout; c++) winograd4_grad_tile(e + c, drs, cout, 0, nr, nc, wt + c, ws);
      next_tile4(&n, &ty, &tx, tw, oh);
    }
    // M[k] (cin × cout) += V[k]ᵀ · W[k]: V[k]'s columns (ci) are adjacent, tiles cin apart.
    for (int k = 0; k < 36; k++)
      for (int i = 0; i < cin; i += 4) {
        int mr = cin - i < 4 ? cin - i : 4;
        gemm_panel(mr, cout, tc, V + k * vs + i, cin, W + k * ws, cout, M + (k * cin + i) * cout, cout, 1);
      }
  }
}

// dw[ky][kx][ci][co] = (Gᵀ M G)[ky][kx] of M from conv2d_winograd4_filter_grad (summed), for the
// (ci, co) pairs [i0, i1) (i = ci·cout + co). Gᵀ = [¼ −⅙ −⅙ 1/24 1/24 0; 0 −⅙ ⅙ 1/12 −1/12 0; 0 −⅙ −⅙ ⅙ ⅙ 1].
#define WG4_GT0(m0, m1, m2, m3, m4, m5) (0.25f * (m0) - ((m1) + (m2)) / 6.0f + ((m3) + (m4)) / 24.0f)
#define WG4_GT1(m0, m1, m2, m3, m4, m5) (((m2) - (m1)) / 6.0f + ((m3) - (m4)) / 12.0f)
#define WG4_GT2(m0, m1, m2, m3, m4, m5) (((m3) + (m4) - (m1) - (m2)) / 6.0f + (m5))
EXPORT(winograd4_filter_grad_out)
void winograd4_filter_grad_out(const float* M, float* dw, int cin, int cout, int i0, int i1) {
  const int cc = cin * cout;
  for (int i = i0; i < i1; i++) {
    const float* m = M + i;
    float* o = dw + i;
    // Gᵀ M (3×6), per column b.
#define GROWS(b)                                                                                   \
    const float m0##b = m[(0 + b) * cc], m1##b = m[(6 + b) * cc], m2##b = m[(12 + b) * cc];        \
    const float m3##b = m[(18 + b) * cc], m4##b = m[(24 + b) * cc], m5##b = m[(30 + b) * cc];      \
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
