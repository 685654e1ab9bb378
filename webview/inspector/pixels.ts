// Drawing helpers: base64 payloads to bytes, and the diverging colour scale of the heat maps.
import { interpolateRdBu, rgb } from 'd3';

export function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** RGB for each int8 level −128…127 (index level + 128): blue below 0, white at 0, red above. */
export const DIVERGING_LUT: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const v = Math.max(-1, (i - 128) / 127);
    const c = rgb(interpolateRdBu((1 - v) / 2));
    lut.set([c.r, c.g, c.b], i * 3);
  }
  return lut;
})();

/** Draws an RGB byte image (HWC) onto a canvas of the same size. */
export function drawRgb(canvas: HTMLCanvasElement, bytes: Uint8Array, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    image.data[p * 4] = bytes[p * 3];
    image.data[p * 4 + 1] = bytes[p * 3 + 1];
    image.data[p * 4 + 2] = bytes[p * 3 + 2];
    image.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 100 || a < 0.01 ? v.toExponential(2) : v.toFixed(a >= 10 ? 1 : 3);
}
