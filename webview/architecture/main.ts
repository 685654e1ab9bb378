// The architecture page: receives ToWebviewMessage from the extension, keeps the panel's
// state (the model, and how it looked, for when its tab is hidden and shown again), and routes
// core's report of the model to the views. The report is built here by core's reportForRequest.
import { ModelReport, reportForRequest } from '../../core/report';
import type { ModelRequest } from '../../core/spec';
import type { ShortcutOption } from '../../core/spec';
import { Diagram } from './diagram';
import { ExportView } from './exportView';
import { formatActivationBytes, formatCount, formatFlops } from '../../core/format';
import { LayerTable } from './layerTable';
import type { ArchitecturePanelState, ArchitectureViewState, ExportResultMessage, FromArchitecturePage, ShowArchitectureMessage, ToArchitecturePage } from '../../protocol/architecture';
import { errorBanner } from '../errorBanner';
import { scrollMemory } from '../scrollMemory';
import { connectPage } from '../vscodeApi';
import { StageCharts } from './stageCharts';

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, parent: HTMLElement, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  parent.appendChild(node);
  return node;
}

function section(parent: HTMLElement, id: string, title: string): HTMLElement {
  const node = element('section', 'view-section', parent);
  node.id = id;
  element('h2', 'section-title', node, title);
  return node;
}

const app = document.getElementById('app') as HTMLElement;
app.replaceChildren();
const header = element('header', 'page-header', app);
const title = element('h1', 'model-title', header, 'Waiting for the model…');
const description = element('p', 'model-description', header);
const totals = element('p', 'model-totals', header);
element('p', 'convention', header, 'FLOPs are counted as multiply-adds of conv and fc layers, as in the paper; BatchNorm, ReLU, pooling and the shortcut additions are not counted.');
const errors = errorBanner(header);
const vscode = connectPage<ToArchitecturePage, FromArchitecturePage, ArchitecturePanelState>('architecture page', errors);
const exportSlot = element('div', 'export-slot', header);

const diagramSection = section(app, 'diagram-section', 'Architecture');
const chartsSection = section(app, 'charts-section', 'Per stage');
const tableSection = section(app, 'table-section', 'Layers');

let selectedBlock: string | null = null;
function selectBlock(blockId: string | null, fromExtension = false): void {
  selectedBlock = blockId;
  table.highlightBlock(blockId);
  diagram.highlightBlock(blockId);
  saveState();
  if (!fromExtension) vscode.post({ type: 'blockSelected', blockId });
}

/** The model shown now (what the panel revives after a reload) and how it looks. */
let shown: { model: ModelRequest; compare: ModelRequest | null } | null = null;
/** How the page looked before its tab was hidden (VS Code keeps it while the page is gone). */
let saved: ArchitectureViewState | undefined = vscode.getState()?.view;

function saveState(): void {
  if (!shown) return;
  const view: ArchitectureViewState = { ...diagram.view(), tableExpanded: table.expandedStages(), scrollY: scroll.y, selectedBlock };
  vscode.setState({ ...shown, view });
}
const scroll = scrollMemory(saveState);

const copyTable = (format: 'markdown' | 'csv', text: string) =>
  void exportView.track(`Copy table as ${format === 'markdown' ? 'Markdown' : 'CSV'}`, vscode.request<ExportResultMessage>({ type: 'copyText', format, text }));
const diagram = new Diagram(diagramSection, { onSelectBlock: (id) => selectBlock(id), onInspectBlock: (blockId) => vscode.post({ type: 'inspectBlock', blockId }), onViewChange: saveState });
const charts = new StageCharts(chartsSection, { onCompare: (request) => vscode.post({ type: 'setCompare', request }) });
const table = new LayerTable(tableSection, { onCopy: copyTable, onSelectBlock: (id) => selectBlock(id), onViewChange: saveState });
const exportView = new ExportView(exportSlot, {
  save: (message) => vscode.request<ExportResultMessage>(message),
  log: (text) => vscode.log('error', text),
  targets: [
    { view: 'diagram', label: 'Diagram', svg: () => diagram.svgElement(), contentSize: () => diagram.contentSize() },
    { view: 'charts', label: 'Charts', svg: () => charts.svgElement() },
  ],
});

