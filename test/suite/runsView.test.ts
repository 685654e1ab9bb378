// The Runs view in a real VS Code: it follows a run training in this window (its state, the
// lowest step of its nets, each net's step and best test error, as metrics.jsonl has them), it
// refuses to delete a run that trains, and it shows the run stopped after Stop.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MetricPoint } from '../../core/training/types';
import type { ResNetLabApi } from '../../extension/extension';
import { trainingSuiteHooks, waitFor } from './helpers';

const TINY = {
  nets: [
    { kind: 'named', name: 'resnet-cifar-n1' },
    { kind: 'named', name: 'plain-cifar-n1' },
  ],
  data: { kind: 'synthetic', trainSize: 128, testSize: 32 },
  iterations: 400,
  batchSize: 16,
  seed: 5,
} as const;

/** The rows the view should show for a run, from its metrics.jsonl. */
function expectedNets(folder: string): string[] {
  const points = fs
    .readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as MetricPoint);
  return (['a', 'b'] as const).map((slot, i) => {
    const own = points.filter((p) => p.slot === slot);
    const tests = own.filter((p) => p.split === 'test' && typeof p.error === 'number').map((p) => p.error);
    const best = tests.length ? `best test error ${(Math.min(...tests) * 100).toFixed(1)}%` : 'no test error yet';
    return `${['ResNet-8', 'plain-8'][i]}: step ${Math.max(0, ...own.map((p) => p.step)).toLocaleString('en-US')} · ${best}`;
  });
}

describe('ResNet Lab: the Runs view', function () {
  this.timeout(180_000);
  let api: ResNetLabApi;
  trainingSuiteHooks((a) => (api = a));

  it('follows a run training in this window, never deletes it, and shows it stopped after Stop', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['resnetLab.runs.openCurves', 'resnetLab.runs.resume', 'resnetLab.runs.stop', 'resnetLab.runs.inspect', 'resnetLab.runs.reveal', 'resnetLab.runs.delete', 'resnetLab.getStarted']) {
      assert.ok(commands.includes(command), `${command} is registered`);
    }
    const live = await api.startTraining({ ...TINY, nets: [...TINY.nets], data: { ...TINY.data } });
    const rowOf = () => api.runsViewRows().find((r) => r.folder === live.folder);
    const training = await waitFor('the Runs view to show the run training past step 2', () => {
      const row = rowOf();
      const step = Number(/running · step (\d+) of 400/.exec(row?.description ?? '')?.[1] ?? 0);
      return row?.state === 'training' && step > 2 && row;
    }, 120_000);
    assert.equal(training.label, 'ResNet-8 vs plain-8');

    // Delete is refused while it trains: the folder stays.
    await vscode.commands.executeCommand('resnetLab.runs.delete', live.folder);
    assert.ok(fs.existsSync(path.join(live.folder, 'config.json')), 'Delete removed a run that was training');
    assert.ok(api.recentLog().some((line) => /is training \(pid \d+\); a run that trains is never deleted/.test(line)), 'the refusal is said');

    await vscode.commands.executeCommand('resnetLab.runs.stop', live.folder);
    const stopped = await waitFor('the Runs view to show the run stopped', () => {
      const row = rowOf();
      return row?.state === 'stopped' && api.liveRun() === undefined && row;
    }, 60_000);
    // Both nets as metrics.jsonl has them, and the run as far as its slower net.
    const nets = expectedNets(live.folder);
    const refreshed = await waitFor('the nets to match metrics.jsonl', () => {
      const row = rowOf();
      return row && JSON.stringify(row.nets) === JSON.stringify(nets) && row;
    }, 10_000).catch(() => rowOf());
    assert.deepEqual(refreshed?.nets, nets);
    const slowest = Math.min(...nets.map((n) => Number(/step ([\d,]+)/.exec(n)![1].replace(/,/g, ''))));
    assert.equal(stopped.description, `stopped at step ${slowest} of 400`);
  });
});
