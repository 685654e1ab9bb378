// Winograd F(2×2, 3×3): 3×3 convolutions of stride 1 (no dilation), forward and filter
// gradient (the input gradient is a forward convolution: core/engine/wasmKernels.ts).
#include "kernels.h"

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
// (+ bias, + r: the residual at y's place, then ReLU) stored at y (row stride rs, column stride
// cs), row 1 / column 1 only when s1 / t1.
static inline void winograd_output_tile(const float* m, int ms, float* y, int rs, int cs, int full, int s1, int t1, const float* bias, const float* r, int relu) {
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
// stride-1 convolution, U from winograd_filter (+ bias, + res: a tensor of y's shape, then ReLU
// when relu; bias, res 0 for none). scratch: 16·chunk·cin (V) + chunk·cin + 4 (a packed panel) + 16·chunk·cout (M) floats;
// chunk: a multiple of 4.
EXPORT(conv2d_winograd)
void conv2d_winograd(const Geom* g, const float* x, const float* U, float* y, int t0, int t1, float* scratch, int chunk, const float* bias, const float* res, int relu) {
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
      const int at = ((n * oh + oy) * ow + ox) * cout;
      float* yo = y + at;
      const float* ro = res ? res + at : 0;
      const float* m = M + lt * cout;
      int c = 0;
      for (; c + 4 <= cout; c += 4) winograd_output_tile(m + c, ms, yo + c, yrs, cout, 1, s1, q1, bias ? bias + c : 0, ro ? ro + c : 0, relu);
      for (; c < cout; c++) winograd_output_tile(m + c, ms, yo + c, yrs, cout, 0, s1, q1, bias ? bias + c : 0, ro ? ro + c : 0, relu);
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