const SHORTCUT_TEXT: Record<ShortcutOption, string> = {
  A: 'option A shortcuts (identity, zero-padded where dimensions change)',
  B: 'option B shortcuts (projection where dimensions change, identity elsewhere)',
  C: 'option C shortcuts (projection on every shortcut)',
};

function describeModel(report: ModelReport): string {
  const { spec } = report.graph;
  const family = spec.family === 'imagenet' ? 'ImageNet' : spec.family === 'cifar' ? 'CIFAR-10' : 'Custom';
  const blocks = spec.stages.map((s) => s.blocks).join(', ');
  const shortcuts = spec.residual ? SHORTCUT_TEXT[spec.shortcut] : 'no shortcuts (the plain twin)';
  return `${family}, ${spec.inputSize}×${spec.inputSize}×${spec.inputChannels} input, ${spec.classes} classes; ${spec.blockType} blocks [${blocks}]; ${shortcuts}; ${spec.depth} weighted layers.`;
}

function describeTotals(report: ModelReport): string {
  const t = report.costs.total;
  return `${formatCount(t.params)} parameters (+ ${formatCount(t.nonTrainable)} non-trainable BatchNorm statistics) · ${formatCount(t.flops)} multiply-adds (${formatFlops(t.flops)}) · ${formatCount(t.activations)} activation values per image (${formatActivationBytes(t.activations)} at float32)`;
}

/** core's reports of the last models shown (a new comparison keeps the primary's). */
const reports = new Map<string, ModelReport>();
function reportOf(request: ModelRequest): ModelReport {
  const key = JSON.stringify(request);
  let report = reports.get(key);
  if (!report) {
    report = reportForRequest(request);
    if (reports.size >= 4) reports.delete(reports.keys().next().value as string);
    reports.set(key, report);
  }
  return report;
}

let drawing = 0;
/**
 * Draws the header and the diagram first; the charts and the layer table follow once that
 * frame is painted, so a large net (ResNet-1202) shows at once.
 */
function show(message: ShowArchitectureMessage): void {
  const primary = reportOf(message.primary);
  const compare = message.compare ? reportOf(message.compare) : null;
  const restore = saved && shown === null && JSON.stringify(vscode.getState()?.model) === JSON.stringify(message.primary) ? saved : undefined;
  saved = undefined;
  shown = { model: message.primary, compare: message.compare };
  // Saved at once (cheaply: no layout read) so that a reload right now still finds the model.
  vscode.setState(restore ? { ...shown, view: restore } : shown);
  document.title = primary.costs.title;
  title.textContent = compare ? `${primary.costs.title} (compared with ${compare.costs.title})` : primary.costs.title;
  description.textContent = describeModel(primary);
  totals.textContent = describeTotals(primary);
  diagram.update(primary, restore);
  selectedBlock = message.selectedBlock;
  diagram.highlightBlock(selectedBlock);
  const current = ++drawing;
  tableSection.setAttribute('aria-busy', 'true');
  chartsSection.setAttribute('aria-busy', 'true');
  requestAnimationFrame(() => {
    setTimeout(() => {
      // The frame with the diagram has been drawn: DevTools (and the page tests) show this figure.
      performance.measure('first paint', { start: 'showArchitecture', end: performance.now() });
      if (current !== drawing) return;
      charts.update(primary, compare, message.compareChoices);
      table.update(primary, restore?.tableExpanded);
      table.highlightBlock(selectedBlock, false);
      chartsSection.removeAttribute('aria-busy');
      tableSection.removeAttribute('aria-busy');
      if (restore) scroll.restore(restore.scrollY);
      saveState();
    }, 0);
  });
}

vscode.onMessage((message) => {
  switch (message.type) {
    case 'showArchitecture':
      errors.clear();
      performance.clearMarks('showArchitecture');
      performance.clearMeasures('first paint');
      performance.mark('showArchitecture');
      show(message);
      break;
    case 'highlightBlock':
      selectBlock(message.blockId, true);
      break;
    default:
      vscode.log('warn', `The architecture page got a message it does not know: ${JSON.stringify(message.type)}`);
  }
});

performance.mark('ready');
vscode.post({ type: 'ready' });
