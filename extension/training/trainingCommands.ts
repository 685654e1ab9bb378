// Training in VS Code, wired together: the commands (Train ResNet, Resume Training, Open Run,
// Stop Training, Install GPU Backend), the curves panels and their serializer, the status bar
// item, and the resume of a run that a window reload interrupted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describePlan, planRun, RunChoices } from '../../core/training/plan';
import { otherOwner, waitForOtherOwner } from '../../core/training/runLock';
import { RunFolder } from '../../core/training/runFolder';
import type { RunStatus } from '../../core/training/types';
import type { FromTrainingPage } from '../../protocol/training';
import type { SaveDialog } from '../architecture/architecturePanel';
import { backendModulePaths, GpuInstallResult, installGpuBackendCommand } from './gpuBackend';
import { guarded, showProblem } from '../errors';
import { errorMessage, log } from '../log';
import { registerPanelSerializer } from '../panelHost';
import { findRunFolder, pickRuns, runsRootOf, workspaceFolderForRuns } from './runLocations';
import { askForRun } from './runPlanPicker';
import { TRAINING_VIEW_TYPE, TrainingPanelInfo, TrainingPanels } from './trainingPanel';
import { LiveRunInfo, LiveRun } from './liveRun';
import { RESUME_HINT } from './resumeHint';
import { readEngineSettings, readTrainingSettings } from './trainingSettings';
import { SpeedMemory } from './trainingSpeed';
import { SHOW_TRAINING_COMMAND, TrainingStatusBar } from './trainingStatusBar';

const TRAIN_COMMAND = 'resnetLab.trainResNet';
const RESUME_COMMAND = 'resnetLab.resumeTraining';
const OPEN_RUN_COMMAND = 'resnetLab.openRun';
const STOP_COMMAND = 'resnetLab.stopTraining';
const INSTALL_GPU_COMMAND = 'resnetLab.installGpuBackend';

/** The training part of the extension's API (for tests and other extensions). */
export interface TrainingApi {
  /** Plans and starts a run without the quick picks (backend from the setting unless given); opens its curves. */
  startTraining(choices: RunChoices): Promise<LiveRunInfo>;
  /** The run training in this window, if any. */
  liveRun(): LiveRunInfo | undefined;
  /** Fires when the run of this window starts, logs metrics, changes status or ends. */
  onDidChangeLiveRun: vscode.Event<void>;
  /** Stops the live run after the current step (a checkpoint first); resolves to its final status. */
  stopTraining(): Promise<RunStatus | undefined>;
  /** The open curves panels. */
  trainingPanels(): TrainingPanelInfo[];
  /** The training status bar text, or undefined while hidden. */
  trainingStatusText(): string | undefined;
  /** The training status bar's tooltip (each net's speed, the backend), or undefined while hidden. */
  trainingStatusTooltip(): string | undefined;
  /** Installs the GPU backend without the CUDA question. */
  installGpuBackend(): Promise<GpuInstallResult>;
  /** Handles a message as if the page of that run's panel had sent it. */
  receiveFromTrainingPage(runId: string, message: FromTrainingPage): Promise<void>;
}

