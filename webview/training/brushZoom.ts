// Zooming a chart with the mouse: drag a rectangle over the plot to zoom into it (a drag
// thinner than 8 px one way zooms the other way only); a double-click resets the zoom.
import { pointer } from 'd3';
import type { Frame, Scale } from './chartParts';

export type Range = [number, number];

const THIN = 8;

export function brushZoom(frame: Frame, scales: () => { x: Scale; y: Scale }, onZoom: (x: Range | null, y: Range | null) => void, onReset: () => void): void {
  const selection = frame.svg.append('rect').attr('class', 'brush-selection').attr('hidden', '');
  let start: [number, number] | null = null;
  const clamp = ([px, py]: [number, number]): [number, number] => {
    const { x, y } = scales();
    const [x0, x1] = x.range();
    const [y0, y1] = y.range();
    return [Math.min(Math.max(px, Math.min(x0, x1)), Math.max(x0, x1)), Math.min(Math.max(py, Math.min(y0, y1)), Math.max(y0, y1))];
  };
  const box = (end: [number, number]) => ({
    left: Math.min(start![0], end[0]),
    right: Math.max(start![0], end[0]),
    top: Math.min(start![1], end[1]),
    bottom: Math.max(start![1], end[1]),
  });
  frame.hoverTarget
    .on('pointerdown.brush', (event: PointerEvent) => {
      if (event.button !== 0) return;
      start = clamp(pointer(event, frame.svg.node()));
      (event.target as Element).setPointerCapture?.(event.pointerId);
    })
    .on('pointermove.brush', (event: PointerEvent) => {
      if (!start) return;
      const { left, right, top, bottom } = box(clamp(pointer(event, frame.svg.node())));
      const { x, y } = scales();
      // A thin drag selects the whole other axis: show it so.
      const wide = right - left >= THIN;
      const tall = bottom - top >= THIN;
      const [yLow, yHigh] = [Math.min(...y.range()), Math.max(...y.range())];
      const [xLow, xHigh] = [Math.min(...x.range()), Math.max(...x.range())];
      selection
        .attr('hidden', wide || tall ? null : '')
        .attr('x', wide ? left : xLow)
        .attr('width', wide ? right - left : xHigh - xLow)
        .attr('y', tall ? top : yLow)
        .attr('height', tall ? bottom - top : yHigh - yLow);
    })
    .on('pointerup.brush pointercancel.brush', (event: PointerEvent) => {
      if (!start) return;
      const { left, right, top, bottom } = box(clamp(pointer(event, frame.svg.node())));
      start = null;
      selection.attr('hidden', '');
      if (event.type === 'pointercancel') return;
      const wide = right - left >= THIN;
      const tall = bottom - top >= THIN;
      if (!wide && !tall) return; // a click
      const { x, y } = scales();
      onZoom(wide ? [x.invert(left), x.invert(right)] : null, tall ? [y.invert(bottom), y.invert(top)] : null);
    })
    .on('dblclick.brush', () => onReset());
}
