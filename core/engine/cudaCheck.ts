// Which CUDA libraries this machine has, and whether tfjs-node-gpu (libtensorflow 2.9.1, built
// for CUDA 11.2 and cuDNN 8.1) can use them. Synchronous, cheap, never throws.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CudaCheck {
  /** Path of nvidia-smi, or null. */
  nvidiaSmi: string | null;
  /** The CUDA version the driver reports (nvidia-smi), e.g. '12.4', or null. */
  driverCuda: string | null;
  /** Path of a libcudart shared library (any version), or null. */
  libcudart: string | null;
  /** The libcudart versions found, e.g. ['libcudart.so.12']. */
  cudartVersions: string[];
  /** Path of CUDA 11's runtime (libcudart.so.11.0), which tfjs-node-gpu needs, or null. */
  cudart11: string | null;
  /** Path of cuDNN 8 (libcudnn.so.8), which tfjs-node-gpu needs, or null. */
  cudnn8: string | null;
}

/** A shared library found: its file name and path. */
export interface Library {
  name: string;
  path: string;
}

const LIB_DIRS = ['/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'];
const CUDART = /^libcudart\.so(\.\d+)*$|^cudart64_\d+\.dll$/i;
// The names the dynamic loader asks for (libcudart.so.12, libcudart.so.11.0), not the full file versions.
const CUDART_VERSION = /^libcudart\.so\.\d+(\.\d+)?$|^cudart64_\d+\.dll$/i;
const NEEDED = {
  cudart11: { linux: 'libcudart.so.11.0', win32: 'cudart64_110.dll', what: 'CUDA 11' },
  cudnn8: { linux: 'libcudnn.so.8', win32: 'cudnn64_8.dll', what: 'cuDNN 8' },
};

/** The libraries in `ldconfig -p` output ("\tlibcudart.so.12 (libc6,x86-64) => /usr/lib/…/libcudart.so.12"). */
export function parseLdconfig(text: string): Library[] {
  const libraries: Library[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(\S+)\s+\([^)]*\)\s+=>\s+(\S.*?)\s*$/.exec(line);
    if (match) libraries.push({ name: match[1], path: match[2] });
  }
  return libraries;
}

/** "CUDA Version: 12.4" from `nvidia-smi`'s table, or null. */
export function parseDriverCuda(nvidiaSmiOutput: string): string | null {
  return /CUDA Version:\s*(\d+(?:\.\d+)*)/.exec(nvidiaSmiOutput)?.[1] ?? null;
}

/** The first GPU's name from `nvidia-smi --query-gpu=name --format=csv,noheader`, or null. */
export function parseGpuName(text: string): string | null {
  return text.split('\n').map((line) => line.trim()).find(Boolean) ?? null;
}

/** What the libraries found (first occurrence of a name wins) say about CUDA. */
export function cudaFromLibraries(libraries: Library[], nvidiaSmi: string | null, driverCuda: string | null): CudaCheck {
  const find = (names: string[]) => libraries.find((lib) => names.some((name) => lib.name.toLowerCase() === name.toLowerCase()))?.path ?? null;
  return {
    nvidiaSmi,
    driverCuda,
    libcudart: libraries.find((lib) => CUDART.test(lib.name))?.path ?? null,
    cudartVersions: [...new Set(libraries.filter((lib) => CUDART_VERSION.test(lib.name)).map((lib) => lib.name))].sort(),
    cudart11: find([NEEDED.cudart11.linux, NEEDED.cudart11.win32]),
    cudnn8: find([NEEDED.cudnn8.linux, NEEDED.cudnn8.win32]),
  };
}

/** A command's stdout, or null when it is missing, fails or takes over 5 s. */
function run(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
  } catch {
    return null;
  }
}

function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Looks for the NVIDIA driver's nvidia-smi and CUDA's libraries in LD_LIBRARY_PATH, CUDA_PATH,
 * the standard folders and the loader's cache (`ldconfig -p`, Linux).
 */
