// The report's figures as standalone SVG (no DOM, no fonts beyond the system's sans-serif):
// Fig. 6 (training error thin, test error bold, one colour per depth, plain beside residual)
// and Fig. 7 (each layer's response std, in layer order and sorted).
import { mean } from './report';
import type { CurvePoint, ReportNet } from './report';

/** One colour per depth, in depth order (colour-blind-safe Okabe–Ito, then more). */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];

export function depthColours(depths: number[]): Map<number, string> {
  return new Map([...new Set(depths)].sort((a, b) => a - b).map((d, i) => [d, PALETTE[i % PALETTE.length]]));
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number) => (Math.round(v * 100) / 100).toString();

/** About `count` round tick values from 0 to the first at or above max. */
export function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out = [0];
  while (out[out.length - 1] < max - step * 1e-9) out.push(Math.round((out.length * step) / power) * power);
  return out;
}

const tickText = (v: number) => (v >= 1000 ? `${num(v / 1000)}k` : num(v));

interface Series {
  colour: string;
  width: number;
  dash?: string;
  points: Array<{ x: number; y: number }>;
}

interface Panel {
  title: string;
  series: Series[];
  legend: Array<{ colour: string; label: string; dash?: string }>;
}

/** Panels side by side, each with its axes, series and legend, sharing x and y ranges. */
function panelsSvg(panels: Panel[], options: { xLabel: string; yLabel: string; xMax: number; yMax: number; caption: string; rows?: number }): string {
  const pw = 420;
  const ph = 300;
  const m = { left: 56, right: 16, top: 30, bottom: 46 };
  const columns = Math.ceil(panels.length / (options.rows ?? 1));
  const width = columns * (pw + m.left + m.right);
  const rows = options.rows ?? 1;
  const height = rows * (ph + m.top + m.bottom) + 28;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  const xt = ticks(options.xMax);
  const yt = ticks(options.yMax);
  const xMax = xt[xt.length - 1] || 1;
  const yMax = yt[yt.length - 1] || 1;
  panels.forEach((panel, i) => {
    const ox = (i % columns) * (pw + m.left + m.right) + m.left;
    const oy = Math.floor(i / columns) * (ph + m.top + m.bottom) + m.top;
    const sx = (x: number) => ox + (x / xMax) * pw;
    const sy = (y: number) => oy + ph - (y / yMax) * ph;
    out.push(`<g class="panel">`);
    out.push(`<text x="${ox + pw / 2}" y="${oy - 10}" text-anchor="middle" font-weight="bold" font-size="14">${esc(panel.title)}</text>`);
    for (const y of yt) out.push(`<line x1="${ox}" x2="${ox + pw}" y1="${num(sy(y))}" y2="${num(sy(y))}" stroke="#e5e5e5"/><text x="${ox - 6}" y="${num(sy(y) + 4)}" text-anchor="end">${tickText(y)}</text>`);
    for (const x of xt) out.push(`<line x1="${num(sx(x))}" x2="${num(sx(x))}" y1="${oy + ph}" y2="${oy + ph + 4}" stroke="#333"/><text x="${num(sx(x))}" y="${oy + ph + 17}" text-anchor="middle">${tickText(x)}</text>`);
    out.push(`<rect x="${ox}" y="${oy}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
    out.push(`<text x="${ox + pw / 2}" y="${oy + ph + 36}" text-anchor="middle">${esc(options.xLabel)}</text>`);
    out.push(`<text transform="translate(${ox - 42},${oy + ph / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
    for (const s of panel.series) {
      if (s.points.length === 0) continue;
      const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${num(sx(p.x))},${num(sy(Math.min(p.y, yMax)))}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="${s.width}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} stroke-linejoin="round"/>`);
      if (s.points.length === 1) out.push(`<circle cx="${num(sx(s.points[0].x))}" cy="${num(sy(s.points[0].y))}" r="${s.width + 1}" fill="${s.colour}"/>`);
    }
    // Top right, inside the panel; about 6.8 px a character at 12 px sans-serif.
    const legendWidth = 36 + 6.8 * Math.max(0, ...panel.legend.map((l) => l.label.length));
    panel.legend.forEach((l, j) => {
      const lx = ox + pw - legendWidth;
      const ly = oy + 16 + j * 16;
      out.push(`<rect x="${num(lx - 6)}" y="${ly - 12}" width="${num(legendWidth)}" height="16" fill="#ffffff" fill-opacity="0.85"/>`);
      out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${l.colour}" stroke-width="2.5"${l.dash ? ` stroke-dasharray="${l.dash}"` : ''}/><text x="${lx + 28}" y="${ly}">${esc(l.label)}</text>`);
    });
    out.push('</g>');
  });
  out.push(`<text x="${m.left}" y="${height - 8}" fill="#444">${esc(options.caption)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The mean over seeds at the steps every seed logged (so a partial seed cuts the curve where it stopped). */
export function meanCurve(curves: CurvePoint[][]): CurvePoint[] {
  if (curves.length === 0) return [];
  const maps = curves.map((c) => new Map(c.map((p) => [p.step, p.error])));
  return curves[0]
    .filter((p) => maps.every((m) => m.has(p.step)))
    .map((p) => ({ step: p.step, error: mean(maps.map((m) => m.get(p.step)!)) }))
    .filter((p) => Number.isFinite(p.error));
}

/** Fig. 6: per net (mean over seeds) thin training error and bold test error in %, plain panel beside residual. */
export function fig6Svg(nets: ReportNet[]): string {
  const colours = depthColours(nets.map((n) => n.depth));
  const variants = [false, true].filter((residual) => nets.some((n) => n.residual === residual));
  let yMax = 0;
  let xMax = 0;
  const panels = variants.map((residual): Panel => {
    const mine = nets.filter((n) => n.residual === residual);
    const titles = [...new Set(mine.sort((a, b) => a.depth - b.depth).map((n) => n.title))];
    const series: Series[] = [];
    const legend: Panel['legend'] = [];
    for (const title of titles) {
      const group = mine.filter((n) => n.title === title);
      const colour = colours.get(group[0].depth)!;
      const seeds = group.length;
      for (const [split, width] of [['train', 1], ['test', 3]] as const) {
        const curve = meanCurve(group.map((n) => n[split]));
        const points = curve.map((p) => ({ x: p.step, y: p.error * 100 }));
        for (const p of points) {
          yMax = Math.max(yMax, p.y);
          xMax = Math.max(xMax, p.x);
        }
        series.push({ colour, width, points });
      }
      legend.push({ colour, label: `${title}${seeds > 1 ? ` (${seeds} seeds)` : ''}` });
    }
    return { title: residual ? 'Residual nets' : 'Plain nets', series, legend };
  });
  return panelsSvg(panels, {
    xLabel: 'iterations',
    yLabel: 'error (%)',
    xMax: Math.max(1, xMax),
    yMax: Math.min(100, Math.max(5, yMax * 1.05)),
    caption: 'Thin: training error; bold: test error. One colour per depth.',
  });
}

/** One net's Fig. 7 data: its layers' response std (in layer order), averaged over its runs. */
export interface Fig7Net {
  title: string;
  residual: boolean;
  depth: number;
  stds: number[];
  runs: number;
  /** Test images the standard deviations are taken over. */
  images: number;
  /** The checkpoint steps used, e.g. "30" or "28 to 30". */
  steps: string;
}

/** Fig. 7: each conv layer's response std in layer order (top) and sorted by magnitude (bottom); residual solid, plain dashed. */
export function fig7Svg(nets: Fig7Net[]): string {
  const colours = depthColours(nets.map((n) => n.depth));
  const sorted = [...nets].sort((a, b) => Number(a.residual) - Number(b.residual) || a.depth - b.depth);
  const seriesOf = (order: 'layer' | 'sorted'): Series[] =>
    sorted.map((n) => {
      const values = order === 'layer' ? n.stds : [...n.stds].sort((a, b) => b - a);
      return { colour: colours.get(n.depth)!, width: 2, dash: n.residual ? undefined : '6 4', points: values.map((y, i) => ({ x: i + 1, y })) };
    });
  const legend = sorted.map((n) => ({ colour: colours.get(n.depth)!, label: n.title, dash: n.residual ? undefined : '6 4' }));
  const yMax = Math.max(0.1, ...nets.flatMap((n) => n.stds)) * 1.05;
  const xMax = Math.max(1, ...nets.map((n) => n.stds.length));
  return panelsSvg(
    [
      { title: 'Response std, layer index (original order)', series: seriesOf('layer'), legend },
      { title: 'Response std, sorted by magnitude', series: seriesOf('sorted'), legend: [] },
    ],
    { xLabel: 'layer index', yLabel: 'std', xMax, yMax, caption: 'Solid: residual nets; dashed: plain nets. After BatchNorm, before the addition and the ReLU.' },
  );
}