export function registerTraining(context: vscode.ExtensionContext, saveDialog: () => SaveDialog): TrainingApi {
  const speeds = new SpeedMemory(context.globalState);
  const statusBar = new TrainingStatusBar();
  const nodeModulePaths = () => backendModulePaths(context.globalStorageUri, context.extensionUri.fsPath);
  let panels!: TrainingPanels;
  const sessionOptions = async () => ({ ...(await readEngineSettings()), nodeModulePaths: nodeModulePaths() });
  const live = new LiveRun({ panels: () => panels, statusBar, speeds, sessionOptions, workspaceState: context.workspaceState });
  runOfThisWindow = live;
  trainingOfThisWindow = {
    live,
    showCurves: async (runId, title) => {
      await panels.show(runId, [], title);
    },
  };
  panels = new TrainingPanels({
    extensionUri: context.extensionUri,
    live,
    findRunFolder,
    // The panel's Resume on a stopped or failed run (its own errors, e.g. another run training, are shown by the panel host).
    resumeRun: (folder) => resumeFolder(folder),
    pickOverlays: (shown) =>
      pickRuns({
        title: 'ResNet Lab: overlay runs',
        placeHolder: 'Runs to draw beside this one',
        canPickMany: true,
        filter: (run) => !shown.includes(run.id),
        noneMessage: 'There is no other run in this workspace to overlay.',
      }),
    saveDialog: (options) => saveDialog()(options),
  });

  const titleOf = (folder: string) => {
    const config = RunFolder.open(folder).readConfig();
    return config.nets.map((n) => n.title).join(' vs ');
  };

  const startRun = async (config: ReturnType<typeof planRun>, runsRoot: string): Promise<LiveRunInfo> => {
    log().info(`run ${config.id}: ${describePlan(config)}`);
    const session = await live.start(config, runsRoot);
    await panels.show(config.id, [], config.nets.map((n) => n.title).join(' vs '));
    return { ...live.info()!, runId: session.id };
  };

  const train = async (): Promise<LiveRunInfo | undefined> => {
    live.assertIdle();
    const folder = await workspaceFolderForRuns();
    if (!folder) return undefined;
    const settings = readTrainingSettings();
    const runsRoot = runsRootOf(folder);
    const config = await askForRun(settings, runsRoot, { globalStorage: context.globalStorageUri, speeds, sessionOptions });
    return config ? await startRun(config, runsRoot) : undefined;
  };

  async function resumeFolder(folder: string): Promise<LiveRunInfo> {
    const session = await live.resume(folder);
    const open = panels.find(session.id);
    await panels.show(session.id, [], titleOf(folder));
    // An open panel showed the stopped run: it now shows the live one (from its checkpoints on); a new one asks on "ready".
    await open?.sendRuns();
    return live.info()!;
  }

  const resume = async (argument?: unknown): Promise<LiveRunInfo | undefined> => {
    live.assertIdle();
    let folder: string | undefined;
    if (typeof argument === 'string') folder = argument;
    else {
      const picked = await pickRuns({
        title: 'ResNet Lab: Resume Training',
        placeHolder: 'A stopped or failed run continues from its last checkpoint',
        canPickMany: false,
        filter: (run) => !run.finished,
        noneMessage: 'No stopped or failed run in this workspace: every run there has finished (or there is none). Start one with "ResNet Lab: Train ResNet".',
      });
      folder = picked?.[0];
    }
    return folder ? await resumeFolder(folder) : undefined;
  };

  const openRun = async (argument?: unknown): Promise<TrainingPanelInfo | undefined> => {
    let folders: string[] | undefined;
    if (typeof argument === 'string') folders = [argument];
    else if (Array.isArray(argument) && argument.every((a) => typeof a === 'string')) folders = argument as string[];
    else
      folders = await pickRuns({
        title: 'ResNet Lab: Open Run',
        placeHolder: 'Pick a run; pick several to overlay their curves (the first is the main one)',
        canPickMany: true,
        noneMessage: 'No runs in this workspace yet. Start one with "ResNet Lab: Train ResNet".',
      });
    if (!folders?.length) return undefined;
    for (const folder of folders) RunFolder.open(folder).readConfig(); // names the broken one, if any
    const [main, ...overlays] = folders;
    const panel = await panels.show(path.basename(main), overlays, titleOf(main));
    return panel.info();
  };

  const stop = async (): Promise<RunStatus | undefined> => {
    if (!live.current) {
      void vscode.window.showInformationMessage('ResNet Lab: no run is training in this window.');
      return undefined;
    }
    log().info(`run ${live.current.id}: stop requested (Stop Training)`);
    return live.stop();
  };

  const showLive = async () => {
    const session = live.current;
    if (!session) {
      void vscode.window.showInformationMessage('ResNet Lab: no run is training in this window. "ResNet Lab: Open Run" shows the curves of past runs.');
      return;
    }
    await panels.show(session.id, [], session.config.nets.map((n) => n.title).join(' vs '));
  };

  context.subscriptions.push(
    statusBar,
    panels,
    live,
    vscode.commands.registerCommand(TRAIN_COMMAND, guarded('Train ResNet', train)),
    vscode.commands.registerCommand(RESUME_COMMAND, guarded('Resume Training', resume)),
    vscode.commands.registerCommand(OPEN_RUN_COMMAND, guarded('Open Run', openRun)),
    vscode.commands.registerCommand(STOP_COMMAND, stop),
    vscode.commands.registerCommand(INSTALL_GPU_COMMAND, () => installGpuBackendCommand(context.globalStorageUri, { confirm: true })),
    vscode.commands.registerCommand(SHOW_TRAINING_COMMAND, showLive),
    registerPanelSerializer(TRAINING_VIEW_TYPE, 'ResNet Lab: training curves', '"ResNet Lab: Open Run" opens them again.', (panel, state) => panels.revive(panel, state)),
  );

  // A run that was training when the window last closed or reloaded continues from its checkpoint.
  const interrupted = live.interruptedRun();
  if (interrupted) {
    live.forgetInterruptedRun();
    if (fs.existsSync(path.join(interrupted, 'config.json'))) void continueInterrupted(interrupted);
  }

  async function continueInterrupted(folder: string): Promise<void> {
    try {
      // The previous extension host may still be writing its last checkpoint.
      if (!(await waitForOtherOwner(folder, 60_000))) throw new Error(`another process (pid ${otherOwner(folder)}) still trains it`);
      if (live.current) throw new Error(`another run (${live.current.id}) started meanwhile`);
      const session = await live.resume(folder);
      // The live run says "resuming … at …" itself (one notification, not two).
      log().info(`run ${session.id}: continuing after the window reloaded`);
      await panels.find(session.id)?.sendRuns();
    } catch (error) {
      const problem = `Could not continue the run ${path.basename(folder)} after the reload: ${errorMessage(error)}. ${RESUME_HINT}.`;
      showProblem(problem, [], 'warning');
    }
  }

  return {
    startTraining: async (choices) => {
      live.assertIdle();
      const folder = await workspaceFolderForRuns();
      if (!folder) throw new Error('No workspace folder was picked for the run.');
      const config = planRun({ ...choices, backend: choices.backend ?? readTrainingSettings().backend });
      return startRun(config, runsRootOf(folder));
    },
    liveRun: () => live.info(),
    onDidChangeLiveRun: live.onDidChange,
    stopTraining: () => live.stop(),
    trainingPanels: () => panels.all().map((p) => p.info()),
    trainingStatusText: () => statusBar.shownText,
    trainingStatusTooltip: () => statusBar.shownTooltip,
    installGpuBackend: () => installGpuBackendCommand(context.globalStorageUri, { confirm: false }),
    receiveFromTrainingPage: async (runId, message) => {
      const panel = panels.find(runId);
      if (!panel) throw new Error(`No training panel shows run ${runId}.`);
      await panel.host.receive(message);
    },
  };
}

let runOfThisWindow: LiveRun | undefined;

/** What Run Study (extension/study/) uses of this window's training: its one live run and the curves panels. */
export interface WindowTraining {
  live: LiveRun;
  showCurves(runId: string, title: string): Promise<void>;
}
let trainingOfThisWindow: WindowTraining | undefined;

export function windowTraining(): WindowTraining {
  if (!trainingOfThisWindow) throw new Error('Training is not registered in this window.');
  return trainingOfThisWindow;
}

/** For deactivate(): stops a live run with a checkpoint before the extension host goes (it resumes at the next activation). */
export async function stopTrainingForShutdown(): Promise<void> {
  await runOfThisWindow?.close();
}
