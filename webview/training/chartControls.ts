// The charts' view controls above the curves: smoothing, the loss axis's scale, seed bands,
// "Zoom to data" and "Reset zoom"; with the legend's hidden series and the dragged zoom they
// make the view state the page saves (getState/setState), so hiding the tab or reloading
// the window keeps them.
import type { CurvesViewState } from '../../protocol/training';
import type { Range } from './brushZoom';
import type { SeedGroup } from './seedBands';
import { runTitle } from './curveStore';

export const DEFAULT_VIEW: CurvesViewState = {
  smoothing: 0.6,
  bands: false,
  lossScale: 'log',
  fit: false,
  zoom: { x: null, errorY: null, lossY: null },
  hidden: [],
};

const range = (value: unknown): Range | null =>
  Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && Number.isFinite(v)) && value[0] < value[1] ? [value[0], value[1]] : null;

/** A saved view, read field by field: anything missing or malformed (an older page's state) takes its default. */
export function restoreView(saved: unknown): CurvesViewState {
  const s = (typeof saved === 'object' && saved !== null ? saved : {}) as Partial<Record<keyof CurvesViewState, unknown>>;
  const zoom = (typeof s.zoom === 'object' && s.zoom !== null ? s.zoom : {}) as Record<string, unknown>;
  return {
    smoothing: typeof s.smoothing === 'number' && s.smoothing >= 0 && s.smoothing <= 0.99 ? s.smoothing : DEFAULT_VIEW.smoothing,
    bands: typeof s.bands === 'boolean' ? s.bands : DEFAULT_VIEW.bands,
    lossScale: s.lossScale === 'linear' ? 'linear' : 'log',
    fit: typeof s.fit === 'boolean' ? s.fit : DEFAULT_VIEW.fit,
    zoom: { x: range(zoom.x), errorY: range(zoom.errorY), lossY: range(zoom.lossY) },
    hidden: Array.isArray(s.hidden) ? s.hidden.filter((k): k is string => typeof k === 'string') : [],
  };
}

export interface ChartControls {
  readonly view: CurvesViewState;
  readonly hidden: ReadonlySet<string>;
  toggleHidden(key: string): void;
  /** A drag on a chart: x is shared by both charts, y is the chart's own. */
  zoom(chart: 'error' | 'loss', x: Range | null, y: Range | null): void;
  resetZoom(): void;
  /** Redraws the controls: the band toggle says which runs it would average. */
  update(groups: readonly SeedGroup[]): void;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** "ResNet-20 vs plain-20: 3 seeds (1, 2, 3)" per group. */
function groupsText(groups: readonly SeedGroup[]): string {
  return groups.map((g) => `${runTitle(g.runs[0].config)}: ${g.runs.length} seeds (${g.seeds.join(', ')})`).join('; ');
}

export function chartControls(parent: HTMLElement, saved: unknown, onChange: (view: CurvesViewState) => void): ChartControls {
  let view = restoreView(saved);
  let hidden = new Set(view.hidden);
  const changed = (next: Partial<CurvesViewState>) => {
    view = { ...view, ...next, hidden: [...hidden] };
    render();
    onChange(view);
  };

  const root = element('div', 'chart-controls');
  root.setAttribute('role', 'group');
  root.setAttribute('aria-label', 'Chart view');

  const smoothingLabel = element('label', 'smoothing-control', 'Smoothing ');
  smoothingLabel.title = 'A debiased exponential moving average of the training curves (as TensorBoard): s = w·s + (1 − w)·x, divided by 1 − wᵗ; the logged curve stays faint behind. Test curves are whole evaluations and are drawn as logged.';
  const slider = element('input', 'smoothing-slider');
  Object.assign(slider, { type: 'range', min: '0', max: '0.99', step: '0.01' });
  const sliderValue = element('output', 'smoothing-value');
  smoothingLabel.append(slider, sliderValue);
  slider.addEventListener('input', () => changed({ smoothing: Number(slider.value) }));

  const logLabel = element('label', 'log-control');
  const logBox = element('input', 'log-toggle');
  logBox.type = 'checkbox';
  logLabel.append(logBox, ' Loss on a log scale');
  logLabel.title = 'Either way the loss axis leaves out values far above the others (marked ▲ at the top edge, their value on hover).';
  logBox.addEventListener('change', () => changed({ lossScale: logBox.checked ? 'log' : 'linear', zoom: { ...view.zoom, lossY: null } }));

  const bandLabel = element('label', 'band-control');
  const bandBox = element('input', 'band-toggle');
  bandBox.type = 'checkbox';
  const bandText = element('span', 'band-text', ' Seeds as mean ± std');
  bandLabel.append(bandBox, bandText);
  bandBox.addEventListener('change', () => changed({ bands: bandBox.checked }));
  const bandNote = element('span', 'band-note');

  const fitButton = element('button', 'zoom-toggle', 'Zoom to data');
  fitButton.type = 'button';
  fitButton.title = 'Fit both axes to the curves instead of 0–100% over the whole run. Drag over a chart to zoom into a rectangle; double-click to reset.';
  fitButton.addEventListener('click', () => changed({ fit: !view.fit, zoom: { x: null, errorY: null, lossY: null } }));
  const resetButton = element('button', 'zoom-reset', 'Reset zoom');
  resetButton.type = 'button';
  resetButton.title = 'Undo the zoom dragged over the charts';
  resetButton.addEventListener('click', () => changed({ zoom: { x: null, errorY: null, lossY: null } }));

  const row = element('div', 'chart-controls-row');
  row.append(smoothingLabel, logLabel, bandLabel, fitButton, resetButton);
  root.append(row, bandNote);
  parent.append(root);

  let groups: readonly SeedGroup[] = [];
  function render(): void {
    slider.value = String(view.smoothing);
    sliderValue.value = view.smoothing === 0 ? 'off' : view.smoothing.toFixed(2);
    logBox.checked = view.lossScale === 'log';
    bandBox.checked = view.bands;
    bandBox.disabled = groups.length === 0;
    bandLabel.classList.toggle('disabled', groups.length === 0);
    bandLabel.title =
      groups.length === 0
        ? 'No two runs shown differ only in their seed: add such runs with Add run… to draw them as one mean curve with a ± standard deviation band'
        : `Draw runs that differ only in their seed as their mean ± the sample standard deviation (n − 1) across them: ${groupsText(groups)}`;
    bandNote.textContent = groups.length > 0 && view.bands ? `Bands: ${groupsText(groups)}` : '';
    bandNote.hidden = bandNote.textContent === '';
    fitButton.setAttribute('aria-pressed', String(view.fit));
    resetButton.disabled = !view.zoom.x && !view.zoom.errorY && !view.zoom.lossY;
  }
  render();

  return {
    get view() {
      return view;
    },
    get hidden() {
      return hidden;
    },
    toggleHidden(key) {
      hidden = new Set(hidden);
      if (hidden.has(key)) hidden.delete(key);
      else hidden.add(key);
      changed({});
    },
    zoom(chart, x, y) {
      changed({ zoom: { ...view.zoom, x: x ?? view.zoom.x, ...(y ? (chart === 'error' ? { errorY: y } : { lossY: y }) : {}) } });
    },
    resetZoom() {
      changed({ zoom: { x: null, errorY: null, lossY: null } });
    },
    update(next) {
      groups = next;
      render();
    },
  };
}
