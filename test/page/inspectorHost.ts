// A stand-in for VS Code hosting the block-inspector page: serves dist/inspector.{js,css} on
// 127.0.0.1 with the real CSP (webviewHtml), records what the page posts, and delivers the
// extension's messages. The inspections it sends are real: core's block probe on TF.js
// (WebAssembly), for a net and its plain twin, on the embedded image set.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { selectBackend } from '../../core/engine/backend';
import { freshProbe, normalisedImage, responseImages, syntheticInspectionData, thumbnails } from '../../core/inspect/sources';
import { plainTwin, requestFromSpec, specFromName } from '../../core/spec';
import type { FromInspectorWebviewMessage, InspectorPanelState, ShowImagesMessage, ShowInspectionMessage, ToInspectorWebviewMessage } from '../../webview/inspectorProtocol';
import { deliverMessage, Host, SCREENSHOT_DIR, startPageServer, THEMES } from './host';

export { launchBrowser } from './host';

export type InspectorHost = Host;

export function startInspectorHost(): Promise<InspectorHost> {
  return startPageServer('inspector', 'ResNet Lab: block inspector');
}

const SHIM = `(() => {
  const record = { posted: [], state: undefined, csp: [] };
  window.__inspectorHost = record;
  document.addEventListener('securitypolicyviolation', (e) => record.csp.push(e.violatedDirective + ' blocked ' + e.blockedURI));
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return {
      postMessage: (message) => record.posted.push(JSON.parse(JSON.stringify(message))),
      getState: () => record.state,
      setState: (state) => { record.state = JSON.parse(JSON.stringify(state)); },
    };
  };
})();`;

declare global {
  interface Window {
    __inspectorHost: { posted: FromInspectorWebviewMessage[]; state: InspectorPanelState | undefined; csp: string[] };
  }
}

export class InspectorPage {
  readonly problems: string[] = [];

  private constructor(readonly page: Page) {
    page.on('console', (message) => {
      if (message.type() === 'error') this.problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => this.problems.push(`request failed: ${request.url()}`));
  }

  static async open(browser: Browser, host: InspectorHost, viewport = { width: 1200, height: 1000 }): Promise<InspectorPage> {
    const page = await browser.newPage({ viewport });
    const session = new InspectorPage(page);
    await page.addInitScript(SHIM);
    await page.goto(host.origin + '/');
    await session.waitForPosted((m) => m.type === 'ready');
    const { bodyClass, vars } = THEMES.dark;
    await page.evaluate(
      ({ bodyClass, vars }) => {
        document.body.classList.add(bodyClass);
        for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
      },
      { bodyClass, vars: vars as Record<string, string> },
    );
    return session;
  }

  send(message: ToInspectorWebviewMessage): Promise<void> {
    return deliverMessage(this.page, message);
  }

  posted(): Promise<FromInspectorWebviewMessage[]> {
    return this.page.evaluate(() => window.__inspectorHost.posted);
  }

  async clearPosted(): Promise<void> {
    await this.page.evaluate(() => window.__inspectorHost.posted.splice(0));
  }

  async waitForPosted(matches: (message: FromInspectorWebviewMessage) => boolean, timeoutMs = 10_000): Promise<FromInspectorWebviewMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.posted()).find(matches);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`No matching message was posted; posted: ${JSON.stringify(await this.posted())}`);
      await new Promise((done) => setTimeout(done, 30));
    }
  }

  async allProblems(): Promise<string[]> {
    const csp = await this.page.evaluate(() => window.__inspectorHost.csp);
    return [...this.problems, ...csp.map((v) => `CSP violation: ${v}`)];
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const path = join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}

/** Real inspections of one image through a net and its plain twin (fresh He-initialised weights). */
export async function inspectPair(modelName: string, imageIndex: number): Promise<{ images: ShowImagesMessage; inspection: ShowInspectionMessage }> {
  await selectBackend('wasm');
  const data = syntheticInspectionData(1, 200, 40);
  const spec = specFromName(modelName);
  const image = normalisedImage(data, imageIndex);
  const figureImages = responseImages(data, 8);
  const nets = [spec, plainTwin(spec)].map((s) => {
    const probe = freshProbe(s, 1);
    try {
      return probe.inspect({ image, responseImages: figureImages, classNames: data.images.classNames });
    } finally {
      probe.dispose();
    }
  });
  const { height, width, channels } = data.images;
  const bytes = height * width * channels;
  const label = data.images.labels[imageIndex];
  return {
    images: { type: 'showImages', thumbnails: thumbnails(data.images, 2), classNames: [...data.images.classNames], height, width, dataDescription: data.description },
    inspection: {
      type: 'showInspection',
      image: { index: imageIndex, label, className: data.images.classNames[label], pixels: Buffer.from(data.images.images.subarray(imageIndex * bytes, (imageIndex + 1) * bytes)).toString('base64'), height, width },
      nets,
      live: false,
      source: { model: requestFromSpec(spec) },
    },
  };
}
