// The block inspector's costs, printed (not asserted):
//  1. the latency of one inspection step (one image through the net, every block's x / F(x) /
//     shortcut / y read back and quantised, Fig. 7 over 16 images, top-5), median of 5, for
//     ResNet-56 and ResNet-110 and their plain twins;
//  2. the training slowdown while the inspector refreshes live: a real training run (worker
//     thread, as the extension runs it) alone, then the same run with the live inspector
//     checking every few seconds and re-inspecting in the inspector's own worker thread when a
//     newer checkpoint has landed (as the extension's live view does); ratio of images/s.
// Usage: node out/bench/inspectSpeed.js [model=resnet20] [iterations=40] [refreshSeconds=3] [backend=wasm]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeBackend, parseBackendSetting, selectBackend, tfjsSettingFor, TfjsSetting } from '../core/engine/backend';
import { InspectorClient } from '../core/inspect/client';
import { liveRefreshDelay } from '../core/inspect/live';
import { DEFAULT_FIGURE_IMAGES } from '../core/inspect/runInspector';
import { freshProbe, normalisedImage, responseImages, syntheticInspectionData } from '../core/inspect/sources';
import { plainTwin, specFromName } from '../core/spec';
import { planRun } from '../core/training/plan';
import { TrainingSession } from '../core/training/session';
import type { MetricPoint } from '../core/training/types';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function inspectionLatency(modelName: string): void {
  const data = syntheticInspectionData(1, 500, 100);
  const figure = responseImages(data, DEFAULT_FIGURE_IMAGES);
  for (const spec of [specFromName(modelName), plainTwin(specFromName(modelName))]) {
    const probe = freshProbe(spec, 1);
    try {
      const request = (i: number) => ({ image: normalisedImage(data, i), responseImages: figure, classNames: data.images.classNames });
      probe.inspect(request(0)); // warm-up
      const times: number[] = [];
      const alone: number[] = [];
      let bytes = 0;
      for (let i = 1; i <= 5; i++) {
        const t0 = performance.now();
        const inspection = probe.inspect(request(i));
        times.push(performance.now() - t0);
        bytes = JSON.stringify(inspection).length;
        const t1 = performance.now();
        probe.inspect({ ...request(i), responseImages: undefined });
        alone.push(performance.now() - t1);
      }
      console.log(`  ${spec.title.padEnd(12)} ${median(times).toFixed(0).padStart(5)} ms per step with Fig. 7 over ${figure.count} images; ${median(alone).toFixed(0).padStart(5)} ms for the image alone; ${(bytes / 1e6).toFixed(2)} MB of JSON to the page`);
    } finally {
      probe.dispose();
    }
  }
}

interface TrainingSpeed {
  imagesPerSec: number;
  wallImagesPerSec: number;
  refreshes: number;
  refreshMs: number[];
}

async function trainingSpeed(modelName: string, iterations: number, backend: TfjsSetting, refreshSeconds: number | null): Promise<TrainingSpeed> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-bench-inspect-'));
  const batchSize = 32;
  const config = planRun({ nets: [{ kind: 'named', name: modelName }], data: { kind: 'synthetic', trainSize: batchSize * 10, testSize: 50 }, iterations, batchSize, seed: 3, backend });
  const session = await TrainingSession.start(config, root);
  const refreshMs: number[] = [];
  // The live view as the extension runs it: the inspector's worker thread, asked every few
  // seconds for the latest checkpoint steps, re-inspecting when a newer one has landed.
  const client = refreshSeconds === null ? null : new InspectorClient();
  let stopped = false;
  let inspected = '';
  const loop = client === null ? Promise.resolve() : (async () => {
    let opened = false;
    let delay = refreshSeconds! * 1000;
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = refreshSeconds! * 1000;
      if (stopped) break;
      if (session.run.latestCheckpoint('a') === null) continue;
      if (!opened) {
        await client.open({ kind: 'run', runFolder: session.run.folder }, backend);
        opened = true;
      }
      const steps = JSON.stringify((await client.progress()).steps);
      if (steps === inspected) continue;
      inspected = steps;
      const t0 = performance.now();
      await client.inspect(refreshMs.length % 50);
      refreshMs.push(performance.now() - t0);
      delay = Math.max(delay, liveRefreshDelay(refreshMs[refreshMs.length - 1]));
    }
  })();
  const status = await session.finished;
  stopped = true;
  await loop;
  await client?.dispose();
  if (status !== 'finished') throw new Error(`The benchmark run ended ${status}: ${session.statusDetail}`);
  const train = session.run.readMetrics().filter((p: MetricPoint) => p.split === 'train');
  // Skip the first record (backend start, first-step kernel set-up).
  const steady = train.slice(1);
  const imagesPerSec = steady.reduce((s, p) => s + (p.imagesPerSec ?? 0), 0) / steady.length;
  const first = steady[0];
  const last = steady[steady.length - 1];
  const wallImagesPerSec = ((last.step - first.step) * batchSize * 1000) / Math.max(1, last.time - first.time);
  fs.rmSync(root, { recursive: true, force: true });
  return { imagesPerSec, wallImagesPerSec, refreshes: refreshMs.length, refreshMs };
}

async function main(): Promise<void> {
  const [modelName = 'resnet20', iterationsArg = '40', refreshArg = '3', backendArg = 'wasm'] = process.argv.slice(2);
  const backend = tfjsSettingFor(parseBackendSetting(backendArg));
  const description = await selectBackend(backend);
  console.log(`Block inspector on ${describeBackend(description)}, ${os.cpus().length} cores`);
  console.log('One inspection step (median of 5, fresh weights):');
  inspectionLatency('resnet56');
  inspectionLatency('resnet110');

  const iterations = Number(iterationsArg);
  const refresh = Number(refreshArg);
  console.log(`Training slowdown while the inspector is live (${modelName}, batch 32, ${iterations} iterations, checked every ${refresh} s by the inspector's worker thread, re-inspected when a newer checkpoint landed, at most every 20× the last refresh's time):`);
  // Alternated (without, with, without, with) so load from elsewhere on the machine hits both alike.
  const without: TrainingSpeed[] = [];
  const withLive: TrainingSpeed[] = [];
  for (let round = 0; round < 2; round++) {
    without.push(await trainingSpeed(modelName, iterations, backend, null));
    withLive.push(await trainingSpeed(modelName, iterations, backend, refresh));
  }
  const trainer = (runs: TrainingSpeed[]) => median(runs.map((r) => r.imagesPerSec));
  const wall = (runs: TrainingSpeed[]) => median(runs.map((r) => r.wallImagesPerSec));
  const refreshes = withLive.flatMap((r) => r.refreshMs);
  console.log(`  without inspector: ${without.map((r) => r.imagesPerSec.toFixed(1)).join(', ')} img/s in the trainer (wall clock ${without.map((r) => r.wallImagesPerSec.toFixed(1)).join(', ')})`);
  console.log(`  with inspector:    ${withLive.map((r) => r.imagesPerSec.toFixed(1)).join(', ')} img/s in the trainer (wall clock ${withLive.map((r) => r.wallImagesPerSec.toFixed(1)).join(', ')}); ${refreshes.length} refreshes, median ${refreshes.length ? median(refreshes).toFixed(0) : '–'} ms`);
  console.log(`  ratio with / without (medians): ${(trainer(withLive) / trainer(without)).toFixed(3)} (trainer), ${(wall(withLive) / wall(without)).toFixed(3)} (wall clock)`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
