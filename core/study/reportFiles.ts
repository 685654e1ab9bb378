// The report on disk: Fig. 7's data from each run's final checkpoints (through the block
// probe, core/inspect, run by the caller: in-process for the CLI, the inspector's worker
// thread in VS Code), then the Markdown and its SVG figures beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NetInspection } from '../inspect/types';
import { RunFolder, writeFileAtomic } from '../training/runFolder';
import { Fig7Net, fig6Svg, fig7Svg } from './figures';
import { mean, relativeFigure, reportMarkdown, StudyReport } from './report';

/** Every net of a run through the block probe at its latest checkpoint (RunInspector.inspect, or the inspector worker's). */
export type InspectRun = (runFolder: string) => Promise<Array<Pick<NetInspection, 'title' | 'residual' | 'step' | 'responses' | 'responseImages'>>>;

/** Fig. 7 per net (mean over its runs of each layer's response std), from the runs that have a checkpoint of every net. */
export async function fig7Data(report: StudyReport, inspect: InspectRun): Promise<Fig7Net[]> {
  const folders = [...new Set(report.nets.map((n) => n.folder))].filter((folder) => {
    const run = RunFolder.open(folder);
    return run.readConfig().nets.every((n) => run.latestCheckpoint(n.slot) !== null);
  });
  const byTitle = new Map<string, { residual: boolean; depth: number; stds: number[][]; steps: number[]; images: number }>();
  const depthOf = new Map(report.nets.map((n) => [n.title, n.depth]));
  for (const folder of folders) {
    for (const net of await inspect(folder)) {
      // The 3×3 convs of the stem and the branches: projection shortcuts (options B, C) are not in the paper's figure.
      const stds = net.responses.filter((r) => r.role !== 'shortcut').map((r) => r.std);
      const entry = byTitle.get(net.title) ?? { residual: net.residual, depth: depthOf.get(net.title) ?? stds.length + 1, stds: [], steps: [], images: net.responseImages };
      entry.stds.push(stds);
      if (net.step !== null) entry.steps.push(net.step);
      byTitle.set(net.title, entry);
    }
  }
  return [...byTitle.entries()].map(([title, e]) => {
    const low = Math.min(...e.steps);
    const high = Math.max(...e.steps);
    return {
      title,
      residual: e.residual,
      depth: e.depth,
      stds: e.stds[0].map((_, i) => mean(e.stds.map((s) => s[i]))),
      runs: e.stds.length,
      images: e.images,
      steps: low === high ? low.toLocaleString('en-US') : `${low.toLocaleString('en-US')} to ${high.toLocaleString('en-US')}`,
    };
  });
}

export interface WrittenReport {
  markdown: string;
  figures: string[];
}

/** Writes FILE.md and, beside it, FILE-fig6.svg and FILE-fig7.svg; fig7 is the data, or why it is missing. */
export function writeReportFiles(report: StudyReport, markdownFile: string, fig7: Fig7Net[] | string): WrittenReport {
  fs.mkdirSync(path.dirname(markdownFile), { recursive: true });
  const base = markdownFile.replace(/\.md$/i, '');
  const written: string[] = [];
  let fig6: string | undefined;
  if (report.nets.some((n) => n.train.length || n.test.length)) {
    fig6 = `${base}-fig6.svg`;
    writeFileAtomic(fig6, fig6Svg(report.nets));
    written.push(fig6);
  }
  let fig7File: string | undefined;
  let fig7Problem: string | undefined;
  if (typeof fig7 === 'string') fig7Problem = fig7;
  else if (fig7.length === 0) fig7Problem = 'No run has a checkpoint of each of its nets yet, so there is no Fig. 7.';
  else {
    fig7File = `${base}-fig7.svg`;
    writeFileAtomic(fig7File, fig7Svg(fig7));
    written.push(fig7File);
  }
  const fig7Means = typeof fig7 === 'string' ? undefined : [...fig7].sort((a, b) => Number(b.residual) - Number(a.residual) || a.depth - b.depth).map((n) => ({ title: n.title, mean: mean(n.stds), runs: n.runs, steps: n.steps, images: n.images }));
  const markdown = reportMarkdown(report, {
    fig6: fig6 && relativeFigure(markdownFile, fig6),
    fig7: fig7File && relativeFigure(markdownFile, fig7File),
    fig7Problem,
    fig7Means,
  });
  writeFileAtomic(markdownFile, markdown);
  return { markdown, figures: written };
}
