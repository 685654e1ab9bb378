// Studies in VS Code: New Study… (a preset and a budget → .resnet-lab/studies/NAME.json, opened),
// Run Study… (its runs one after another through this window's live run: the progress
// notification, the training status bar and the curves panel of each run, plus a study status
// bar item that stops it; running it again resumes), Stop Study, and Show Reproduction Report
// (Markdown and SVG figures beside the study file, opened in VS Code's Markdown preview).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { InspectorClient } from '../../core/inspect/client';
import { buildReport } from '../../core/study/report';
import { fig7Data, writeReportFiles } from '../../core/study/reportFiles';
import { StudyOutcome, StudyRunner } from '../../core/study/runner';
import { readStudy, Study, STUDIES_FOLDER, studyFileOf, studyFromPreset, StudyOverrides, STUDY_PRESETS, studySchema, writeNewStudy } from '../../core/study/studyFile';
import { planStudyRuns, studyProgressText, studyRunStates } from '../../core/study/studyRuns';
import { guarded, showProblem } from '../errors';
import { log } from '../log';
import { cachedOrDownloadedCifar, checkLocalCifar, cifarCacheDir } from '../training/cifarData';
import { runsRootOf, workspaceFolderForRuns } from '../training/runLocations';
import { windowTraining } from '../training/trainingCommands';
import { readTrainingSettings } from '../training/trainingSettings';

const NEW_STUDY_COMMAND = 'resnetLab.newStudy';
const RUN_STUDY_COMMAND = 'resnetLab.runStudy';
const STOP_STUDY_COMMAND = 'resnetLab.stopStudy';
const REPORT_COMMAND = 'resnetLab.showReproductionReport';

/** The studies part of the extension's API (for tests and other extensions). */
export interface StudyApi {
  /** Writes a study from a preset (no questions) into the workspace folder; resolves to its file. */
  newStudy(presetId: string, overrides?: StudyOverrides): Promise<string>;
  /** Runs a study file as Run Study does; resolves when it ends (finished, stopped or failed). */
  runStudy(file: string): Promise<StudyOutcome>;
  /** Stops the study running in this window (each run keeps its checkpoint). */
  stopStudy(): Promise<void>;
  /** The study status bar text, or undefined while hidden. */
  studyStatusText(): string | undefined;
  /** Writes the study's report next to it and opens its Markdown preview; resolves to the Markdown file and its first line. */
  showReport(file: string): Promise<{ markdown: string; headline: string; figures: string[] }>;
}

/** The budgets New Study offers. */
const BUDGETS: Array<{ label: string; detail: string; suffix: string; overrides: StudyOverrides }> = [
  {
    label: "The paper's budget",
    detail: '64,000 iterations of batch 128 on the 45,000 training images, tested on all 10,000: comparable with the paper (days per run on a CPU; for a GPU, or "resnet-lab study export" for a cluster).',
    suffix: '',
    overrides: {},
  },
  {
    label: 'A short look',
    detail: '2,000 iterations of batch 128 on 5,000 training images, tested on 1,000: the trends in hours on a CPU, not comparable with the paper (the report says so).',
    suffix: '-short',
    overrides: { iterations: 2000, trainSize: 5000, testSize: 1000 },
  },
];

/** The study files of the workspace folders. */
function workspaceStudies(): string[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .flatMap((f) => {
      const folder = path.join(f.uri.fsPath, STUDIES_FOLDER);
      return fs.existsSync(folder) ? fs.readdirSync(folder).filter((n) => n.endsWith('.json')).map((n) => path.join(folder, n)) : [];
    });
}

/** The workspace folder that holds a study file (its runs go there). */
function workspaceOf(file: string): vscode.WorkspaceFolder {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
  if (!folder) throw new Error(`${file} is not in an open workspace folder; a study's runs are saved in the workspace folder that holds it.`);
  return folder;
}

/** The study a command works on: its argument, the study open in the editor, the only one, or the one picked. */
async function pickStudy(argument: unknown, title: string): Promise<string | undefined> {
  if (typeof argument === 'string') return argument;
  if (argument instanceof vscode.Uri) return argument.fsPath;
  const studies = workspaceStudies();
  const active = vscode.window.activeTextEditor?.document.uri.fsPath;
  if (active && studies.includes(active)) return active;
  if (studies.length === 0) {
    const create = 'New Study…';
    const answer = await vscode.window.showInformationMessage(`ResNet Lab: no study in this workspace (${STUDIES_FOLDER}). Create one first.`, create);
    if (answer === create) await vscode.commands.executeCommand(NEW_STUDY_COMMAND);
    return undefined;
  }
  if (studies.length === 1) return studies[0];
  const picked = await vscode.window.showQuickPick(
    studies.map((file) => {
      let detail: string;
      try {
        const study = readStudy(file);
        detail = `${study.title} · ${studyProgressText(studyRunStates(planStudyRuns(study, runsRootOf(workspaceOf(file)))))}`;
      } catch (error) {
        detail = (error as Error).message;
      }
      return { label: path.basename(file, '.json'), description: vscode.workspace.asRelativePath(file), detail, file };
    }),
    { title, placeHolder: 'Which study?', matchOnDetail: true, ignoreFocusOut: true },
  );
  return picked?.file;
}

