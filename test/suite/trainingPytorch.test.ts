// The PyTorch engine in a real VS Code: with "resnetLab.training.backend" = pytorch and
// "resnetLab.python.path" = a Python with torch (Debian's python3-torch here), a tiny pair
// trains in two Python processes, the live run, the status bar and the run folder name
// PyTorch on the CPU; with a Python that does not exist, the start is refused with a message
// naming the setting and the path, and nothing is written.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PythonError } from '../../core/pytorch/python';
import type { MetricPoint, RunConfig } from '../../core/training/types';
import type { ResNetLabApi } from '../../extension/extension';
import { settingToFix } from '../../extension/errors';
import { engineLines } from '../../extension/training/liveRun';
import { SettingError } from '../../extension/training/trainingSettings';
import { trainingSuiteHooks, waitFor } from './helpers';

/** Debian's python3-torch; the first python3 on PATH may lack torch (a pyenv one here). */
const PYTHON_WITH_TORCH = process.env.RESNET_LAB_TEST_PYTHON ?? '/usr/bin/python3';

const TINY = {
  nets: [
    { kind: 'named', name: 'resnet20' },
    { kind: 'named', name: 'plain20' },
  ],
  data: { kind: 'synthetic', trainSize: 64, testSize: 20 },
  // Two epochs of 4 steps: checkpoints at each epoch's end, a test evaluation, and done in seconds.
  iterations: 8,
  batchSize: 16,
  seed: 5,
} as const;

const tiny = () => ({ ...TINY, nets: TINY.nets.map((n) => ({ ...n })), data: { ...TINY.data } });

function readMetrics(folder: string): MetricPoint[] {
  return fs
    .readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as MetricPoint);
}

function runsRoot(): string {
  return path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.resnet-lab', 'runs');
}

const runFolders = () => (fs.existsSync(runsRoot()) ? fs.readdirSync(runsRoot()).sort() : []);

/** Sets the settings (globally) for the body, then puts them back as they were. */
async function withSettings(values: Record<string, unknown>, body: () => Promise<void>): Promise<void> {
  const config = vscode.workspace.getConfiguration();
  const before = Object.keys(values).map((key) => [key, config.inspect(key)?.globalValue] as const);
  for (const [key, value] of Object.entries(values)) await config.update(key, value, vscode.ConfigurationTarget.Global);
  try {
    await body();
  } finally {
    for (const [key, value] of before) await vscode.workspace.getConfiguration().update(key, value, vscode.ConfigurationTarget.Global);
  }
}

