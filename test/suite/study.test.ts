// Studies in a real VS Code: the commands are there; a study written from a preset; Run Study
// from the command (runs through the window's live run, a study status bar item), Stop Study
// mid-way, Run Study again finishes it; Show Reproduction Report writes the Markdown and its
// figures and opens VS Code's Markdown preview. Tiny nets on the embedded data.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunFolder } from '../../core/training/runFolder';
import type { ResNetLabApi } from '../../extension/extension';
import { trainingSuiteHooks, waitFor } from './helpers';

describe('ResNet Lab: studies (New Study, Run Study, Stop Study, Show Reproduction Report)', function () {
  this.timeout(240_000);
  let api: ResNetLabApi;
  let file = '';
  const workspace = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
  const runFolder = (id: string) => path.join(workspace(), '.resnet-lab', 'runs', id);
  const ids = ['inhost-plain8-seed1', 'inhost-plain14-seed1'];
  trainingSuiteHooks((a) => (api = a), (a) => a.stopStudy());

  it('contributes its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['resnetLab.newStudy', 'resnetLab.runStudy', 'resnetLab.stopStudy', 'resnetLab.showReproductionReport']) assert.ok(commands.includes(command), `${command} is registered`);
  });

  it('writes a study from a preset into .resnet-lab/studies/', async () => {
    file = await api.newStudy('fig1', { name: 'inhost', data: 'synthetic', iterations: 40, batch: 8, trainSize: 64, testSize: 32, engine: 'wasm' });
    assert.equal(file, path.join(workspace(), '.resnet-lab', 'studies', 'inhost.json'));
    const study = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual([study.title, study.nets, study.seeds, study.budget], ['Fig. 1: plain-20 vs plain-56 on CIFAR-10', ['plain'], [1], { iterations: 40, batch: 8 }]);
    // Quicker nets for the test: plain-8 and plain-14.
    fs.writeFileSync(file, JSON.stringify({ ...study, depths: [8, 14] }, null, 2));
  });

  it('Run Study trains through the live run with a study status bar item; Stop Study stops it with the checkpoint kept', async () => {
    await vscode.commands.executeCommand('resnetLab.runStudy', file);
    await waitFor('the study status bar item', () => api.studyStatusText()?.startsWith('$(beaker) Study inhost: 0 of 2 runs finished'), 30_000);
    const live = await waitFor('the first run training', () => {
      const info = api.liveRun();
      return info?.runId === ids[0] && info.step >= 4 && info;
    }, 120_000);
    assert.equal(live.folder, runFolder(ids[0]));
    assert.ok(api.trainingPanels().some((p) => p.runIds[0] === ids[0]), 'its curves panel is open');
    await vscode.commands.executeCommand('resnetLab.stopStudy');
    await waitFor('the study to stop', () => api.studyStatusText() === undefined && api.liveRun() === undefined, 60_000);
    const first = new RunFolder(runFolder(ids[0]));
    assert.equal(first.readOutcome()?.status, 'stopped');
    assert.ok(first.latestCheckpoint('a'), 'the stopped run kept a checkpoint');
    assert.ok(!fs.existsSync(runFolder(ids[1])), 'the next run did not start');
  });

  it('Run Study again resumes the stopped run and finishes the study', async () => {
    const stoppedAt = new RunFolder(runFolder(ids[0])).latestCheckpoint('a')!.step;
    const outcome = await api.runStudy(file);
    assert.deepEqual([outcome.status, outcome.done, outcome.total], ['finished', 2, 2], outcome.detail);
    for (const id of ids) {
      const run = new RunFolder(runFolder(id));
      assert.equal(run.readOutcome()?.status, 'finished');
      const steps = run.readMetrics().filter((p) => p.split === 'train').map((p) => p.step);
      assert.deepEqual(steps, Array.from({ length: 40 }, (_, i) => i + 1), `${id}: every step once`);
    }
    assert.ok(stoppedAt > 0);
  });

  it('Show Reproduction Report writes the Markdown and figures beside the study and opens the Markdown preview', async () => {
    const result = (await vscode.commands.executeCommand('resnetLab.showReproductionReport', file)) as { markdown: string; headline: string; figures: string[] };
    assert.equal(result.markdown, path.join(workspace(), '.resnet-lab', 'studies', 'inhost-report.md'));
    const text = fs.readFileSync(result.markdown, 'utf8');
    assert.equal(text.split('\n')[0], "**40 of 64,000 iterations, synthetic shapes, not CIFAR-10, on 64 of 45,000 training images, tested on 32 of 10,000 images, batch 8 (the paper: 128): not comparable with the paper's figures.**");
    assert.deepEqual(result.figures.map((f) => path.basename(f)), ['inhost-report-fig6.svg', 'inhost-report-fig7.svg']);
    assert.match(text, /\| plain-8 \| 1 \| \d+\.\d\d \| \d+\.\d\d \| – \| – \| – \| 40 of 40 \|/);
    assert.match(text, /\| plain-14 \| \d\.\d{3} \| 1 \| 40 \|/, "Fig. 7's row for plain-14, from its step-40 checkpoint");
    await waitFor('the Markdown preview', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && /markdown\.preview/.test(t.input.viewType) && t.label.includes('inhost-report')),
    );
  });
});
