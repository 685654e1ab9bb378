// The optimizer's update of one variable: SGD with momentum and weight decay, as PyTorch's
// torch.optim.SGD (and the TF.js ops of core/engine/train.ts) compute it, rounding after each
// multiply and add (no fused multiply-add), so every engine takes the same step.
#include "kernels.h"

#pragma clang fp contract(off)

// With h = [lr, momentum, weight decay]: g' = g + w·decay, b' = b·momentum + g', w' = w − b'·lr,
// for the n values of w, g and b; written to w_out and b_out.
EXPORT(sgd_momentum)
void sgd_momentum(const float* w, const float* g, const float* b, float* w_out, float* b_out, int n, const float* h) {
  const float lr = h[0], mu = h[1], wd = h[2];
  const f4 vlr = splat(lr), vmu = splat(mu), vwd = splat(wd);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const f4 wi = ld(w + i);
    const f4 gi = wd == 0 ? ld(g + i) : wasm_f32x4_add(ld(g + i), wasm_f32x4_mul(wi, vwd));
    const f4 bi = wasm_f32x4_add(wasm_f32x4_mul(ld(b + i), vmu), gi);
    st(b_out + i, bi);
    st(w_out + i, wasm_f32x4_sub(wi, wasm_f32x4_mul(bi, vlr)));
  }
  for (; i < n; i++) {
    const float gi = wd == 0 ? g[i] : g[i] + w[i] * wd;
    const float bi = b[i] * mu + gi;
    b_out[i] = bi;
    w_out[i] = w[i] - bi * lr;
  }
}
