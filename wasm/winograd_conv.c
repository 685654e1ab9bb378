// The Winograd convolutions on T×T output tiles, T = 2 (winograd.c's transforms, F(2×2, 3×3)) or
// T = 4 (winograd4.c's, F(4×4, 3×3)): one tile walker and chunk loop for both, specialised per T
// by inlining (T is a constant in each export).
//
// The filter transforms' loop over channels is here too, for both.
//
// Forward: tile (n, ty, tx) reads the (T + 2)² input window at (T·ty − pt, T·tx − pl) (zeros
// outside x). Per tile and input channel V = Bᵀ d B; per filter U = G g Gᵀ (winograd_filter or
// winograd4_filter, once per call); the products M[k] = V[k] (tiles × cin) · U[k] (cin × cout)
// by gemm_rows; then Y = Aᵀ M A (T×T outputs; rows and columns past the edge not stored).
//
// Filter gradient: with W = A e Aᵀ (e: a tile's output gradient, zeros past the edge), each
// tile adds Gᵀ (W ⊙ V) G to the 3×3 gradient of every channel pair. So M[k] = Σ_tiles V[k]ᵀ ·
// W[k], then dw = Gᵀ M G (winograd_filter_grad_out or winograd4_filter_grad_out).
#include "kernels.h"

// Tile t's place: image n, tile row ty, tile column tx; tw tiles a row, per tiles an image.
typedef struct {
  int n, ty, tx;
} Tile;

ALWAYS_INLINE Tile tile_at(int t, int tw, int per) {
  const int n = t / per, rem = t - n * per;
  return (Tile){n, rem / tw, rem % tw};
}

// The next tile in (image, tile row, tile column) order; th tile rows an image.
ALWAYS_INLINE void tile_next(Tile* p, int tw, int th) {
  if (++p->tx < tw) return;
  p->tx = 0;
  if (++p->ty < th) return;
  p->ty = 0;
  ++p->n;
}

ALWAYS_INLINE void input_tiles(int T, const Geom* g, const float* x, Tile p, float* v, int vs) {
  if (T == 4) winograd4_input_tiles(g, x, p.n, p.ty, p.tx, v, vs);
  else winograd_input_tiles(g, x, p.n, p.ty, p.tx, v, vs);
}

ALWAYS_INLINE void output_tile(int T, const float* m, int ms, float* y, int rs, int cs, int full, int nr, int nc, const float* bias, const float* r, int relu) {
  if (T == 4 && full && nr == 4 && nc == 4) winograd4_output_tile_full(m, ms, y, rs, cs, bias, r, relu);
  else if (T == 4) winograd4_output_tile(m, ms, y, rs, cs, full, nr, nc, bias, r, relu);
  else winograd_output_tile(m, ms, y, rs, cs, full, nr, nc, bias, r, relu);
}

ALWAYS_INLINE void grad_tile(int T, const float* e, int rs, int cs, int full, int nr, int nc, float* w, int ws) {
  if (T == 4 && full && nr == 4 && nc == 4) winograd4_grad_tile_full(e, rs, cs, w, ws);
  else if (T == 4) winograd4_grad_tile(e, rs, cs, full, nr, nc, w, ws);
  else winograd_grad_tile(e, rs, cs, full, nr, nc, w, ws);
}

ALWAYS_INLINE void filter_at(int T, const float* p, float* u, int cc, int us, int full) {
  if (T == 4) winograd4_filter_at(p, u, cc, us, full);
  else winograd_filter_at(p, u, cc, us, full);
}

// U = G g Gᵀ of every filter w[·][·][ci][co] (w: [3, 3, cin, cout]) with co in [co0, co1), 4 at a
// time: U[k][ci][co] at U + k·point_stride + ci·cout + co, k the (T + 2)² transformed points.
ALWAYS_INLINE void winograd_filter_transform(int T, const float* w, float* U, int cin, int cout, int co0, int co1) {
  const int cc = cin * cout, us = point_stride(cin, cout);
  for (int ci = 0; ci < cin; ci++) {
    int co = co0;
    for (; co + 4 <= co1; co += 4) filter_at(T, w + ci * cout + co, U + ci * cout + co, cc, us, 1);
    for (; co < co1; co++) filter_at(T, w + ci * cout + co, U + ci * cout + co, cc, us, 0);
  }
}

