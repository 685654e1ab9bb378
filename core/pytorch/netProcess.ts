// One net of a run trained by the PyTorch engine: a child process of the user's Python running
// python/resnet_lab_trainer.py, speaking the worker protocol as JSON lines over stdio.
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as readline from 'node:readline';
import { NetChannel, NetHandlers, receiveFromTrainer } from '../training/netChannel';
import type { NetPlan } from '../training/types';
import { MixedPrecision, PythonRuntime, trainerScript } from './python';

export interface PythonNetOptions {
  runtime: PythonRuntime;
  jobFolder: string;
  runFolder: string;
  slot: NetPlan['slot'];
  /** CPU threads for torch (the cores shared among the nets). */
  threads: number;
  amp: MixedPrecision;
  lowPriority?: boolean;
}

/** Lines of the process's stderr kept to explain a failure. */
const STDERR_LINES = 12;

export function startPythonNet(options: PythonNetOptions, handlers: NetHandlers): NetChannel {
  const { runtime } = options;
  const args = [trainerScript(), 'train', '--job', options.jobFolder, '--run', options.runFolder, '--slot', options.slot, '--device', runtime.device, '--threads', String(options.threads), '--amp', options.amp, '--protocol'];
  // Unbuffered, so a crash leaves its last words in stderr.
  const child = spawn(runtime.command, ['-u', ...args], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  if (options.lowPriority && child.pid !== undefined) {
    try {
      os.setPriority(child.pid, os.constants.priority.PRIORITY_BELOW_NORMAL);
    } catch {
      // Not permitted here: it trains at normal priority.
    }
  }
  const stderr: string[] = [];
  const said = () => (stderr.length ? `; it said: ${stderr.slice(-4).join(' | ')}` : '');
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    if (!line.trim()) return;
    stderr.push(line.trim());
    if (stderr.length > STDERR_LINES) stderr.shift();
    handlers.log?.(line);
  });
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      handlers.log?.(line); // a library printing to stdout: not a protocol line
      return;
    }
    receiveFromTrainer(data, handlers);
  });
  child.on('error', (error) => handlers.failed(`could not start ${runtime.command}: ${error.message}`));
  child.stdin.on('error', () => undefined); // a process that died: its exit says why
  child.on('close', (code, signal) => {
    if (signal) handlers.failed(`the PyTorch process (${runtime.command}, pid ${child.pid}) was killed by ${signal}${said()}`);
    else if (code !== 0) handlers.failed(`the PyTorch process (${runtime.command}) exited with code ${code}${said()}`);
    else handlers.failed('the PyTorch process ended without saying it was done');
    handlers.exited();
  });
  return {
    post: (message) => {
      if (child.stdin.writable) child.stdin.write(JSON.stringify(message) + '\n');
    },
    kill: () => child.kill('SIGKILL'),
  };
}
