// Studies, as a user runs them: `resnet-lab study run` in a child process on the real CIFAR-10
// (2 depths × residual/plain × 2 seeds × 30 iterations, 300 training images), killed mid-way
// and run again (it resumes and finishes), `resnet-lab report` (its numbers are the run
// folders' own), and the exported study trained under torchrun with two processes (gloo).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildReport } from '../../core/study/report';
import { readStudy, StudyError, studyFromPreset, STUDY_PRESETS } from '../../core/study/studyFile';
import { planStudyRuns } from '../../core/study/studyRuns';
import { RunFolder } from '../../core/training/runFolder';
import { extractedCifar10 } from './dataSupport';

const repoRoot = path.resolve(__dirname, '../../..');
const bin = path.join(repoRoot, 'bin', 'resnet-lab.js');

function resnetLab(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The independent formula the report must agree with: the sample standard deviation (n − 1). */
function sampleStd(values: number[]): number {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

describe('study files', () => {
  test('the presets are the paper\'s Table 6, Fig. 6 and Fig. 1, at its budget', () => {
    const table6 = studyFromPreset('table6');
    assert.deepEqual([table6.depths, table6.nets, table6.seeds], [[20, 32, 44, 56, 110], ['residual'], [1, 2, 3, 4, 5]]);
    assert.deepEqual(table6.budget, { iterations: 64_000, batch: 128 });
    assert.deepEqual([table6.data.trainSize, table6.data.testSize], [45_000, 10_000]);
    const fig6 = studyFromPreset('fig6');
    assert.deepEqual([fig6.depths, fig6.nets, fig6.seeds], [[20, 32, 44, 56], ['residual', 'plain'], [1]]);
    const fig1 = studyFromPreset('fig1');
    assert.deepEqual([fig1.depths, fig1.nets], [[20, 56], ['plain']]);
    assert.equal(STUDY_PRESETS.length, 3);
    // Fig. 6: one run per depth, the ResNet and its plain twin side by side, named after the study.
    const runs = planStudyRuns({ ...fig6, data: { ...fig6.data, kind: 'synthetic' } }, '/runs');
    assert.deepEqual(runs.map((r) => r.id), ['fig6-resnet20-vs-plain20-seed1', 'fig6-resnet32-vs-plain32-seed1', 'fig6-resnet44-vs-plain44-seed1', 'fig6-resnet56-vs-plain56-seed1']);
    assert.equal(runs[0].config.iterations, 64_000);
  });

  test('a bad study file is refused with a message naming the file, the field and the rule', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-study-bad-'));
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ ...studyFromPreset('fig1', { name: 'bad' }), depths: [20, 21], budget: { batch: 128 } }));
    assert.throws(() => readStudy(file), (error: Error) => {
      assert.ok(error instanceof StudyError);
      assert.match(error.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid study`));
      assert.match(error.message, /depths\.1: a CIFAR-10 depth is 6n\+2/);
      assert.match(error.message, /budget: give "iterations" or "epochs", exactly one/);
      return true;
    });
    fs.writeFileSync(file, '{ "version": 1,');
    assert.throws(() => readStudy(file), /bad\.json: not valid JSON/);
    fs.writeFileSync(file, JSON.stringify(studyFromPreset('fig1', { name: 'other' })));
    assert.throws(() => readStudy(file), /its "name" is "other" but the file is named bad\.json/);
    const cli = resnetLab('study', 'run', file);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /resnet-lab study: .*its "name" is "other"/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('the report\'s first line', () => {
  /** A run folder of the paper's plan (64k iterations, 45k/10k CIFAR-10, batch 128) whose nets logged up to `reached`. */
  function runReached(root: string, id: string, seed: number, reached: number): string {
    const config = planStudyRuns({ ...studyFromPreset('table6'), seeds: [seed], depths: [20] }, root, '/data/cifar-10-batches-bin')[0].config;
    const run = RunFolder.create(root, { ...config, id });
    run.appendMetrics([
      { slot: 'a', step: reached, epoch: 1, split: 'train', loss: 0.3, error: 0.05, lr: 0.001, time: 0 },
      { slot: 'a', step: reached, epoch: 1, split: 'test', loss: 0.3, error: 0.0851 + seed / 1000, lr: 0.001, time: 0 },
    ]);
    return run.folder;
  }

  test('says "2,000 of 64,000 iterations: not comparable" for short runs, names unstarted runs, and "comparable" only at the paper\'s budget', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-study-headline-'));
    const short = [runReached(root, 's1', 1, 2000), runReached(root, 's2', 2, 2000)];
    const partial = buildReport(short, { title: 't', source: 's', planned: ['s1', 's2', 's3'] });
    assert.equal(partial.headline, "2,000 of 64,000 iterations, 1 planned run not started: not comparable with the paper's figures.");
    assert.deepEqual(partial.unfinished, ['s1', 's2']);
    const full = buildReport([runReached(root, 'f1', 1, 64_000), runReached(root, 'f2', 2, 64_000)], { title: 't', source: 's' });
    assert.equal(full.headline, "64,000 of 64,000 iterations at batch 128 on the 45k/5k split, tested on all 10,000 images, 2 seeds: the paper's budget, comparable with its Table 6.");
    const row = full.rows[0];
    assert.deepEqual([row.title, row.errors, row.paper?.error, row.reproduction], ['ResNet-20', [0.0861, 0.0871], 8.75, { mean: 8.59, std: 0.12 }]);
    assert.ok(Math.abs(row.std! - Math.sqrt(2 * 0.0005 ** 2)) < 1e-12, 'sample std (n − 1)');
    assert.ok(Math.abs(row.gap! - (8.66 - 8.75)) < 1e-9);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe('a tiny study on the real CIFAR-10, end to end', { concurrency: false }, () => {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-study-'));
  const studyFile = path.join(workspace, '.resnet-lab', 'studies', 'tiny.json');
  const runsRoot = path.join(workspace, '.resnet-lab', 'runs');
  const ids = ['tiny-resnet8-vs-plain8-seed1', 'tiny-resnet20-vs-plain20-seed1', 'tiny-resnet8-vs-plain8-seed2', 'tiny-resnet20-vs-plain20-seed2'];
  let cifar = '';

  before(async () => {
    cifar = await extractedCifar10();
    const made = resnetLab('study', 'new', 'fig6', '--name', 'tiny', '--dir', workspace, '--iterations', '30', '--batch', '16', '--train-size', '300', '--test-size', '100', '--seeds', '2');
    assert.equal(made.code, 0, made.stderr);
    // 2 depths (ResNet-8 is quick; ResNet-20 has the paper's figures), and this machine's CIFAR-10.
    const study = JSON.parse(fs.readFileSync(studyFile, 'utf8'));
    fs.writeFileSync(studyFile, JSON.stringify({ ...study, depths: [8, 20], data: { ...study.data, folder: cifar }, engine: 'wasm' }, null, 2));
  });
  after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  test('stopped mid-way (its process killed), `study run` again skips the finished run, resumes the stopped one from its checkpoint and finishes', async () => {
    const child = spawn(process.execPath, [bin, 'study', 'run', studyFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = once(child, 'exit');
    // Kill it (as a crash would) once the second run has a checkpoint past its first.
    const second = new RunFolder(path.join(runsRoot, ids[1]));
    let killedAt = -1;
    while (child.exitCode === null) {
      const step = fs.existsSync(path.join(second.checkpointsFolder, 'b', 'latest')) ? (second.latestCheckpoint('b')?.step ?? 0) : 0;
      if (step >= 8 && step < 30) {
        killedAt = Math.min(step, second.latestCheckpoint('a')?.step ?? 0);
        child.kill('SIGKILL');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [code, signal] = await exited;
    assert.ok(killedAt > 0, `the study was killed during its second run, not ended by itself (exit code ${code}, signal ${signal}; stdout: ${stdout.slice(-1500)}; stderr: ${stderr.slice(-1500)})`);
    assert.match(stderr, /Run tiny-resnet8-vs-plain8-seed1: finished/);
    const firstMetrics = fs.statSync(new RunFolder(path.join(runsRoot, ids[0])).metricsFile).mtimeMs;
    assert.ok(!fs.existsSync(path.join(runsRoot, ids[2])), 'nothing after the killed run started');

    const status = resnetLab('study', 'status', studyFile);
    assert.match(status.stdout, /1 of 4 runs finished, tiny-resnet20-vs-plain20-seed1 stopped at \d+ of 30 iterations, 2 to do/);

    const again = resnetLab('study', 'run', studyFile);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /1 of 4 runs finished/);
    assert.doesNotMatch(again.stderr, /Run tiny-resnet8-vs-plain8-seed1 \(/, 'the finished run is skipped');
    assert.match(again.stderr, /Run tiny-resnet20-vs-plain20-seed1 \(2 of 4\): resuming from step \d+/);
    assert.match(again.stdout, /Study tiny finished: all 4 runs finished/);
    assert.equal(fs.statSync(new RunFolder(path.join(runsRoot, ids[0])).metricsFile).mtimeMs, firstMetrics, 'the finished run was not touched');
    for (const id of ids) {
      const run = new RunFolder(path.join(runsRoot, id));
      assert.equal(run.readOutcome()?.status, 'finished', `${id} finished`);
      for (const slot of ['a', 'b'] as const) {
        const steps = run.readMetrics().filter((p) => p.slot === slot && p.split === 'train').map((p) => p.step);
        assert.deepEqual(steps, [...new Set(steps)].sort((x, y) => x - y), `${id}/${slot}: each step logged once, in order (the resumed steps replace the lost ones)`);
        assert.equal(steps[steps.length - 1], 30);
      }
    }
  });

  test('`resnet-lab report` states the truth first, and its numbers are the run folders\' metrics (mean, sample std, min)', () => {
    const md = path.join(workspace, 'report.md');
    const result = resnetLab('report', studyFile, '--md', md);
    assert.equal(result.code, 0, result.stderr);
    const text = fs.readFileSync(md, 'utf8');
    assert.equal(text.split('\n')[0], "**30 of 64,000 iterations, on 300 of 45,000 training images, tested on 100 of 10,000 images, batch 16 (the paper: 128): not comparable with the paper's figures.**");
    // Each net's last test error, from the run folders themselves.
    const byTitle = new Map<string, number[]>();
    for (const id of ids) {
      const run = new RunFolder(path.join(runsRoot, id));
      const config = run.readConfig();
      for (const net of config.nets) {
        const tests = run.readMetrics().filter((p) => p.slot === net.slot && p.split === 'test');
        byTitle.set(net.title, [...(byTitle.get(net.title) ?? []), tests[tests.length - 1].error]);
      }
    }
    assert.deepEqual([...byTitle.keys()].sort(), ['ResNet-20', 'ResNet-8', 'plain-20', 'plain-8']);
    const f = (e: number) => (e * 100).toFixed(2);
    for (const [title, errors] of byTitle) {
      assert.equal(errors.length, 2);
      const m = (errors[0] + errors[1]) / 2;
      const row = `| ${title} | 2 | ${f(m)} ± ${f(sampleStd(errors))} | ${f(Math.min(...errors))} |`;
      assert.ok(text.includes(row), `the report has the row ${row}:\n${text}`);
    }
    // ResNet-20 beside the paper (8.75) and the reproduction (8.59 ± 0.12), with the gap.
    const r20 = byTitle.get('ResNet-20')!;
    const gap = ((r20[0] + r20[1]) / 2) * 100 - 8.75;
    assert.match(text, new RegExp(`\\| ResNet-20 \\| 2 \\| [^|]+ \\| [^|]+ \\| 8\\.75 \\| 8\\.59 ± 0\\.12 \\| \\+${gap.toFixed(2).replace('.', '\\.')} \\| 30 of 30 \\|`));
    assert.match(text, /\| ResNet-8 \| 2 \| [^|]+ \| [^|]+ \| – \| – \| – \| 30 of 30 \|/);
    // The figures, written beside it and linked.
    assert.match(text, /!\[Fig\. 6[^\]]*\]\(report-fig6\.svg\)/);
    assert.match(text, /!\[Fig\. 7[^\]]*\]\(report-fig7\.svg\)/);
    const fig6 = fs.readFileSync(path.join(workspace, 'report-fig6.svg'), 'utf8');
    // Plain and residual panels, a thin training and a bold test curve per net.
    assert.match(fig6, /Plain nets[\s\S]*Residual nets/);
    assert.equal((fig6.match(/<path [^>]*stroke-width="1"/g) ?? []).length, 4);
    assert.equal((fig6.match(/<path [^>]*stroke-width="3"/g) ?? []).length, 4);
    const fig7 = fs.readFileSync(path.join(workspace, 'report-fig7.svg'), 'utf8');
    assert.equal((fig7.match(/<path /g) ?? []).length, 8, 'Fig. 7: each of the 4 nets in layer order and sorted');
    assert.match(text, /\| ResNet-20 \| \d+\.\d{3} \| 2 \| 30 \|/, "Fig. 7's mean response std per net, over both seeds, at step 30");
  });

  test('the exported study trains one of its runs under torchrun with 2 processes (gloo, CPU)', () => {
    const to = path.join(workspace, 'export');
    const exported = resnetLab('study', 'export', studyFile, '--to', to);
    assert.equal(exported.code, 0, exported.stderr);
    assert.deepEqual(fs.readdirSync(to).sort(), ['README.md', 'run-all.sh', ...[...ids].sort()]);
    const script = fs.readFileSync(path.join(to, 'run-all.sh'), 'utf8');
    for (const id of ids) assert.match(script, new RegExp(`^train ${id} a\\ntrain ${id} b$`, 'm'));
    // Debian's torch 1.13 torchrun on Python 3.11 needs --redirects 1 --tee 1.
    const env = { ...process.env, DATA: cifar, NPROC: '2', ONLY: ids[0], TORCHRUN: '/usr/bin/torchrun', TORCHRUN_ARGS: '--redirects 1 --tee 1', TRAINER_ARGS: '--threads 1 --device cpu' };
    const result = spawnSync('bash', [path.join(to, 'run-all.sh')], { env, encoding: 'utf8', timeout: 600_000 });
    assert.equal(result.status, 0, `run-all.sh exited ${result.status}: ${(result.stderr ?? '').slice(-1500)}`);
    const run = new RunFolder(path.join(to, ids[0], 'runs', ids[0]));
    assert.equal(run.readOutcome()?.status, 'finished');
    for (const slot of ['a', 'b'] as const) assert.equal(Math.max(...run.readMetrics().filter((p) => p.slot === slot).map((p) => p.step)), 30);
    assert.ok(!fs.existsSync(path.join(to, ids[1], 'runs')), 'ONLY trained only that run');
  });
});
