// "Inspect Blocks" inside the real extension host: a tiny real training run in the workspace,
// the inspector on its checkpoint, and the Next/Previous Block commands moving the page's
// block (the page reports every move back); an untrained net and its twin; bad input refused.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { planRun } from '../../core/training/plan';
import { RUNS_FOLDER } from '../../core/training/runFolder';
import { TrainingSession } from '../../core/training/session';
import { EXTENSION_ID, extensionApi, waitFor } from './helpers';

describe('Inspect Blocks', function () {
  this.timeout(120_000);

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens on a checkpoint of a real run; Next/Previous Block step the page and it reports each block', async () => {
    const api = await extensionApi();
    const workspace = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspace, 'the test workspace is open');
    const extensionPath = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const session = await TrainingSession.start(
      planRun({ nets: [{ kind: 'named', name: 'resnet20' }, { kind: 'named', name: 'resnet20', plain: true }], data: { kind: 'synthetic', trainSize: 32, testSize: 16 }, iterations: 2, batchSize: 16, seed: 4, backend: 'wasm' }),
      path.join(workspace.uri.fsPath, RUNS_FOLDER),
      { workerPath: path.join(extensionPath, 'dist', 'trainWorker.js') },
    );
    assert.equal(await session.finished, 'finished', session.statusDetail);
    assert.ok(fs.existsSync(session.run.latestCheckpoint('a')!.folder));

    await api.inspectBlocks({ runFolder: session.run.folder, imageIndex: 2 });
    const shown = await waitFor('the page to show the first block', () => {
      const info = api.inspectorPanel();
      return info && info.inspectionsSent > 0 && info.blockId === 'conv2_1' ? info : undefined;
    }, 60_000);
    assert.deepEqual(shown.nets.map((n) => n.title), ['ResNet-20', 'plain-20']);
    assert.deepEqual(shown.nets.map((n) => n.step), [2, 2]);
    assert.match(shown.nets[0].weightsSource, /checkpoint at step 2/);
    assert.equal(shown.imageIndex, 2);

    for (const expected of ['conv2_2', 'conv2_3', 'conv3_1']) {
      await vscode.commands.executeCommand('resnetLab.nextBlock');
      await waitFor(`the page to show ${expected}`, () => api.inspectorPanel()?.blockId === expected);
    }
    await vscode.commands.executeCommand('resnetLab.previousBlock');
    const back = await waitFor('the page to step back', () => (api.inspectorPanel()?.blockId === 'conv2_3' ? api.inspectorPanel() : undefined));
    assert.equal(back.blockIndex, 2);

    // The curves panel's "Inspect blocks" button: the inspector follows that run's latest weights.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the inspector to close', () => api.inspectorPanel() === undefined);
    await vscode.commands.executeCommand('resnetLab.openRun', session.run.folder);
    await api.receiveFromTrainingPage(session.id, { type: 'inspect', runId: session.id });
    const fromCurves = await waitFor('the inspector opened from the curves panel', () => {
      const info = api.inspectorPanel();
      return info && info.inspectionsSent > 0 ? info : undefined;
    }, 60_000);
    assert.deepEqual(fromCurves.nets.map((n) => n.step), [2, 2]);
  });

  it('an untrained net shows beside its plain twin; a net the images do not fit is refused with a reason', async () => {
    const api = await extensionApi();
    await api.inspectBlocks({ model: 'resnet32' });
    const info = await waitFor('the fresh nets', () => {
      const i = api.inspectorPanel();
      return i && i.nets[0]?.title === 'ResNet-32' ? i : undefined;
    }, 60_000);
    assert.deepEqual(info.nets.map((n) => n.title), ['ResNet-32', 'plain-32']);
    assert.deepEqual(info.nets.map((n) => n.step), [null, null]);
    await assert.rejects(api.inspectBlocks({ model: 'resnet18' }), /takes 224×224×3 images of 1000 classes; .* pick a CIFAR-10 net/);
  });

  it("the diagram's Inspect block opens the inspector on that block; the right-click menu's context does the same", async () => {
    const api = await extensionApi();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the inspector to close', () => api.inspectorPanel() === undefined);
    // No run of this workspace trained ResNet-44, so it goes straight to the untrained net.
    await api.showArchitecture('resnet44');
    await api.receiveFromPage('resnet44', { type: 'inspectBlock', blockId: 'conv3_4' });
    const fromButton = await waitFor('the inspector on conv3_4', () => {
      const i = api.inspectorPanel();
      return i && i.inspectionsSent > 0 && i.blockId === 'conv3_4' ? i : undefined;
    }, 60_000);
    assert.deepEqual(fromButton.nets.map((n) => n.title), ['ResNet-44', 'plain-44']);
    assert.equal(fromButton.blockIndex, 10, 'conv3_4 is the 11th block of ResNet-44 (7 per stage)');
    const diagramOf = () => api.openPanels().find((p) => p.name === 'resnet44');
    await waitFor('the ResNet-44 diagram to highlight conv3_4', () => diagramOf()?.selectedBlock === 'conv3_4');

    // What VS Code passes from the webview/context menu: the merged data-vscode-context of the block and the diagram.
    const context = { webview: 'resnetLab.architecture', webviewSection: 'block', blockId: 'conv4_7', modelRequest: JSON.stringify({ kind: 'named', name: 'resnet44' }), preventDefaultContextMenuItems: true };
    await vscode.commands.executeCommand('resnetLab.inspectBlock', context);
    const fromMenu = await waitFor('the inspector on conv4_7', () => (api.inspectorPanel()?.blockId === 'conv4_7' ? api.inspectorPanel() : undefined), 60_000);
    assert.equal(fromMenu.blockIndex, 20);
    await vscode.commands.executeCommand('resnetLab.previousBlock');
    await waitFor('the diagram to follow the inspector to conv4_6', () => diagramOf()?.selectedBlock === 'conv4_6');
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('resnetLab.inspectBlock'));
  });

  it('nets of different depth (plain-20 beside plain-56): every block of the deeper net is reached, each net at its own block, the state truthful', async () => {
    const api = await extensionApi();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the inspector to close', () => api.inspectorPanel() === undefined);
    const workspace = vscode.workspace.workspaceFolders![0];
    const extensionPath = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const plain = (name: string) => ({ kind: 'named' as const, name, plain: true });
    const session = await TrainingSession.start(
      planRun({ nets: [plain('resnet20'), plain('resnet56')], data: { kind: 'synthetic', trainSize: 32, testSize: 16 }, iterations: 2, batchSize: 16, seed: 6, backend: 'wasm' }),
      path.join(workspace.uri.fsPath, RUNS_FOLDER),
      { workerPath: path.join(extensionPath, 'dist', 'trainWorker.js') },
    );
    assert.equal(await session.finished, 'finished', session.statusDetail);

    await api.inspectBlocks({ runFolder: session.run.folder });
    const first = await waitFor('the page to show the first blocks', () => {
      const info = api.inspectorPanel();
      return info && info.inspectionsSent > 0 && info.netBlocks.length === 2 ? info : undefined;
    }, 60_000);
    assert.deepEqual(first.nets.map((n) => n.title), ['plain-20', 'plain-56']);
    assert.equal(first.live, false, 'the run has finished: nothing trains it, so the view is not live');
    assert.deepEqual(first.netBlocks, [{ modelName: 'plain20', blockId: 'conv2_1' }, { modelName: 'plain56', blockId: 'conv2_1' }]);
    const seen = new Set<string>([first.blockId!]);
    for (let i = 1; i < 27; i++) {
      await vscode.commands.executeCommand('resnetLab.nextBlock');
      const info = await waitFor(`block ${i + 1} of 27`, () => (api.inspectorPanel()?.blockIndex === i ? api.inspectorPanel() : undefined));
      seen.add(info.blockId!);
    }
    assert.equal(seen.size, 27, 'Next Block visits every block of plain-56');
    const last = api.inspectorPanel()!;
    assert.deepEqual(last.netBlocks, [{ modelName: 'plain20', blockId: 'conv4_3' }, { modelName: 'plain56', blockId: 'conv4_9' }], 'the last blocks stand side by side');
  });
});
