// Gradients of the kernels on the model's backward path. tfjs-core's own gradient configs ship
// only as ES modules (dist/register_all_gradients.js), absent from its CommonJS build that Node
// loads, so without these "gradient function not found for Add" stops every training step.
// Each is registered only where none is, so a full @tensorflow/tfjs (e.g. under tfjs-node) wins.
import * as tf from '@tensorflow/tfjs-core';
import { broadcast_util, getGradient, GradConfig, NamedAttrMap, registerGradient, Tensor } from '@tensorflow/tfjs-core';

type NamedGradientMap = ReturnType<GradConfig['gradFunc']>;

/** Sums a broadcast gradient back to the input's shape. */
function reduceTo(dy: Tensor, shape: number[]): Tensor {
  const axes = broadcast_util.getReductionAxes(shape, dy.shape);
  const reduced = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(reduced, shape);
}

const binary = (name: string, grads: (dy: Tensor, a: Tensor, b: Tensor) => [Tensor, Tensor]): GradConfig => ({
  kernelName: name,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved): NamedGradientMap => {
    const [a, b] = saved;
    return { a: () => reduceTo(grads(dy as Tensor, a, b)[0], a.shape), b: () => reduceTo(grads(dy as Tensor, a, b)[1], b.shape) };
  },
});

const poolAttrs = (attrs: NamedAttrMap) => ({ filterSize: attrs.filterSize, strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode });

const matMulGrad = (dy: Tensor, a: Tensor, b: Tensor, ta: boolean, tb: boolean): { a: Tensor; b: Tensor } => {
  if (!ta && !tb) return { a: tf.matMul(dy, b, false, true), b: tf.matMul(a, dy, true, false) };
  if (!ta && tb) return { a: tf.matMul(dy, b, false, false), b: tf.matMul(dy, a, true, false) };
  if (ta && !tb) return { a: tf.matMul(b, dy, false, true), b: tf.matMul(a, dy, false, false) };
  return { a: tf.matMul(b, dy, true, true), b: tf.matMul(dy, a, true, true) };
};

const TRAINING_GRADIENTS: readonly GradConfig[] = [
  binary('Add', (dy) => [dy, dy]),
  binary('Sub', (dy) => [dy, tf.neg(dy)]),
  binary('Multiply', (dy, a, b) => [tf.mul(dy, b), tf.mul(dy, a)]),
  binary('RealDiv', (dy, a, b) => [tf.div(dy, b), tf.neg(tf.div(tf.mul(dy, a), tf.square(b)))]),
  {
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as Tensor, tf.step(x)) }),
  },
  {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, [x, filter], attrs) => {
      const dilations = attrs.dilations as number | [number, number] | undefined;
      if (dilations !== undefined && !(dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1)))) {
        throw new Error('Gradients of dilated convolutions are not supported.');
      }
      const common = { strides: attrs.strides, pad: attrs.pad, dataFormat: attrs.dataFormat, dimRoundingMode: attrs.dimRoundingMode };
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: dy as Tensor, filter }, { ...common, inputShape: x.shape }) as Tensor,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dy as Tensor }, { ...common, filterShape: filter.shape }) as Tensor,
      };
    },
  },
  {
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => tf.engine().runKernel('AvgPoolGrad', { dy: dy as Tensor, input: x }, poolAttrs(attrs)) as Tensor }),
  },
  {
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs) => ({ x: () => tf.engine().runKernel('MaxPoolGrad', { dy: dy as Tensor, input: x, output: y }, poolAttrs(attrs)) as Tensor }),
  },
  {
    kernelName: 'PadV2',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const begin = (attrs.paddings as Array<[number, number]>).map((p) => p[0]);
      return { x: () => tf.slice(dy as Tensor, begin, x.shape) };
    },
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const count = axes.reduce((n, i) => n * x.shape[i], 1);
      return { x: () => tf.div(tf.mul(tf.reshape(dy as Tensor, kept), tf.onesLike(x)), count) };
    },
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return { x: () => tf.mul(tf.reshape(dy as Tensor, kept), tf.onesLike(x)) };
    },
  },
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs) => {
      const grads = () => matMulGrad(dy as Tensor, a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB));
      return { a: () => grads().a, b: () => grads().b };
    },
  },
  // tf.avgPool casts its result to the input's dtype: float32 to float32 here.
  { kernelName: 'Cast', gradFunc: (dy) => ({ x: () => tf.clone(dy as Tensor) }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.clone(dy as Tensor) }) },
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as Tensor, x.shape) }),
  },
];

/** Registers each gradient that no other package has registered. */
export function registerTrainingGradients(): void {
  for (const config of TRAINING_GRADIENTS) {
    if (!getGradient(config.kernelName)) registerGradient(config);
  }
}
