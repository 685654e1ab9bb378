// A study: a set of runs (depths × {residual, plain} × seeds) with one budget, written as
// `.resnet-lab/studies/NAME.json` in the workspace. Its shape is declared once here (zod); a bad
// file is refused with a message naming the file, the field and what it should be.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { BACKEND_SETTINGS } from '../engine/backend';
import { writeFileAtomic } from '../training/runFolder';

export const STUDIES_FOLDER = path.join('.resnet-lab', 'studies');

/** A study file that cannot be read or used; the message names the file and the problem. */
export class StudyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StudyError';
  }
}

const depth = z
  .number()
  .int()
  .refine((d) => d >= 8 && (d - 2) % 6 === 0, { message: 'a CIFAR-10 depth is 6n+2 with n ≥ 1 (20, 32, 44, 56, 110, …)' });

export const studySchema = z
  .object({
    version: z.literal(1),
    /** The study's name: its file name and the prefix of its runs' ids. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and "-" (at most 40), e.g. "table6"'),
    /** What it reproduces, shown in the report's title. */
    title: z.string().min(1),
    depths: z.array(depth).min(1).refine((d) => new Set(d).size === d.length, 'each depth once'),
    /** Which nets per depth: the residual net, its plain twin, or both (trained side by side in one run). */
    nets: z.array(z.enum(['residual', 'plain'])).min(1).refine((d) => new Set(d).size === d.length, 'each of "residual", "plain" once'),
    seeds: z.array(z.number().int().min(0).max(2 ** 31 - 1)).min(1).refine((d) => new Set(d).size === d.length, 'each seed once'),
    data: z
      .object({
        kind: z.enum(['cifar10', 'synthetic']),
        /** Training images (a class-balanced subset of the 45k split; the paper: 45,000). */
        trainSize: z.number().int().min(10).max(50_000),
        /** Test images (the paper: all 10,000). */
        testSize: z.number().int().min(10).max(10_000),
        /** A folder holding CIFAR-10's binary files; when absent, the CLI's --data/--cache or the extension's CIFAR-10 setting. */
        folder: z.string().optional(),
      })
      .strict(),
    budget: z
      .object({
        iterations: z.number().int().min(1).optional(),
        epochs: z.number().int().min(1).optional(),
        batch: z.number().int().min(1).max(1024),
      })
      .strict()
      .refine((b) => (b.iterations === undefined) !== (b.epochs === undefined), 'give "iterations" or "epochs", exactly one'),
    /** The engine (as resnetLab.training.backend / --backend). */
    engine: z.enum(BACKEND_SETTINGS as unknown as [string, ...string[]]),
    /**
     * Runs trained at once. 1 on a CPU: a run's nets already share every core (TF.js wasm on 2
     * cores trains one run at a time). On a GPU (PyTorch, CUDA) 2–4 CIFAR runs fill it better than one.
     */
    parallel: z.number().int().min(1).max(16).default(1),
  })
  .strict();

export type Study = z.infer<typeof studySchema>;
export type StudyInput = z.input<typeof studySchema>;

/** The paper's CIFAR-10 budget: 64k iterations of batch 128 on the 45k split, tested on all 10k. */
export const PAPER_BUDGET = { iterations: 64_000, batch: 128, trainSize: 45_000, testSize: 10_000 } as const;

export interface StudyPreset {
  id: string;
  label: string;
  detail: string;
  study: Omit<Study, 'name' | 'data' | 'budget' | 'engine' | 'parallel'>;
}