// y for tiles [t0, t1) (numbered (n, ty, tx), ⌈oh/T⌉·⌈ow/T⌉ an image), U from the filter
// transform (+ bias, + res: a tensor of y's shape, then ReLU when relu; bias, res 0 for none).
// scratch: P·(chunk·(cin + cout) + 2·STRIDE_PAD) + 8 floats (V and M), P = (T + 2)²; chunk: a
// multiple of 4.
ALWAYS_INLINE void winograd_forward(int T, const Geom* g, const float* x, const float* U, float* y, int t0, int t1, float* scratch, int chunk, const float* bias, const float* res, int relu) {
  const int P = (T + 2) * (T + 2);
  const int cin = g->cin, cout = g->cout, oh = g->oh, ow = g->ow;
  const int tw = (ow + T - 1) / T, th = (oh + T - 1) / T, per = th * tw;
  const int vs = chunk * cin + STRIDE_PAD, ms = chunk * cout + STRIDE_PAD, us = point_stride(cin, cout);
  float* V = scratch;
  float* M = V + P * vs + 4;
  const int yrs = ow * cout;
  for (int t = t0; t < t1; t += chunk) {
    const int tc = t1 - t < chunk ? t1 - t : chunk;
    Tile p = tile_at(t, tw, per);
    for (int lt = 0; lt < tc; lt++, tile_next(&p, tw, th)) input_tiles(T, g, x, p, V + lt * cin, vs);
    for (int k = 0; k < P; k++) {
      gemm_rows(tc, cout, cin, V + k * vs, cin, U + k * us, cout, M + k * ms, cout);
    }
    p = tile_at(t, tw, per);
    for (int lt = 0; lt < tc; lt++, tile_next(&p, tw, th)) {
      const int oy = T * p.ty, ox = T * p.tx;
      const int nr = oh - oy < T ? oh - oy : T, nc = ow - ox < T ? ow - ox : T;
      const int at = ((p.n * oh + oy) * ow + ox) * cout;
      float* yo = y + at;
      const float* ro = res ? res + at : 0;
      const float* m = M + lt * cout;
      int c = 0;
      if (nr == T && nc == T)  // the common case, with constant edges
        for (; c + 4 <= cout; c += 4) output_tile(T, m + c, ms, yo + c, yrs, cout, 1, T, T, bias ? bias + c : 0, ro ? ro + c : 0, relu);
      for (; c + 4 <= cout; c += 4) output_tile(T, m + c, ms, yo + c, yrs, cout, 1, nr, nc, bias ? bias + c : 0, ro ? ro + c : 0, relu);
      for (; c < cout; c++) output_tile(T, m + c, ms, yo + c, yrs, cout, 0, nr, nc, bias ? bias + c : 0, ro ? ro + c : 0, relu);
    }
  }
}

// M (P·point_stride floats: [k][ci][co] as U) over tiles [t0, t1), overwritten (one per thread,
// summed by sum_parts). scratch: P·(chunk·(cin + cout) + 2·STRIDE_PAD) + 8 floats.
ALWAYS_INLINE void winograd_filter_grad(int T, const Geom* g, const float* x, const float* dy, float* M, int t0, int t1, float* scratch, int chunk) {
  const int P = (T + 2) * (T + 2);
  const int cin = g->cin, cout = g->cout, oh = g->oh, ow = g->ow;
  const int tw = (ow + T - 1) / T, th = (oh + T - 1) / T, per = th * tw;
  const int vs = chunk * cin + STRIDE_PAD, ws = chunk * cout + STRIDE_PAD, ms = point_stride(cin, cout);
  float* V = scratch;
  float* W = V + P * vs + 4;
  const int drs = ow * cout;
  zero_floats(M, P * ms);
  for (int t = t0; t < t1; t += chunk) {
    const int tc = t1 - t < chunk ? t1 - t : chunk;
    Tile p = tile_at(t, tw, per);
    for (int lt = 0; lt < tc; lt++, tile_next(&p, tw, th)) {
      input_tiles(T, g, x, p, V + lt * cin, vs);
      const int oy = T * p.ty, ox = T * p.tx;
      const int nr = oh - oy < T ? oh - oy : T, nc = ow - ox < T ? ow - ox : T;
      const float* e = dy + ((p.n * oh + oy) * ow + ox) * cout;
      float* wt = W + lt * cout;
      int c = 0;
      if (nr == T && nc == T)
        for (; c + 4 <= cout; c += 4) grad_tile(T, e + c, drs, cout, 1, T, T, wt + c, ws);
      for (; c + 4 <= cout; c += 4) grad_tile(T, e + c, drs, cout, 1, nr, nc, wt + c, ws);
      for (; c < cout; c++) grad_tile(T, e + c, drs, cout, 0, nr, nc, wt + c, ws);
    }
    // M[k] (cin × cout) += V[k]ᵀ · W[k]: V[k]'s columns (ci) are adjacent, tiles cin apart.
    for (int k = 0; k < P; k++)
      for (int i = 0; i < cin; i += 4) {
        const int mr = cin - i < 4 ? cin - i : 4;
        gemm_panel(mr, cout, tc, V + k * vs + i, cin, W + k * ws, cout, M + k * ms + i * cout, cout, 1);
      }
  }
}

// The exports, F(2×2) and F(4×4): arguments as winograd_filter_transform's, winograd_forward's
// and winograd_filter_grad's.
EXPORT(winograd_filter)
void winograd_filter(const float* w, float* U, int cin, int cout, int co0, int co1) {
  winograd_filter_transform(2, w, U, cin, cout, co0, co1);
}

EXPORT(winograd4_filter)
void winograd4_filter(const float* w, float* U, int cin, int cout, int co0, int co1) {
  winograd_filter_transform(4, w, U, cin, cout, co0, co1);
}

EXPORT(conv2d_winograd)
void conv2d_winograd(const Geom* g, const float* x, const float* U, float* y, int t0, int t1, float* scratch, int chunk, const float* bias, const float* res, int relu) {
  winograd_forward(2, g, x, U, y, t0, t1, scratch, chunk, bias, res, relu);
}

EXPORT(conv2d_winograd4)
void conv2d_winograd4(const Geom* g, const float* x, const float* U, float* y, int t0, int t1, float* scratch, int chunk, const float* bias, const float* res, int relu) {
  winograd_forward(4, g, x, U, y, t0, t1, scratch, chunk, bias, res, relu);
}

EXPORT(conv2d_winograd_filter_grad)
void conv2d_winograd_filter_grad(const Geom* g, const float* x, const float* dy, float* M, int t0, int t1, float* scratch, int chunk) {
  winograd_filter_grad(2, g, x, dy, M, t0, t1, scratch, chunk);
}

EXPORT(conv2d_winograd4_filter_grad)
void conv2d_winograd4_filter_grad(const Geom* g, const float* x, const float* dy, float* M, int t0, int t1, float* scratch, int chunk) {
  winograd_filter_grad(4, g, x, dy, M, t0, t1, scratch, chunk);
}
