// A small stand-in for the VS Code webview host: serves dist/ on 127.0.0.1, builds the page
// with webviewHtml (so the real CSP applies), defines acquireVsCodeApi in the page to record
// what it posts, and posts the same messages the extension would, built from core in Node.
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { after, afterEach, before, beforeEach } from 'node:test';
import { Browser, chromium, Page } from 'playwright-core';
import { ModelReport, reportForRequest } from '../../core/report';
import type { ModelRequest } from '../../core/spec';
import { makeNonce, webviewHtml } from '../../extension/panelHtml';
import type { ArchitecturePanelState, FromArchitecturePage, ModelChoice, ShowArchitectureMessage, ToArchitecturePage } from '../../protocol/architecture';

/** The repository root (this file runs from out/test/page/). */
export const ROOT = resolve(__dirname, '..', '..', '..');
const DIST = join(ROOT, 'dist');
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'page');

export interface Host {
  origin: string;
  close(): Promise<void>;
}

/** Serves one page bundle (dist/BUNDLE.js and .css, their maps) on 127.0.0.1 as a VS Code webview would load it. */
export async function startPageServer(bundle: string, title: string): Promise<Host> {
  for (const file of [`${bundle}.js`, `${bundle}.css`]) {
    if (!existsSync(join(DIST, file))) throw new Error(`dist/${file} is missing: run \`npm run build\` before the page tests.`);
  }
  const files: Record<string, string> = { [`${bundle}.js`]: 'text/javascript', [`${bundle}.css`]: 'text/css', [`${bundle}.js.map`]: 'application/json', [`${bundle}.css.map`]: 'application/json' };
  let origin = '';
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', origin).pathname;
    if (path === '/') {
      const html = webviewHtml({ scriptUri: `${origin}/dist/${bundle}.js`, styleUri: `${origin}/dist/${bundle}.css`, cspSource: origin, nonce: makeNonce(), title });
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    if (path === '/favicon.ico') {
      response.writeHead(204).end(); // browsers ask for it; a VS Code webview never does
      return;
    }
    const file = path.startsWith('/dist/') ? path.slice('/dist/'.length) : '';
    if (!(file in files)) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': files[file] }).end(readFileSync(join(DIST, file)));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((done) => server.close(() => done())) };
}

/**
 * Delivers a message the way VS Code does (a window message event) and resolves once the page's
 * listeners have run: a sentinel posted behind it arrives after it (same task queue, FIFO).
 * Sent as JSON text: Playwright's own serialization of a 2 MB report (ResNet-1202) is slow.
 */
export async function deliverMessage(page: Page, message: unknown): Promise<void> {
  await page.evaluate(
    (json) =>
      new Promise<void>((handled) => {
        const sentinel = `__handled_${Math.random()}`;
        const onMessage = (event: MessageEvent): void => {
          if (event.data !== sentinel) return;
          window.removeEventListener('message', onMessage);
          handled();
        };
        window.addEventListener('message', onMessage);
        window.postMessage(JSON.parse(json), '*');
        window.postMessage(sentinel, '*');
      }),
    JSON.stringify(message),
  );
}

export function startHost(): Promise<Host> {
  return startPageServer('architecture', 'ResNet Lab: architecture');
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** VS Code's default colours for the theme variables the page uses (Dark Modern, Light Modern). */
export const THEMES = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      '--vscode-editor-background': '#1f1f1f', '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-panel-border': '#2b2b2b',
      '--vscode-editorWidget-background': '#202020', '--vscode-list-hoverBackground': '#2a2d2e', '--vscode-editor-selectionBackground': '#264f78', '--vscode-focusBorder': '#0078d4',
      '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#89d185', '--vscode-charts-purple': '#b180d7', '--vscode-charts-red': '#f14c4c', '--vscode-charts-lines': '#cccccc80',
      '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc', '--vscode-button-secondaryHoverBackground': '#3c3c3c',
      '--vscode-input-background': '#313131', '--vscode-input-foreground': '#cccccc', '--vscode-input-border': '#3c3c3c', '--vscode-editorHoverWidget-background': '#202020', '--vscode-editorHoverWidget-border': '#454545',
      '--vscode-errorForeground': '#f85149', '--vscode-font-size': '13px',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      '--vscode-editor-background': '#ffffff', '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#3b3b3b', '--vscode-panel-border': '#e5e5e5',
      '--vscode-editorWidget-background': '#f8f8f8', '--vscode-list-hoverBackground': '#f2f2f2', '--vscode-editor-selectionBackground': '#add6ff', '--vscode-focusBorder': '#005fb8',
      '--vscode-charts-blue': '#1a85ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#388a34', '--vscode-charts-purple': '#652d90', '--vscode-charts-red': '#e51400', '--vscode-charts-lines': '#3b3b3b80',
      '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b', '--vscode-button-secondaryHoverBackground': '#cccccc',
      '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#3b3b3b', '--vscode-input-border': '#cecece', '--vscode-editorHoverWidget-background': '#f8f8f8', '--vscode-editorHoverWidget-border': '#c8c8c8',
      '--vscode-errorForeground': '#f85149', '--vscode-font-size': '13px',
    },
  },
} as const;
export type ThemeName = keyof typeof THEMES;

