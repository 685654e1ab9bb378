// The one typed channel (protocol/): what a worker sends is checked against its declared shape
// on arrival; a malformed or unknown message is logged and ignored, and the next good one is
// still handled. Real worker threads send the messages.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { InspectorClient } from '../../core/inspect/client';
import { startWorkerNet } from '../../core/training/netChannel';
import type { FromWorkerMessage, StartNetMessage } from '../../core/training/workerProtocol';
import { checkMessage, MalformedMessage } from '../../protocol/channel';
import { fromTrainingPage } from '../../protocol/training';
import { RequestTracker } from '../../protocol/requests';

/** A worker thread's script in a temporary file. */
function workerScript(body: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-channel-')), 'worker.js');
  fs.writeFileSync(file, `const { parentPort } = require('node:worker_threads');\n${body}\n`);
  return file;
}

describe('the typed channel', () => {
  test('checkMessage passes a declared message and names what is wrong with any other', () => {
    assert.deepEqual(checkMessage(fromTrainingPage, { type: 'control', runId: 'r1', action: 'stop' }), { type: 'control', runId: 'r1', action: 'stop' });
    assert.throws(() => checkMessage(fromTrainingPage, { type: 'control', runId: 'r1', action: 'explode' }), (error: Error) => error instanceof MalformedMessage && /\("control"\) at action: /.test(error.message));
    assert.throws(() => checkMessage(fromTrainingPage, { type: 'shutdown' }), /a malformed or unknown message \("shutdown"\)/);
    assert.throws(() => checkMessage(fromTrainingPage, null), /a malformed or unknown message \(without a type\)/);
  });

  test('RequestTracker pairs replies with their requests, in any order, and fails them when the other side is gone', async () => {
    const tracker = new RequestTracker<{ requestId: number; answer: string }>();
    const posted: number[] = [];
    const first = tracker.send((id) => posted.push(id));
    const second = tracker.send((id) => posted.push(id));
    assert.equal(posted.length, 2);
    assert.equal(tracker.settle({ requestId: posted[1], answer: 'two' }), true);
    assert.equal(tracker.settle({ requestId: 999, answer: 'nobody asked' }), false);
    tracker.settle({ requestId: posted[0], answer: 'one' });
    assert.deepEqual([(await first).answer, (await second).answer], ['one', 'two']);
    const failing = tracker.send(() => undefined);
    tracker.end(new Error('the page closed'));
    await assert.rejects(failing, /the page closed/);
    await assert.rejects(tracker.send(() => undefined), /the page closed/);
  });

  test('a training worker\'s malformed and unknown messages are logged and ignored; its next message is handled', async () => {
    const script = workerScript(`
parentPort.once('message', () => {
  parentPort.postMessage({ type: 'metrics', points: [{ slot: 'z', step: 1, epoch: 0, split: 'train', loss: 2.3, error: 0.9, lr: 0.1, time: 0 }] });
  parentPort.postMessage({ type: 'celebrate' });
  parentPort.postMessage({ type: 'metrics', points: [{ slot: 'a', step: 1, epoch: 0, split: 'train', loss: NaN, error: 0.9, lr: 0.1, time: 0 }] });
  parentPort.postMessage({ type: 'failed', message: 'out of memory' });
});`);
    const logged: string[] = [];
    const received: FromWorkerMessage[] = [];
    await new Promise<void>((resolve) => {
      const net = startWorkerNet(script, { type: 'start' } as StartNetMessage, {
        message: (m) => {
          received.push(m);
          if (m.type === 'failed') {
            net.kill();
            resolve();
          }
        },
        failed: () => undefined,
        exited: () => undefined,
        log: (line) => logged.push(line),
      });
    });
    assert.deepEqual(received.map((m) => m.type), ['metrics', 'failed'], 'the diverged (NaN) point is a real reading and passes');
    assert.equal(logged.length, 2);
    assert.match(logged[0], /^ignored a malformed or unknown message \("metrics"\) at points\.0\.slot: /);
    assert.match(logged[1], /^ignored a malformed or unknown message \("celebrate"\)/);
  });

  test('the inspector client ignores a malformed reply (saying so) and resolves with the well-formed one', async () => {
    const script = workerScript(`
parentPort.on('message', (request) => {
  parentPort.postMessage({ type: 'progress', requestId: request.requestId, progress: { steps: 'many', training: true } });
  parentPort.postMessage({ type: 'progress', requestId: request.requestId, progress: { steps: [120, null], training: true } });
});`);
    const problems: string[] = [];
    const client = new InspectorClient(script, (text) => problems.push(text));
    try {
      assert.deepEqual(await client.progress(), { steps: [120, null], training: true });
      assert.equal(problems.length, 1);
      assert.match(problems[0], /the inspector's thread sent a malformed or unknown message \("progress"\) at progress\.steps: .*; ignored/);
    } finally {
      await client.dispose();
    }
  });
});
