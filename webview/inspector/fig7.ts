// The paper's Fig. 7: the standard deviation of each conv layer's response (after BN, before
// the add or ReLU), in layer order and sorted by magnitude, for the residual net and its plain
// twin. One point per layer per net, each net over its own layers (the x axis spans the
// longest net when the depths differ).
import { axisBottom, axisLeft, line, max, min, scaleLinear, scaleLog, select } from 'd3';
import type { LayerResponse, NetInspection } from '../../core/inspect/types';
import { formatValue } from './pixels';
import { shownNetColorClass } from '../netPalette';

const WIDTH = 460;
const HEIGHT = 220;
const MARGIN = { top: 10, right: 12, bottom: 34, left: 46 };

export interface Fig7 {
  element: HTMLElement;
  update(nets: NetInspection[]): void;
}

interface Point {
  x: number;
  std: number;
  layer: LayerResponse;
}

export function fig7(parent: HTMLElement): Fig7 {
  const element = document.createElement('section');
  element.className = 'fig7';
  const heading = document.createElement('h2');
  heading.textContent = 'Layer responses (the paper’s Fig. 7): std of each conv layer’s output after BN';
  const note = document.createElement('p');
  note.className = 'fig7-note';
  const legend = document.createElement('div');
  legend.className = 'fig7-legend';
  const charts = document.createElement('div');
  charts.className = 'fig7-charts';
  element.append(heading, note, legend, charts);
  parent.append(element);

  function chart(title: string, order: 'layer' | 'sorted', nets: NetInspection[]): HTMLElement {
    const figure = document.createElement('figure');
    figure.className = `fig7-chart fig7-${order}`;
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    figure.append(caption);
    const series = nets.map((net) => {
      const values = net.responses.map((layer, i) => ({ x: i + 1, std: layer.std, layer }));
      const points: Point[] = order === 'layer' ? values : [...values].sort((a, b) => b.std - a.std).map((p, i) => ({ ...p, x: i + 1 }));
      return { net, points };
    });
    const count = max(series, (s) => s.points.length) ?? 1;
    const top = max(series, (s) => max(s.points, (p) => p.std)) ?? 1;
    const x = scaleLinear().domain([1, Math.max(2, count)]).range([MARGIN.left, WIDTH - MARGIN.right]);
    // Untrained or diverging nets span decades: a log axis when the values do.
    const bottom = min(series, (s) => min(s.points.filter((p) => p.std > 0), (p) => p.std)) ?? 0;
    const logScale = bottom > 0 && top / bottom > 100;
    figure.dataset.scale = logScale ? 'log' : 'linear';
    const y = logScale
      ? scaleLog().domain([bottom * 0.8, top * 1.25]).range([HEIGHT - MARGIN.bottom, MARGIN.top])
      : scaleLinear().domain([0, top * 1.05 || 1]).nice().range([HEIGHT - MARGIN.bottom, MARGIN.top]);
    const svg = select(figure).append('svg').attr('class', 'fig7-svg').attr('viewBox', `0 0 ${WIDTH} ${HEIGHT}`).attr('width', WIDTH).attr('height', HEIGHT);
    svg.append('g').attr('class', 'axis x-axis').attr('transform', `translate(0,${HEIGHT - MARGIN.bottom})`).call(axisBottom(x).ticks(6));
    svg.append('g').attr('class', 'axis y-axis').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(5, logScale ? '~g' : undefined));
    svg.append('text').attr('class', 'axis-label').attr('x', (MARGIN.left + WIDTH - MARGIN.right) / 2).attr('y', HEIGHT - 4).attr('text-anchor', 'middle')
      .text(order === 'layer' ? 'layer index (original order)' : 'layer index (sorted by magnitude)');
    svg.append('text').attr('class', 'axis-label').attr('transform', `translate(12,${HEIGHT / 2}) rotate(-90)`).attr('text-anchor', 'middle').text(logScale ? 'std (log scale)' : 'std');
    const path = line<Point>().x((p) => x(p.x)).y((p) => y(p.std));
    series.forEach((s, i) => {
      const g = svg.append('g').attr('class', `fig7-series series-${i} ${s.net.residual ? 'residual' : 'plain'} ${shownNetColorClass(s.net, i)}`).attr('data-net', s.net.modelName);
      g.append('path').attr('class', 'fig7-line').attr('d', path(s.points));
      g.selectAll('circle')
        .data(s.points)
        .join('circle')
        .attr('class', 'fig7-point')
        .attr('data-layer', (p) => p.layer.convId)
        .attr('cx', (p) => x(p.x))
        .attr('cy', (p) => y(p.std))
        .attr('r', 2.2)
        .append('title')
        .text((p) => `${s.net.title} ${p.layer.convId}: std ${formatValue(p.std)}`);
    });
    return figure;
  }

  function update(nets: NetInspection[]): void {
    const images = nets[0].responseImages;
    const counts = nets.map((n) => n.responses.length);
    const layers = counts.every((c) => c === counts[0]) ? `${counts[0]} conv layers` : nets.map((n, i) => `${n.title}: ${counts[i]} conv layers`).join(', ');
    note.textContent = `Over ${images} test image${images === 1 ? '' : 's'}; ${layers}.`;
    legend.replaceChildren(
      ...nets.map((net, i) => {
        const item = document.createElement('span');
        item.className = `fig7-key series-${i} ${shownNetColorClass(net, i)}`;
        item.textContent = net.title;
        return item;
      }),
    );
    charts.replaceChildren(chart('In layer order', 'layer', nets), chart('Sorted by magnitude', 'sorted', nets));
  }
  return { element, update };
}
