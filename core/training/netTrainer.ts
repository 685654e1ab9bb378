// Trains one net of a run, step by step: the paper's recipe scaled to the run's budget,
// metrics at each log and evaluation, checkpoints into the run folder, pause and stop
// between steps. Runs inside a worker thread (worker.ts) but has no thread code itself.
import { gradientLogBatch, logGradientNorms } from '../analysis/gradientLog';
import { computeMeanImage, BatchIterator, evaluationBatches } from '../data/augment';
import { selectBackend } from '../engine/backend';
import { ResNetModel } from '../engine/model';
import { machineThreads, setKernelThreads } from '../engine/wasmThreads';
import { Trainer } from '../engine/train';
import { buildGraph } from '../graph';
import { specFromRequest } from '../spec';
import { learningRateAt } from './plan';
import { loadRunData } from './runData';
import { NamedTensor, RunFolder } from './runFolder';
import type { FromWorkerMessage, StartNetMessage } from './workerProtocol';
import type { MetricPoint, NetPlan } from './types';

/** Where pause and stop requests land; the trainer looks at it between steps. */
export class NetControl {
  private state: 'run' | 'pause' | 'stop' = 'run';
  private wake: (() => void) | null = null;

  request(action: 'pause' | 'resume' | 'stop'): void {
    if (this.state === 'stop') return;
    this.state = action === 'resume' ? 'run' : action;
    this.wake?.();
  }

  get requested(): 'run' | 'pause' | 'stop' {
    return this.state;
  }

  /** Resolves at the next request. */
  changed(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }
}

/** The running averages since the last training record, kept in checkpoints so resumes are exact. */
const INTERVAL_TENSOR = 'trainer/interval';

const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function trainNet(start: StartNetMessage, control: NetControl, emit: (message: FromWorkerMessage) => void): Promise<void> {
  const { config, slot } = start;
  const net = config.nets.find((n) => n.slot === slot);
  if (!net) throw new Error(`The run has no net "${slot}".`);

  // The nets of a comparison train side by side: share the cores among their kernel threads, and
  // take over the cores of a net that has ended (plain-20 ends long before plain-56).
  const cores = machineThreads();
  const netsTraining = start.netsTraining ? new Int32Array(start.netsTraining) : null;
  const shareCores = () => setKernelThreads(Math.max(1, Math.floor(cores / (netsTraining ? Math.max(1, Atomics.load(netsTraining, 0)) : config.nets.length))));
  try {
    await trainNetOnShare(start, net, control, emit, shareCores);
  } finally {
    if (netsTraining) Atomics.sub(netsTraining, 0, 1);
  }
}

async function trainNetOnShare(start: StartNetMessage, net: NetPlan, control: NetControl, emit: (message: FromWorkerMessage) => void, shareCores: () => void): Promise<void> {
  const { config, slot } = start;
  const run = RunFolder.open(start.runFolder);
  shareCores();
  const backend = await selectBackend(start.backend, { nodeModulePaths: start.nodeModulePaths });
  emit({ type: 'backend', kind: backend.kind, title: backend.title });
  const data = await loadRunData(config.data, config.seed);
  emit({ type: 'data', description: data.description });

  const spec = specFromRequest(net.request);
  const model = new ResNetModel(buildGraph(spec), { seed: config.seed });
  const trainer = new Trainer(model, { momentum: config.momentum, weightDecay: config.weightDecay });
  try {
    const mean = computeMeanImage(data.train);
    const batches = new BatchIterator(data.train, { batchSize: config.batchSize, seed: config.seed, mean });
    const testBatches = () => evaluationBatches(data.test, 250, mean);
    // The fixed batch the gradient norms are logged on at every evaluation.
    const gradientBatch = gradientLogBatch(data.train, mean);

    let step = 0;
    let interval = { loss: 0, error: 0, steps: 0, images: 0, ms: 0 };
    const latest = start.resume ? run.latestCheckpoint(slot) : null;
    if (latest) {
      const tensors = run.readCheckpoint(latest);
      const saved = tensors.find((t) => t.name === INTERVAL_TENSOR);
      trainer.setWeights(tensors.filter((t) => t.name !== INTERVAL_TENSOR));
      if (saved) interval = { loss: saved.data[0], error: saved.data[1], steps: saved.data[2], images: 0, ms: 0 };
      step = latest.step;
    }
    emit({ type: 'started', step });

    const epochOf = (s: number) => Math.floor((s * config.batchSize) / data.train.count);
    const checkpoint = () => {
      const tensors: NamedTensor[] = [...trainer.getWeights(), { name: INTERVAL_TENSOR, shape: [3], data: Float32Array.from([interval.loss, interval.error, interval.steps]) }];
      const info = run.writeCheckpoint(slot, step, tensors);
      emit({ type: 'checkpoint', step, folder: info.folder });
    };

    while (step < config.iterations) {
      if (control.requested === 'pause') {
        emit({ type: 'paused', step });
        while (control.requested === 'pause') await control.changed();
        if (control.requested === 'run') emit({ type: 'resumed', step });
      }
      if (control.requested === 'stop') {
        checkpoint();
        emit({ type: 'done', reason: 'stopped', step });
        return;
      }
      shareCores();
      const lr = learningRateAt(config.schedule, step);
      const batch = batches.batchAt(step);
      const began = performance.now();
      const result = trainer.trainStep(batch, lr);
      interval.ms += performance.now() - began;
      interval.loss += result.loss;
      interval.error += result.error;
      interval.steps += 1;
      interval.images += batch.size;
      step += 1;

      const points: MetricPoint[] = [];
      const last = step === config.iterations;
      if (step % config.logEvery === 0 || last) {
        const imagesPerSec = interval.ms > 0 ? (interval.images * 1000) / interval.ms : undefined;
        points.push({ slot, step, epoch: epochOf(step), split: 'train', loss: interval.loss / interval.steps, error: interval.error / interval.steps, lr, imagesPerSec, time: Date.now() });
        interval = { loss: 0, error: 0, steps: 0, images: 0, ms: 0 };
      }
      if (step % config.evalEvery === 0 || last) {
        const test = trainer.evaluate(testBatches());
        const gradients = logGradientNorms(model, gradientBatch);
        points.push({ slot, step, epoch: epochOf(step), split: 'test', loss: test.loss, error: test.error, lr, gradients, time: Date.now() });
      }
      if (points.length) emit({ type: 'metrics', points });
      if (step % config.checkpointEvery === 0 || last) checkpoint();
      await yieldToEvents();
    }
    emit({ type: 'done', reason: 'finished', step });
  } finally {
    trainer.dispose();
    model.dispose();
  }
}
