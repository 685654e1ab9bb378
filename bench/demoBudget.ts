// The Demo budget measured (core/training/plan.ts, DEMO_BUDGET): plain-20 vs plain-56 on the
// embedded synthetic data, trained to the end as the extension trains it (one worker thread per
// net), in a throw-away folder. Prints the wall time, the CPU time of all threads (other load
// on the machine shows as wall > the idle-machine figure), and the gap in training error between
// the nets at the end (the mean of each net's last tenth of logged steps), in points.
// Usage: node out/bench/demoBudget.js [backend=auto]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseBackendSetting } from '../core/engine/backend';
import { demoChoices, DEMO_BUDGET, planRun } from '../core/training/plan';
import { TrainingSession } from '../core/training/session';
import type { MetricPoint } from '../core/training/types';

/** The mean training error over a net's last tenth of logged training steps. */
function endTrainingError(points: MetricPoint[], slot: MetricPoint['slot']): number {
  const train = points.filter((p) => p.slot === slot && p.split === 'train');
  const tail = train.slice(-Math.max(1, Math.ceil(train.length / 10)));
  return tail.reduce((sum, p) => sum + p.error, 0) / tail.length;
}

async function main(): Promise<void> {
  const backend = parseBackendSetting(process.argv[2] ?? 'auto');
  const config = planRun(demoChoices(undefined, backend));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-demo-'));
  const load0 = os.loadavg()[0];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  try {
    const session = await TrainingSession.start(config, root, { backend, lowPriority: false });
    const status = await session.finished;
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    if (status !== 'finished') throw new Error(`The demo ${status}: ${session.statusDetail}`);
    const points = session.run.readMetrics();
    // Each net's share of the work, from its logged step times (both slowed alike by other load).
    const stepSeconds = (slot: MetricPoint['slot']) =>
      points.filter((p) => p.slot === slot && p.split === 'train' && p.imagesPerSec).reduce((sum, p) => sum + config.logEvery * config.batchSize / p.imagesPerSec!, 0);
    const [a, b] = config.nets;
    const share = stepSeconds(b.slot) / (stepSeconds(a.slot) + stepSeconds(b.slot));
    const errA = endTrainingError(points, a.slot);
    const errB = endTrainingError(points, b.slot);
    console.log(`Demo budget on ${session.backend}, ${os.cpus().length} cores (load average ${load0.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after):`);
    console.log(`  ${a.title} vs ${b.title}: ${DEMO_BUDGET.iterations} iterations of batch ${DEMO_BUDGET.batchSize} on ${DEMO_BUDGET.trainSize.toLocaleString('en-US')} synthetic images, ${DEMO_BUDGET.testSize} test images`);
    // The nets train side by side, one core each: on an idle 2-core machine the run lasts about as long as the slower net's CPU time.
    console.log(`  wall time ${wall.toFixed(0)} s; CPU time ${cpu.toFixed(0)} s, ${(share * 100).toFixed(0)}% of it ${b.title}'s: about ${(cpu * share).toFixed(0)} s on an idle 2-core machine (goal: about 120 s)`);
    console.log(`  training error at the end: ${a.title} ${(errA * 100).toFixed(1)}%, ${b.title} ${(errB * 100).toFixed(1)}%: gap ${((errB - errA) * 100).toFixed(1)} points (${errB > errA ? 'the deeper plain net is worse: the degradation' : 'NO degradation shown'})`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
