// Every network of the paper, written once as data (Table 1 and section 4.2), and the
// parser that turns a model name such as "resnet56" or "plain34" into a spec.

export type BlockType = 'basic' | 'bottleneck';
/** A: zero-padded identity; B: projection where dimensions change; C: projection everywhere. */
export type ShortcutOption = 'A' | 'B' | 'C';
export type Family = 'imagenet' | 'cifar' | 'custom';
/** ImageNet stem: 7×7/2 conv then 3×3/2 max pool. CIFAR stem: one 3×3 conv. */
export type StemKind = 'imagenet' | 'cifar';

export interface StageSpec {
  /** Number of blocks in the stage. */
  blocks: number;
  /** Filters of the 3×3 convolutions (a bottleneck's output is 4× this). */
  width: number;
  /** Stride of the stage's first block. */
  stride: number;
}

export interface NetworkSpec {
  /** Canonical model name, e.g. "resnet34", "plain20", "resnet-cifar-n7". */
  name: string;
  /** Display title, e.g. "ResNet-34 (option B)". */
  title: string;
  family: Family;
  blockType: BlockType;
  /** false for the plain twin: the same stack without shortcuts. */
  residual: boolean;
  shortcut: ShortcutOption;
  stem: StemKind;
  stemWidth: number;
  inputSize: number;
  inputChannels: number;
  classes: number;
  stages: StageSpec[];
  /** Weighted layers: convolutions of the main path plus the fc layer. */
  depth: number;
}

export const BOTTLENECK_EXPANSION = 4;

/** Blocks per stage of the ImageNet nets (Table 1). */
const IMAGENET_STAGE_BLOCKS: Readonly<Record<number, { blockType: BlockType; blocks: number[] }>> = {
  18: { blockType: 'basic', blocks: [2, 2, 2, 2] },
  34: { blockType: 'basic', blocks: [3, 4, 6, 3] },
  50: { blockType: 'bottleneck', blocks: [3, 4, 6, 3] },
  101: { blockType: 'bottleneck', blocks: [3, 4, 23, 3] },
  152: { blockType: 'bottleneck', blocks: [3, 8, 36, 3] },
};
const IMAGENET_WIDTHS = [64, 128, 256, 512];

/** The CIFAR-10 depths of the paper (section 4.2): 6n+2. */
const CIFAR_DEPTHS = [20, 32, 44, 56, 110, 1202];
const CIFAR_WIDTHS = [16, 32, 64];

export interface CustomSpecOptions {
  blocks: number[];
  baseWidth: number;
  blockType: BlockType;
  stem: StemKind;
  inputSize: number;
  inputChannels?: number;
  classes: number;
  residual?: boolean;
  shortcut?: ShortcutOption;
}

/** A bad model name or option: the message says what is valid. */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

function depthOf(blockType: BlockType, blocks: number[]): number {
  const perBlock = blockType === 'basic' ? 2 : 3;
  return blocks.reduce((sum, b) => sum + b * perBlock, 0) + 2;
}

function titleOf(residual: boolean, depth: number, shortcut: ShortcutOption, family: Family): string {
  if (!residual) return `plain-${depth}`;
  const defaultOption = family === 'cifar' ? 'A' : 'B';
  const base = `ResNet-${depth}`;
  return shortcut === defaultOption ? base : `${base} (option ${shortcut})`;
}

export function imagenetSpec(depth: number, residual = true, shortcut: ShortcutOption = 'B'): NetworkSpec {
  const entry = IMAGENET_STAGE_BLOCKS[depth];
  if (!entry) {
    throw new SpecError(`No ImageNet ResNet of depth ${depth}; valid depths: ${Object.keys(IMAGENET_STAGE_BLOCKS).join(', ')}.`);
  }
  return {
    name: `${residual ? 'resnet' : 'plain'}${depth}`,
    title: titleOf(residual, depth, shortcut, 'imagenet'),
    family: 'imagenet',
    blockType: entry.blockType,
    residual,
    shortcut,
    stem: 'imagenet',
    stemWidth: 64,
    inputSize: 224,
    inputChannels: 3,
    classes: 1000,
    stages: entry.blocks.map((blocks, i) => ({ blocks, width: IMAGENET_WIDTHS[i], stride: i === 0 ? 1 : 2 })),
    depth,
  };
}

