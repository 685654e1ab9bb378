// One feature map as a grid of per-channel heat maps on a single canvas (one canvas per map:
// hundreds of small SVG rects or canvases per block would be slow), with the map's statistics
// and, on hover, the statistics of the channel under the pointer.
import type { FeatureMap } from '../../core/inspect/types';
import { base64Bytes, DIVERGING_LUT, formatValue } from './pixels';

const GAP = 1;
/** Drawn size of a tile side, whatever the map's resolution. */
const TILE_PX = 40;

export interface HeatmapView {
  element: HTMLElement;
  update(map: FeatureMap | null, note?: string): void;
}

export function heatmap(parent: HTMLElement, role: string, title: string): HeatmapView {
  const element = document.createElement('figure');
  element.className = `feature-map map-${role}`;
  element.dataset.role = role;
  const caption = document.createElement('figcaption');
  const heading = document.createElement('span');
  heading.className = 'map-title';
  heading.textContent = title;
  const shapeText = document.createElement('span');
  shapeText.className = 'map-shape';
  caption.append(heading, shapeText);
  const canvas = document.createElement('canvas');
  canvas.className = 'map-canvas';
  const stats = document.createElement('div');
  stats.className = 'map-stats';
  const hover = document.createElement('div');
  hover.className = 'map-hover';
  hover.textContent = '\u00a0';
  element.append(caption, canvas, stats, hover);
  parent.append(element);

  let current: FeatureMap | null = null;
  let columns = 1;
  let tile = { w: TILE_PX, h: TILE_PX };

  canvas.addEventListener('mousemove', (event) => {
    if (!current) return;
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * canvas.width;
    const y = ((event.clientY - box.top) / box.height) * canvas.height;
    const c = Math.floor(y / (tile.h + GAP)) * columns + Math.floor(x / (tile.w + GAP));
    if (c < 0 || c >= current.shownChannels) return;
    const s = current.channels;
    hover.textContent = `channel ${c}: mean ${formatValue(s.mean[c])}, std ${formatValue(s.std[c])}, min ${formatValue(s.min[c])}, max ${formatValue(s.max[c])}`;
  });
  canvas.addEventListener('mouseleave', () => (hover.textContent = '\u00a0'));

  function update(map: FeatureMap | null, note = ''): void {
    current = map;
    element.classList.toggle('absent', map === null);
    hover.textContent = '\u00a0';
    if (!map) {
      shapeText.textContent = '';
      stats.textContent = note;
      canvas.width = 0;
      canvas.height = 0;
      return;
    }
    const [h, w, c] = map.shape;
    shapeText.textContent = `${h}×${w}×${c}${map.shownChannels < c ? ` (first ${map.shownChannels} channels shown)` : ''}`;
    const s = map.summary;
    stats.textContent = `mean ${formatValue(s.mean)} · std ${formatValue(s.std)} · min ${formatValue(s.min)} · max ${formatValue(s.max)} · ‖·‖ ${formatValue(map.norm)}`;
    element.dataset.norm = String(map.norm);
    const n = map.shownChannels;
    columns = Math.ceil(Math.sqrt(n));
    const rows = Math.ceil(n / columns);
    const scale = Math.max(1, Math.floor(TILE_PX / Math.max(map.tileWidth, map.tileHeight)));
    tile = { w: map.tileWidth * scale, h: map.tileHeight * scale };
    canvas.width = columns * (tile.w + GAP) - GAP;
    canvas.height = rows * (tile.h + GAP) - GAP;
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const values = new Int8Array(base64Bytes(map.data).buffer);
    const pixels = map.tileWidth * map.tileHeight;
    const image = ctx.createImageData(canvas.width, canvas.height);
    for (let ch = 0; ch < n; ch++) {
      const ox = (ch % columns) * (tile.w + GAP);
      const oy = Math.floor(ch / columns) * (tile.h + GAP);
      for (let py = 0; py < tile.h; py++) {
        const row = Math.floor(py / scale) * map.tileWidth;
        for (let px = 0; px < tile.w; px++) {
          const level = values[ch * pixels + row + Math.floor(px / scale)] + 128;
          const o = ((oy + py) * canvas.width + ox + px) * 4;
          image.data[o] = DIVERGING_LUT[level * 3];
          image.data[o + 1] = DIVERGING_LUT[level * 3 + 1];
          image.data[o + 2] = DIVERGING_LUT[level * 3 + 2];
          image.data[o + 3] = 255;
        }
      }
    }
    ctx.putImageData(image, 0, 0);
    canvas.title = `colour: blue −${formatValue(map.scale)} · white 0 · red +${formatValue(map.scale)}`;
  }

  return { element, update };
}
