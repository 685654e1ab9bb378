// Which block of each net stands beside the current one when the nets' depths differ
// (plain-20 beside plain-56). The current position is an index into the deepest net's blocks
// (the first deepest net on a tie). Another net shows the block at the same relative depth
// within the same stage: for the deepest net's block at position p (0-based) of n blocks in
// stage s, a net with m blocks in its stage s shows that stage's block floor((p + 0.5)·m/n).
// A net without stage s falls back to relative depth over the whole net. Equal depths and
// stages give the identity. Pure, shared by the inspector page and the extension.

/** What alignment needs of a block: its stage (e.g. "conv2"). */
export interface StagedBlock {
  stageId: string;
}

/** The index of the deepest net (the first of them on a tie). */
export function deepestNet(nets: readonly (readonly StagedBlock[])[]): number {
  let deepest = 0;
  nets.forEach((blocks, i) => {
    if (blocks.length > nets[deepest].length) deepest = i;
  });
  return deepest;
}

/** The blocks of the deepest of these nets (each given as its inspection): the ones the current position indexes. */
export function deepestBlocks<B extends StagedBlock>(nets: readonly { blocks: readonly B[] }[]): readonly B[] {
  return nets[deepestNet(nets.map((n) => n.blocks))]?.blocks ?? [];
}

/** The indices of a net's blocks in each of its stages, in block order. */
function stagePositions(blocks: readonly StagedBlock[]): Map<string, number[]> {
  const stages = new Map<string, number[]>();
  blocks.forEach((block, i) => {
    const indices = stages.get(block.stageId);
    if (indices) indices.push(i);
    else stages.set(block.stageId, [i]);
  });
  return stages;
}

/** floor((p + 0.5)·m/n), kept inside 0…m−1. */
function scaled(p: number, n: number, m: number): number {
  return Math.max(0, Math.min(m - 1, Math.floor(((p + 0.5) * m) / n)));
}

/**
 * The block of `other` aligned with block `index` of `deepest` (both as block lists), or −1
 * when `other` has no blocks.
 */
export function alignedIndex(deepest: readonly StagedBlock[], index: number, other: readonly StagedBlock[]): number {
  if (other.length === 0 || deepest.length === 0) return -1;
  const at = Math.max(0, Math.min(deepest.length - 1, index));
  const stageId = deepest[at].stageId;
  const own = stagePositions(deepest).get(stageId)!;
  const theirs = stagePositions(other).get(stageId);
  if (!theirs) return scaled(at, deepest.length, other.length);
  return theirs[scaled(own.indexOf(at), own.length, theirs.length)];
}

/** For each net, its block aligned with block `index` of the deepest net (−1 for a net with no blocks). */
export function alignedIndices(nets: readonly (readonly StagedBlock[])[], index: number): number[] {
  const deepest = nets[deepestNet(nets)];
  return nets.map((blocks) => (blocks === deepest ? index : alignedIndex(deepest, index, blocks)));
}

/**
 * The deepest net's block to go to for block `index` of `other`: the first one aligned with
 * it; when none is (a stage where `other` has more blocks), the first whose aligned block is
 * nearest to it. Candidates are the deepest net's blocks of the same stage when it has that
 * stage, else all its blocks.
 */
export function deepestIndexFor(deepest: readonly StagedBlock[], other: readonly StagedBlock[], index: number): number {
  if (deepest.length === 0 || other.length === 0) return 0;
  const target = Math.max(0, Math.min(other.length - 1, index));
  const sameStage = stagePositions(deepest).get(other[target].stageId);
  const candidates = sameStage ?? deepest.map((_, p) => p);
  let best = candidates[0];
  let bestDistance = Infinity;
  for (const p of candidates) {
    const distance = Math.abs(alignedIndex(deepest, p, other) - target);
    if (distance === 0) return p;
    if (distance < bestDistance) {
      best = p;
      bestDistance = distance;
    }
  }
  return best;
}