describe('ResNet Lab: Train ResNet on the PyTorch engine', function () {
  this.timeout(120_000);
  let api: ResNetLabApi;
  trainingSuiteHooks((a) => (api = a));
  before(function () {
    if (!fs.existsSync(PYTHON_WITH_TORCH)) this.skip();
  });

  it('contributes the Python, device and precision settings; errors open the setting that fixes them; the log names the engine', () => {
    const config = vscode.workspace.getConfiguration();
    assert.equal(config.get('resnetLab.python.path'), '');
    assert.equal(config.get('resnetLab.pytorch.device'), 'auto');
    assert.equal(config.get('resnetLab.pytorch.mixedPrecision'), 'off');
    // The error notification's "Open Settings" opens the setting that fixes it.
    assert.equal(settingToFix(new PythonError('no-python', 'x')), 'resnetLab.python.path');
    assert.equal(settingToFix(new PythonError('no-device', 'x')), 'resnetLab.pytorch.device');
    assert.equal(settingToFix(new SettingError('resnetLab.pytorch.mixedPrecision', 'is "fp8".')), 'resnetLab.pytorch.mixedPrecision');
    assert.equal(settingToFix(new Error('other')), undefined);
    // The log names the engine a run got and what auto skipped on the way.
    const runConfig = { backend: 'auto' } as RunConfig;
    assert.deepEqual(engineLines({ config: runConfig, engine: { engine: 'tfjs', backend: 'auto', skipped: ['PyTorch: 1.13.0 at /usr/bin/python3 sees no GPU'] } }), [
      'engine TensorFlow.js, the first backend of tensorflow-gpu, tensorflow, wasm, cpu that loads in the training threads (setting "auto")',
      'auto skipped PyTorch: 1.13.0 at /usr/bin/python3 sees no GPU',
    ]);
  });

  it('trains ResNet-20 vs plain-20 in PyTorch processes: the live run, the status bar and the run folder name PyTorch on the CPU', async () => {
    await withSettings({ 'resnetLab.training.backend': 'pytorch', 'resnetLab.python.path': PYTHON_WITH_TORCH }, async () => {
      const began = Date.now();
      const started = await api.startTraining(tiny());
      assert.match(started.folder, /\.resnet-lab[\\/]runs[\\/]\d{8}-\d{6}-resnet20-vs-plain20$/);
      // Both are sampled while the run is live (the status bar hides when it ends).
      let backend = '';
      let status = '';
      await waitFor('the status bar to name PyTorch', () => {
        backend = api.liveRun()?.backend || backend;
        const text = api.trainingStatusText();
        if (text && /PyTorch/.test(text)) status = text;
        return status || (api.liveRun() === undefined && 'ended');
      }, 90_000);
      assert.match(status, /PyTorch \d+\.\d+\S* on CPU, \d+ threads?/, `the status bar names the engine and device: "${status}"`);
      assert.match(backend, /^PyTorch /, `the live run's backend: "${backend}"`);
      assert.match(backend, /on CPU/);
      const panel = await waitFor('the curves panel to get points', () => api.trainingPanels().find((p) => p.runIds[0] === started.runId && p.deliveredPoints > 0), 60_000);
      assert.ok(panel);
      await waitFor('the run to end', () => api.liveRun() === undefined, 90_000);
      console.log(`    PyTorch run of ${TINY.iterations} iterations ended in ${((Date.now() - began) / 1000).toFixed(1)} s; status bar "${status}"`);

      const folder = started.folder;
      const outcome = JSON.parse(fs.readFileSync(path.join(folder, 'outcome.json'), 'utf8'));
      assert.equal(outcome.status, 'finished', `the run finished (${outcome.detail})`);
      const config = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8'));
      assert.equal(config.backend, 'pytorch');
      assert.deepEqual(config.nets.map((n: { title: string }) => n.title), ['ResNet-20', 'plain-20']);
      const metrics = readMetrics(folder);
      for (const slot of ['a', 'b'] as const) {
        const train = metrics.filter((p) => p.slot === slot && p.split === 'train');
        assert.deepEqual(train.map((p) => p.step), [1, 2, 3, 4, 5, 6, 7, 8], `net ${slot} logged every step`);
        assert.ok(train.every((p) => Number.isFinite(p.loss)), `net ${slot} has finite losses`);
        assert.ok(metrics.some((p) => p.slot === slot && p.split === 'test' && p.step === TINY.iterations), `net ${slot} was tested at the end`);
        const latest = fs.readFileSync(path.join(folder, 'checkpoints', slot, 'latest'), 'utf8').trim();
        assert.equal(Number(latest.slice('step-'.length)), TINY.iterations, `net ${slot}'s last checkpoint (${latest}) is the last step`);
        for (const file of ['manifest.json', 'weights.bin']) assert.ok(fs.existsSync(path.join(folder, 'checkpoints', slot, latest, file)), `checkpoint ${slot}/${latest} has ${file}`);
      }
      assert.equal(api.trainingStatusText(), undefined, 'the status bar item hides when nothing trains');
    });
  });

  it('refuses a Python that does not exist, naming the setting and the path, and writes nothing', async () => {
    const missing = path.join(os.tmpdir(), 'resnet-lab-no-such-python', 'bin', 'python3');
    const before = runFolders();
    await withSettings({ 'resnetLab.training.backend': 'pytorch', 'resnetLab.python.path': missing }, async () => {
      const escaped = missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      await assert.rejects(api.startTraining(tiny()), (error: Error) => {
        assert.equal(error.name, 'PythonError');
        assert.match(error.message, new RegExp(`^No Python at ${escaped} \\(the setting "resnetLab\\.python\\.path"\\): the file does not exist\\.$`));
        return true;
      });
      assert.equal(api.liveRun(), undefined);
      assert.equal(api.trainingStatusText(), undefined);
    });
    assert.deepEqual(runFolders(), before, 'no run folder was created');
    // The setting is restored: nothing of this test stays behind.
    assert.equal(vscode.workspace.getConfiguration().get('resnetLab.python.path'), '');
  });
});
