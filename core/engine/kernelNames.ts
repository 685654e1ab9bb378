// Names of ResNet Lab's own TF.js kernels, apart from their implementations (core/engine/
// wasmKernels.ts) so that model code can test for them without loading the wasm machinery.

/**
 * BatchNorm in training mode: inputs {x, gamma, beta} (x NHWC), attrs {epsilon, relu}; outputs
 * [y, mean, variance] (the biased batch variance); with relu, y = max(0, BatchNorm(x)).
 */
export const BATCH_NORM_TRAIN = 'ResNetLabBatchNormTrain';
/** Its gradient: inputs {dy, x, gamma, mean, variance, y (with relu)}, attrs {epsilon, relu}; outputs [dx, dgamma, dbeta]. */
export const BATCH_NORM_GRAD = 'ResNetLabBatchNormGrad';
/**
 * One SGD step of a variable as torch.optim.SGD: inputs {w, g, buf}, attrs {learningRate,
 * momentum, weightDecay}; outputs [w − lr·buf′, buf′] with buf′ = μ·buf + g + λ·w.
 */
export const SGD_MOMENTUM = 'ResNetLabSgdMomentum';
/** SGD_MOMENTUM's attrs (a type, not an interface: TF.js takes it as its attribute map). */
export type SgdMomentumAttrs = {
  learningRate: number;
  momentum: number;
  weightDecay: number;
};
/**
 * Inference: a convolution and the BatchNorm after it (moving statistics) as one convolution:
 * inputs {x, filter, gamma, beta, mean, variance}, attrs {strides, pad, epsilon, relu}; output
 * max(0, ·) of it when relu. The filter is scaled by γ/√(σ² + ε) per output channel and
 * β − μ·γ/√(σ² + ε) added.
 */
export const CONV_BATCH_NORM = 'ResNetLabConvBatchNorm';
