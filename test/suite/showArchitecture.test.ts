// The Show Architecture command in a real VS Code: panels open, are not duplicated, bad
// input is refused with a message naming the problem, and the status bar follows the panel.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ModelRequest } from '../../core/spec';
import { activeTabLabel, architectureTabs, closeAllEditors, extensionApi, waitFor } from './helpers';

const SHOW = 'resnetLab.showArchitecture';

describe('ResNet Lab: Show Architecture', () => {
  afterEach(closeAllEditors);

  it('contributes its command to the workbench', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes(SHOW));
  });

  it('opens a panel titled with the model for a model name', async () => {
    await vscode.commands.executeCommand(SHOW, 'resnet56');
    const tab = await waitFor('the ResNet-56 tab', () => architectureTabs().find((t) => t.label === 'ResNet-56'));
    assert.equal(tab.isActive, true);
    const api = await extensionApi();
    assert.deepEqual(
      api.openPanels().map((p) => p.name),
      ['resnet56'],
    );
  });

  it('reveals the open panel instead of opening the same model twice', async () => {
    await vscode.commands.executeCommand(SHOW, 'resnet20');
    await vscode.commands.executeCommand(SHOW, 'plain20');
    await waitFor('plain-20 to be active', () => activeTabLabel() === 'plain-20');
    await vscode.commands.executeCommand(SHOW, 'RESNET20 ');
    await waitFor('ResNet-20 to be active again', () => activeTabLabel() === 'ResNet-20');
    assert.deepEqual(architectureTabs().map((t) => t.label).sort(), ['ResNet-20', 'plain-20']);
  });

  it('opens another panel for another shortcut option of the same depth', async () => {
    await vscode.commands.executeCommand(SHOW, 'resnet34');
    await vscode.commands.executeCommand(SHOW, { kind: 'named', name: 'resnet34', shortcut: 'C' });
    await waitFor('two ResNet-34 tabs', () => architectureTabs().length === 2);
    assert.deepEqual(architectureTabs().map((t) => t.label).sort(), ['ResNet-34', 'ResNet-34 (option C)']);
  });

  it('opens a custom network given as a request', async () => {
    const request = { kind: 'custom', options: { blocks: [2, 2, 2], baseWidth: 32, blockType: 'bottleneck', stem: 'cifar', inputSize: 64, classes: 100 } };
    await vscode.commands.executeCommand(SHOW, request);
    const tab = await waitFor('the custom tab', () => architectureTabs()[0]);
    assert.match(tab.label, /^ResNet-20 custom \(2-2-2, width 32, option A\)$/);
  });

  it('refuses an unknown model name with an error naming it and the valid ones', async () => {
    await assert.rejects((await extensionApi()).showArchitecture('resnet57'), /Unknown model "resnet57".*Valid models: resnet18/);
    // The command tells the user once (a notification) and does not throw a second dialog at the workbench.
    assert.equal(await vscode.commands.executeCommand(SHOW, 'resnet57'), undefined);
    assert.equal(architectureTabs().length, 0);
  });

  it('refuses invalid custom values with core\'s message', async () => {
    const request = { kind: 'custom', options: { blocks: [3, 0, 3], baseWidth: 16, blockType: 'basic', stem: 'cifar', inputSize: 32, classes: 10 } };
    await assert.rejects((await extensionApi()).showArchitecture(request as ModelRequest), /Blocks per stage must be one or more whole numbers ≥ 1.*got 3,0,3/);
    const tooSmall = { kind: 'custom', options: { blocks: [2, 2, 2, 2], baseWidth: 64, blockType: 'basic', stem: 'imagenet', inputSize: 16, classes: 10 } };
    await assert.rejects((await extensionApi()).showArchitecture(tooSmall as ModelRequest), /Input size must be a whole number from 32 to 1024/);
    assert.equal(architectureTabs().length, 0);
  });

  it('refuses an argument that is neither a name nor a request', async () => {
    await assert.rejects((await extensionApi()).showArchitecture({ depth: 34 } as unknown as ModelRequest), /expects a model name such as "resnet56" or a ModelRequest.*got \{"depth":34\}/);
  });

  it('names the active panel\'s model in the status bar and hides it when no panel is active', async () => {
    const api = await extensionApi();
    await vscode.commands.executeCommand(SHOW, 'resnet34');
    await waitFor('the status bar to name ResNet-34', () => api.statusBarText()?.includes('ResNet-34'));
    await vscode.commands.executeCommand(SHOW, 'resnet110');
    await waitFor('the status bar to name ResNet-110', () => api.statusBarText()?.includes('ResNet-110'));
    await vscode.commands.executeCommand(SHOW, 'resnet34');
    await waitFor('the status bar to name ResNet-34 again', () => api.statusBarText()?.includes('ResNet-34'));
    const document = await vscode.workspace.openTextDocument({ content: 'not a panel' });
    await vscode.window.showTextDocument(document);
    await waitFor('the status bar item to hide', () => api.statusBarText() === undefined);
  });
});
