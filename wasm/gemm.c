// Matrix products on 4-row panels, for the convolutions of im2col.c and winograd_conv.c:
// C[M×N] = (accumulate ? C : 0) + A[M×K]·B[K×N], B row-major (leading dimension ldb). Rows come
// in groups of 4: the caller pads A so that reading up to 3 rows past M stays in bounds (those
// rows are not stored). 4×8 register tiles of f32x4 (8 accumulators), then 4-wide and scalar
// column tails.
#include "kernels.h"

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

// Rows 0..3 of A at a0..a3, element k of row r at ar[k·sk]: rows [0, mr) of C = A·B.
ALWAYS_INLINE void gemm_tile(int mr, int N, int K, const float* a0, const float* a1, const float* a2, const float* a3, int sk, const float* B, int ldb, float* c, int ldc, int accumulate) {
  int j = 0;
  for (; j + 8 <= N; j += 8) {
    f4 s00 = splat(0), s01 = splat(0), s10 = splat(0), s11 = splat(0);
    f4 s20 = splat(0), s21 = splat(0), s30 = splat(0), s31 = splat(0);
    const float* b = B + j;
    for (int k = 0, o = 0; k < K; k++, b += ldb, o += sk) {
      f4 b0 = ld(b), b1 = ld(b + 4);
      f4 v = ldsplat(a0 + o);
      s00 = madd(s00, v, b0); s01 = madd(s01, v, b1);
      v = ldsplat(a1 + o);
      s10 = madd(s10, v, b0); s11 = madd(s11, v, b1);
      v = ldsplat(a2 + o);
      s20 = madd(s20, v, b0); s21 = madd(s21, v, b1);
      v = ldsplat(a3 + o);
      s30 = madd(s30, v, b0); s31 = madd(s31, v, b1);
    }
    store_rows(c + j, ldc, mr, s00, s10, s20, s30, accumulate);
    store_rows(c + j + 4, ldc, mr, s01, s11, s21, s31, accumulate);
  }
  for (; j + 4 <= N; j += 4) {
    f4 s0 = splat(0), s1 = splat(0), s2 = splat(0), s3 = splat(0);
    const float* b = B + j;
    for (int k = 0, o = 0; k < K; k++, b += ldb, o += sk) {
      f4 b0 = ld(b);
      s0 = madd(s0, ldsplat(a0 + o), b0);
      s1 = madd(s1, ldsplat(a1 + o), b0);
      s2 = madd(s2, ldsplat(a2 + o), b0);
      s3 = madd(s3, ldsplat(a3 + o), b0);
    }
    store_rows(c + j, ldc, mr, s0, s1, s2, s3, accumulate);
  }
  for (; j < N; j++) {
    for (int r = 0; r < mr; r++) {
      const float* a = r == 0 ? a0 : r == 1 ? a1 : r == 2 ? a2 : a3;
      float s = 0;
      for (int k = 0; k < K; k++) s += a[k * sk] * B[k * ldb + j];
      c[r * ldc + j] = accumulate ? c[r * ldc + j] + s : s;
    }
  }
}

// A given as A(r, k) = a[r + k·ska]: its rows are adjacent (a packed panel has ska = 4, the
// transposed im2col matrix of the filter gradient has ska = K).
static void gemm_panel(int mr, int N, int K, const float* a, int ska, const float* B, int ldb, float* c, int ldc, int accumulate) {
  gemm_tile(mr, N, K, a, a + 1, a + 2, a + 3, ska, B, ldb, c, ldc, accumulate);
}

// C rows [0, mc) = A·B with A row-major (leading dimension lda), read in place without packing
// (the Winograd products, the 1×1 convolutions, the input gradient's dy rows). A last group of
// fewer than 4 rows reads its first row again in place of the missing ones (not stored).
static void gemm_rows(int mc, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc) {
  for (int i = 0; i < mc; i += 4) {
    const int mr = mc - i < 4 ? mc - i : 4;
    const float* a = A + i * lda;
    gemm_tile(mr, N, K, a, mr > 1 ? a + lda : a, mr > 2 ? a + 2 * lda : a, mr > 3 ? a + 3 * lda : a, 1, B, ldb, C + i * ldc, ldc, 0);
  }
}

// C rows [0, mc) = A·B with A packed in panels of 4 rows, [mc/4][K][4] (im2col.c: im2col_panel).
static void gemm_packed(int mc, int N, int K, const float* panel, const float* B, int ldb, float* C, int ldc, int accumulate) {
  for (int i = 0; i < mc; i += 4) {
    int mr = mc - i < 4 ? mc - i : 4;
    gemm_panel(mr, N, K, panel + i * K, 4, B, ldb, C + i * ldc, ldc, accumulate);
  }
}