// Runs in the page before its own script, like VS Code's webview preamble.
const VSCODE_API_SHIM = `(() => {
  const record = { posted: [], state: undefined, csp: [] };
  window.__webviewHost = record;
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

/** What the shim records: the page's posts, its saved state, CSP violations. */
interface HostRecord {
  posted: Array<{ type: string }>;
  state: unknown;
  csp: string[];
}
declare global {
  interface Window {
    __webviewHost: HostRecord;
  }
}

export interface OpenPageOptions {
  theme?: ThemeName;
  viewport?: { width: number; height: number };
  /** More script to run before the page's own (after the shim). */
  initScript?: string;
}

/**
 * One webview page under test, as VS Code would host it: what it posted, the state it saved,
 * and every problem it reported. `To`/`From`/`State` are the page's protocol types.
 */
export class WebviewPage<To, From extends { type: string }, State> {
  /** Console errors, uncaught page errors and failed requests. */
  readonly problems: string[] = [];

  constructor(readonly page: Page, private readonly fullPageScreenshots = false) {
    page.on('console', (message) => {
      if (message.type() === 'error') this.problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => this.problems.push(`request failed: ${request.url()}`));
  }

  /** Loads the host's page into a new tab, waits for its "ready", applies the theme. */
  protected static async load<P extends WebviewPage<unknown, { type: string }, unknown>>(browser: Browser, host: Host, make: (page: Page) => P, options: OpenPageOptions = {}): Promise<P> {
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 900 } });
    const session = make(page);
    await page.addInitScript(VSCODE_API_SHIM + (options.initScript ?? ''));
    await page.goto(host.origin + '/');
    await session.waitForPosted((m) => m.type === 'ready');
    await session.setTheme(options.theme ?? 'dark');
    return session;
  }

  async setTheme(theme: ThemeName): Promise<void> {
    const { bodyClass, vars } = THEMES[theme];
    await this.page.evaluate(
      ({ bodyClass, vars }) => {
        document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
        document.body.classList.add(bodyClass);
        for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(name, value);
      },
      { bodyClass, vars: vars as Record<string, string> },
    );
  }

  send(message: To): Promise<void> {
    return deliverMessage(this.page, message);
  }

  async posted(): Promise<From[]> {
    return (await this.page.evaluate(() => window.__webviewHost.posted)) as unknown as From[];
  }

  async state(): Promise<State | undefined> {
    return (await this.page.evaluate(() => window.__webviewHost.state)) as State | undefined;
  }

  async clearPosted(): Promise<void> {
    await this.page.evaluate(() => window.__webviewHost.posted.splice(0));
  }

  /** Waits for a posted message that matches, and returns it. */
  async waitForPosted(matches: (message: From) => boolean, timeoutMs = 10_000): Promise<From> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.posted()).find(matches);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`No matching message was posted; posted: ${JSON.stringify((await this.posted()).map((m) => m.type))}`);
      await new Promise((done) => setTimeout(done, 30));
    }
  }

  /** Every console error, page error, failed request and CSP violation so far. */
  async allProblems(): Promise<string[]> {
    const csp = await this.page.evaluate(() => window.__webviewHost.csp);
    return [...this.problems, ...csp.map((v) => `CSP violation: ${v}`)];
  }

  /** Fails with the first few problems (a diff of thousands of CSP reports would take ages). */
  async assertNoProblems(): Promise<void> {
    const problems = await this.allProblems();
    if (problems.length > 0) throw new Error(`${problems.length} problem(s) in the page:\n${problems.slice(0, 5).join('\n')}`);
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const path = join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path, fullPage: this.fullPageScreenshots });
    return path;
  }

  async close(): Promise<void> {
    await this.page.close();
  }

  /** Closes the page, then fails if it had a console error, page error, failed request or CSP violation. */
  async closeChecked(): Promise<void> {
    try {
      await this.assertNoProblems();
    } finally {
      await this.close();
    }
  }
}

/** The architecture page under test. */
export class PageSession extends WebviewPage<ToArchitecturePage, FromArchitecturePage, ArchitecturePanelState> {
  /** `initScript` runs before the page's own script (e.g. to give it the state VS Code kept). */
  static open(browser: Browser, host: Host, theme: ThemeName = 'dark', viewport = { width: 1280, height: 900 }, initScript?: string): Promise<PageSession> {
    return WebviewPage.load(browser, host, (page) => new PageSession(page), { theme, viewport, initScript });
  }

  /** Shows a model and waits until the page has drawn all of it (the charts and the table follow the diagram's first paint). */
  async show(message: ShowArchitectureMessage): Promise<void> {
    await this.send(message);
    await this.waitUntilDrawn(report(message.primary).costs.title);
  }

  async waitUntilDrawn(title: string): Promise<void> {
    await this.page.waitForFunction((title) => document.querySelector('.model-title')?.textContent?.startsWith(title) === true && document.querySelector('[aria-busy]') === null, title);
  }
}

/**
 * The hooks of a suite of architecture-page tests: one page server and browser per suite, a
 * fresh page per test (handed to `use`), checked afterwards for console errors, page errors and
 * CSP violations.
 */
export function eachArchitecturePage(use: (session: PageSession, browser: Browser) => void): void {
  let host: Host;
  let browser: Browser;
  let session: PageSession;
  before(async () => {
    host = await startHost();
    browser = await launchBrowser();
  });
  beforeEach(async () => {
    session = await PageSession.open(browser, host, 'dark');
    use(session, browser);
  });
  afterEach(async () => {
    try {
      await session.assertNoProblems();
    } finally {
      await session.close();
    }
  });
  after(async () => {
    await browser?.close();
    await host?.close();
  });
}

const reports = new Map<string, ModelReport>();
/** core's report for a request (cached: ResNet-1202 is built once per file). */
export function report(request: ModelRequest): ModelReport {
  const key = JSON.stringify(request);
  if (!reports.has(key)) reports.set(key, reportForRequest(request));
  return reports.get(key)!;
}

export const named = (name: string, extra: { plain?: boolean; shortcut?: 'A' | 'B' | 'C' } = {}): ModelRequest => ({ kind: 'named', name, ...extra });

/** The comparison picker's choices, as the extension offers them. */
export const COMPARE_CHOICES: ModelChoice[] = [
  { label: 'plain-56', description: 'CIFAR-10, the plain twin of ResNet-56', request: named('resnet56', { plain: true }) },
  { label: 'ResNet-20', description: 'CIFAR-10, n = 3', request: named('resnet20') },
  { label: 'ResNet-110', description: 'CIFAR-10, n = 18', request: named('resnet110') },
  { label: 'ResNet-34', description: 'ImageNet, option B', request: named('resnet34') },
];

/** The message the extension sends: the requests (the page builds core's reports from them). */
export function showMessage(primary: ModelRequest, compare: ModelRequest | null = null, compareChoices: ModelChoice[] = COMPARE_CHOICES, selectedBlock: string | null = null): ShowArchitectureMessage {
  return { type: 'showArchitecture', primary, compare, compareChoices, selectedBlock };
}
