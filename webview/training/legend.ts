// The legend of both charts: a colour per net (titles from the run's config), the run's
// name when runs are overlaid, and a toggle per series (train / test of each net).
import { select } from 'd3';
import type { RunEntry, Series } from './curveStore';
import { runLabel } from './curveStore';

export interface LegendData {
  runs: readonly RunEntry[];
  hidden: ReadonlySet<string>;
  /** Runs drawn in a seed band, and the run whose colours the band takes. */
  bandOf?: ReadonlyMap<RunEntry, RunEntry>;
}

export interface Legend {
  readonly element: HTMLDivElement;
  update(data: LegendData): void;
}

interface NetEntry {
  key: string;
  title: string;
  colorIndex: number;
  overlay: boolean;
  series: Series[];
}

export function legend(parent: HTMLElement, onToggle: (seriesKey: string) => void): Legend {
  const root = select(parent).append('div').attr('class', 'legend').attr('role', 'group').attr('aria-label', 'Series shown');

  function update({ runs, hidden, bandOf = new Map() }: LegendData): void {
    const groups = root
      .selectAll<HTMLDivElement, RunEntry>('div.legend-run')
      .data(runs, (run) => run.config.id)
      .join((enter) => {
        const group = enter.append('div').attr('class', 'legend-run');
        group.append('span').attr('class', 'legend-run-name');
        return group;
      })
      .classed('overlay', (run) => run !== runs[0])
      .attr('data-run', (run) => run.config.id);
    groups
      .select('.legend-run-name')
      .attr('hidden', runs.length > 1 ? null : '')
      .text((run) => `${run === runs[0] ? '' : 'overlay: '}${runLabel(run.config)}${bandOf.has(run) ? ' · in the seed band' : ''}`);

    const nets = groups
      .selectAll<HTMLSpanElement, NetEntry>('span.legend-net')
      .data(
        (run) =>
          run.config.nets.map((net): NetEntry => {
            const series = run.series.filter((s) => s.slot === net.slot);
            // A run in a seed band shows the band's colour: that is what it is drawn in.
            const drawnAs = bandOf.get(run)?.series.find((s) => s.slot === net.slot) ?? series[0];
            return { key: `${run.config.id}/${net.slot}`, title: net.title, colorIndex: drawnAs?.colorIndex ?? 0, overlay: run !== runs[0], series };
          }),
        (net) => net.key,
      )
      .join((enter) => {
        const net = enter.append('span').attr('class', 'legend-net');
        net.append('span').attr('class', 'swatch');
        net.append('span').attr('class', 'legend-net-title');
        return net;
      });
    nets.select('.swatch').attr('class', (net) => `swatch color-${net.colorIndex % 8}${net.overlay ? ' overlay' : ''}`);
    nets.select('.legend-net-title').text((net) => net.title);
    nets
      .selectAll<HTMLButtonElement, Series>('button.series-toggle')
      .data(
        (net) => net.series.map((s) => ({ ...s, colorIndex: net.colorIndex })),
        (s) => s.key,
      )
      .join((enter) =>
        enter
          .append('button')
          .attr('type', 'button')
          .on('click', (_event, s) => onToggle(s.key))
          .call((button) => button.append('span').attr('class', 'line-sample'))
          .call((button) => button.append('span').attr('class', 'toggle-text')),
      )
      .attr('class', (s) => `series-toggle split-${s.split}`)
      .attr('data-key', (s) => s.key)
      .attr('aria-pressed', (s) => (hidden.has(s.key) ? 'false' : 'true'))
      .attr('title', (s) => `${hidden.has(s.key) ? 'Show' : 'Hide'} the ${s.split} curves of ${s.netTitle}`)
      .call((button) => button.select('.line-sample').attr('class', (s) => `line-sample color-${s.colorIndex % 8} split-${s.split}${s.runIndex > 0 ? ' overlay' : ''}`))
      .call((button) => button.select('.toggle-text').text((s) => s.split));
  }

  return { element: root.node()!, update };
}
