// The architecture page: receives ToWebviewMessage from the extension, keeps the panel's
// state, and routes the data to the views. It renders what core computed; it computes nothing.
import type { ModelReport } from '../../core/report';
import type { ShortcutOption } from '../../core/spec';
import { Diagram } from './diagram';
import { ExportView } from './exportView';
import { formatActivationBytes, formatCount, formatFlops } from '../../core/format';
import { LayerTable } from './layerTable';
import type { ArchitecturePanelState, ExportResultMessage, FromArchitecturePage, ShowArchitectureMessage, ToArchitecturePage } from '../../protocol/architecture';
import { errorBanner } from '../errorBanner';
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

function selectBlock(blockId: string | null, fromExtension = false): void {
  table.highlightBlock(blockId);
  diagram.highlightBlock(blockId);
  if (!fromExtension) vscode.post({ type: 'blockSelected', blockId });
}

const copyTable = (format: 'markdown' | 'csv', text: string) =>
  void exportView.track(`Copy table as ${format === 'markdown' ? 'Markdown' : 'CSV'}`, vscode.request<ExportResultMessage>({ type: 'copyText', format, text }));
const diagram = new Diagram(diagramSection, { onSelectBlock: (id) => selectBlock(id), onInspectBlock: (blockId) => vscode.post({ type: 'inspectBlock', blockId }) });
const charts = new StageCharts(chartsSection, { onCompare: (request) => vscode.post({ type: 'setCompare', request }) });
const table = new LayerTable(tableSection, { onCopy: copyTable, onSelectBlock: (id) => selectBlock(id) });
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

function show(message: ShowArchitectureMessage): void {
  const { primary, compare, compareChoices } = message;
  vscode.setState({ model: primary.request, compare: compare ? compare.request : null });
  document.title = primary.costs.title;
  title.textContent = compare ? `${primary.costs.title} (compared with ${compare.costs.title})` : primary.costs.title;
  description.textContent = describeModel(primary);
  totals.textContent = describeTotals(primary);
  diagram.update(primary);
  charts.update(primary, compare, compareChoices);
  table.update(primary);
}

vscode.onMessage((message) => {
  switch (message.type) {
    case 'showArchitecture':
      errors.clear();
      show(message);
      break;
    case 'highlightBlock':
      selectBlock(message.blockId, true);
      break;
    default:
      vscode.log('warn', `The architecture page got a message it does not know: ${JSON.stringify(message.type)}`);
  }
});

vscode.post({ type: 'ready' });
