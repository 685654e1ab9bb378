// Trains a study's runs with the ordinary training machinery (TrainingSession, through the
// caller's start/resume: the CLI's, or the extension's live run): finished runs are skipped,
// stopped or crashed ones resume from their checkpoints, new ones start; `parallel` at a time.
// A run that stops or fails stops the study (nothing else starts); running it again continues.
import type { TrainingSession } from '../training/session';
import type { RunConfig, RunStatus } from '../training/types';
import { StudyRun, StudyRunState, studyRunStates } from './studyRuns';

export interface StudyTrainer {
  /** Starts a new run (its folder is created) and returns its session. */
  start(config: RunConfig): Promise<TrainingSession>;
  /** Continues a stopped or crashed run from its checkpoints. */
  resume(folder: string): Promise<TrainingSession>;
}

export interface StudyListener {
  /** A run begins (resumed: from its checkpoint); `done` runs of `total` have finished so far. */
  onRunStart?(run: StudyRunState, session: TrainingSession, resumed: boolean, done: number, total: number): void;
  onRunEnd?(run: StudyRunState, status: RunStatus, detail: string, done: number, total: number): void;
}

export interface StudyOutcome {
  status: 'finished' | 'stopped' | 'failed';
  detail: string;
  /** Runs finished of the study's total, after this session. */
  done: number;
  total: number;
}

export class StudyRunner {
  private readonly active = new Set<TrainingSession>();
  private stopping = false;
  private failure = '';

  constructor(private readonly runs: StudyRun[], private readonly trainer: StudyTrainer, private readonly parallel = 1, private readonly listener: StudyListener = {}) {}

  /** Stops every training run after its current step (each writes a checkpoint); nothing else starts. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.active].map((s) => s.stop()));
  }

  get sessions(): TrainingSession[] {
    return [...this.active];
  }

  async run(): Promise<StudyOutcome> {
    const states = studyRunStates(this.runs);
    const total = states.length;
    let done = states.filter((s) => s.status === 'finished').length;
    const queue = states.filter((s) => s.status !== 'finished');
    const worker = async () => {
      while (!this.stopping && queue.length) {
        const run = queue.shift()!;
        const resumed = run.status !== 'to do';
        let session: TrainingSession;
        try {
          session = resumed ? await this.trainer.resume(run.folder) : await this.trainer.start(run.config);
        } catch (error) {
          this.failure ||= `${run.id} could not ${resumed ? 'resume' : 'start'}: ${(error as Error).message}`;
          this.stopping = true;
          return;
        }
        this.active.add(session);
        // A stop asked while this run was starting reaches it now.
        if (this.stopping) void session.stop();
        this.listener.onRunStart?.(run, session, resumed, done, total);
        const status = await session.finished;
        this.active.delete(session);
        if (status === 'finished') done++;
        else {
          // Stopped from elsewhere (Ctrl-C, the progress notification) or failed: the study stops too.
          if (status === 'failed') this.failure ||= `${run.id} failed: ${session.statusDetail}`;
          this.stopping = true;
        }
        this.listener.onRunEnd?.(run, status, session.statusDetail, done, total);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.parallel, queue.length)) }, worker));
    const count = `${done} of ${total} run${total === 1 ? '' : 's'} finished`;
    if (this.failure) return { status: 'failed', detail: `${this.failure}; ${count}. Running the study again resumes it.`, done, total };
    if (done === total) return { status: 'finished', detail: total === 1 ? 'its run finished' : `all ${total} runs finished`, done, total };
    return { status: 'stopped', detail: `stopped: ${count}; running the study again resumes it (each run from its last checkpoint)`, done, total };
  }
}
