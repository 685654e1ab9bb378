// Training in a real VS Code: a tiny residual/plain pair trains on the embedded data in worker
// threads of the real extension host; the curves panel gets the points, the status bar names
// the backend, VS Code answers commands within 200 ms (median) while it trains (the issue's figure),
// stop keeps the checkpoint and Resume Training continues from it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MetricPoint } from '../../core/training/types';
import type { ResNetLabApi } from '../../extension/extension';
import { readTrainingSettings } from '../../extension/training/trainingSettings';
import { estimateSeconds, SpeedMemory } from '../../extension/training/trainingSpeed';
import { planRun } from '../../core/training/plan';
import { trainingSuiteHooks, waitFor } from './helpers';

const TINY = {
  nets: [
    { kind: 'named', name: 'resnet-cifar-n1' },
    { kind: 'named', name: 'plain-cifar-n1' },
  ],
  data: { kind: 'synthetic', trainSize: 256, testSize: 64 },
  // Long enough to stop it midway (the test stops it long before the end), short enough that
  // every step is logged (logEvery 1) and evaluated every 14 steps.
  iterations: 560,
  batchSize: 16,
  seed: 3,
} as const;

const LATENCY_LIMIT_MS = 200;

function readMetrics(folder: string): MetricPoint[] {
  return fs
    .readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as MetricPoint);
}

function latestCheckpointStep(folder: string, slot: 'a' | 'b'): number {
  const name = fs.readFileSync(path.join(folder, 'checkpoints', slot, 'latest'), 'utf8').trim();
  assert.ok(fs.existsSync(path.join(folder, 'checkpoints', slot, name, 'weights.bin')), `checkpoint ${slot}/${name} has its weights`);
  return Number(name.slice('step-'.length));
}

async function timed(what: string, action: () => Thenable<unknown> | Promise<unknown>): Promise<{ what: string; ms: number }> {
  const began = performance.now();
  await action();
  return { what, ms: performance.now() - began };
}

