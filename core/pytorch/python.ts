// Which Python trains a run on the PyTorch engine, and what it has: the Python and torch
// versions and the device it will use. Probed before a run, so a missing Python, a Python
// without torch, a torch that is too old or a device that is not there stops the run with a
// message that says which and how to fix it, before anything is written.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type TorchDeviceSetting = 'auto' | 'cuda' | 'mps' | 'cpu';
export const TORCH_DEVICE_SETTINGS: readonly TorchDeviceSetting[] = ['auto', 'cuda', 'mps', 'cpu'];
export type MixedPrecision = 'off' | 'bf16' | 'fp16';
export const MIXED_PRECISION_SETTINGS: readonly MixedPrecision[] = ['off', 'bf16', 'fp16'];
/** The oldest torch the trainer supports (Apple MPS, channels-last and foreach SGD). */
const MIN_TORCH: readonly [number, number] = [1, 12];

/** Where the Python came from, as the message names it: "resnetLab.python.path", "--python", … */
export interface PythonCandidate {
  command: string;
  source: string;
}

/** How the user asks for the engine: which Python, which device, and the names of those knobs. */
export interface PythonRequest {
  /** The explicit Python (a setting or a flag); when set, only it is tried. */
  explicit?: PythonCandidate;
  /** Another Python to try before PATH (the Python extension's active interpreter). */
  preferred?: PythonCandidate;
  device: TorchDeviceSetting;
  /** The name of the device knob in messages: "resnetLab.pytorch.device" or "--device". */
  deviceName: string;
  /** What to tell the user to set for another Python: "resnetLab.python.path" or "--python". */
  pythonName: string;
}

/** What `resnet_lab_trainer.py probe` prints. */
export interface ProbeReport {
  python: string;
  executable: string;
  platform: string;
  numpy: string | null;
  numpyError?: string;
  torch: string | null;
  torchError?: string;
  threads?: number;
  cores?: number;
  cudaBuilt?: string | null;
  hip?: string | null;
  cuda?: string[];
  mps?: boolean;
  device?: 'cuda' | 'mps' | 'cpu' | null;
}

/** A Python that can train: its command, versions and the device it will use. */
export interface PythonRuntime {
  command: string;
  source: string;
  report: ProbeReport;
  device: 'cuda' | 'mps' | 'cpu';
  /** "CUDA: NVIDIA H200", "ROCm 6.1: AMD Instinct MI250", "Apple MPS", "CPU". */
  deviceTitle: string;
  /** True on CUDA, ROCm or MPS. */
  onGpu: boolean;
}

export type PythonProblem = 'no-python' | 'python-died' | 'no-torch' | 'old-torch' | 'no-numpy' | 'no-device';

/** Why the PyTorch engine cannot run; the message says which and how to fix it. */
export class PythonError extends Error {
  constructor(readonly problem: PythonProblem, message: string) {
    super(message);
    this.name = 'PythonError';
  }
}

/** The trainer script: beside the bundle (dist/), else the repository's python/ folder. */
export function trainerScript(): string {
  const candidates = [path.join(__dirname, 'resnet_lab_trainer.py'), path.join(__dirname, '..', '..', 'python', 'resnet_lab_trainer.py'), path.join(__dirname, '..', '..', '..', 'python', 'resnet_lab_trainer.py')];
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) throw new Error(`ResNet Lab's PyTorch trainer (resnet_lab_trainer.py) is not in ${candidates.join(' or ')}.`);
  return found;
}

/** Every python3 and python on PATH, in PATH order, without duplicates of one file. */
function pathPythons(env: NodeJS.ProcessEnv = process.env): PythonCandidate[] {
  const seen = new Set<string>();
  const out: PythonCandidate[] = [];
  const names = process.platform === 'win32' ? ['python.exe', 'python3.exe'] : ['python3', 'python'];
  for (const name of names) {
    for (const dir of (env.PATH ?? '').split(path.delimiter)) {
      if (!dir) continue;
      const file = path.join(dir, name);
      let real: string;
      try {
        fs.accessSync(file, fs.constants.X_OK);
        real = fs.realpathSync(file);
      } catch {
        continue;
      }
      if (seen.has(real)) continue;
      seen.add(real);
      out.push({ command: file, source: 'PATH' });
    }
  }
  return out;
}

function versionAtLeast(version: string, min: readonly [number, number]): boolean {
  const [major, minor] = version.split(/[.+a-z]/i).map((n) => Number(n));
  return major > min[0] || (major === min[0] && minor >= min[1]);
}

/** What a failed Python said: its error lines (a "Fatal Python error" comes first), else its last lines. */
function explain(text: string): string {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /error/i.test(l));
  return (errors.length ? errors.slice(0, 2) : lines.slice(-3)).join(' ').slice(0, 400);
}

/** Runs the trainer's probe with one Python; a report, or the PythonError of why not. */
interface ProcessResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

/** Runs a command to its end without blocking (the extension host stays responsive); never rejects. */
function run(command: string, args: string[], timeoutMs: number): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { windowsHide: true, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => resolve({ status: null, signal: null, stdout, stderr, error }));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

