// The README's Layout section is drawn from the tree: every folder that holds source is listed
// there, and every folder listed exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './dataSupport';

const SOURCE = /\.(ts|mjs|js|py|c|h|sh)$/;

test('the README\'s Layout lists exactly the folders that hold source', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /## Layout\n[\s\S]*?```\n([\s\S]*?)```/.exec(readme);
  assert.ok(section, 'the README has a Layout section with a code block');
  const listed = new Set(section[1].split('\n').map((line) => /^([a-z][\w-]*(?:\/[\w-]+)*)\//.exec(line)?.[1]).filter((f): f is string => f !== undefined));
  const tracked = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter((f) => SOURCE.test(f) && !f.startsWith('.'));
  // A folder counts at the depth the README lists it: test/ and extension/ by their subfolders.
  const folders = new Set(
    tracked
      .map((f) => path.posix.dirname(f))
      .filter((d) => d !== '.')
      .map((d) => d.split('/').slice(0, 2).join('/')),
  );
  const missing = [...folders].filter((f) => !listed.has(f)).sort();
  const stale = [...listed].filter((f) => !fs.existsSync(path.join(REPO_ROOT, f))).sort();
  assert.deepEqual(missing, [], `folders with source that the Layout does not list: ${missing.join(', ')}`);
  assert.deepEqual(stale, [], `folders the Layout lists that do not exist: ${stale.join(', ')}`);
});
