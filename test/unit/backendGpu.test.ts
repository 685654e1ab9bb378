// tfjs-node-gpu that loads but runs on the CPU (no CUDA 11 / cuDNN 8) is not "TensorFlow with
// CUDA": auto skips it and says why, an explicit choice fails. The real package cannot be
// installed here, so a stand-in registers a 'tensorflow' backend with tfjs-core (its own file:
// selectBackend changes TF.js's global backend).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, selectBackend } from '../../core/engine/backend';

/** A folder whose node_modules holds a stand-in @tensorflow/tfjs-node-gpu; requiring it selects its backend, as the real one does. */
function standIn(onGpu: boolean): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-tfjs-node-gpu-'));
  const pkg = path.join(folder, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '0.0.0-stand-in', main: 'index.js' }));
  fs.writeFileSync(
    path.join(pkg, 'index.js'),
    [
      `const tf = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-core'))});`,
      `const { MathBackendCPU } = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-backend-cpu'))});`,
      `tf.registerBackend('tensorflow', () => { const b = new MathBackendCPU(); b.isUsingGpuDevice = ${onGpu}; return b; }, 3);`,
      `tf.setBackend('tensorflow');`,
      'module.exports = tf;',
    ].join('\n'),
  );
  return folder;
}

const ON_CPU = /^tfjs-node-gpu loaded but TensorFlow runs on the CPU: \S/;

describe('tfjs-node-gpu on the CPU is not used as the GPU backend', () => {
  test('auto skips it with the reason and lands on the next backend, not on its "tensorflow"', async () => {
    const folder = standIn(false);
    const d = await selectBackend('auto', { nodeModulePaths: [folder] });
    console.log(`    skipped: ${d.skipped.map((s) => `${s.kind} (${s.reason})`).join(', ')}`);
    assert.equal(d.kind, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.deepEqual(d.skipped.map((s) => s.kind), ['tensorflow-gpu', 'tensorflow']);
    assert.match(d.skipped[0].reason, ON_CPU);
    assert.equal(tf.findBackendFactory('tensorflow'), null, 'its backend is removed');
    // The package stays loaded in this process: asking again gives the same reason.
    const again = await selectBackend('auto', { nodeModulePaths: [folder] });
    assert.equal(again.skipped[0].reason, d.skipped[0].reason);
    assert.equal(again.kind, 'wasm');
  });

  test('an explicit tensorflow-gpu fails with a BackendError naming the CPU fallback', async () => {
    await assert.rejects(selectBackend('tensorflow-gpu', { nodeModulePaths: [standIn(false)] }), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.match(error.message, /^Cannot use the TensorFlow with CUDA \(tfjs-node-gpu\) backend: tfjs-node-gpu loaded but TensorFlow runs on the CPU: /);
      return true;
    });
    assert.notEqual(tf.getBackend(), 'tensorflow');
    assert.equal(tf.findBackendFactory('tensorflow'), null);
  });

  test('on the GPU it is used, and the title names the GPU', async () => {
    const d = await selectBackend('auto', { nodeModulePaths: [standIn(true)] });
    try {
      assert.equal(d.kind, 'tensorflow-gpu');
      assert.equal(d.tfName, 'tensorflow');
      assert.deepEqual(d.skipped, []);
      assert.equal(d.title, `TensorFlow with CUDA (tfjs-node-gpu): ${d.device ?? 'on the GPU'}`);
    } finally {
      tf.removeBackend('tensorflow');
      await selectBackend('wasm');
    }
  });
});