export function checkCuda(): CudaCheck {
  const nvidiaSmi = onPath(process.platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi');
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':'), ...(process.env.CUDA_PATH ? [path.join(process.env.CUDA_PATH, 'bin')] : []), ...LIB_DIRS].filter(Boolean);
  const libraries: Library[] = [];
  for (const dir of dirs) {
    try {
      for (const name of fs.readdirSync(dir)) if (/^(lib)?cud(art|nn)/i.test(name)) libraries.push({ name, path: path.join(dir, name) });
    } catch {
      // A folder that does not exist.
    }
  }
  if (process.platform === 'linux') {
    libraries.push(...parseLdconfig(run(fs.existsSync('/sbin/ldconfig') ? '/sbin/ldconfig' : 'ldconfig', ['-p']) ?? ''));
  }
  const driverCuda = nvidiaSmi ? parseDriverCuda(run(nvidiaSmi, []) ?? '') : null;
  return cudaFromLibraries(libraries, nvidiaSmi, driverCuda);
}

/** The first GPU's name as nvidia-smi reports it, or null. */
export function gpuName(): string | null {
  return parseGpuName(run(process.platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi', ['--query-gpu=name', '--format=csv,noheader']) ?? '');
}

/** One line for the log: "CUDA found: /usr/bin/nvidia-smi (CUDA 12.4), …" or "CUDA missing: no nvidia-smi on PATH …". */
export function describeCuda(check: CudaCheck): string {
  const items = [
    check.nvidiaSmi ? `${check.nvidiaSmi}${check.driverCuda ? ` (CUDA ${check.driverCuda})` : ''}` : 'no nvidia-smi on PATH (no NVIDIA driver)',
    check.libcudart ? `${check.libcudart}${check.cudartVersions.length ? ` (${check.cudartVersions.join(', ')})` : ''}` : 'no libcudart (the CUDA runtime) in LD_LIBRARY_PATH, the ldconfig cache or /usr/local/cuda',
    check.libcudart && !check.cudart11 ? `no ${NEEDED.cudart11.linux} (${NEEDED.cudart11.what})` : '',
    check.cudnn8 ?? `no ${NEEDED.cudnn8.linux} (${NEEDED.cudnn8.what})`,
  ].filter(Boolean);
  return `${check.nvidiaSmi && check.libcudart ? 'CUDA found' : 'CUDA missing'}: ${items.join(', ')}`;
}

/**
 * Why tfjs-node-gpu cannot run on the GPU here, e.g. "libcudart.so.11.0 (CUDA 11) not found —
 * this machine has CUDA 12.4 (libcudart.so.12); libcudnn.so.8 (cuDNN 8) not found"; null when nothing is missing.
 */
export function tfjsGpuProblem(check: CudaCheck, platform: string = process.platform, arch: string = process.arch): string | null {
  if (!['linux', 'win32'].includes(platform) || arch !== 'x64') {
    return `tfjs-node-gpu has GPU builds only for Linux and Windows on x64, not ${platform}-${arch}`;
  }
  const os = platform === 'win32' ? 'win32' : 'linux';
  const has = check.driverCuda ? `CUDA ${check.driverCuda}${check.cudartVersions.length ? ` (${check.cudartVersions.join(', ')})` : ''}` : check.cudartVersions.join(', ');
  const problems = [
    check.nvidiaSmi ? '' : 'no NVIDIA driver (nvidia-smi is not on PATH)',
    check.cudart11 ? '' : `${NEEDED.cudart11[os]} (${NEEDED.cudart11.what}) not found${has ? ` — this machine has ${has}` : ''}`,
    check.cudnn8 ? '' : `${NEEDED.cudnn8[os]} (${NEEDED.cudnn8.what}) not found`,
  ].filter(Boolean);
  return problems.length ? problems.join('; ') : null;
}
