// A stand-in for VS Code hosting the training-curves page: serves dist/training.{js,css} on
// 127.0.0.1, builds the page with webviewHtml (so the real CSP applies), records what the page
// posts through acquireVsCodeApi, and delivers the extension's messages as window messages.
// The runs and metric points here are the host's TEST INPUT, generated from a simple formula:
// they are not product numbers and not results of any training.
import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import type { Browser } from 'playwright-core';
import type { MetricPoint, RunConfig, RunStatus } from '../../core/training/types';
import type { FromTrainingPage, RunView, ToTrainingPage, TrainingPanelState } from '../../protocol/training';
import { Host, launchBrowser, startPageServer, WebviewPage } from './host';

export type TrainingHost = Host;

export function startTrainingHost(): Promise<TrainingHost> {
  return startPageServer('training', 'ResNet Lab: training');
}

// Runs in the page after the VS Code API shim: measures the gaps between animation frames.
const FRAME_PROBE = `(() => {
  let frames = [];
  let probing = false;
  window.__startFrameProbe = () => {
    frames = [];
    probing = true;
    let last = performance.now();
    const tick = (now) => { if (!probing) return; frames.push(now - last); last = now; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  };
  window.__stopFrameProbe = () => { probing = false; return frames; };
})();`;

declare global {
  interface Window {
    __startFrameProbe(): void;
    __stopFrameProbe(): number[];
  }
}

export interface FrameStats {
  frames: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  over50Ms: number;
}

export function frameStats(deltas: number[]): FrameStats {
  const sorted = [...deltas].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { frames: sorted.length, medianMs: at(0.5), p95Ms: at(0.95), maxMs: sorted[sorted.length - 1] ?? 0, over50Ms: sorted.filter((d) => d > 50).length };
}

/** One training page under test. */
export class TrainingPage extends WebviewPage<ToTrainingPage, FromTrainingPage, TrainingPanelState> {
  /** `state`: what VS Code hands back to getState when it shows a hidden tab again, or after a reload. */
  static open(browser: Browser, host: TrainingHost, viewport = { width: 1100, height: 1000 }, state?: TrainingPanelState): Promise<TrainingPage> {
    const saved = state === undefined ? '' : `window.__webviewHost.state = ${JSON.stringify(state)};`;
    return WebviewPage.load(browser, host, (page) => new TrainingPage(page, true), { viewport, initScript: FRAME_PROBE + saved });
  }

  /** Sends the runs and waits until the page has drawn the main run's last step. */
  async showRuns(runs: RunView[]): Promise<void> {
    await this.send({ type: 'showRuns', runs });
    const main = runs[0];
    const step = Math.max(0, ...main.metrics.map((p) => p.step));
    await this.page.waitForFunction(
      ({ id, step }) => document.querySelector('.run-header')?.getAttribute('data-run') === id && (step === 0 || document.getElementById('app')?.dataset.lastStep === String(step)),
      { id: main.config.id, step },
    );
  }

  redraws(): Promise<number> {
    return this.page.evaluate(() => Number(document.getElementById('app')?.dataset.redraws ?? 0));
  }

  /**
   * Does `action` (a click, a drag) and waits for the redraw it asks for: the page redraws in
   * the next animation frame, which Chromium may run after the action's promise resolves.
   */
  async redrawnAfter(action: () => Promise<unknown>): Promise<void> {
    // A redraw that earlier input asked for runs first (callbacks of a frame run in the order
    // they were asked for), so the one awaited below is the action's.
    await this.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
    const before = await this.redraws();
    await action();
    await this.page.waitForFunction((n) => Number(document.getElementById('app')?.dataset.redraws ?? 0) > n, before);
  }
}

export interface TrainingPages {
  /** A new training page (TrainingPage.open) for the running test. */
  open(viewport?: { width: number; height: number }, state?: TrainingPanelState): Promise<TrainingPage>;
}

/**
 * The hooks of a suite of training-page tests: one page server and browser per suite; after each
 * test, every page it opened and left open is checked for console errors, page errors, failed
 * requests and CSP violations, and closed.
 */
export function eachTrainingPage(): TrainingPages {
  let host: TrainingHost | undefined;
  let browser: Browser | undefined;
  let opened: TrainingPage[] = [];
  before(async () => {
    host = await startTrainingHost();
    browser = await launchBrowser();
  });
  afterEach(async () => {
    const pages = opened.filter((session) => !session.page.isClosed());
    opened = [];
    let problem: unknown;
    for (const session of pages) await session.closeChecked().catch((error: unknown) => (problem ??= error));
    if (problem) throw problem;
  });
  after(async () => {
    await browser?.close();
    await host?.close();
  });
  return {
    async open(viewport, state) {
      const session = await TrainingPage.open(browser!, host!, viewport, state);
      opened.push(session);
      return session;
    },
  };
}

