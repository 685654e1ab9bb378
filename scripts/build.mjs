// Bundles the CLI, the extension, its worker threads and the three pages with esbuild. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
mkdirSync('dist', { recursive: true });
// The WebAssembly backend loads its .wasm files from beside the bundle (core/engine/backend.ts).
for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
  copyFileSync(`node_modules/@tensorflow/tfjs-backend-wasm/dist/${file}`, `dist/${file}`);
}
// ResNet Lab's own SIMD training kernels (wasm/*.c, rebuilt by wasm/build.sh), found
// beside the bundle by core/engine/wasmThreads.ts.
copyFileSync('wasm/kernels.wasm', 'dist/resnetlab-kernels.wasm');
// The PyTorch engine's trainer, run by the user's Python (core/pytorch/python.ts finds it here).
copyFileSync('python/resnet_lab_trainer.py', 'dist/resnet_lab_trainer.py');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info' };
const builds = [
  // Node side: the CLI, the extension host code (vscode is provided by the host) and the
  // training worker thread that both start.
  { ...common, entryPoints: { cli: 'core/cli/main.ts', extension: 'extension/extension.ts', trainWorker: 'core/training/worker.ts', inspectWorker: 'core/inspect/worker.ts', analysisWorker: 'core/analysis/worker.ts' }, outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  // The architecture page (webview/architecture/): one script and one stylesheet, loaded under a strict CSP.
  { ...common, entryPoints: { architecture: 'webview/architecture/main.ts' }, outdir: 'dist', platform: 'browser', format: 'iife', target: 'chrome120' },
  { ...common, entryPoints: { architecture: 'webview/architecture/styles.css' }, outdir: 'dist' },
  // The training-curves page (webview/training/): its own script and stylesheet.
  { ...common, entryPoints: { training: 'webview/training/main.ts' }, outdir: 'dist', platform: 'browser', format: 'iife', target: 'chrome120' },
  { ...common, entryPoints: { training: 'webview/training/styles.css' }, outdir: 'dist' },
  // The block-inspector page (webview/inspector/): its own script and stylesheet.
  { ...common, entryPoints: { inspector: 'webview/inspector/main.ts' }, outdir: 'dist', platform: 'browser', format: 'iife', target: 'chrome120' },
  { ...common, entryPoints: { inspector: 'webview/inspector/styles.css' }, outdir: 'dist' },
];

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
