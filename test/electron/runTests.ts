// The ecosystem's standard runner for desktop developers: downloads VS Code 1.100.3 with
// @vscode/test-electron and runs the same in-host suites as `npm run test:vscode`. It needs
// update.code.visualstudio.com (or VSCODE_EXECUTABLE_PATH pointing at an installed VS Code);
// where neither is available it stops at once with a message instead of hanging.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

const VSCODE_VERSION = '1.100.3';
const DOWNLOAD_PROBE = 'https://update.code.visualstudio.com/api/releases/stable';

async function canReachDownloads(): Promise<string | undefined> {
  try {
    const response = await fetch(DOWNLOAD_PROBE, { method: 'HEAD', signal: AbortSignal.timeout(15_000) });
    return response.ok ? undefined : `HTTP ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return cause ?? (error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<number> {
  const extensionDevelopmentPath = path.resolve(__dirname, '../../..');
  const extensionTestsPath = path.resolve(__dirname, '../suite/index');
  const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE_PATH;
  if (!vscodeExecutablePath) {
    const problem = await canReachDownloads();
    if (problem) {
      console.error(
        `test:electron: cannot download VS Code ${VSCODE_VERSION} (${DOWNLOAD_PROBE}: ${problem}).\n` +
          '  Set VSCODE_EXECUTABLE_PATH to an installed VS Code, or run `npm run test:vscode`, which runs the same suites in code-server.',
      );
      return 1;
    }
  }
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'resnet-lab-electron-'));
  try {
    return await runTests({
      version: VSCODE_VERSION,
      vscodeExecutablePath,
      extensionDevelopmentPath,
      extensionTestsPath,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`test:electron: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
