// Every pick and input box the extension shows sets ignoreFocusOut. A webview takes focus back as
// it loads (after a window reload, on a busy machine) or as its context menu closes, and a pick
// without it closes a moment after it opens: the user's command does nothing, and says nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { REPO_ROOT } from './dataSupport';

const SHOW = new Set(['showQuickPick', 'showInputBox', 'showWorkspaceFolderPick']);
const CREATE = new Set(['createQuickPick', 'createInputBox']);

interface Pick {
  /** "file:line name" */
  where: string;
  staysOpen: boolean;
}

/** Every pick and input box one file shows. */
function picksIn(file: string): Pick[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const where = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const found: Pick[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const name = node.expression.name.text;
      if (SHOW.has(name)) {
        const options = node.arguments[name === 'showQuickPick' ? 1 : 0];
        const sets = options && ts.isObjectLiteralExpression(options) && options.properties.some((p) => ts.isPropertyAssignment(p) && p.name.getText() === 'ignoreFocusOut' && p.initializer.kind === ts.SyntaxKind.TrueKeyword);
        found.push({ where: `${where(node)} ${name}`, staysOpen: sets === true });
      }
      if (CREATE.has(name)) {
        // The created pick's variable must get `.ignoreFocusOut = true` in the same function.
        const declaration = node.parent;
        const body = ts.findAncestor(node, ts.isFunctionLike);
        const variable = ts.isVariableDeclaration(declaration) ? declaration.name.getText() : undefined;
        const sets = variable !== undefined && body !== undefined && new RegExp(`\\b${variable}\\.ignoreFocusOut = true;`).test(body.getText());
        found.push({ where: `${where(node)} ${name}`, staysOpen: sets });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('every pick and input box the extension shows stays open when a webview takes focus (ignoreFocusOut)', () => {
  const files = execFileSync('git', ['ls-files', 'extension'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter((f) => f.endsWith('.ts'));
  const picks = files.flatMap(picksIn);
  assert.ok(picks.length >= 15, `the scan found only ${picks.length} picks in extension/; it no longer sees them`);
  assert.deepEqual(picks.filter((p) => !p.staysOpen).map((p) => p.where), []);
});
