// Choosing a model: the quick pick of the paper's nets (and a custom net), or the argument a
// command was given. Everything about a model comes from core; this is only the asking.
import * as vscode from 'vscode';
import {
  BlockType,
  customSpec,
  CustomSpecOptions,
  listModels,
  ModelEntry,
  ModelRequest,
  ShortcutOption,
  SpecError,
  specFromName,
  specFromRequest,
  StemKind,
} from '../../core/spec';

/** Turns a command argument into a request, checking it with core; throws SpecError naming the problem. */
export function requestFromArgument(argument: unknown): ModelRequest {
  let request: ModelRequest;
  if (typeof argument === 'string') {
    request = { kind: 'named', name: argument };
  } else if (isModelRequest(argument)) {
    request = argument;
  } else {
    throw new SpecError(
      `resnetLab.showArchitecture expects a model name such as "resnet56" or a ModelRequest ({ kind: "named", name } or { kind: "custom", options }); got ${describe(argument)}.`,
    );
  }
  specFromRequest(request); // Throws a SpecError listing what is valid.
  return request;
}

function isModelRequest(value: unknown): value is ModelRequest {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { kind?: unknown; name?: unknown; options?: unknown };
  if (candidate.kind === 'named') return typeof candidate.name === 'string';
  if (candidate.kind !== 'custom' || typeof candidate.options !== 'object' || candidate.options === null) return false;
  const options = candidate.options as Partial<Record<keyof CustomSpecOptions, unknown>>;
  return (
    Array.isArray(options.blocks) &&
    options.blocks.every((b) => typeof b === 'number') &&
    typeof options.baseWidth === 'number' &&
    (options.blockType === 'basic' || options.blockType === 'bottleneck') &&
    (options.stem === 'imagenet' || options.stem === 'cifar') &&
    typeof options.inputSize === 'number' &&
    typeof options.classes === 'number'
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// ---- the quick pick ------------------------------------------------------------------

interface ModelItem extends vscode.QuickPickItem {
  entry?: ModelEntry;
  custom?: true;
}

const SHORTCUT_DESCRIPTIONS: Record<ShortcutOption, string> = {
  A: 'zero-padded identity shortcuts, no extra parameters',
  B: 'projection shortcuts where dimensions change, identity elsewhere',
  C: 'projection shortcuts everywhere',
};

const FAMILY_DEFAULT_NOTE: Record<string, string> = {
  imagenet: "the paper's default for ImageNet",
  cifar: "the paper's default for CIFAR-10",
  custom: 'the default for this stem',
};

function modelItems(): ModelItem[] {
  const entries = listModels().map((entry) => ({ entry, residual: specFromName(entry.name).residual }));
  // The quick pick sorts what a filter matches by its label: a label ending in what was typed
  // comes first, then alphabetically ("plain-56" before "ResNet-56"). A plain twin's label does not
  // end in its depth, so that typing a depth (e.g. "1202", Enter) gives the ResNet.
  const group = (label: string, chosen: typeof entries): ModelItem[] => [
    { label, kind: vscode.QuickPickItemKind.Separator },
    ...chosen.map(({ entry, residual }) => ({ label: residual ? entry.title : `${entry.title} (no shortcuts)`, description: entry.name, detail: entry.description, entry })),
  ];
  return [
    ...group('ImageNet (Table 1)', entries.filter((e) => e.residual && e.entry.family === 'imagenet')),
    ...group('CIFAR-10 (section 4.2)', entries.filter((e) => e.residual && e.entry.family === 'cifar')),
    ...group('Plain twins (no shortcuts)', entries.filter((e) => !e.residual)),
    { label: 'Custom', kind: vscode.QuickPickItemKind.Separator },
    { label: 'Custom…', detail: 'Blocks per stage, base width, block type, stem, input size and classes of your own', custom: true },
  ];
}

/** Asks for a model; undefined when the user cancels at any step. */
export async function pickModel(title = 'ResNet Lab: Show Architecture'): Promise<ModelRequest | undefined> {
  const picked = await vscode.window.showQuickPick(modelItems(), {
    title,
    placeHolder: 'Pick a network of the paper, or Custom…',
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  if (picked.custom) return pickCustomModel();
  if (!picked.entry) return undefined;
  const spec = specFromName(picked.entry.name);
  if (!spec.residual) return { kind: 'named', name: picked.entry.name };
  const shortcut = await pickShortcut(spec.shortcut, spec.family, spec.title);
  return shortcut ? { kind: 'named', name: picked.entry.name, shortcut } : undefined;
}

interface ShortcutItem extends vscode.QuickPickItem {
  option: ShortcutOption;
}

async function pickShortcut(defaultOption: ShortcutOption, family: string, modelTitle: string): Promise<ShortcutOption | undefined> {
  const items: ShortcutItem[] = (['A', 'B', 'C'] as const).map((option) => ({
    label: `Option ${option}`,
    description: option === defaultOption ? FAMILY_DEFAULT_NOTE[family] : undefined,
    detail: SHORTCUT_DESCRIPTIONS[option],
    option,
  }));
  const quickPick = vscode.window.createQuickPick<ShortcutItem>();
  quickPick.title = `${modelTitle}: shortcut option`;
  quickPick.placeholder = `Shortcut connections (section 3.3); Enter keeps option ${defaultOption}`;
  quickPick.items = items;
  quickPick.ignoreFocusOut = true;
  quickPick.activeItems = items.filter((item) => item.option === defaultOption);
  try {
    return await new Promise<ShortcutOption | undefined>((resolve) => {
      quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]?.option ?? quickPick.activeItems[0]?.option));
      quickPick.onDidHide(() => resolve(undefined));
      quickPick.show();
    });
  } finally {
    quickPick.dispose();
  }
}

// ---- the custom net, one question at a time, each checked by core ----------------------

/** Values that are valid for every other field, so that each check names only its own field. */
const PROVISIONAL: CustomSpecOptions = { blocks: [2, 2], baseWidth: 16, blockType: 'basic', stem: 'cifar', inputSize: 1024, classes: 10 };

/** The SpecError core raises for these options, or undefined when they are valid. */
function customProblem(options: CustomSpecOptions): string | undefined {
  try {
    customSpec(options);
    return undefined;
  } catch (error) {
    if (error instanceof SpecError) return error.message;
    throw error;
  }
}

function parseBlocks(text: string): number[] | string {
  const parts = text.split(/[\s,x×]+/).filter((part) => part.length > 0);
  const bad = parts.find((part) => !/^\d+$/.test(part));
  if (bad !== undefined) return `Blocks per stage must be whole numbers separated by commas (e.g. 3,4,6,3); "${bad}" is not one.`;
  return parts.map(Number);
}

function parseWholeNumber(text: string, what: string): number | string {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return `${what} must be a whole number; got "${trimmed}".`;
  return Number(trimmed);
}

async function askNumber(prompt: string, value: string, what: string, check: (n: number) => string | undefined): Promise<number | undefined> {
  const answer = await vscode.window.showInputBox({
    title: 'ResNet Lab: custom network',
    prompt,
    value,
    ignoreFocusOut: true,
    validateInput: (text) => {
      const parsed = parseWholeNumber(text, what);
      return typeof parsed === 'string' ? parsed : check(parsed);
    },
  });
  return answer === undefined ? undefined : Number(answer.trim());
}

async function pickOne<T extends string>(title: string, choices: { value: T; label: string; detail: string }[]): Promise<T | undefined> {
  const picked = await vscode.window.showQuickPick(choices, { title: `ResNet Lab: custom network: ${title}`, ignoreFocusOut: true });
  return picked?.value;
}

async function pickCustomModel(): Promise<ModelRequest | undefined> {
  const blocksText = await vscode.window.showInputBox({
    title: 'ResNet Lab: custom network',
    prompt: 'Blocks per stage, e.g. 3,4,6,3 (ResNet-34) or 9,9,9 (ResNet-56)',
    value: '3,4,6,3',
    ignoreFocusOut: true,
    validateInput: (text) => {
      const blocks = parseBlocks(text);
      return typeof blocks === 'string' ? blocks : customProblem({ ...PROVISIONAL, blocks });
    },
  });
  if (blocksText === undefined) return undefined;
  const blocks = parseBlocks(blocksText) as number[];

  const baseWidth = await askNumber('Base width: filters of the first stage (doubled at each stage)', '64', 'Base width', (n) =>
    customProblem({ ...PROVISIONAL, blocks, baseWidth: n }),
  );
  if (baseWidth === undefined) return undefined;

  const blockType = await pickOne<BlockType>('block type', [
    { value: 'basic', label: 'Basic', detail: 'two 3×3 convolutions (ResNet-18/34, the CIFAR nets)' },
    { value: 'bottleneck', label: 'Bottleneck', detail: '1×1, 3×3, 1×1 convolutions, output 4× the width (ResNet-50/101/152)' },
  ]);
  if (!blockType) return undefined;

  const stem = await pickOne<StemKind>('stem', [
    { value: 'imagenet', label: 'ImageNet stem', detail: '7×7/2 convolution, then 3×3/2 max pool' },
    { value: 'cifar', label: 'CIFAR stem', detail: 'one 3×3 convolution' },
  ]);
  if (!stem) return undefined;

  const inputSize = await askNumber('Input size in pixels (square images)', stem === 'imagenet' ? '224' : '32', 'Input size', (n) =>
    customProblem({ ...PROVISIONAL, blocks, baseWidth, blockType, stem, inputSize: n }),
  );
  if (inputSize === undefined) return undefined;

  const classes = await askNumber('Number of classes', stem === 'imagenet' ? '1000' : '10', 'Classes', (n) =>
    customProblem({ blocks, baseWidth, blockType, stem, inputSize, classes: n }),
  );
  if (classes === undefined) return undefined;

  const options: CustomSpecOptions = { blocks, baseWidth, blockType, stem, inputSize, classes };
  const spec = customSpec(options);
  const shortcut = await pickShortcut(spec.shortcut, 'custom', spec.title);
  return shortcut ? { kind: 'custom', options: { ...options, shortcut } } : undefined;
}
