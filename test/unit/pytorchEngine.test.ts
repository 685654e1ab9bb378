// The PyTorch engine with the real parts: Debian's python3-torch running
// python/resnet_lab_trainer.py, the TF.js engine on WebAssembly beside it, the real CIFAR-10
// files, real child processes stopped and killed. Small on purpose: a few hundred images.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { BatchIterator } from '../../core/data/augment';
import { generateSyntheticShapes } from '../../core/data/synthetic';
import { selectBackend } from '../../core/engine/backend';
import { ResNetModel, softmaxCrossEntropy } from '../../core/engine/model';
import { setWinogradTile } from '../../core/engine/wasmKernels';
import { Trainer } from '../../core/engine/train';
import { buildGraph } from '../../core/graph';
import { RunInspector } from '../../core/inspect/runInspector';
import { writeJob } from '../../core/pytorch/job';
import { PythonError, PythonProblem, TorchDeviceSetting, trainerScript } from '../../core/pytorch/python';
import { ModelRequest, specFromRequest } from '../../core/spec';
import { CLI_PYTHON_REQUEST } from '../../core/training/engineChoice';
import { planRun, RunChoices } from '../../core/training/plan';
import { listRuns, NamedTensor, RunFolder } from '../../core/training/runFolder';
import { SessionOptions, TrainingSession } from '../../core/training/session';
import type { MetricPoint } from '../../core/training/types';
import { extractedCifar10, REPO_ROOT } from './dataSupport';
import { relativeError } from './numerics';

const PYTHON = '/usr/bin/python3';
const withPython = (command: string, device: TorchDeviceSetting = 'auto'): SessionOptions => ({
  backend: 'pytorch',
  python: { ...CLI_PYTHON_REQUEST, device, explicit: { command, source: 'the test' } },
});
const PYTORCH = withPython(PYTHON);
const temp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `resnet-lab-${name}-`));
const named = (name: string, extra: Partial<Extract<ModelRequest, { kind: 'named' }>> = {}): ModelRequest => ({ kind: 'named', name, ...extra });
const bottleneck: ModelRequest = { kind: 'custom', options: { blocks: [1, 1, 1], baseWidth: 4, blockType: 'bottleneck', stem: 'cifar', inputSize: 32, classes: 10, residual: true, shortcut: 'B' } };
const trainSteps = (metrics: MetricPoint[], slot: 'a' | 'b') => metrics.filter((p) => p.slot === slot && p.split === 'train').map((p) => p.step);

/** A scratch run folder's checkpoint, used as a plain tensor file. */
function writeTensors(folder: string, tensors: NamedTensor[]): string {
  return new RunFolder(folder).writeCheckpoint('a', 0, tensors).folder;
}

function readTensors(folder: string): Map<string, NamedTensor> {
  const run = new RunFolder(folder);
  return new Map(run.readCheckpoint(run.latestCheckpoint('a')!).map((t) => [t.name, t]));
}

/** Runs Python lines with the trainer imported as `trainer` (and sys); returns the JSON they print. */
function trainerPython<T>(lines: string[], ...args: string[]): T {
  const script = ['import sys', `sys.path.insert(0, ${JSON.stringify(path.dirname(trainerScript()))})`, 'import resnet_lab_trainer as trainer', ...lines].join('\n');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' })) as T;
}

/** The trainer's child processes for a net of a run folder (to kill one for real). */
function trainerPids(runFolder: string, slot: 'a' | 'b'): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('resnet_lab_trainer.py') && line.includes(runFolder) && line.includes(`--slot ${slot}`))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function finish(session: TrainingSession): Promise<MetricPoint[]> {
  const status = await session.finished;
  assert.equal(status, 'finished', session.statusDetail);
  return session.run.readMetrics();
}