// ---- reading the charts as drawn -------------------------------------------------------

export interface Curve {
  key: string;
  split: string;
  lastStep: number;
  lastX: number;
  drawnPoints: number;
  strokeWidth: number;
  dashed: boolean;
  overlay: boolean;
}

/** The curves of one chart as drawn: where each path ends and how it is stroked. */
export function curves(session: TrainingPage, chart: 'error' | 'loss'): Promise<Curve[]> {
  return session.page.evaluate((chart) => {
    return [...document.querySelectorAll<SVGPathElement>(`path.series-line[data-chart="${chart}"]`)].map((path) => {
      const numbers = (path.getAttribute('d') ?? '').match(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g) ?? [];
      const style = getComputedStyle(path);
      return {
        key: path.dataset.key ?? '',
        split: path.dataset.split ?? '',
        lastStep: Number(path.dataset.lastStep),
        lastX: Number(numbers[numbers.length - 2]),
        drawnPoints: Number(path.dataset.drawnPoints),
        strokeWidth: parseFloat(style.strokeWidth),
        dashed: style.strokeDasharray !== 'none',
        overlay: path.classList.contains('overlay'),
      };
    });
  }, chart);
}

/** Step ↔ pixel of a chart's x axis, read from its tick marks (each carries its value). */
export async function xAxis(session: TrainingPage, svgClass: string): Promise<{ toStep(x: number): number; toX(step: number): number; stepsPerPixel: number }> {
  const ticks = await session.page.evaluate((svgClass) => {
    // d3's axis shifts its ticks half a pixel on screens of device pixel ratio 1 (crisp lines).
    const offset = window.devicePixelRatio > 1 ? 0 : 0.5;
    return [...document.querySelectorAll<SVGGElement>(`svg.${svgClass} .x-axis .tick`)].map((tick) => ({
      value: Number(tick.dataset.value),
      x: Number(/translate\(([-\d.e]+)/.exec(tick.getAttribute('transform') ?? '')?.[1]) - offset,
    }));
  }, svgClass);
  assert.ok(ticks.length >= 2, `the ${svgClass} x axis has tick marks`);
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  const stepsPerPixel = (b.value - a.value) / (b.x - a.x);
  return { toStep: (x) => a.value + (x - a.x) * stepsPerPixel, toX: (step) => a.x + (step - a.value) / stepsPerPixel, stepsPerPixel };
}

/** Moves the mouse over a chart at an iteration and returns the read-out's step and rows. */
export async function hoverAt(session: TrainingPage, svgClass: string, step: number): Promise<{ step: number; stepsPerPixel: number; rows: Array<{ key: string; label: string; value: string }> }> {
  const axis = await xAxis(session, svgClass);
  const box = (await session.page.locator(`svg.${svgClass}`).boundingBox())!;
  await session.page.mouse.move(box.x + axis.toX(step), box.y + box.height / 2);
  const readout = session.page.locator(`svg.${svgClass}`).locator('xpath=..').locator(':scope > .readout');
  await readout.waitFor({ state: 'visible' });
  const shown = await readout.evaluate((node) => ({
    step: Number(node.getAttribute('data-step')),
    rows: [...node.querySelectorAll<HTMLElement>('.readout-row')].map((row) => ({
      key: row.dataset.key ?? '',
      label: row.querySelector('.readout-label')?.textContent ?? '',
      value: row.querySelector('.readout-value')?.textContent ?? '',
    })),
  }));
  return { ...shown, stepsPerPixel: axis.stepsPerPixel };
}

/** Value ↔ pixel of a chart's y axis, read from its tick marks (linear, or log when the ticks are spaced so). */
export async function yAxis(session: TrainingPage, svgClass: string, log = false): Promise<{ toValue(y: number): number; toY(value: number): number; labels: Array<{ value: number; text: string }> }> {
  const ticks = await session.page.evaluate((svgClass) => {
    const offset = window.devicePixelRatio > 1 ? 0 : 0.5;
    return [...document.querySelectorAll<SVGGElement>(`svg.${svgClass} .y-axis .tick`)].map((tick) => ({
      value: Number(tick.dataset.value),
      y: Number(/translate\(0,([-\d.e]+)/.exec(tick.getAttribute('transform') ?? '')?.[1]) - offset,
      text: tick.querySelector('text')?.textContent ?? '',
    }));
  }, svgClass);
  assert.ok(ticks.length >= 2, `the ${svgClass} y axis has tick marks`);
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  const f = log ? Math.log10 : (v: number) => v;
  const perPixel = (f(b.value) - f(a.value)) / (b.y - a.y);
  const fromF = log ? (v: number) => 10 ** v : (v: number) => v;
  return { toValue: (y) => fromF(f(a.value) + (y - a.y) * perPixel), toY: (value) => a.y + (f(value) - f(a.value)) / perPixel, labels: ticks.map(({ value, text }) => ({ value, text })) };
}

// ---- test input: a run and its curves, from a formula ------------------------------------

export interface TestRunOptions {
  id: string;
  iterations?: number;
  titles?: [string, string];
  status?: RunStatus;
  backend?: string;
  logEvery?: number;
  evalEvery?: number;
}

/** The named net a title stands for ("plain-56" → plain56), for titles of the paper's CIFAR nets. */
function requestFor(title: string): RunConfig['nets'][number]['request'] | undefined {
  const match = /^(ResNet|plain)-(\d+)$/.exec(title);
  return match ? { kind: 'named', name: `${match[1].toLowerCase()}${match[2]}` } : undefined;
}

export function testConfig({ id, iterations = 64_000, titles = ['ResNet-20', 'plain-20'], logEvery = 20, evalEvery = 400 }: TestRunOptions): RunConfig {
  const milestones = [
    { step: 0, lr: 0.1 },
    { step: Math.round(iterations / 2), lr: 0.01 },
    { step: Math.round(iterations * 0.75), lr: 0.001 },
  ];
  return {
    version: 1,
    id,
    createdAt: '2025-01-01T00:00:00.000Z',
    nets: [
      { slot: 'a', request: requestFor(titles[0]) ?? { kind: 'named', name: 'resnet20' }, title: titles[0] },
      { slot: 'b', request: requestFor(titles[1]) ?? { kind: 'named', name: 'resnet20', plain: true }, title: titles[1] },
    ],
    data: { kind: 'cifar10', location: '/data/cifar-10-batches-bin', trainSize: 45_000, testSize: 10_000, description: 'CIFAR-10 (45,000 train / 10,000 test)' },
    iterations,
    batchSize: 128,
    seed: 1,
    backend: 'auto',
    schedule: { baseLr: 0.1, milestones, text: `lr 0.1, ÷10 at ${milestones[1].step.toLocaleString('en-US')} and ${milestones[2].step.toLocaleString('en-US')} of ${iterations.toLocaleString('en-US')} iterations` },
    weightDecay: 0.0001,
    momentum: 0.9,
    logEvery,
    evalEvery,
    checkpointEvery: 2_000,
  };
}

/** Test input: where each net's made-up training error levels off (deeper plain nets higher, as in Fig. 6). */
const TEST_FLOORS: Record<string, number> = { 'ResNet-20': 0.03, 'plain-20': 0.05, 'ResNet-56': 0.01, 'plain-56': 0.1 };

/** Test input: a decaying error with drops at the milestones, test above train. */
export function testError(config: RunConfig, slot: 'a' | 'b', split: 'train' | 'test', step: number): number {
  const t = step / config.iterations;
  const title = config.nets.find((net) => net.slot === slot)?.title ?? '';
  const floor = TEST_FLOORS[title] ?? 0.05;
  let error = floor + (0.85 - floor) * Math.exp(-t * 9) + 0.06 * (t < 0.5 ? 1 : 0) + 0.02 * (t < 0.75 ? 1 : 0);
  if (split === 'train') error += 0.012 * Math.sin(step * 0.37); // the noise of mini-batch estimates
  else error += slot === 'a' ? 0.06 : 0.04;
  return Math.min(0.95, Math.max(0, error));
}

/** The rate of iteration `step` (0-based) under the run's schedule. */
export function testLr(config: RunConfig, step: number): number {
  let lr = config.schedule.baseLr;
  for (const m of config.schedule.milestones) if (step >= m.step) lr = m.lr;
  return lr;
}

/** Test input: the points a trainer would log for logged steps in (from, to]. */
export function testPoints(config: RunConfig, from: number, to: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  const logEvery = config.logEvery;
  const first = Math.floor(from / logEvery) * logEvery + logEvery;
  for (let step = first; step <= to; step += logEvery) {
    for (const split of ['train', 'test'] as const) {
      if (split === 'test' && step % config.evalEvery !== 0) continue;
      for (const net of config.nets) {
        const error = testError(config, net.slot, split, step);
        points.push({
          slot: net.slot,
          step,
          epoch: Math.floor((step * config.batchSize) / config.data.trainSize),
          split,
          loss: 2.3 * error + 0.05,
          error,
          // The rate of the iteration that ended at this step, as the trainers log it (core/training/netTrainer.ts).
          lr: testLr(config, step - 1),
          ...(split === 'train' ? { imagesPerSec: net.slot === 'a' ? 850 : 900 } : {}),
          time: 1_735_689_600_000 + step * 150,
        });
      }
    }
  }
  return points;
}

export function testRun(options: TestRunOptions, metricsUpTo: number): RunView {
  const config = testConfig(options);
  return {
    config,
    status: options.status ?? 'running',
    backend: options.backend ?? 'wasm (WebAssembly, SIMD)',
    statusDetail: '',
    metrics: testPoints(config, 0, metricsUpTo),
  };
}
