// The CUDA diagnosis shared by training and "Install GPU Backend": what `ldconfig -p` and
// nvidia-smi say, and why tfjs-node-gpu (CUDA 11.2, cuDNN 8.1) cannot use the GPU.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, test } from 'node:test';
import { checkCuda, cudaFromLibraries, describeCuda, parseDriverCuda, parseGpuName, parseLdconfig, tfjsGpuProblem } from '../../core/engine/cudaCheck';

const LDCONFIG_CUDA12 = [
  '1523 libs found in cache `/etc/ld.so.cache\'',
  '\tlibcudnn.so.9 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.9',
  '\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12',
  '\tlibcudart.so (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so',
  '\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6',
].join('\n');

const LDCONFIG_CUDA11 = [
  '\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8',
  '\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda-11.2/lib64/libcudart.so.11.0',
].join('\n');

const NVIDIA_SMI = [
  'Tue Mar 12 10:00:00 2024',
  '+-----------------------------------------------------------------------------------------+',
  '| NVIDIA-SMI 550.54.14              Driver Version: 550.54.14      CUDA Version: 12.4     |',
  '|-----------------------------------------+------------------------+----------------------+',
].join('\n');

const SMI = '/usr/bin/nvidia-smi';

describe('CUDA check: parsing', () => {
  test('ldconfig -p: each library with its path, the header skipped', () => {
    const libs = parseLdconfig(LDCONFIG_CUDA12);
    assert.equal(libs.length, 4);
    assert.deepEqual(libs[1], { name: 'libcudart.so.12', path: '/usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12' });
    assert.deepEqual(libs[3], { name: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6' });
  });

  test('nvidia-smi: the CUDA version of the driver, and the GPU name', () => {
    assert.equal(parseDriverCuda(NVIDIA_SMI), '12.4');
    assert.equal(parseDriverCuda('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'), null);
    assert.equal(parseGpuName('NVIDIA GeForce RTX 4090\nNVIDIA GeForce RTX 3090\n'), 'NVIDIA GeForce RTX 4090');
    assert.equal(parseGpuName('\n'), null);
  });
});

describe('CUDA check: why tfjs-node-gpu cannot use the GPU', () => {
  test('CUDA 12 only: libcudart.so.11.0 and libcudnn.so.8 missing, with what the machine has', () => {
    const check = cudaFromLibraries(parseLdconfig(LDCONFIG_CUDA12), SMI, parseDriverCuda(NVIDIA_SMI));
    assert.deepEqual(check.cudartVersions, ['libcudart.so.12']);
    assert.equal(check.cudart11, null);
    assert.equal(check.cudnn8, null);
    assert.equal(check.libcudart, '/usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12');
    assert.equal(tfjsGpuProblem(check, 'linux', 'x64'), 'libcudart.so.11.0 (CUDA 11) not found — this machine has CUDA 12.4 (libcudart.so.12); libcudnn.so.8 (cuDNN 8) not found');
    assert.equal(describeCuda(check), `CUDA found: ${SMI} (CUDA 12.4), ${check.libcudart} (libcudart.so.12), no libcudart.so.11.0 (CUDA 11), no libcudnn.so.8 (cuDNN 8)`);
  });

  test('CUDA 11 and cuDNN 8: nothing missing', () => {
    const check = cudaFromLibraries(parseLdconfig(LDCONFIG_CUDA11), SMI, '11.2');
    assert.equal(check.cudart11, '/usr/local/cuda-11.2/lib64/libcudart.so.11.0');
    assert.equal(check.cudnn8, '/usr/lib/x86_64-linux-gnu/libcudnn.so.8');
    assert.equal(tfjsGpuProblem(check, 'linux', 'x64'), null);
  });

  test('a folder listing: full file versions are not counted as versions', () => {
    const dir = '/usr/local/cuda/lib64';
    const check = cudaFromLibraries(['libcudart.so', 'libcudart.so.12', 'libcudart.so.12.4.127'].map((name) => ({ name, path: `${dir}/${name}` })), null, null);
    assert.deepEqual(check.cudartVersions, ['libcudart.so.12']);
    assert.equal(tfjsGpuProblem(check, 'linux', 'x64'), 'no NVIDIA driver (nvidia-smi is not on PATH); libcudart.so.11.0 (CUDA 11) not found — this machine has libcudart.so.12; libcudnn.so.8 (cuDNN 8) not found');
  });

  test('Windows DLL names; macOS and arm have no GPU build at all', () => {
    const win = cudaFromLibraries([{ name: 'cudart64_110.dll', path: 'C:\\CUDA\\bin\\cudart64_110.dll' }, { name: 'cudnn64_8.dll', path: 'C:\\CUDA\\bin\\cudnn64_8.dll' }], 'C:\\nvidia-smi.exe', '11.2');
    assert.equal(tfjsGpuProblem(win, 'win32', 'x64'), null);
    assert.equal(tfjsGpuProblem(cudaFromLibraries([], null, null), 'win32', 'x64'), 'no NVIDIA driver (nvidia-smi is not on PATH); cudart64_110.dll (CUDA 11) not found; cudnn64_8.dll (cuDNN 8) not found');
    assert.equal(tfjsGpuProblem(win, 'darwin', 'arm64'), 'tfjs-node-gpu has GPU builds only for Linux and Windows on x64, not darwin-arm64');
    assert.match(tfjsGpuProblem(win, 'linux', 'arm64') ?? '', /not linux-arm64$/);
  });

  test('nothing found: says each missing piece; checkCuda here never throws', () => {
    assert.equal(describeCuda(cudaFromLibraries([], null, null)), 'CUDA missing: no nvidia-smi on PATH (no NVIDIA driver), no libcudart (the CUDA runtime) in LD_LIBRARY_PATH, the ldconfig cache or /usr/local/cuda, no libcudnn.so.8 (cuDNN 8)');
    const here = checkCuda();
    for (const found of [here.nvidiaSmi, here.libcudart, here.cudart11, here.cudnn8]) assert.ok(found === null || fs.existsSync(found), String(found));
    console.log(`    here: ${describeCuda(here)}; tfjs-node-gpu: ${tfjsGpuProblem(here) ?? 'can use the GPU'}`);
  });
});