/** Every logged step once, 1…iterations (no step duplicated or lost). */
function assertContiguous(metrics: MetricPoint[], slot: 'a' | 'b', iterations: number, logEvery: number): void {
  const expected = Array.from({ length: Math.floor(iterations / logEvery) }, (_, i) => (i + 1) * logEvery);
  if (iterations % logEvery) expected.push(iterations);
  assert.deepEqual(trainSteps(metrics, slot), expected);
}

describe('PyTorch engine', { concurrency: false }, () => {
  before(async () => {
    await selectBackend('wasm');
  });

  test("draws the same batches as core's BatchIterator (indices, crops, flips), across epochs and seeds", () => {
    for (const [seed, count, batch] of [[5, 100, 8], ['aug', 1000, 128], [2_147_483_647, 37, 10]] as const) {
      const steps = [0, 1, 12, 13, 40];
      const out = execFileSync(PYTHON, [trainerScript(), 'plan', '--seed', String(seed), '--count', String(count), '--batch', String(batch), '--steps', steps.join(',')], { encoding: 'utf8' });
      const images = { images: new Uint8Array(count * 3), labels: new Uint8Array(count), count, height: 1, width: 1, channels: 3, classNames: [], source: 'test' };
      const iterator = new BatchIterator(images, { batchSize: batch, seed, mean: new Float32Array(3) });
      for (const python of JSON.parse(out) as Array<{ step: number; indices: number[]; offsetY: number[]; offsetX: number[]; flip: boolean[] }>) {
        const plan = iterator.planAt(python.step);
        assert.deepEqual(python.indices, Array.from(plan.indices), `seed ${seed}, step ${python.step}: indices`);
        assert.deepEqual(python.offsetY, plan.augmentations!.map((a) => a.offsetY));
        assert.deepEqual(python.offsetX, plan.augmentations!.map((a) => a.offsetX));
        assert.deepEqual(python.flip, plan.augmentations!.map((a) => a.flip));
      }
    }
  });

  test("an evaluation keeps only the activations still to be read: ResNet-110's forward pass on 32 images (no_grad) peaks far below all its layers' outputs", () => {
    const graph = buildGraph(specFromRequest(named('resnet110')));
    const batch = 32;
    // What a pass that kept every layer's output until its end would hold (float32).
    const everyOutput = graph.layers.filter((l) => l.kind !== 'softmax').reduce((sum, l) => sum + l.outputShape.reduce((a, b) => a * b, 1), 0) * batch * 4;
    const folder = temp('forward-memory');
    try {
      fs.writeFileSync(path.join(folder, 'graph.json'), JSON.stringify(graph));
      const script = [
        'import json, resource, torch',
        'torch.set_num_threads(1)',
        'torch.manual_seed(0)',
        'model = trainer.build_model(torch, json.load(open(sys.argv[1]))).eval()',
        'x = torch.randn(int(sys.argv[2]), 3, 32, 32)',
        'before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss',
        'with torch.no_grad():',
        '    logits = model(x)',
        'peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss',
        'print(json.dumps({"grownBytes": (peak - before) * 1024, "logits": list(logits.shape)}))',
      ];
      const { grownBytes, logits } = trainerPython<{ grownBytes: number; logits: number[] }>(script, path.join(folder, 'graph.json'), String(batch));
      assert.deepEqual(logits, [batch, 10]);
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
      assert.ok(grownBytes < everyOutput / 4, `the pass grew the process by ${mib(grownBytes)}; every layer's output is ${mib(everyOutput)}`);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  test("on the CPU the trainer keeps what PyTorch frees: an activation-sized buffer comes from malloc's heap and stays there once freed, not mmap'd and handed back to the OS (to be page-faulted in again next step)", () => {
    const script = [
      'import ctypes, json, torch',
      'if sys.argv[1] == "trainer":',
      '    trainer.open_device(torch, "cpu", 1, trainer.Dist())',
      'class MallInfo2(ctypes.Structure):',
      '    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]',
      'libc = ctypes.CDLL("libc.so.6")',
      'libc.mallinfo2.restype = MallInfo2',
      'before = libc.mallinfo2()',
      'x = torch.ones(2 << 20)  # 8 MiB, a ResNet-20 activation at batch 128',
      'held = libc.mallinfo2()',
      'del x',
      'freed = libc.mallinfo2()',
      'print(json.dumps({"mmapped": held.hblkhd - before.hblkhd, "keptFree": freed.fordblks - before.fordblks}))',
    ];
    const measure = (how: string) => trainerPython<{ mmapped: number; keptFree: number }>(script, how);
    const MiB = 2 ** 20;
    const [plain, trained] = [measure('plain'), measure('trainer')];
    assert.ok(plain.mmapped >= 8 * MiB && plain.keptFree < MiB, `plain PyTorch mmaps it (${plain.mmapped} bytes) and keeps nothing once freed (${plain.keptFree})`);
    assert.ok(trained.mmapped < MiB && trained.keptFree >= 7 * MiB, `the trainer's heap holds it (${trained.mmapped} bytes mmapped) and keeps it once freed (${trained.keptFree})`);
  });

  for (const [label, request] of [
    ['ResNet-20 (option A)', named('resnet20')],
    ['plain-20', named('plain20')],
    ['ResNet-20 with option-B shortcuts', named('resnet20', { shortcut: 'B' })],
    ['a custom bottleneck net (option B)', bottleneck],
  ] as const) {
    test(`${label}: from one checkpoint and one batch, outputs, loss, every gradient and one SGD step equal the TF.js engine's within 1e-4`, async () => {
      const folder = temp('numerics');
      const config = planRun({ nets: [request], data: { kind: 'synthetic', trainSize: 64, testSize: 16 }, iterations: 10, batchSize: 16, seed: 3 });
      const job = await writeJob(config, path.join(folder, 'job'));
      const graph = buildGraph(specFromRequest(request));
      // plain-20's BatchNorm gradients are ill-conditioned (below): there wasm's Winograd F(4×4), which rounds
      // about 4× more than F(2×2), can pass the bound by chance of the sum order (4.5e-3 where PyTorch's
      // float32 was 6.5e-6). It is compared on F(2×2); F(4×4)'s accuracy has its own tests (engineKernels,
      // engineTrain's learning curve) and the three other nets here run on it.
      setWinogradTile(label === 'plain-20' ? 2 : null);
      const model = new ResNetModel(graph, { seed: 3 });
      const trainer = new Trainer(model, { momentum: config.momentum, weightDecay: config.weightDecay });
      try {
        // Two steps first, so the momentum buffers and moving statistics are not their initial values.
        const data = new BatchIterator(generateSyntheticShapes({ count: 64, seed: 9 }), { batchSize: 16, seed: 4, mean: new Float32Array(32 * 32 * 3) });
        trainer.trainStep(data.batchAt(0), 0.1);
        trainer.trainStep(data.batchAt(1), 0.1);
        const checkpoint = trainer.getWeights();
        const batch = data.batchAt(2);
        const lr = 0.05;
        // TF.js: logits, loss and gradients (training mode), then the weights after one SGD step.
        const x = tf.tensor4d(batch.x, [batch.size, 32, 32, 3]);
        const labels = tf.tensor1d(batch.y, 'int32');
        let logits!: tf.Tensor;
        const trainable = model.trainableVariables;
        const { value, grads } = tf.variableGrads(() => {
          logits = tf.keep(model.forward(x, { training: true }).logits);
          return softmaxCrossEntropy(logits as tf.Tensor2D, labels);
        }, trainable.map((v) => v.variable));
        trainer.setWeights(checkpoint);
        trainer.trainStep(batch, lr);
        const afterStep = new Map(trainer.getWeights().map((w) => [w.name, w]));

        // PyTorch: the same checkpoint and batch through the trainer's `step` command.
        const checkpointFolder = writeTensors(path.join(folder, 'checkpoint'), checkpoint);
        const batchFolder = writeTensors(path.join(folder, 'batch'), [
          { name: 'x', shape: [batch.size, 32, 32, 3], data: batch.x },
          { name: 'y', shape: [batch.size], data: Float32Array.from(batch.y) },
        ]);
        const step = (double: boolean) => {
          const out = path.join(folder, double ? 'out64' : 'out32');
          execFileSync(PYTHON, [trainerScript(), 'step', '--job', path.join(folder, 'job'), '--slot', 'a', '--checkpoint', checkpointFolder, '--batch', batchFolder, '--lr', String(lr), '--out', out, ...(double ? ['--double'] : [])], { encoding: 'utf8' });
          return readTensors(out);
        };
        const torch = step(false);
        const exact = step(true);
        assert.ok(job.graphs.a);

        // Within 1e-4 of PyTorch; or, where float32 itself cannot give 1e-4 (BatchNorm's backward
        // cancels most of a gradient in plain and projection nets: TF.js's own cpu and wasm
        // backends differ by up to 2e-2 there), within 4× PyTorch float32's own distance from
        // the float64 answer (wasm's Winograd convolutions round a little more than direct ones).
        const ill: string[] = [];
        const check = (name: string, ours: ArrayLike<number>) => {
          const theirs = torch.get(name)!.data;
          const reference = exact.get(name)!.data;
          const error = relativeError(theirs, ours);
          if (error <= 1e-4) return;
          const float32Error = relativeError(theirs, reference);
          const ourError = relativeError(ours, reference);
          assert.ok(ourError <= Math.max(1e-4, 4 * float32Error), `${label}: ${name} differs from PyTorch by ${error.toExponential(2)} (relative); from float64 by ${ourError.toExponential(2)}, where PyTorch's float32 is off by ${float32Error.toExponential(2)}`);
          ill.push(name);
        };
        check('logits', logits.dataSync());
        check('loss', value.dataSync());
        for (const v of trainable) check(`grad/${v.name}`, grads[v.variable.name].dataSync());
        for (const [name, w] of afterStep) check(`after/${name}`, w.data);
        assert.equal([...afterStep.keys()].length, [...torch.keys()].filter((k) => k.startsWith('after/')).length, 'every weight and momentum buffer compared');
        assert.ok(!ill.includes('logits') && !ill.includes('loss'), 'outputs and loss within 1e-4');
        if (ill.length) console.log(`${label}: ${ill.length} of ${torch.size} tensors are ill-conditioned in float32 and were checked against float64: ${ill.slice(0, 4).join(', ')}…`);
        tf.dispose([x, labels, logits, value, ...Object.values(grads)]);
      } finally {
        setWinogradTile(null);
        trainer.dispose();
        model.dispose();
        fs.rmSync(folder, { recursive: true, force: true });
      }
    });
  }

  describe('a real run on this CPU (resnet-lab train --backend pytorch on CIFAR-10)', () => {
    let runFolder = '';
    let out = '';
    before(async () => {
      const cifar = await extractedCifar10();
      out = temp('cli-pytorch');
      const cli = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/resnet-lab.js'), 'train', '--model', 'resnet20', '--compare', 'plain20', '--backend', 'pytorch', '--data', cifar, '--train-size', '1000', '--iterations', '40', '--out', out], { encoding: 'utf8', timeout: 300_000 });
      assert.equal(cli.status, 0, cli.stderr + cli.stdout);
      assert.match(cli.stderr, /Backend: PyTorch [\d.a-z]+ on CPU, \d threads?/);
      runFolder = listRuns(out)[0].folder;
    });
    after(() => fs.rmSync(out, { recursive: true, force: true }));

    test('writes a run folder the product reads: both curves, every step once, finished', () => {
      const [run] = listRuns(out);
      assert.equal(run.outcome?.status, 'finished');
      assert.equal(run.lastStep, 40);
      const metrics = new RunFolder(runFolder).readMetrics();
      for (const slot of ['a', 'b'] as const) {
        assertContiguous(metrics, slot, 40, run.config!.logEvery);
        const tests = metrics.filter((p) => p.slot === slot && p.split === 'test');
        assert.ok(tests.length >= 1 && tests[tests.length - 1].step === 40);
        assert.ok(metrics.every((p) => Number.isFinite(p.loss) && p.error >= 0 && p.error <= 1));
      }
    });

    test('Inspect Blocks opens its checkpoints', async () => {
      const inspector = await RunInspector.open(runFolder, 4);
      try {
        const pair = inspector.inspect(0);
        assert.deepEqual(pair.map((n) => n.residual), [true, false]);
        assert.deepEqual(pair.map((n) => n.step), [40, 40]);
        assert.equal(pair[0].blocks.length, 9);
        assert.ok(pair[0].blocks.every((b) => Number.isFinite(b.residualRatio) && b.residualRatio > 0));
      } finally {
        inspector.dispose();
      }
    });
  });

  test('stopped mid-way, then killed with SIGKILL mid-way: each resume continues from the checkpoint, every step once, the curve as an uninterrupted run', async () => {
    const choices: RunChoices = { nets: [named('resnet20'), named('plain20')], data: { kind: 'synthetic', trainSize: 128, testSize: 20 }, iterations: 24, batchSize: 16, seed: 2 };
    const root = temp('pytorch-resume');
    const config = planRun(choices);
    const reference = await finish(await TrainingSession.start({ ...config, id: 'uninterrupted' }, root, PYTORCH));

    const session = await TrainingSession.start(config, root, PYTORCH);
    await new Promise<void>((resolve) => {
      const reached = new Set<string>();
      const listener = session.addListener({ onCheckpoint: (slot, step) => step >= 6 && reached.add(slot).size === 2 && (listener.dispose(), resolve()) });
    });
    assert.equal(await session.stop(), 'stopped');
    const stoppedAt = Math.min(...config.nets.map((n) => session.run.latestCheckpoint(n.slot)!.step));
    assert.ok(stoppedAt >= 6 && stoppedAt < 24);

    const resumed = await TrainingSession.resume(session.run.folder, PYTORCH);
    await new Promise<void>((resolve) => {
      const listener = resumed.addListener({ onCheckpoint: (slot, step) => slot === 'a' && step >= stoppedAt + 2 && step < 24 && (listener.dispose(), resolve()) });
    });
    const pids = trainerPids(session.run.folder, 'a');
    assert.equal(pids.length, 1, 'one Python process for the net');
    process.kill(pids[0], 'SIGKILL');
    assert.equal(await resumed.finished, 'failed');
    assert.match(resumed.statusDetail, /killed by SIGKILL/);
    assert.equal(new RunFolder(session.run.folder).readOutcome()?.status, 'failed');

    const metrics = await finish(await TrainingSession.resume(session.run.folder, PYTORCH));
    for (const slot of ['a', 'b'] as const) {
      assertContiguous(metrics, slot, 24, config.logEvery);
      const ours = metrics.filter((p) => p.slot === slot && p.split === 'train');
      const theirs = reference.filter((p) => p.slot === slot && p.split === 'train');
      ours.forEach((p, i) => assert.ok(Math.abs(p.loss - theirs[i].loss) <= 1e-4 * Math.max(1, theirs[i].loss), `${slot} step ${p.step}: loss ${p.loss} vs ${theirs[i].loss} uninterrupted`));
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a run started on WebAssembly and resumed on PyTorch (and the reverse) continues its curve', async () => {
    const root = temp('cross-engine');
    const config = planRun({ nets: [named('resnet20')], data: { kind: 'synthetic', trainSize: 128, testSize: 20 }, iterations: 16, batchSize: 16, seed: 4, backend: 'wasm' });
    const reference = await finish(await TrainingSession.start({ ...config, id: 'on-wasm' }, root));
    for (const [first, then] of [[{ backend: 'wasm' }, PYTORCH], [PYTORCH, { backend: 'wasm' }]] as Array<[SessionOptions, SessionOptions]>) {
      const session = await TrainingSession.start({ ...config, id: `from-${first.backend}` }, root, first);
      await new Promise<void>((resolve) => {
        const listener = session.addListener({ onCheckpoint: (_slot, step) => step >= 6 && (listener.dispose(), resolve()) });
      });
      await session.stop();
      const at = session.run.latestCheckpoint('a')!.step;
      const resumed = await TrainingSession.resume(session.run.folder, then);
      const metrics = await finish(resumed);
      assert.match(resumed.backend, then.backend === 'pytorch' ? /^PyTorch/ : /WebAssembly/);
      assertContiguous(metrics, 'a', 16, config.logEvery);
      // The first step after the switch starts from the same weights and batch as the wasm run at that step.
      const next = metrics.find((p) => p.split === 'train' && p.step === at + 1)!;
      const expected = reference.find((p) => p.split === 'train' && p.step === at + 1)!;
      assert.ok(Math.abs(next.loss - expected.loss) < 0.02 * expected.loss, `${first.backend} → ${then.backend} at step ${at}: loss ${next.loss} after the switch, ${expected.loss} in one run`);
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('a PyTorch engine that cannot run says why, and writes nothing', () => {
    const scripts = temp('pythons');
    const script = (name: string, body: string) => {
      const file = path.join(scripts, name);
      fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      return file;
    };
    // A real Python without its site-packages (so no torch), one whose torch is a 1.8 stand-in
    // (no old torch can be installed here), and a real Python that cannot start (no stdlib).
    const oldTorch = path.join(scripts, 'old-torch');
    fs.mkdirSync(path.join(oldTorch, 'torch'), { recursive: true });
    fs.writeFileSync(path.join(oldTorch, 'torch', '__init__.py'), '__version__ = "1.8.0"\n');
    const cases: Array<[string, SessionOptions, PythonProblem, RegExp]> = [
      ['no Python', withPython(path.join(scripts, 'missing-python')), 'no-python', /No Python at .*missing-python \(the test\): the file does not exist/],
      ['no torch', withPython(script('python-no-site', `exec ${PYTHON} -S "$@"`)), 'no-torch', /has no PyTorch \(ModuleNotFoundError: No module named 'torch'\)\. Install it: .* -m pip install torch/],
      ['a torch that is too old', withPython(script('python-old-torch', `PYTHONPATH=${oldTorch} exec ${PYTHON} "$@"`)), 'old-torch', /PyTorch 1\.8\.0 at .* is too old: ResNet Lab needs 1\.12 or newer/],
      ['device cuda on a machine without one', withPython(PYTHON, 'cuda'), 'no-device', /--device is cuda, but PyTorch .* cannot use it: this torch was built without CUDA/],
      ['a Python that dies at start', withPython(script('python-broken', `PYTHONHOME=/nonexistent exec ${PYTHON} "$@"`)), 'python-died', /exited with code 1 as it started: .*Fatal Python error/],
    ];
    for (const [what, options, problem, message] of cases) {
      test(what, async () => {
        const root = temp('pytorch-errors');
        const config = planRun({ nets: [named('resnet20')], data: { kind: 'synthetic', trainSize: 32, testSize: 10 }, iterations: 2, batchSize: 16 });
        await assert.rejects(TrainingSession.start(config, root, options), (error: unknown) => {
          assert.ok(error instanceof PythonError, String(error));
          assert.equal(error.problem, problem);
          assert.match(error.message, message);
          return true;
        });
        assert.deepEqual(fs.readdirSync(root), [], 'no run folder');
        fs.rmSync(root, { recursive: true, force: true });
      });
    }
    after(() => fs.rmSync(scripts, { recursive: true, force: true }));
  });
});
