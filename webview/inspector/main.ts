// The block inspector page: one image through the residual net and its plain twin, block by
// block. ←/→ step one block, Home/End jump to the ends, through all of the deepest net's
// blocks; when the depths differ (plain-20 beside plain-56) every other net shows its block
// aligned by stage and relative depth (alignment.ts). The strip, the columns and the
// extension stay on the same block. Everything shown was computed by core's block probe.
import type { NetInspection } from '../../core/inspect/types';
import type { FromInspectorPage, InspectorPanelState, ShowInspectionMessage, ToInspectorPage } from '../../protocol/inspector';
import { errorBanner } from '../errorBanner';
import { scrollMemory } from '../scrollMemory';
import { connectPage } from '../vscodeApi';
import { alignedIndices, deepestBlocks } from '../../core/inspect/alignment';
import { analysisSection } from './analysisSection';
import { blockStrip } from './blockStrip';
import { fig7 } from './fig7';
import { imagePicker } from './imagePicker';
import { netColumn, NetColumn } from './netColumn';
import { base64Bytes, drawRgb } from './pixels';

const app = document.getElementById('app')!;
app.replaceChildren();

let inspection: ShowInspectionMessage | null = null;

const header = document.createElement('header');
header.className = 'inspector-header';
const preview = document.createElement('canvas');
preview.className = 'image-preview';
const headerText = document.createElement('div');
headerText.className = 'header-text';
const imageTitle = document.createElement('h1');
imageTitle.className = 'image-title';
imageTitle.textContent = 'Block inspector';
const status = document.createElement('p');
status.className = 'inspector-status';
status.textContent = 'Waiting for the extension…';
const hint = document.createElement('p');
hint.className = 'key-hint';
hint.textContent = '← / → one block · Home / End first and last block';
headerText.append(imageTitle, status, hint);
header.append(preview, headerText);
const body = document.createElement('div');
body.className = 'inspector-body';
body.hidden = true;
app.append(header);
const problems = errorBanner(app);
app.append(body);
const vscode = connectPage<ToInspectorPage, FromInspectorPage, InspectorPanelState>('inspector page', problems);
let blockIndex = vscode.getState()?.blockIndex ?? 0;
/** Where the page was scrolled before its tab was hidden; brought back with the first inspection. */
let savedScroll = vscode.getState()?.scrollY;
const scroll = scrollMemory(saveState);

function saveState(): void {
  if (inspection) vscode.setState({ blockIndex, imageIndex: inspection.image.index, source: inspection.source, scrollY: scroll.y });
}

const strip = blockStrip(body, (index) => goTo(index));
const depthNote = document.createElement('p');
depthNote.className = 'depth-note';
depthNote.setAttribute('role', 'note');
depthNote.hidden = true;
body.append(depthNote);
const columnsRow = document.createElement('div');
columnsRow.className = 'net-columns';
body.append(columnsRow);
const columns: NetColumn[] = [];
const figure = fig7(body);
const analysis = analysisSection(
  body,
  (kind, images) => vscode.post({ type: 'runAnalysis', kind, images }),
  () => vscode.post({ type: 'cancelAnalysis' }),
);
const picker = imagePicker(app, (index) => {
  status.textContent = `Inspecting test image ${index}…`;
  vscode.post({ type: 'pickImage', index });
});

function render(): void {
  if (!inspection) return;
  const nets = inspection.nets;
  const blocks = deepestBlocks(inspection.nets);
  blockIndex = Math.max(0, Math.min(blocks.length - 1, blockIndex));
  const aligned = alignedIndices(nets.map((n) => n.blocks), blockIndex);
  while (columns.length < nets.length) columns.push(netColumn(columnsRow));
  columns.forEach((column, i) => {
    column.element.hidden = i >= nets.length;
    if (i < nets.length) column.update(nets[i], aligned[i], i);
  });
  strip.update(nets, blockIndex, aligned);
  app.dataset.block = blocks[blockIndex].blockId;
  app.dataset.blockIndex = String(blockIndex);
}

