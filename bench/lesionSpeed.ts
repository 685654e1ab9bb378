// The lesion study's cost, printed (goal: under 30 s on the 2-core development machine):
// ResNet-56 (freshly initialised) with every single block deleted in turn, each on the first
// 1,000 CIFAR-10 test images (the real set, from the shared folder as the tests find it),
// with one pass of the intact net for comparison.
// Usage: node out/bench/lesionSpeed.js [model=resnet56] [images=1000] [backend=wasm]
import * as os from 'node:os';
import { lesionErrors } from '../core/analysis/lesion';
import { computeMeanImage, makeBatch } from '../core/data/augment';
import { loadCifar10 } from '../core/data/load';
import { describeBackend, parseBackendSetting, selectBackend, tfjsSettingFor } from '../core/engine/backend';
import { initialWeights } from '../core/engine/model';
import { buildGraph } from '../core/graph';
import { specFromName } from '../core/spec';
import { extractedCifar10 } from '../test/unit/dataSupport';

async function main(): Promise<void> {
  const [modelName = 'resnet56', imagesArg = '1000', backendArg = 'wasm'] = process.argv.slice(2);
  const backend = await selectBackend(tfjsSettingFor(parseBackendSetting(backendArg)));
  const data = await loadCifar10(await extractedCifar10());
  const count = Math.min(Number(imagesArg), data.test.count);
  const images = makeBatch(data.test, Array.from({ length: count }, (_, i) => i), computeMeanImage(data.train), null);
  const graph = buildGraph(specFromName(modelName));
  const weights = initialWeights(graph, 1);
  console.log(`Lesion study on ${describeBackend(backend)}, ${os.cpus().length} cores: ${graph.spec.title} (fresh weights), ${count.toLocaleString('en-US')} CIFAR-10 test images`);

  // Seconds of wall clock and of CPU (all threads): other load on the machine shows as CPU < 2 × wall.
  const timed = <T>(run: () => T): { result: T; wall: number; cpu: number } => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const result = run();
    const c = process.cpuUsage(c0);
    return { result, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
  lesionErrors(graph, weights, [], { ...images, size: Math.min(count, 125) }); // warm-up
  const pass = timed(() => lesionErrors(graph, weights, [], images));
  const lesions = graph.blocks.map((b) => ({ deleted: [b.id] }));
  const all = timed(() => lesionErrors(graph, weights, lesions, images));
  const { baseline, errors } = all.result;
  const worst = Math.max(...errors);
  console.log(`  one pass of the intact net: ${pass.wall.toFixed(1)} s (CPU ${pass.cpu.toFixed(1)} s)`);
  console.log(`  every single block deleted (${lesions.length} lesions, each run from the deleted block on): ${all.wall.toFixed(1)} s (CPU ${all.cpu.toFixed(1)} s; ${(all.wall / pass.wall).toFixed(1)}× one pass in wall time, ${(all.cpu / pass.cpu).toFixed(1)}× in CPU time, which other load disturbs less; goal < 30 s)`);
  console.log(`  errors: intact ${(baseline * 100).toFixed(1)}%, with one block deleted ${(Math.min(...errors) * 100).toFixed(1)}–${(worst * 100).toFixed(1)}% (untrained weights: not the paper's figures)`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
