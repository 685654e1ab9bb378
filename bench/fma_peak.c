// The peak float32 multiply-add rate of one core at each vector width: 128 bits (WebAssembly
// SIMD's only width), 256 (AVX2) and 512 (AVX-512, which PyTorch's oneDNN uses where it can).
// 12 independent chains of fused multiply-adds, so latency never stalls them; best of 5 runs.
// Build and run on an x86 machine with AVX-512 (the README's "What bounds training"):
//   gcc -O2 -mavx512f -mfma bench/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define ITERATIONS 20000000L

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// Prints the GFLOP/s (2 per lane of each multiply-add) of LANES-wide vectors of type T.
#define PEAK(T, SET1, FMA, ADD, STORE, LANES)                                                   \
  {                                                                                             \
    T a[12];                                                                                    \
    for (int i = 0; i < 12; i++) a[i] = SET1(1.0f + 0.1f * i);                                   \
    const T m = SET1(0.999999f), c = SET1(1e-7f);                                               \
    double best = 1e9;                                                                          \
    for (int run = 0; run < 5; run++) {                                                         \
      const double t0 = now();                                                                  \
      for (long i = 0; i < ITERATIONS; i++) {                                                   \
        a[0] = FMA(a[0], m, c); a[1] = FMA(a[1], m, c); a[2] = FMA(a[2], m, c);                 \
        a[3] = FMA(a[3], m, c); a[4] = FMA(a[4], m, c); a[5] = FMA(a[5], m, c);                 \
        a[6] = FMA(a[6], m, c); a[7] = FMA(a[7], m, c); a[8] = FMA(a[8], m, c);                 \
        a[9] = FMA(a[9], m, c); a[10] = FMA(a[10], m, c); a[11] = FMA(a[11], m, c);             \
      }                                                                                         \
      const double t = now() - t0;                                                              \
      if (t < best) best = t;                                                                   \
    }                                                                                           \
    T sum = a[0];                                                                               \
    for (int i = 1; i < 12; i++) sum = ADD(sum, a[i]);                                          \
    float out[16];                                                                              \
    STORE(out, sum); /* used, so the chains are not optimised away */                           \
    printf("%3d-bit: %6.1f GFLOP/s (%2d lanes; sum %.3f)\n", 32 * LANES,                        \
           2.0 * LANES * 12 * ITERATIONS / best / 1e9, LANES, out[0]);                          \
  }

int main(void) {
  printf("Peak multiply-add rate of one core, float32:\n");
  PEAK(__m128, _mm_set1_ps, _mm_fmadd_ps, _mm_add_ps, _mm_storeu_ps, 4)
  PEAK(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
  PEAK(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16)
  return 0;
}