/** CIFAR-10 net with n blocks per stage: 6n+2 layers. */
export function cifarSpec(n: number, residual = true, shortcut: ShortcutOption = 'A'): NetworkSpec {
  if (!Number.isInteger(n) || n < 1) throw new SpecError(`CIFAR nets need n ≥ 1 blocks per stage (depth 6n+2); got n = ${n}.`);
  const depth = 6 * n + 2;
  const paperDepth = CIFAR_DEPTHS.includes(depth);
  return {
    name: paperDepth ? `${residual ? 'resnet' : 'plain'}${depth}` : `${residual ? 'resnet' : 'plain'}-cifar-n${n}`,
    title: titleOf(residual, depth, shortcut, 'cifar'),
    family: 'cifar',
    blockType: 'basic',
    residual,
    shortcut,
    stem: 'cifar',
    stemWidth: 16,
    inputSize: 32,
    inputChannels: 3,
    classes: 10,
    stages: CIFAR_WIDTHS.map((width, i) => ({ blocks: n, width, stride: i === 0 ? 1 : 2 })),
    depth,
  };
}

export function customSpec(options: CustomSpecOptions): NetworkSpec {
  const { blocks, baseWidth, blockType, stem, inputSize, classes } = options;
  const residual = options.residual ?? true;
  const shortcut = options.shortcut ?? (stem === 'cifar' ? 'A' : 'B');
  const inputChannels = options.inputChannels ?? 3;
  const positiveInt = (v: number) => Number.isInteger(v) && v >= 1;
  if (blocks.length === 0 || !blocks.every(positiveInt)) {
    throw new SpecError(`Blocks per stage must be one or more whole numbers ≥ 1 (e.g. 3,4,6,3); got ${blocks.join(',') || 'nothing'}.`);
  }
  if (blocks.length > 6) throw new SpecError(`At most 6 stages; got ${blocks.length}.`);
  if (!positiveInt(baseWidth) || baseWidth > 1024) throw new SpecError(`Base width must be a whole number from 1 to 1024; got ${baseWidth}.`);
  if (!positiveInt(classes) || classes < 2) throw new SpecError(`Classes must be a whole number ≥ 2; got ${classes}.`);
  if (!positiveInt(inputChannels)) throw new SpecError(`Input channels must be a whole number ≥ 1; got ${inputChannels}.`);
  const downsampling = (stem === 'imagenet' ? 4 : 1) * 2 ** (blocks.length - 1);
  if (!positiveInt(inputSize) || inputSize < downsampling || inputSize > 1024) {
    throw new SpecError(
      `Input size must be a whole number from ${downsampling} to 1024 for a ${stem} stem with ${blocks.length} stages (it is halved ${Math.log2(downsampling)} times); got ${inputSize}.`,
    );
  }
  const depth = depthOf(blockType, blocks);
  const kind = residual ? 'resnet' : 'plain';
  return {
    name: `${kind}-custom-${blockType}-${stem}-${blocks.join('x')}-w${baseWidth}-in${inputSize}-c${classes}${residual ? `-${shortcut}` : ''}`,
    title: `${residual ? 'ResNet' : 'plain'}-${depth} custom (${blocks.join('-')}, width ${baseWidth}${residual ? `, option ${shortcut}` : ''})`,
    family: 'custom',
    blockType,
    residual,
    shortcut,
    stem,
    stemWidth: baseWidth,
    inputSize,
    inputChannels,
    classes,
    stages: blocks.map((b, i) => ({ blocks: b, width: baseWidth * 2 ** i, stride: i === 0 ? 1 : 2 })),
    depth,
  };
}

/** The same spec with other shortcut settings (the plain twin, or another option). */
export function withShortcut(spec: NetworkSpec, residual: boolean, shortcut: ShortcutOption = spec.shortcut): NetworkSpec {
  if (spec.family === 'imagenet') return imagenetSpec(spec.depth, residual, shortcut);
  if (spec.family === 'cifar') return cifarSpec(spec.stages[0].blocks, residual, shortcut);
  const { stages, stemWidth, blockType, stem, inputSize, inputChannels, classes } = spec;
  return customSpec({ blocks: stages.map((s) => s.blocks), baseWidth: stemWidth, blockType, stem, inputSize, inputChannels, classes, residual, shortcut });
}

/** The plain twin of a residual net (same stack, no shortcuts). */
export function plainTwin(spec: NetworkSpec): NetworkSpec {
  return withShortcut(spec, false);
}

export interface ModelEntry {
  name: string;
  title: string;
  family: Family;
  description: string;
}

