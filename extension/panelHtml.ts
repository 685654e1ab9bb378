// A page's HTML with a strict Content-Security-Policy. Pure string code (no
// vscode import): the extension and the page tests both build the page with it.
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  /** URI of the page's script (dist/<page>.js) as the webview may load it. */
  scriptUri: string;
  /** URI of the page's stylesheet (dist/<page>.css). */
  styleUri: string;
  /** The origin the webview may load resources from (webview.cspSource). */
  cspSource: string;
  /** A fresh nonce per page (makeNonce()). */
  nonce: string;
  title: string;
}

/** 32 random alphanumeric characters for the CSP's script nonce. */
export function makeNonce(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (byte) => alphabet[byte % alphabet.length]).join('');
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function webviewHtml({ scriptUri, styleUri, cspSource, nonce, title }: WebviewHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(nonce)) throw new Error(`The CSP nonce must be base64 or alphanumeric characters; got "${nonce}".`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(styleUri)}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="app" aria-live="polite"><p class="loading">Loading the model…</p></div>
<script nonce="${nonce}" src="${escapeHtml(scriptUri)}"></script>
</body>
</html>
`;
}

/** A page with only a message (a panel that could not be revived says why); no scripts at all. */
export function messageHtml(title: string, text: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<title>${escapeHtml(title)}</title>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p role="alert">${escapeHtml(text)}</p>
</body>
</html>
`;
}