describe('ResNet Lab: Train ResNet', function () {
  this.timeout(180_000);
  let api: ResNetLabApi;
  let folder = '';
  let stoppedAt = 0;
  trainingSuiteHooks((a) => (api = a));

  it('contributes its commands and settings', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['resnetLab.trainResNet', 'resnetLab.resumeTraining', 'resnetLab.openRun', 'resnetLab.stopTraining', 'resnetLab.installGpuBackend']) {
      assert.ok(commands.includes(command), `${command} is registered`);
    }
    assert.equal(vscode.workspace.getConfiguration('resnetLab.training').get('backend'), 'auto');
    assert.equal(vscode.workspace.getConfiguration('resnetLab.cifar10').get('url'), 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
  });

  it("estimates a comparison's time with the faster net's cores going to the slower once it ends", () => {
    const config = planRun({ nets: [{ kind: 'named', name: 'plain20' }, { kind: 'named', name: 'plain56' }], data: { kind: 'synthetic', trainSize: 1000, testSize: 100 }, iterations: 100, batchSize: 10, backend: 'wasm' });
    const evaluations = Math.ceil(100 / config.evalEvery);
    // Speeds (img/s) that give each net 100 s and 300 s of work on its half of the cores.
    const speedFor = (seconds: number) => (100 * 10 + (evaluations * 100) / 3) / seconds;
    const estimate = estimateSeconds(config, new Map([['a', speedFor(100)], ['b', speedFor(300)]]));
    // 100 s side by side, then plain-56's last 200 s of half-core work on all the cores: 100 s.
    assert.ok(Math.abs(estimate - 200) < 1e-6, `estimate ${estimate} s`);
    const alone = planRun({ nets: [{ kind: 'named', name: 'plain56' }], data: { kind: 'synthetic', trainSize: 1000, testSize: 100 }, iterations: 100, batchSize: 10, backend: 'wasm' });
    assert.ok(Math.abs(estimateSeconds(alone, new Map([['a', speedFor(300)]])) - 300) < 1e-6, 'one net: its own time');
  });

  it('remembers a net\'s speed from the steps both nets trained side by side, not from after its twin ended', () => {
    const config = planRun({ nets: [{ kind: 'named', name: 'plain20' }, { kind: 'named', name: 'plain56' }], data: { kind: 'synthetic', trainSize: 1000, testSize: 100 }, iterations: 30, batchSize: 10, backend: 'wasm' });
    const point = (slot: 'a' | 'b', step: number, imagesPerSec: number, time = 1000 * step): MetricPoint => ({ slot, step, epoch: 0, split: 'train', loss: 1, error: 0.5, lr: 0.1, imagesPerSec, time });
    const store: Record<string, unknown> = {};
    const memento = { keys: () => Object.keys(store), get: (key: string) => store[key], update: async (key: string, value: unknown) => void (store[key] = value) } as unknown as vscode.Memento;
    const memory = new SpeedMemory(memento);
    // plain-20 ends at step 10; plain-56 then takes all the cores and goes twice as fast.
    memory.recordRun(config, [...Array.from({ length: 10 }, (_, i) => point('a', i + 1, 100)), ...Array.from({ length: 30 }, (_, i) => point('b', i + 1, i < 10 ? 50 : 100))], 'WebAssembly', 'run');
    assert.equal(memory.get('plain-56', 'wasm')?.imagesPerSec, 50);
    assert.equal(memory.get('plain-56', 'wasm')?.sharing, 2);
    assert.equal(memory.get('plain-20', 'wasm')?.imagesPerSec, 100);
    // A short probe: plain-56 logs its speeds only after plain-20 has ended, so they are its speed alone.
    memory.recordRun(config, [point('a', 2, 100, 1000), point('b', 1, 40, 3000), point('b', 2, 40, 4000)], 'WebAssembly', 'probe');
    assert.equal(memory.get('plain-56', 'wasm')?.imagesPerSec, 40);
    assert.equal(memory.get('plain-56', 'wasm')?.sharing, 1);
    assert.equal(memory.get('plain-20', 'wasm')?.sharing, 2);
  });

  it('refuses an invalid backend setting with a message naming the setting', async () => {
    const config = vscode.workspace.getConfiguration('resnetLab.training');
    await config.update('backend', 'quantum', vscode.ConfigurationTarget.Global);
    try {
      await assert.rejects(api.startTraining({ ...TINY, nets: [...TINY.nets], data: { ...TINY.data } }), /The setting "resnetLab\.training\.backend" is "quantum"; it must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu/);
      assert.equal(api.liveRun(), undefined);
    } finally {
      await config.update('backend', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('names the CIFAR-10 setting that cannot be used, and why', async () => {
    const cifar = vscode.workspace.getConfiguration('resnetLab.cifar10');
    const missing = path.join(os.tmpdir(), 'resnet-lab-no-such-cifar-folder');
    await cifar.update('folder', missing, vscode.ConfigurationTarget.Global);
    try {
      assert.throws(() => readTrainingSettings(), new RegExp(`^SettingError: The setting "resnetLab\\.cifar10\\.folder" names "${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}", which does not exist`));
    } finally {
      await cifar.update('folder', undefined, vscode.ConfigurationTarget.Global);
    }
    await cifar.update('url', 'ftp://example.org/cifar-10-binary.tar.gz', vscode.ConfigurationTarget.Global);
    try {
      assert.throws(() => readTrainingSettings(), /The setting "resnetLab\.cifar10\.url" is "ftp:\/\/example\.org\/cifar-10-binary\.tar\.gz"; only http:, https: and file: URLs can be downloaded\./);
    } finally {
      await cifar.update('url', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.equal(readTrainingSettings().cifarFolder, null);
  });

  it('trains a tiny pair: curves panel fed, status bar names the backend, VS Code answers within 200 ms (median)', async () => {
    const started = await api.startTraining({ ...TINY, nets: [...TINY.nets], data: { ...TINY.data } });
    folder = started.folder;
    assert.match(folder, /\.resnet-lab[\\/]runs[\\/]\d{8}-\d{6}-resnet8-vs-plain8$/);
    const panel = await waitFor('the curves panel to get its first points', () => api.trainingPanels().find((p) => p.runIds[0] === started.runId && p.deliveredPoints > 0), 60_000);
    assert.ok(panel.readyCount >= 1, 'the page said ready and was answered');
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('resnetLab.training'));
    assert.equal(tab?.label, 'ResNet-8 vs plain-8');

    // The status bar: each net's own count (not the faster net's, not a sum), the ETA, the backend; each net's images/s in the tooltip.
    const n = TINY.iterations;
    const status = await waitFor('the status bar to show each net, the ETA and the backend', () => {
      const text = api.trainingStatusText();
      return text && /WebAssembly|TensorFlow|JavaScript/.test(text) && /left/.test(text) ? text : undefined;
    }, 30_000);
    assert.match(status, new RegExp(`^\\$\\(sync~spin\\) ResNet-8 \\d+/${n} · plain-8 \\d+/${n} · about .+ left · WebAssembly$`), 'auto picks WebAssembly here (no tfjs-node installed)');
    assert.match(api.trainingStatusTooltip() ?? '', /ResNet-8: step \d+ of \d+, \d+ images\/s\n\nplain-8: step \d+ of \d+, (\d+ images\/s|speed not measured yet)/);
    assert.match(api.liveRun()?.progress ?? '', new RegExp(`^Training · ResNet-8 \\d+/${n} · plain-8 \\d+/${n}`));

    const firstStep = panel.deliveredStep;
    const grown = await waitFor('more points to reach the page', () => api.trainingPanels().find((p) => p.deliveredStep >= firstStep + 10), 60_000);
    assert.ok(grown.deliveredPoints > panel.deliveredPoints);

    // While both worker threads train, the workbench and the extension host answer promptly.
    const document = await vscode.workspace.openTextDocument({ content: '' });
    await vscode.window.showTextDocument(document, vscode.ViewColumn.Beside);
    // The first edit of a just-opened editor builds its view model: not a measure of responsiveness.
    const warmUp = new vscode.WorkspaceEdit();
    warmUp.insert(document.uri, new vscode.Position(0, 0), 'warm-up\n');
    await vscode.workspace.applyEdit(warmUp);
    const samples: Array<{ what: string; ms: number }> = [];
    for (let round = 0; round < 5; round++) {
      const typing = new vscode.WorkspaceEdit();
      typing.insert(document.uri, new vscode.Position(round + 1, 0), `typed while training ${round}\n`);
      samples.push(await timed('type a line', () => vscode.workspace.applyEdit(typing)));
      samples.push(await timed('workbench.action.focusActiveEditorGroup', () => vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup')));
      samples.push(await timed('resnetLab.showTraining', () => vscode.commands.executeCommand('resnetLab.showTraining')));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const live = api.liveRun();
    assert.equal(live?.status, 'running', 'the run was training throughout the measurement');
    const worst = samples.reduce((a, b) => (b.ms > a.ms ? b : a));
    console.log(`    latency samples (ms): ${samples.map((s) => `${s.what} ${s.ms.toFixed(0)}`).join(', ')}`);
    const median = samples.map((s) => s.ms).sort((a, b) => a - b)[Math.floor(samples.length / 2)];
    console.log(`    latency while training (${samples.length} samples): median ${median.toFixed(1)} ms, worst ${worst.ms.toFixed(1)} ms (${worst.what})`);
    // The median, not the worst: one slow sample on a shared 2-core machine says nothing of
    // the extension; a host blocked by training would make most samples slow.
    assert.ok(median < LATENCY_LIMIT_MS, `the median answer took ${median.toFixed(0)} ms while training (limit ${LATENCY_LIMIT_MS} ms)`);
    assert.equal(document.getText().split('\n').filter((l) => l.startsWith('typed while training')).length, 5);
  });

  it('closing the curves panel loses nothing: reopened, the page catches up from the run folder', async () => {
    const runId = path.basename(folder);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the curves panel to close', () => api.trainingPanels().length === 0);
    const stepWhileClosed = (await waitFor('training to go on while the panel is closed', () => api.liveRun()?.step, 10_000)) + 5;
    await waitFor('five more steps', () => (api.liveRun()?.step ?? 0) >= stepWhileClosed, 30_000);
    await vscode.commands.executeCommand('resnetLab.showTraining');
    const reopened = await waitFor('the reopened page to get every point so far', () => api.trainingPanels().find((p) => p.runIds[0] === runId && p.readyCount === 1 && p.deliveredStep >= stepWhileClosed), 30_000);
    assert.ok(reopened.deliveredPoints >= readMetrics(folder).filter((p) => p.step <= stepWhileClosed).length);
  });

  it('writes the run folder: config, metrics, checkpoints', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8'));
    assert.deepEqual(config.nets.map((n: { title: string }) => n.title), ['ResNet-8', 'plain-8']);
    assert.equal(config.data.kind, 'synthetic');
    const metrics = readMetrics(folder);
    assert.ok(metrics.some((p) => p.slot === 'a' && p.split === 'train') && metrics.some((p) => p.slot === 'b' && p.split === 'test'));
    // A checkpoint at least once an epoch (here every 14 steps: an epoch is 16 steps of batch 16 on 256 images).
    await waitFor('the first checkpoint of net a', () => fs.existsSync(path.join(folder, 'checkpoints', 'a', 'latest')), 60_000);
    assert.ok(latestCheckpointStep(folder, 'a') > 0);
  });

  it('stops with the checkpoint kept: "Stopping…" at once, then each net stopped at its step', async () => {
    const stopping = api.stopTraining();
    // Said before the nets finish their step and write their checkpoints.
    assert.equal(api.liveRun()?.status, 'stopping');
    assert.match(api.trainingStatusText() ?? '', /^\$\(sync~spin\) Stopping… · ResNet-8 \d+\/\d+ · plain-8 \d+\/\d+ · /);
    const status = await stopping;
    assert.equal(status, 'stopped');
    assert.equal(api.liveRun(), undefined);
    assert.equal(api.trainingStatusText(), undefined, 'the status bar item hides when nothing trains');
    const metrics = readMetrics(folder);
    stoppedAt = Math.max(...metrics.filter((p) => p.slot === 'a').map((p) => p.step));
    // Each net writes a checkpoint at the step it stopped on.
    assert.equal(latestCheckpointStep(folder, 'a'), stoppedAt);
    assert.equal(latestCheckpointStep(folder, 'b'), Math.max(...metrics.filter((p) => p.slot === 'b').map((p) => p.step)));
    assert.ok(stoppedAt > 0 && stoppedAt < TINY.iterations);
    // The stop message names the steps the counters show: each net's checkpoint.
    const outcome = JSON.parse(fs.readFileSync(path.join(folder, 'outcome.json'), 'utf8')) as { detail: string };
    assert.ok(outcome.detail.includes(`ResNet-8 at step ${latestCheckpointStep(folder, 'a')} of ${TINY.iterations}`) && outcome.detail.includes(`plain-8 at step ${latestCheckpointStep(folder, 'b')} of ${TINY.iterations}`), outcome.detail);
  });

  it('resumes from the checkpoint with Resume Training, keeping the metrics so far', async () => {
    // Each net resumes from its own checkpoint (a stop may land while one net is a step behind the other).
    const checkpointOf = { a: latestCheckpointStep(folder, 'a'), b: latestCheckpointStep(folder, 'b') };
    const upToCheckpoint = (points: MetricPoint[]) => points.filter((p) => p.step <= checkpointOf[p.slot]).map((p) => `${p.slot} ${p.split} ${p.step} ${p.loss}`).sort();
    const before = upToCheckpoint(readMetrics(folder));
    const resumed = (await vscode.commands.executeCommand('resnetLab.resumeTraining', folder)) as { runId: string; step: number };
    assert.equal(resumed.runId, path.basename(folder));
    await waitFor('the resumed run to pass its checkpoint by 10 steps', () => (api.liveRun()?.step ?? 0) >= stoppedAt + 10, 60_000);
    const panel = await waitFor('the panel to show the resumed steps', () => api.trainingPanels().find((p) => p.runIds[0] === resumed.runId && p.deliveredStep >= stoppedAt + 10), 30_000);
    assert.ok(panel);
    const after = readMetrics(folder);
    assert.deepEqual(upToCheckpoint(after), before, 'the points up to each checkpoint are kept, unchanged');
    const next = after.filter((p) => p.slot === 'a' && p.split === 'train' && p.step > stoppedAt).map((p) => p.step);
    assert.equal(next[0], stoppedAt + 1, 'training continues at the step after the checkpoint');
    assert.equal(await api.stopTraining(), 'stopped');
  });

  it('Install GPU Backend installs into the extension storage, or says exactly why it cannot', async () => {
    const result = await api.installGpuBackend();
    assert.ok(!result.folder.includes(`${path.sep}.resnet-lab${path.sep}`) && !result.folder.startsWith(vscode.workspace.workspaceFolders![0].uri.fsPath), `installs outside the workspace (${result.folder})`);
    assert.ok(fs.existsSync(path.join(result.folder, 'package.json')));
    console.log(`    GPU backend: ${result.message}`);
    if (result.ok) assert.match(result.message, /installed and loads/);
    // Here: no network beyond the npm registry (TensorFlow's library is on storage.googleapis.com), and no CUDA.
    else assert.match(result.message, /no network: .*(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT)|CUDA missing: no nvidia-smi|does not load: /);
  });

  it('opens past runs with Open Run, overlays, and exports the metrics as CSV', async () => {
    const second = await api.startTraining({ ...TINY, nets: [...TINY.nets], data: { ...TINY.data }, iterations: 12 });
    await waitFor('the short run to finish', () => api.liveRun() === undefined, 60_000);
    // Its panel loaded first: closed while it loads, it would hold the next webview (helpers.ts: pagesLoad).
    await waitFor('the short run\'s panel to load', () => api.trainingPanels().find((p) => p.runIds[0] === second.runId && p.readyCount >= 1), 30_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const info = (await vscode.commands.executeCommand('resnetLab.openRun', [folder, second.folder])) as { runIds: string[] };
    assert.deepEqual(info.runIds, [path.basename(folder), second.runId]);
    await waitFor('the page to get both runs', () => api.trainingPanels().find((p) => p.readyCount >= 1 && p.deliveredPoints === readMetrics(folder).length + readMetrics(second.folder).length), 20_000);

    const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-csv-')), 'metrics.csv');
    api.useSaveDialog(async () => vscode.Uri.file(target));
    try {
      await api.receiveFromTrainingPage(path.basename(folder), { type: 'exportCsv', runId: path.basename(folder) });
    } finally {
      api.useSaveDialog(undefined);
    }
    const lines = fs.readFileSync(target, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'net,step,epoch,split,loss,error,lr,images_per_sec,time');
    assert.equal(lines.length - 1, readMetrics(folder).length);
    assert.match(lines[1], /^(ResNet-8|plain-8),1,0,train,/);
  });
});
