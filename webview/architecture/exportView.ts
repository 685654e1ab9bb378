// Export of the diagram and the charts as SVG (computed colours inlined, since VS Code's CSS
// variables do not exist outside the page) or PNG (the SVG drawn to a canvas), and the
// status line that shows what the extension answered.
import { select, Selection } from 'd3';
import type { ExportFileMessage, ExportResultMessage } from '../../protocol/architecture';

export interface ExportTarget {
  /** Used for the suggested file name: "diagram" or "charts". */
  view: string;
  label: string;
  svg: () => SVGSVGElement;
  /** The full drawing's size when it is larger than what the view shows (the zoomable diagram). */
  contentSize?: () => { width: number; height: number };
}

const INLINED_PROPERTIES = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'stroke-linecap',
  'stroke-linejoin',
  'opacity',
  'visibility',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'text-anchor',
  'dominant-baseline',
];

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Canvas sides above this are scaled down (browsers refuse very large canvases). */
const MAX_CANVAS_SIDE = 8192;
const MAX_CANVAS_PIXELS = 40e6;

interface SerializedSvg {
  text: string;
  width: number;
  height: number;
}

/** A standalone SVG of `svg`: every element's computed style inlined, zoom removed. */
function serializeSvg(svg: SVGSVGElement, contentSize?: { width: number; height: number }): SerializedSvg {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const originals = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const copies = [clone, ...Array.from(clone.querySelectorAll('*'))];
  originals.forEach((original, i) => {
    const copy = copies[i] as SVGElement;
    const computed = getComputedStyle(original);
    // Through the CSSOM: the page's CSP forbids parsing style="" attributes, even on a clone.
    for (const property of INLINED_PROPERTIES) {
      const value = computed.getPropertyValue(property);
      if (value) copy.style.setProperty(property, value);
    }
    copy.removeAttribute('class');
    copy.removeAttribute('tabindex');
  });
  const box = svg.getBoundingClientRect();
  let width = Math.ceil(box.width);
  let height = Math.ceil(box.height);
  if (contentSize) {
    width = Math.ceil(contentSize.width);
    height = Math.ceil(contentSize.height);
    clone.querySelector('[data-zoom-content]')?.removeAttribute('transform');
  }
  const background = getComputedStyle(document.body).backgroundColor;
  const backdrop = document.createElementNS(SVG_NS, 'rect');
  backdrop.setAttribute('width', '100%');
  backdrop.setAttribute('height', '100%');
  backdrop.style.setProperty('fill', background);
  clone.insertBefore(backdrop, clone.firstChild);
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  clone.setAttribute('viewBox', `0 0 ${width} ${height}`);

  return { text: new XMLSerializer().serializeToString(clone), width, height };
}

/** Draws an SVG to a canvas and returns a PNG data URL. */
async function svgToPngDataUrl({ text, width, height }: SerializedSvg): Promise<string> {
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  await image.decode();
  const scale = Math.min(2, MAX_CANVAS_SIDE / width, MAX_CANVAS_SIDE / height, Math.sqrt(MAX_CANVAS_PIXELS / (width * height)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext('2d');
  if (!context) throw new Error('the browser gave no 2D canvas');
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/png');
}

export interface ExportViewOptions {
  /** Asks the extension to save the file; resolves to its answer. */
  save(message: Omit<ExportFileMessage, 'requestId'>): Promise<ExportResultMessage>;
  /** Sends a problem to the extension's log. */
  log(text: string): void;
  targets: ExportTarget[];
}

export class ExportView {
  private readonly status: Selection<HTMLDivElement, unknown, null, undefined>;

  constructor(container: HTMLElement, private readonly options: ExportViewOptions) {
    const root = select(container).append('div').attr('class', 'export-view');
    const buttons = root.append('div').attr('class', 'toolbar export-buttons');
    buttons.append('span').attr('class', 'toolbar-label').text('Export:');
    for (const target of options.targets) {
      for (const format of ['svg', 'png'] as const) {
        buttons
          .append('button')
          .attr('class', `export-${target.view}-${format}`)
          .attr('data-view', target.view)
          .attr('data-format', format)
          .text(`${target.label} ${format.toUpperCase()}`)
          .on('click', () => void this.export(target, format));
      }
    }
    this.status = root.append('div').attr('class', 'status-line').attr('role', 'status');
  }

  /** Shows a request as pending in the status line, then what the extension answered. */
  async track(description: string, answer: Promise<ExportResultMessage>): Promise<void> {
    this.setStatus(`${description}…`, 'pending');
    this.showResult(description, await answer);
  }

  private showResult(description: string, message: ExportResultMessage): void {
    if (message.ok) this.setStatus(description.startsWith('Copy') ? `${description}: done (${message.detail})` : `${description}: saved to ${message.detail}`, 'ok');
    else if (message.detail === 'cancelled') this.setStatus(`${description}: cancelled`, 'info');
    else this.setStatus(`${description} failed: ${message.detail}`, 'error');
  }

  setStatus(text: string, kind: 'pending' | 'ok' | 'info' | 'error'): void {
    this.status.attr('data-kind', kind).text(text);
  }

  private async export(target: ExportTarget, format: 'svg' | 'png'): Promise<void> {
    const description = `Export ${target.view} as ${format.toUpperCase()}`;
    try {
      const serialized = serializeSvg(target.svg(), target.contentSize?.());
      const data = format === 'svg' ? serialized.text : await svgToPngDataUrl(serialized);
      await this.track(description, this.options.save({ type: 'exportFile', format, view: target.view, data }));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.setStatus(`${description} failed: ${reason}`, 'error');
      this.options.log(`${description} failed: ${reason}`);
    }
  }
}
