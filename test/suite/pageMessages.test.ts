// The page's requests, handled by the real panel: data for the page, comparisons, exports
// written to real files, the clipboard, the log.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { specFromRequest } from '../../core/spec';
import type { ExportResultMessage, ShowArchitectureMessage } from '../../protocol/architecture';
import { closeAllEditors, extensionApi } from './helpers';

// A 2×1 RGBA PNG: a real image that decoders accept.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAADklEQVR4nGOwWlX+HwQAGDoGV7GfkukAAAAASUVORK5CYII=';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#3a7"/></svg>';

describe('ResNet Lab: messages from the page', () => {
  let folder: string;
  before(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-export-'));
    await vscode.commands.executeCommand('resnetLab.showArchitecture', 'resnet20');
  });
  after(async () => {
    (await extensionApi()).useSaveDialog(undefined);
    await closeAllEditors();
  });

  it('answers "ready" with the model to draw, the selected block and the comparison choices', async () => {
    const reply = (await (await extensionApi()).receiveFromPage('resnet20', { type: 'ready' })) as ShowArchitectureMessage;
    assert.equal(reply.type, 'showArchitecture');
    assert.equal(specFromRequest(reply.primary).name, 'resnet20');
    assert.equal(reply.compare, null);
    assert.equal(reply.selectedBlock, null);
    assert.equal(reply.compareChoices[0].label, 'plain-20');
    assert.ok(reply.compareChoices.every((c) => c.label !== 'ResNet-20'), 'the model itself is not offered as its comparison');
  });

  it('builds the comparison on "setCompare" and removes it on null', async () => {
    const api = await extensionApi();
    const reply = (await api.receiveFromPage('resnet20', { type: 'setCompare', request: { kind: 'named', name: 'plain20' } })) as ShowArchitectureMessage;
    assert.equal(specFromRequest(reply.primary).name, 'resnet20');
    assert.equal(reply.compare && specFromRequest(reply.compare).name, 'plain20');
    assert.equal(reply.compare && specFromRequest(reply.compare).residual, false);
    assert.equal(api.openPanels()[0].compare, 'plain20');
    const cleared = (await api.receiveFromPage('resnet20', { type: 'setCompare', request: null })) as ShowArchitectureMessage;
    assert.equal(cleared.compare, null);
  });

  it('ignores a comparison core cannot build, keeping the panel as it was', async () => {
    const api = await extensionApi();
    const reply = await api.receiveFromPage('resnet20', { type: 'setCompare', request: { kind: 'named', name: 'resnet19' } });
    assert.equal(reply, undefined);
    assert.equal(api.openPanels()[0].compare, null);
  });

  it('writes an exported SVG where the save dialog says, and replies with the path', async () => {
    const api = await extensionApi();
    const target = path.join(folder, 'chosen.svg');
    let asked: vscode.SaveDialogOptions | undefined;
    api.useSaveDialog(async (options) => {
      asked = options;
      return vscode.Uri.file(target);
    });
    const reply = (await api.receiveFromPage('resnet20', { type: 'exportFile', requestId: 41, format: 'svg', view: 'diagram', data: SVG })) as ExportResultMessage;
    assert.deepEqual(reply, { type: 'exportResult', requestId: 41, ok: true, detail: target });
    assert.equal(fs.readFileSync(target, 'utf8'), SVG);
    assert.match(asked?.defaultUri?.path ?? '', /\/resnet20-diagram\.svg$/);
    assert.deepEqual(asked?.filters, { 'SVG image': ['svg'] });
  });

  it('decodes an exported PNG data URL into a PNG file', async () => {
    const api = await extensionApi();
    const target = path.join(folder, 'charts.png');
    api.useSaveDialog(async () => vscode.Uri.file(target));
    const reply = (await api.receiveFromPage('resnet20', { type: 'exportFile', requestId: 42, format: 'png', view: 'charts', data: `data:image/png;base64,${PNG_BASE64}` })) as ExportResultMessage;
    assert.equal(reply.ok, true);
    assert.equal(reply.detail, target);
    const bytes = fs.readFileSync(target);
    assert.deepEqual(bytes, Buffer.from(PNG_BASE64, 'base64'));
    assert.equal(bytes.subarray(1, 4).toString('ascii'), 'PNG');
  });

  it('replies "cancelled" when the save dialog is dismissed, writing nothing', async () => {
    const api = await extensionApi();
    api.useSaveDialog(async () => undefined);
    const before = fs.readdirSync(folder).length;
    const reply = (await api.receiveFromPage('resnet20', { type: 'exportFile', requestId: 43, format: 'svg', view: 'diagram', data: SVG })) as ExportResultMessage;
    assert.deepEqual(reply, { type: 'exportResult', requestId: 43, ok: false, detail: 'cancelled' });
    assert.equal(fs.readdirSync(folder).length, before);
  });

  it('refuses export data that is not what it claims to be, saying why', async () => {
    const api = await extensionApi();
    api.useSaveDialog(async () => vscode.Uri.file(path.join(folder, 'never.png')));
    const reply = (await api.receiveFromPage('resnet20', { type: 'exportFile', requestId: 44, format: 'png', view: 'charts', data: 'data:image/jpeg;base64,AAAA' })) as ExportResultMessage;
    assert.equal(reply.ok, false);
    assert.match(reply.detail, /expected a data:image\/png;base64 URL/);
    assert.equal(fs.existsSync(path.join(folder, 'never.png')), false);
  });

  it('replies with the reason when the file cannot be written', async () => {
    const api = await extensionApi();
    api.useSaveDialog(async () => vscode.Uri.file(path.join(folder, 'no-such-folder', 'x.svg', 'y.svg')));
    fs.writeFileSync(path.join(folder, 'no-such-folder'), 'a file, not a folder');
    const reply = (await api.receiveFromPage('resnet20', { type: 'exportFile', requestId: 45, format: 'svg', view: 'diagram', data: SVG })) as ExportResultMessage;
    assert.equal(reply.ok, false);
    assert.match(reply.detail, /^Could not write .*no-such-folder/);
  });

  it('puts copied table text on the clipboard', async () => {
    const api = await extensionApi();
    const text = `| layer | params |\n|---|---|\n| conv1 | ${Date.now()} |`;
    const reply = (await api.receiveFromPage('resnet20', { type: 'copyText', requestId: 46, format: 'markdown', text })) as ExportResultMessage;
    assert.equal(reply.ok, true);
    assert.equal(await vscode.env.clipboard.readText(), text);
  });

  it('logs and ignores a malformed or unknown message from a page, and goes on answering', async () => {
    const api = await extensionApi();
    const target = path.join(folder, 'never-written.svg');
    api.useSaveDialog(async () => vscode.Uri.file(target));
    const malformed: Array<[unknown, RegExp]> = [
      [{ type: 'exportFile', requestId: 'seven', format: 'svg', view: 'diagram', data: SVG }, /architecture page \(resnet20\): ignored a malformed or unknown message \("exportFile"\) at requestId: .*expected number/],
      [{ type: 'setCompare', request: 'plain20' }, /ignored a malformed or unknown message \("setCompare"\) at request: expected a model request/],
      [{ type: 'formatDisk' }, /ignored a malformed or unknown message \("formatDisk"\)/],
      ['ready', /ignored a malformed or unknown message \(without a type\)/],
    ];
    for (const [message, logged] of malformed) {
      assert.equal(await api.receiveFromPage('resnet20', message), undefined, `no reply to ${JSON.stringify(message)}`);
      assert.ok(api.recentLog().some((line) => line.startsWith('[warn]') && logged.test(line)), `the log says ${logged}; its last lines: ${api.recentLog().slice(-3).join(' | ')}`);
    }
    assert.equal(fs.existsSync(target), false, 'nothing was written for the malformed export');
    assert.equal(api.openPanels()[0].compare, null);
    const reply = (await api.receiveFromPage('resnet20', { type: 'ready' })) as ShowArchitectureMessage;
    assert.equal(specFromRequest(reply.primary).name, 'resnet20', 'the panel still answers its page');
  });

  it('routes a page\'s log lines to the ResNet Lab log at their level', async () => {
    const api = await extensionApi();
    const text = `a note from the page ${Date.now()}`;
    await api.receiveFromPage('resnet20', { type: 'log', level: 'error', message: text });
    assert.ok(api.recentLog().includes(`[error] architecture page (resnet20): ${text}`));
  });
});
