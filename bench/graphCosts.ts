// How long building the graph and its costs takes, from ResNet-20 to ResNet-1202, as time
// per layer relative to ResNet-110 in the same process (the work should grow linearly).
import { performance } from 'node:perf_hooks';
import { reportForSpec } from '../core/report';
import { specFromName } from '../core/spec';

function medianMs(fn: () => void, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

export function benchGraphCosts(): Array<{ model: string; layers: number; ms: number; perLayerRatio: number }> {
  const models = ['resnet20', 'resnet110', 'resnet152', 'resnet1202'];
  for (const m of models) reportForSpec(specFromName(m)); // warm-up
  const rows = models.map((model) => {
    const layers = reportForSpec(specFromName(model)).graph.layers.length;
    return { model, layers, ms: medianMs(() => reportForSpec(specFromName(model)), 15) };
  });
  const reference = rows.find((r) => r.model === 'resnet110')!;
  return rows.map((r) => ({ ...r, perLayerRatio: r.ms / r.layers / (reference.ms / reference.layers) }));
}

if (require.main === module) {
  console.log('Graph IR + costs (median of 15 runs)');
  for (const row of benchGraphCosts()) {
    console.log(`${row.model.padEnd(11)} ${String(row.layers).padStart(5)} layers  ${row.ms.toFixed(2).padStart(7)} ms  time per layer ×${row.perLayerRatio.toFixed(2)} of resnet110's`);
  }
}