/** The CIFAR-10 folder of this machine for a study: its own data.folder, else the settings' folder or the extension's copy. */
async function studyData(study: Study, globalStorage: vscode.Uri): Promise<string | undefined | null> {
  if (study.data.kind !== 'cifar10') return null;
  if (study.data.folder) return study.data.folder;
  const settings = readTrainingSettings();
  return settings.cifarFolder ? checkLocalCifar(settings.cifarFolder) : cachedOrDownloadedCifar(cifarCacheDir(globalStorage), settings.cifarUrl);
}

export function registerStudies(context: vscode.ExtensionContext): StudyApi {
  const statusItem = vscode.window.createStatusBarItem('resnetLab.study', vscode.StatusBarAlignment.Left, 48);
  statusItem.name = 'ResNet Lab: study';
  statusItem.command = STOP_STUDY_COMMAND;
  let runner: StudyRunner | undefined;
  let running: { name: string; outcome: Promise<StudyOutcome> } | undefined;

  const newStudy = async (presetId: string, overrides: StudyOverrides = {}, folder?: vscode.WorkspaceFolder): Promise<string> => {
    const workspace = folder ?? (await workspaceFolderForRuns());
    if (!workspace) throw new Error('No workspace folder was picked for the study.');
    const study = studyFromPreset(presetId, overrides);
    const file = studyFileOf(workspace.uri.fsPath, study.name);
    writeNewStudy(file, study);
    log().info(`study ${study.name}: written to ${file}`);
    return file;
  };

  const newStudyCommand = async (): Promise<string | undefined> => {
    const preset = await vscode.window.showQuickPick(
      STUDY_PRESETS.map((p) => ({ label: p.label, detail: p.detail, preset: p })),
      { title: 'ResNet Lab: New Study (1/3): what to reproduce', placeHolder: 'A preset; edit the file it writes to change depths, seeds or budget', ignoreFocusOut: true },
    );
    if (!preset) return undefined;
    const budget = await vscode.window.showQuickPick(
      BUDGETS.map((b) => ({ label: b.label, detail: b.detail, budget: b })),
      { title: 'ResNet Lab: New Study (2/3): the budget of each run', placeHolder: 'How long each run trains', ignoreFocusOut: true },
    );
    if (!budget) return undefined;
    const folder = await workspaceFolderForRuns();
    if (!folder) return undefined;
    const nameCheck = studySchema.shape.name;
    const suggested = `${preset.preset.id}${budget.budget.suffix}`;
    const name = await vscode.window.showInputBox({
      title: 'ResNet Lab: New Study (3/3): its name',
      prompt: `The file ${STUDIES_FOLDER}/NAME.json; its runs are named NAME-…`,
      value: suggested,
      ignoreFocusOut: true,
      validateInput: (value) => {
        const checked = nameCheck.safeParse(value);
        if (!checked.success) return checked.error.issues[0].message;
        return fs.existsSync(studyFileOf(folder.uri.fsPath, value)) ? `${value}.json already exists in ${STUDIES_FOLDER}; pick another name.` : undefined;
      },
    });
    if (!name) return undefined;
    const file = await newStudy(preset.preset.id, { ...budget.budget.overrides, name }, folder);
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    void vscode.window.showInformationMessage(`ResNet Lab: study ${name} written (${planStudyRuns(readStudy(file), runsRootOf(folder)).length} runs). Edit it if you like, then "ResNet Lab: Run Study".`);
    return file;
  };

  const showStatus = (name: string, text: string) => {
    statusItem.text = `$(beaker) Study ${name}: ${text}`;
    statusItem.tooltip = `ResNet Lab study ${name}. Click to stop it: each run keeps its checkpoint, and "ResNet Lab: Run Study" continues it.`;
    statusItem.show();
  };

  const runStudy = async (file: string): Promise<StudyOutcome> => {
    if (running) throw new Error(`The study ${running.name} is running in this window; stop it ("ResNet Lab: Stop Study") or wait for it to end.`);
    const training = windowTraining();
    training.live.assertIdle();
    const study = readStudy(file);
    const workspace = workspaceOf(file);
    const runsRoot = runsRootOf(workspace);
    const location = await studyData(study, context.globalStorageUri);
    if (location === undefined) return { status: 'stopped', detail: 'CIFAR-10 is not available (declined or cancelled)', done: 0, total: 0 };
    const runs = planStudyRuns(study, runsRoot, location ?? undefined);
    // One run at a time in a window: its nets already share every core (TF.js), and the window has one live run.
    const thisRunner = new StudyRunner(
      runs,
      {
        start: async (config) => {
          const session = await training.live.start(config, runsRoot);
          await training.showCurves(config.id, config.nets.map((n) => n.title).join(' vs '));
          return session;
        },
        resume: async (folder) => {
          const session = await training.live.resume(folder);
          await training.showCurves(session.id, session.config.nets.map((n) => n.title).join(' vs '));
          return session;
        },
      },
      1,
      {
        onRunStart: (run, _session, resumed, done, total) => {
          log().info(`study ${study.name}: ${resumed ? 'resuming' : 'starting'} ${run.id} (${done} of ${total} finished)`);
          showStatus(study.name, `${done} of ${total} runs finished, training ${run.id.slice(study.name.length + 1)}`);
        },
        onRunEnd: (run, status, _detail, done, total) => {
          log().info(`study ${study.name}: ${run.id} ${status}; ${done} of ${total} finished`);
          showStatus(study.name, `${done} of ${total} runs finished`);
        },
      },
    );
    runner = thisRunner;
    const before = studyRunStates(runs);
    log().info(`study ${study.name}: ${studyProgressText(before)}; one run at a time`);
    showStatus(study.name, `${before.filter((s) => s.status === 'finished').length} of ${runs.length} runs finished`);
    const outcome = thisRunner.run().finally(() => {
      runner = undefined;
      running = undefined;
      statusItem.hide();
    });
    running = { name: study.name, outcome };
    void outcome.then(
      (result) => {
        log().info(`study ${study.name}: ${result.status}: ${result.detail}`);
        const report = 'Show Report';
        if (result.status === 'failed') showProblem(`Study ${study.name} ${result.detail}`, [{ title: report, run: () => vscode.commands.executeCommand(REPORT_COMMAND, file) }]);
        else
          void vscode.window.showInformationMessage(`ResNet Lab: study ${study.name} ${result.status === 'finished' ? `finished: ${result.detail}` : result.detail}.`, report).then((choice) => {
            if (choice === report) void vscode.commands.executeCommand(REPORT_COMMAND, file);
          });
      },
      (error: unknown) => showProblem(`Study ${study.name} stopped: ${(error as Error).message}`),
    );
    return outcome;
  };

  const stopStudy = async (): Promise<void> => {
    if (!runner) {
      void vscode.window.showInformationMessage('ResNet Lab: no study is running in this window.');
      return;
    }
    log().info('study: stop requested (Stop Study)');
    await runner.stop();
  };

  const showReport = async (file: string) => {
    const study = readStudy(file);
    const runsRoot = runsRootOf(workspaceOf(file));
    const runs = planStudyRuns(study, runsRoot);
    const folders = runs.filter((r) => fs.existsSync(path.join(r.folder, 'config.json'))).map((r) => r.folder);
    const report = buildReport(folders, { title: study.title, source: `study ${study.name} (${vscode.workspace.asRelativePath(file)})`, planned: runs.map((r) => r.id) });
    const markdown = path.join(path.dirname(file), `${study.name}-report.md`);
    const written = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `ResNet Lab: report of study ${study.name}` }, async (progress) => {
      let fig7: Awaited<ReturnType<typeof fig7Data>> | string;
      if (folders.length === 0) fig7 = 'No run has started yet.';
      else {
        progress.report({ message: "Fig. 7: each net's layer responses at its final checkpoint…" });
        // The block probe runs in the inspector's worker thread, so the window stays responsive.
        const client = new InspectorClient(undefined, (text) => log().warn(`report: ${text}`));
        try {
          fig7 = await fig7Data(report, async (folder) => {
            await client.open({ kind: 'run', runFolder: folder }, 'auto');
            return (await client.inspect(0)).nets;
          });
        } catch (error) {
          fig7 = `Fig. 7 could not be made: ${(error as Error).message}`;
          log().warn(`report of ${study.name}: ${fig7}`);
        } finally {
          await client.dispose();
        }
      }
      return writeReportFiles(report, markdown, fig7);
    });
    log().info(`report of study ${study.name}: ${markdown} (${report.headline})`);
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(markdown));
    return { markdown, headline: report.headline, figures: written.figures };
  };

  const runStudyCommand = async (argument?: unknown): Promise<void> => {
    const file = await pickStudy(argument, 'ResNet Lab: Run Study');
    if (file) void runStudy(file).catch((error: unknown) => showProblem(`Run Study: ${(error as Error).message}`));
  };

  const reportCommand = async (argument?: unknown) => {
    const file = await pickStudy(argument, 'ResNet Lab: Show Reproduction Report');
    return file ? showReport(file) : undefined;
  };

  context.subscriptions.push(
    statusItem,
    { dispose: () => void runner?.stop() },
    vscode.commands.registerCommand(NEW_STUDY_COMMAND, guarded('New Study', newStudyCommand)),
    vscode.commands.registerCommand(RUN_STUDY_COMMAND, guarded('Run Study', runStudyCommand)),
    vscode.commands.registerCommand(STOP_STUDY_COMMAND, guarded('Stop Study', stopStudy)),
    vscode.commands.registerCommand(REPORT_COMMAND, guarded('Show Reproduction Report', reportCommand)),
  );

  return {
    newStudy: (presetId, overrides) => newStudy(presetId, overrides),
    runStudy,
    stopStudy,
    studyStatusText: () => (statusItem.text && running ? statusItem.text : undefined),
    showReport,
  };
}
