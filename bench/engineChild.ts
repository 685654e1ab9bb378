// One measurement in its own process, so its peak RSS is its own: run by bench/engineBench.ts.
// Usage: node out/bench/engineChild.js MODEL BATCH BACKEND train|infer STEPS WARMUP MIN_SECONDS
// Prints one JSON line: {imagesPerSec, medianStepMs, steps, peakRssMiB, backend, title} or {error}.
import { parseBackendSetting, tfjsSettingFor } from '../core/engine/backend';
import { measureTrainingSpeed } from '../core/engine/speed';

async function main(): Promise<void> {
  const [model, batch, backend, mode, steps, warmup, minSeconds] = process.argv.slice(2);
  if (mode !== 'train' && mode !== 'infer') throw new Error(`mode must be train or infer; got ${mode}`);
  const result = await measureTrainingSpeed({
    model: { kind: 'named', name: model },
    batchSize: Number(batch),
    backend: tfjsSettingFor(parseBackendSetting(backend)),
    mode,
    steps: Number(steps),
    warmupSteps: Number(warmup),
    minSeconds: Number(minSeconds),
  });
  const peakRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  console.log(JSON.stringify({ imagesPerSec: result.imagesPerSec, medianStepMs: result.medianStepMs, steps: result.stepMs.length, peakRssMiB, backend: result.backend.kind, title: result.backend.title }));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    process.exit(1);
  },
);