export const STUDY_PRESETS: readonly StudyPreset[] = [
  {
    id: 'table6',
    label: 'Table 6 (CIFAR-10, ResNet-20 to -110, 5 seeds)',
    detail: 'Test error of ResNet-20/32/44/56/110 as mean ± std over 5 seeds, beside the paper (8.75 / 7.51 / 7.17 / 6.97 / 6.43%).',
    study: { version: 1, title: "Table 6: CIFAR-10 test error of ResNet-20 to ResNet-110", depths: [20, 32, 44, 56, 110], nets: ['residual'], seeds: [1, 2, 3, 4, 5] },
  },
  {
    id: 'fig6',
    label: 'Fig. 6 (plain and residual 20/32/44/56, 1 seed)',
    detail: 'Each depth as a ResNet and its plain twin side by side: the plain nets get worse with depth, the ResNets better.',
    study: { version: 1, title: 'Fig. 6: plain and residual nets of 20, 32, 44 and 56 layers on CIFAR-10', depths: [20, 32, 44, 56], nets: ['residual', 'plain'], seeds: [1] },
  },
  {
    id: 'fig1',
    label: 'Fig. 1 (plain-20 vs plain-56)',
    detail: 'The degradation problem: the 56-layer plain net has higher training and test error than the 20-layer one.',
    study: { version: 1, title: 'Fig. 1: plain-20 vs plain-56 on CIFAR-10', depths: [20, 56], nets: ['plain'], seeds: [1] },
  },
];

export interface StudyOverrides {
  name?: string;
  iterations?: number;
  epochs?: number;
  batch?: number;
  trainSize?: number;
  testSize?: number;
  seeds?: number;
  engine?: string;
  data?: 'cifar10' | 'synthetic';
}

/** A preset as a study, at the paper's budget unless overridden; checked like a file. */
export function studyFromPreset(presetId: string, overrides: StudyOverrides = {}): Study {
  const preset = STUDY_PRESETS.find((p) => p.id === presetId);
  if (!preset) throw new StudyError(`No study preset "${presetId}"; the presets are ${STUDY_PRESETS.map((p) => `${p.id} (${p.label})`).join(', ')}.`);
  const seeds = overrides.seeds !== undefined ? Array.from({ length: overrides.seeds }, (_, i) => i + 1) : preset.study.seeds;
  const budget = overrides.epochs !== undefined ? { epochs: overrides.epochs, batch: overrides.batch ?? PAPER_BUDGET.batch } : { iterations: overrides.iterations ?? PAPER_BUDGET.iterations, batch: overrides.batch ?? PAPER_BUDGET.batch };
  return checkStudy(
    {
      ...preset.study,
      name: overrides.name ?? preset.id,
      seeds,
      data: { kind: overrides.data ?? 'cifar10', trainSize: overrides.trainSize ?? PAPER_BUDGET.trainSize, testSize: overrides.testSize ?? PAPER_BUDGET.testSize },
      budget,
      engine: overrides.engine ?? 'auto',
      parallel: 1,
    },
    `preset ${preset.id}`,
  );
}

/** Checks a parsed study; `where` names its source in messages. */
export function checkStudy(value: unknown, where: string): Study {
  const parsed = studySchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(the study)'}: ${issue.message}`);
    throw new StudyError(`${where} is not a valid study: ${problems.join('; ')}.`);
  }
  return parsed.data;
}

export function readStudy(file: string): Study {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new StudyError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StudyError(`${file}: not valid JSON (${(error as Error).message}).`);
  }
  const study = checkStudy(value, file);
  const expected = path.basename(file, '.json');
  if (path.basename(file).endsWith('.json') && expected !== study.name) throw new StudyError(`${file}: its "name" is "${study.name}" but the file is named ${expected}.json; they must agree (the name prefixes its runs' ids).`);
  return study;
}

/** Where a study of the workspace lives: <workspace>/.resnet-lab/studies/NAME.json. */
export function studyFileOf(workspace: string, name: string): string {
  return path.join(workspace, STUDIES_FOLDER, `${name}.json`);
}

/** Writes a new study file; refuses to overwrite one (a study's runs are named after it). */
export function writeNewStudy(file: string, study: Study): void {
  if (fs.existsSync(file)) throw new StudyError(`${file} already exists; pick another name (its runs are named after it).`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(study, null, 2) + '\n');
}

/** The workspace a study file belongs to: the folder above .resnet-lab/studies/, else the file's folder. */
export function workspaceOfStudy(file: string): string {
  const dir = path.dirname(path.resolve(file));
  return path.basename(dir) === 'studies' && path.basename(path.dirname(dir)) === '.resnet-lab' ? path.dirname(path.dirname(dir)) : dir;
}