/** Tells the extension (and the saved state) where the view is. */
function announce(): void {
  if (!inspection) return;
  const nets = inspection.nets;
  const aligned = alignedIndices(nets.map((n) => n.blocks), blockIndex);
  saveState();
  vscode.post({
    type: 'blockShown',
    blockIndex,
    blockId: deepestBlocks(inspection.nets)[blockIndex].blockId,
    netBlocks: nets.map((net, i) => ({ modelName: net.modelName, blockId: net.blocks[aligned[i]].blockId })),
  });
}

function goTo(index: number): void {
  if (!inspection) return;
  const count = deepestBlocks(inspection.nets).length;
  const next = Math.max(0, Math.min(count - 1, index));
  if (next === blockIndex && app.dataset.block) return;
  blockIndex = next;
  render();
  announce();
}

function step(action: 'next' | 'previous' | 'first' | 'last'): void {
  if (!inspection) return;
  const last = deepestBlocks(inspection.nets).length - 1;
  goTo(action === 'next' ? blockIndex + 1 : action === 'previous' ? blockIndex - 1 : action === 'first' ? 0 : last);
}

/** Said in the page when the nets' block counts differ (plain-20 beside plain-56). */
function depthText(nets: NetInspection[]): string | null {
  if (nets.every((n) => n.blocks.length === nets[0].blocks.length)) return null;
  const counts = nets.map((n, i) => `${n.title} has ${n.blocks.length}${i === 0 ? ' blocks' : ''}`).join(', ');
  return `${counts}: each column shows its own block, aligned by stage and relative depth.`;
}

function show(message: ShowInspectionMessage): void {
  if (message.nets.length === 0 || message.nets.some((n) => n.blocks.length === 0)) {
    showError('The inspection has no net with blocks to show.');
    return;
  }
  inspection = message;
  if (message.blockIndex !== undefined) blockIndex = message.blockIndex;
  problems.clear();
  body.hidden = false;
  const image = message.image;
  drawRgb(preview, base64Bytes(image.pixels), image.width, image.height);
  imageTitle.textContent = `Test image ${image.index}: ${image.className}`;
  const live = message.live ? 'Live: refreshes from the latest weights while the run trains. ' : '';
  status.textContent = `${live}${message.nets.map((n) => `${n.title} ${n.step === null ? '(untrained)' : `at step ${n.step.toLocaleString('en-US')}`}`).join(' · ')}`;
  status.classList.toggle('live', message.live);
  const note = depthText(message.nets);
  depthNote.hidden = note === null;
  depthNote.textContent = note ?? '';
  picker.select(image.index);
  render();
  figure.update(message.nets);
  if (savedScroll !== undefined) {
    scroll.restore(savedScroll);
    savedScroll = undefined;
  }
  analysis.setSource(message.source);
  announce();
}

function showError(message: string): void {
  problems.show(message);
  status.textContent = 'The inspection failed.';
}

document.addEventListener('keydown', (event) => {
  const target = event.target as HTMLElement | null;
  if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
  const actions: Record<string, 'next' | 'previous' | 'first' | 'last'> = { ArrowRight: 'next', ArrowLeft: 'previous', Home: 'first', End: 'last' };
  const action = actions[event.key];
  if (!action || event.altKey || event.ctrlKey || event.metaKey) return;
  event.preventDefault();
  step(action);
});

vscode.onMessage((message) => {
  switch (message.type) {
    case 'showImages':
      picker.update(message);
      if (!inspection) status.textContent = 'Pick an image to inspect.';
      break;
    case 'showInspection':
      show(message);
      break;
    case 'step':
      step(message.action);
      break;
    case 'error':
      showError(message.message);
      break;
    case 'analysisProgress':
      analysis.progress(message);
      break;
    case 'analysisResult':
      analysis.result(message);
      break;
    case 'analysisStopped':
      analysis.stopped(message);
      break;
  }
});

vscode.post({ type: 'ready' });
