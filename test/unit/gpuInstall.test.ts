// "Install GPU Backend" without VS Code: why an install failed (no network, CUDA missing, no
// npm), in the user's words, and a package that does not load reported with its reason.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { CudaCheck } from '../../core/engine/cudaCheck';
import { explainFailure, gpuBackendFolder, GpuInstallError, installGpuBackend, ON_CPU, tryLoadGpuBackend } from '../../extension/training/gpuInstall';

const NO_CUDA: CudaCheck = { nvidiaSmi: null, driverCuda: null, libcudart: null, cudartVersions: [], cudart11: null, cudnn8: null };
const CUDART11 = '/usr/local/cuda/lib64/libcudart.so.11.0';
const CUDA: CudaCheck = { nvidiaSmi: '/usr/bin/nvidia-smi', driverCuda: '11.2', libcudart: CUDART11, cudartVersions: ['libcudart.so.11.0'], cudart11: CUDART11, cudnn8: '/usr/lib/x86_64-linux-gnu/libcudnn.so.8' };

// What npm printed here when tfjs-node-gpu's install script could not fetch TensorFlow's library.
const NETWORK_OUTPUT = [
  'npm http fetch GET 200 https://registry.npmjs.org/@tensorflow%2ftfjs-node-gpu 120ms',
  'npm error code 1',
  'npm error path /tmp/gpu-backend/node_modules/@tensorflow/tfjs-node-gpu',
  'npm error command failed',
  'npm error command sh -c node scripts/install.js gpu download',
  'npm error Error: getaddrinfo ENOTFOUND storage.googleapis.com',
  'npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log',
].join('\n');

describe('Install GPU Backend: why it failed', () => {
  test('a download that cannot reach its server is "no network", with npm\'s line', () => {
    const why = explainFailure(NETWORK_OUTPUT, 1, CUDA);
    assert.match(why, /^no network: /);
    assert.match(why, /getaddrinfo ENOTFOUND storage\.googleapis\.com/);
  });

  test('another failure on a machine without CUDA names what is missing', () => {
    const why = explainFailure('npm error code 1\nnpm error gyp: build failed', 1, NO_CUDA);
    assert.match(why, /^CUDA missing: no nvidia-smi on PATH \(no NVIDIA driver\), no libcudart \(the CUDA runtime\)/);
    assert.match(why, /npm exited with code 1: npm error gyp: build failed/);
  });

  test('with CUDA present, npm\'s last error line', () => {
    assert.equal(explainFailure('npm error code E403\nnpm error 403 Forbidden', 1, CUDA), 'npm exited with code 1: npm error 403 Forbidden');
  });
});

describe('Install GPU Backend: the install itself', () => {
  test('installs into its own folder of the storage, and says so when npm is not there', async () => {
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-gpu-'));
    const folder = gpuBackendFolder(storage);
    assert.equal(folder, path.join(storage, 'gpu-backend'));
    await assert.rejects(installGpuBackend(folder, NO_CUDA, { npm: path.join(storage, 'no-such-npm') }), (error: unknown) => {
      assert.ok(error instanceof GpuInstallError);
      assert.match(error.message, /^npm was not found on PATH \(.*no-such-npm\); install Node\.js with npm, then try again$/);
      return true;
    });
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
    assert.equal(manifest.private, true);
  });

  test('a package that does not load is reported with its reason, without harming this process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-gpu-load-'));
    const entry = path.join(dir, 'index.js');
    fs.writeFileSync(entry, "throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');\n");
    assert.equal(await tryLoadGpuBackend(entry), 'libcudart.so.11.0: cannot open shared object file: No such file or directory');
  });

  test('a package that loads but whose TensorFlow runs on the CPU is reported as such; on the GPU, null', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-gpu-cpu-'));
    for (const onGpu of [false, true]) {
      const entry = path.join(dir, `${onGpu}.js`);
      fs.writeFileSync(entry, `module.exports = { backend: () => ({ isUsingGpuDevice: ${onGpu} }) };\n`);
      assert.equal(await tryLoadGpuBackend(entry), onGpu ? null : ON_CPU);
    }
  });
});
