// What the lesion study of a run yields, as plain data (after Veit, Wilber and Belongie,
// "Residual Networks Behave Like Ensembles of Relatively Shallow Networks", NeurIPS 2016):
// per net, the test error with each single block deleted, with k random blocks deleted, and
// with adjacent blocks swapped. Declared once, as schemas, for core, the CLI's --json and a
// page that checks what it is sent.
import { z } from 'zod';

/** What the paper found, in one sentence (shown beside the figures). */
export const LESION_FINDING =
  'Veit, Wilber and Belongie (NeurIPS 2016) found that deleting a single block barely hurts a residual net (its shortcut still carries the signal past the gap), while in a VGG-style plain net it is catastrophic (the error jumps towards chance).';

/** A test error in [0, 1]. */
const error = z.number();

/** The net with one block deleted: for a residual block y = ReLU(shortcut(x)); a plain block removed outright. */
const blockDeletion = z.object({
  blockId: z.string(),
  stageId: z.string(),
  /** The test error without this block; null where it cannot be deleted. */
  error: error.nullable(),
  /** Why it cannot be deleted (a plain block that changes the shape); null when it can. */
  reason: z.string().nullable(),
});
export type BlockDeletion = z.infer<typeof blockDeletion>;

/** k blocks deleted at random (among those that can be), D draws. */
const randomDeletions = z.object({
  k: z.number(),
  /** Mean and sample standard deviation of the error over the draws (std 0 for one draw). */
  mean: error,
  std: z.number(),
  /** Each draw's error, in draw order. */
  errors: z.array(error),
});
export type RandomDeletions = z.infer<typeof randomDeletions>;

/** Two adjacent blocks run in the other order. */
const adjacentSwap = z.object({
  blocks: z.tuple([z.string(), z.string()]),
  /** The test error with the two swapped; null where they cannot trade places. */
  error: error.nullable(),
  /** Why not (a block that changes the shape, or a layer between them); null when they can. */
  reason: z.string().nullable(),
});
export type AdjacentSwap = z.infer<typeof adjacentSwap>;

/** The lesion study of one net at one checkpoint. */
const netLesionStudy = z.object({
  slot: z.enum(['a', 'b']),
  title: z.string(),
  residual: z.boolean(),
  /** The checkpoint's step (null for weights outside a run). */
  step: z.number().nullable(),
  /** Where the weights came from, readable: "run …, checkpoint at step 400". */
  weightsSource: z.string(),
  /** The test error of the intact net on the same images. */
  baselineError: error,
  /** One entry per block, in the net's order. */
  blocks: z.array(blockDeletion),
  random: z.object({
    draws: z.number(),
    /** The blocks the draws pick from: every block of a residual net, the removable ones of a plain net. */
    candidates: z.array(z.string()),
    /** k = 0, 1, …: k = 0 is the intact net. */
    points: z.array(randomDeletions),
  }),
  /** One entry per adjacent pair of blocks, in the net's order. */
  swaps: z.array(adjacentSwap),
});
export type NetLesionStudy = z.infer<typeof netLesionStudy>;

export const lesionStudySchema = z.object({
  /** The run's id. */
  run: z.string(),
  images: z.object({
    /** How many test images every error is measured on: the first `used` of the run's test set. */
    used: z.number(),
    requested: z.number(),
    /** The test set's size. */
    available: z.number(),
    /** The run's data, as its trainer says it. */
    description: z.string(),
  }),
  finding: z.string(),
  /** Residual net first, then its plain twin (or only the slot asked for). */
  nets: z.array(netLesionStudy),
});
export type LesionStudy = z.infer<typeof lesionStudySchema>;

// Gradient flow at a checkpoint (core/analysis/gradientFlow.ts): per block the norm of the
// loss gradient at the block's input, per conv layer the norm of its kernel's gradient.

const blockGradient = z.object({
  blockId: z.string(),
  stageId: z.string(),
  /** ‖∂L/∂x‖ over the whole batch tensor x (the block's input), averaged over the batches. */
  inputGradNorm: z.number(),
});
export type BlockGradient = z.infer<typeof blockGradient>;

const convGradient = z.object({
  convId: z.string(),
  /** null for the stem's conv. */
  blockId: z.string().nullable(),
  stageId: z.string(),
  /** ‖∂L/∂W‖ of the conv's kernel, averaged over the batches. */
  kernelGradNorm: z.number(),
});
export type ConvGradient = z.infer<typeof convGradient>;

/** One net's gradient flow at one checkpoint: which net and weights, as for the lesion study, then the figures. */
const netGradientFlow = netLesionStudy.pick({ slot: true, title: true, residual: true, step: true, weightsSource: true }).extend({
  /** The mean cross-entropy over the batches. */
  loss: z.number(),
  /** One entry per block, in the net's order. */
  blocks: z.array(blockGradient),
  /** One entry per conv layer (stem, branches, projection shortcuts), in the net's order. */
  convs: z.array(convGradient),
});
export type NetGradientFlow = z.infer<typeof netGradientFlow>;

export const gradientFlowSchema = z.object({
  run: z.string(),
  /** The training batches every net's norms are averaged over (the same for every net). */
  batches: z.object({ count: z.number(), size: z.number(), description: z.string() }),
  /** Residual net first, then its plain twin (or only the slot asked for). */
  nets: z.array(netGradientFlow),
});
export type GradientFlow = z.infer<typeof gradientFlowSchema>;