async function probeOne(candidate: PythonCandidate, device: TorchDeviceSetting): Promise<ProbeReport | PythonError> {
  const where = `${candidate.command} (${candidate.source})`;
  const result = await run(candidate.command, [trainerScript(), 'probe', '--device', device], 120_000);
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new PythonError('no-python', `No Python at ${where}: the file does not exist.`);
    if (code === 'EACCES') return new PythonError('no-python', `The Python at ${where} cannot be run (permission denied).`);
    return new PythonError('python-died', `The Python at ${where} could not run: ${result.error.message}.`);
  }
  if (result.status !== 0 || result.signal) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.status}`;
    const said = explain(result.stderr || result.stdout);
    return new PythonError('python-died', `The Python at ${where} ${how} as it started${said ? `: ${said}` : ''}.`);
  }
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ProbeReport;
  } catch {
    return new PythonError('python-died', `The Python at ${where} did not answer ResNet Lab's probe (it printed "${explain(result.stdout + result.stderr)}").`);
  }
}

function deviceTitle(report: ProbeReport, device: 'cuda' | 'mps' | 'cpu'): string {
  if (device === 'cuda') return `${report.hip ? `ROCm ${report.hip}` : 'CUDA'}: ${report.cuda?.[0] ?? 'GPU'}`;
  return device === 'mps' ? 'Apple MPS' : 'CPU';
}

/** Checks one probe report against the request; a runtime, or the PythonError of what is missing. */
function checkReport(candidate: PythonCandidate, report: ProbeReport, request: PythonRequest): PythonRuntime | PythonError {
  const where = `${candidate.command} (${candidate.source}, Python ${report.python})`;
  if (!report.torch) {
    return new PythonError('no-torch', `The Python at ${where} has no PyTorch (${report.torchError ?? 'import torch failed'}). Install it: ${candidate.command} -m pip install torch — or set ${request.pythonName} to a Python that has it.`);
  }
  if (!versionAtLeast(report.torch, MIN_TORCH)) {
    return new PythonError('old-torch', `PyTorch ${report.torch} at ${where} is too old: ResNet Lab needs ${MIN_TORCH.join('.')} or newer. Upgrade it: ${candidate.command} -m pip install --upgrade torch.`);
  }
  if (!report.numpy) {
    return new PythonError('no-numpy', `The Python at ${where} has PyTorch but not numpy (${report.numpyError ?? 'import numpy failed'}). Install it: ${candidate.command} -m pip install numpy.`);
  }
  if (!report.device) {
    const why =
      request.device === 'cuda'
        ? report.cudaBuilt || report.hip
          ? 'no CUDA or ROCm device is visible (check the driver and CUDA_VISIBLE_DEVICES)'
          : 'this torch was built without CUDA (a CPU-only build: install a CUDA build from pytorch.org)'
        : 'Apple MPS is not available (it needs macOS 12.3+ on Apple silicon or an AMD GPU)';
    return new PythonError('no-device', `${request.deviceName} is ${request.device}, but PyTorch ${report.torch} at ${where} cannot use it: ${why}. Set ${request.deviceName} to auto or cpu.`);
  }
  return { command: candidate.command, source: candidate.source, report, device: report.device, deviceTitle: deviceTitle(report, report.device), onGpu: report.device !== 'cpu' };
}

/**
 * The Python that trains: the explicit one only, when given; else the preferred one, then each
 * python3/python on PATH, the first that has a usable torch. Throws a PythonError naming the
 * problem (of the explicit Python, or of every one tried).
 */
export async function findPython(request: PythonRequest, env: NodeJS.ProcessEnv = process.env): Promise<PythonRuntime> {
  const candidates = request.explicit ? [request.explicit] : [...(request.preferred ? [request.preferred] : []), ...pathPythons(env)];
  if (candidates.length === 0) {
    throw new PythonError('no-python', `No Python found: neither python3 nor python is on PATH. Install Python 3 and PyTorch (pip install torch), or set ${request.pythonName} to a Python that has them.`);
  }
  const problems: PythonError[] = [];
  for (const candidate of candidates) {
    const report = await probeOne(candidate, request.device);
    const checked = report instanceof PythonError ? report : checkReport(candidate, report, request);
    if (!(checked instanceof PythonError)) return checked;
    problems.push(checked);
  }
  if (problems.length === 1) throw problems[0];
  // The most telling problem leads (a torch that cannot use the device beats a Python without torch).
  const rank: PythonProblem[] = ['no-device', 'old-torch', 'no-numpy', 'no-torch', 'python-died', 'no-python'];
  problems.sort((a, b) => rank.indexOf(a.problem) - rank.indexOf(b.problem));
  throw new PythonError(problems[0].problem, `No Python here can train on PyTorch. ${problems.map((p) => p.message).join(' ')}`);
}

/** "PyTorch 2.4.0 (Python 3.11.7 at /usr/bin/python3) on CUDA: NVIDIA H200". */
export function describeRuntime(runtime: PythonRuntime): string {
  return `PyTorch ${runtime.report.torch} (Python ${runtime.report.python} at ${runtime.command}) on ${runtime.deviceTitle}`;
}