/** The named models of the paper, residual and plain, in the order they are listed. */
export function listModels(): ModelEntry[] {
  const entries: ModelEntry[] = [];
  for (const residual of [true, false]) {
    for (const depth of Object.keys(IMAGENET_STAGE_BLOCKS).map(Number)) {
      const spec = imagenetSpec(depth, residual);
      const blocks = spec.stages.map((s) => s.blocks).join('-');
      entries.push({ name: spec.name, title: spec.title, family: 'imagenet', description: `ImageNet 224×224, ${spec.blockType} blocks [${blocks}]${residual ? ', option B' : ', no shortcuts'}` });
    }
    for (const depth of CIFAR_DEPTHS) {
      const spec = cifarSpec((depth - 2) / 6, residual);
      entries.push({ name: spec.name, title: spec.title, family: 'cifar', description: `CIFAR-10 32×32, n = ${(depth - 2) / 6}${residual ? ', option A' : ', no shortcuts'}` });
    }
  }
  return entries;
}

const MODEL_NAME_HELP =
  'Valid models: resnet18, resnet34, resnet50, resnet101, resnet152, resnet20, resnet32, resnet44, resnet56, resnet110, resnet1202, ' +
  'the plain twins plain18 … plain152 and plain20 … plain1202, and resnet-cifar-nN / plain-cifar-nN for any n ≥ 1 (depth 6n+2).';

export function parseShortcut(value: string): ShortcutOption {
  const upper = value.trim().toUpperCase();
  if (upper === 'A' || upper === 'B' || upper === 'C') return upper;
  throw new SpecError(`Unknown shortcut option "${value}"; valid options: A (zero-padded identity), B (projection where dimensions change), C (projection everywhere).`);
}

export interface ModelOptions {
  /** Force the plain twin. */
  plain?: boolean;
  /** Override the family's default shortcut option. */
  shortcut?: ShortcutOption;
}

/** Turns a model name into its spec; throws SpecError listing what is valid. */
export function specFromName(rawName: string, options: ModelOptions = {}): NetworkSpec {
  const name = rawName.trim().toLowerCase();
  const named = /^(resnet|plain)-?(\d+)$/.exec(name);
  const cifarN = /^(resnet|plain)-cifar-n(\d+)$/.exec(name);
  let kind: string;
  let spec: NetworkSpec;
  if (named) {
    kind = named[1];
    const depth = Number(named[2]);
    if (IMAGENET_STAGE_BLOCKS[depth]) spec = imagenetSpec(depth);
    else if (CIFAR_DEPTHS.includes(depth)) spec = cifarSpec((depth - 2) / 6);
    else if ((depth - 2) % 6 === 0 && depth >= 8) spec = cifarSpec((depth - 2) / 6);
    else throw new SpecError(`Unknown model "${rawName}". ${MODEL_NAME_HELP}`);
  } else if (cifarN) {
    kind = cifarN[1];
    const n = Number(cifarN[2]);
    if (n < 1) throw new SpecError(`Unknown model "${rawName}": n must be ≥ 1. ${MODEL_NAME_HELP}`);
    spec = cifarSpec(n);
  } else {
    throw new SpecError(`Unknown model "${rawName}". ${MODEL_NAME_HELP}`);
  }
  const residual = kind === 'resnet' && !options.plain;
  return withShortcut(spec, residual, options.shortcut ?? spec.shortcut);
}

/** A serializable way to name any model: what the panel saves to revive itself. */
export type ModelRequest =
  | { kind: 'named'; name: string; plain?: boolean; shortcut?: ShortcutOption }
  | { kind: 'custom'; options: CustomSpecOptions };

export function specFromRequest(request: ModelRequest): NetworkSpec {
  return request.kind === 'named' ? specFromName(request.name, { plain: request.plain, shortcut: request.shortcut }) : customSpec(request.options);
}

/** The request that rebuilds a spec (its inverse of specFromRequest). */
export function requestFromSpec(spec: NetworkSpec): ModelRequest {
  if (spec.family === 'custom') {
    const { stages, stemWidth, blockType, stem, inputSize, inputChannels, classes, residual, shortcut } = spec;
    return { kind: 'custom', options: { blocks: stages.map((s) => s.blocks), baseWidth: stemWidth, blockType, stem, inputSize, inputChannels, classes, residual, shortcut } };
  }
  const name = spec.family === 'imagenet' ? `resnet${spec.depth}` : `resnet-cifar-n${spec.stages[0].blocks}`;
  return { kind: 'named', name, plain: !spec.residual, shortcut: spec.shortcut };
}
