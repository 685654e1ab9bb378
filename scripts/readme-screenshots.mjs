// The README's three screenshots, from the ui-views suite's own (run `node scripts/vscode-tests.mjs
// --only=ui-views` first): scaled to 1000 px wide, as JPEG (small), with Debian's chromium into media/screenshots/,
// which the README shows (in the repository; the .vsix leaves them out: its details page loads https: images only).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = { 'ui-views-models.png': 'architecture.jpg', 'ui-views-curves.png': 'training-curves.jpg', 'ui-views-inspector.png': 'block-inspector.jpg' };
const WIDTH = 1000;
const out = path.join(root, 'media/screenshots');
fs.mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  for (const [source, target] of Object.entries(SHOTS)) {
    const file = path.join(root, 'test-results/vscode', source);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run node scripts/vscode-tests.mjs --only=ui-views first`);
    const page = await browser.newPage({ viewport: { width: WIDTH, height: 100 } });
    await page.setContent(`<body style="margin:0"><img style="display:block;width:${WIDTH}px" src="data:image/png;base64,${fs.readFileSync(file).toString('base64')}"></body>`);
    await page.locator('img').evaluate((img) => img.decode());
    await page.locator('img').screenshot({ path: path.join(out, target), type: 'jpeg', quality: 80 });
    await page.close();
    console.log(`media/screenshots/${target}: ${(fs.statSync(path.join(out, target)).size / 1024).toFixed(0)} KiB`);
  }
} finally {
  await browser.close();
}
