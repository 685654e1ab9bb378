// An embedded 10-class image set that needs no download: each class a pattern family, with
// seeded variation in position, scale, angle, colour and noise, so a net has something to learn.
import { Random, seededRandom } from '../random';
import { DataSplits, LabeledImages } from './types';

export const SYNTHETIC_SOURCE = 'synthetic shapes (embedded, no download)';
export const SYNTHETIC_CLASSES = [
  'horizontal stripes', 'vertical stripes', 'diagonal stripes', 'checkerboard', 'disc',
  'ring', 'cross', 'gradient', 'dots', 'triangle',
] as const;
const SIDE = 32;
const CHANNELS = 3;

export interface SyntheticOptions {
  count: number;
  seed: number | string;
}

/** `count` images, classes as equal as possible (count / 10 each), in a seeded order. */
export function generateSyntheticShapes(options: SyntheticOptions): LabeledImages {
  const { count, seed } = options;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`image count must be a whole number ≥ 0, got ${count}`);
  const random = seededRandom(`synthetic:${seed}`);
  const k = SYNTHETIC_CLASSES.length;
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % k;
  for (let i = count - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = labels[i];
    labels[i] = labels[j];
    labels[j] = t;
  }
  const images = new Uint8Array(count * SIDE * SIDE * CHANNELS);
  const coverage = new Float32Array(SIDE * SIDE);
  for (let i = 0; i < count; i++) {
    drawPattern(labels[i], random, coverage);
    paint(images, i * SIDE * SIDE * CHANNELS, coverage, labels[i], random);
  }
  return {
    images, labels, count, height: SIDE, width: SIDE, channels: CHANNELS,
    classNames: SYNTHETIC_CLASSES, source: SYNTHETIC_SOURCE,
  };
}

export interface SyntheticSplitOptions {
  trainCount?: number;
  validationCount?: number;
  testCount?: number;
  seed?: number | string;
}

/** Train, validation and test sets drawn independently (defaults 5,000 / 1,000 / 1,000). */
export function syntheticDataset(options: SyntheticSplitOptions = {}): DataSplits {
  const { trainCount = 5000, validationCount = 1000, testCount = 1000, seed = 1 } = options;
  const fmt = (n: number): string => n.toLocaleString('en-US');
  return {
    train: generateSyntheticShapes({ count: trainCount, seed: `${seed}:train` }),
    validation: generateSyntheticShapes({ count: validationCount, seed: `${seed}:validation` }),
    test: generateSyntheticShapes({ count: testCount, seed: `${seed}:test` }),
    meta: {
      name: 'Synthetic shapes',
      classNames: SYNTHETIC_CLASSES,
      source: SYNTHETIC_SOURCE,
      split: `${fmt(trainCount)} / ${fmt(validationCount)}, generated separately, seed ${seed}`,
    },
  };
}

const uniform = (random: Random, lo: number, hi: number): number => lo + (hi - lo) * random.next();
const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
/** Antialiased step: 0 well below 0, 1 well above, linear over one pixel. */
const edge = (t: number): number => clamp01(t + 0.5);

/** Fills `coverage` (32×32, in [0, 1]) with one random member of the class's pattern family. */
function drawPattern(label: number, random: Random, coverage: Float32Array): void {
  const cx = uniform(random, 10, 22);
  const cy = uniform(random, 10, 22);
  const tilt = uniform(random, -0.2, 0.2);
  let f: (x: number, y: number) => number;
  switch (label) {
    case 0: case 1: case 2: {
      const angle = label === 0 ? 0 : label === 1 ? Math.PI / 2 : (random.next() < 0.5 ? 1 : 3) * Math.PI / 4;
      f = stripes(angle + tilt, uniform(random, 4.5, 9), random.next() * 10);
      break;
    }
    case 3: {
      const period = uniform(random, 6, 12);
      const c = Math.cos(tilt * 2), s = Math.sin(tilt * 2);
      const w = (2 * Math.PI) / period;
      f = (x, y) => edge(2.5 * Math.sin(w * (c * (x - cx) + s * (y - cy))) * Math.sin(w * (-s * (x - cx) + c * (y - cy))) * (period / 2));
      break;
    }
    case 4: {
      const r = uniform(random, 5, 11);
      f = (x, y) => edge(r - Math.hypot(x - cx, y - cy));
      break;
    }
    case 5: {
      const r = uniform(random, 6, 12);
      const half = uniform(random, 1, 2);
      f = (x, y) => edge(half - Math.abs(Math.hypot(x - cx, y - cy) - r));
      break;
    }
    case 6: {
      const half = uniform(random, 1.5, 3.5);
      const arm = uniform(random, 7, 14);
      const c = Math.cos(tilt), s = Math.sin(tilt);
      f = (x, y) => {
        const u = Math.abs(c * (x - cx) + s * (y - cy));
        const v = Math.abs(-s * (x - cx) + c * (y - cy));
        return Math.max(Math.min(edge(half - u), edge(arm - v)), Math.min(edge(half - v), edge(arm - u)));
      };
      break;
    }
    case 7: {
      const angle = random.next() * 2 * Math.PI;
      const span = uniform(random, 16, 40);
      const c = Math.cos(angle), s = Math.sin(angle);
      f = (x, y) => clamp01(0.5 + (c * (x - cx) + s * (y - cy)) / span);
      break;
    }
    case 8: {
      const spacing = uniform(random, 6, 10);
      const r = uniform(random, 1.3, 2.5);
      const ox = random.next() * spacing, oy = random.next() * spacing;
      f = (x, y) => {
        const dx = ((x - ox) % spacing + spacing) % spacing - spacing / 2;
        const dy = ((y - oy) % spacing + spacing) % spacing - spacing / 2;
        return edge(r - Math.hypot(dx, dy));
      };
      break;
    }
    default: {
      const size = uniform(random, 8, 13);
      const normals = [0, 1, 2].map((k) => tilt - Math.PI / 2 + (k * 2 * Math.PI) / 3);
      const inner = size / 2;
      f = (x, y) => {
        let d = Number.POSITIVE_INFINITY;
        for (const a of normals) d = Math.min(d, inner - (Math.cos(a) * (x - cx) + Math.sin(a) * (y - cy)));
        return edge(d);
      };
    }
  }
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) coverage[y * SIDE + x] = f(x + 0.5, y + 0.5);
}

function stripes(angle: number, period: number, phase: number): (x: number, y: number) => number {
  const c = Math.cos(angle), s = Math.sin(angle);
  const w = (2 * Math.PI) / period;
  return (x, y) => edge((period / 3) * Math.sin(w * (-s * x + c * y) + phase));
}

/** Mixes a foreground colour (hue near the class's own, widely jittered) over a background, plus noise. */
function paint(out: Uint8Array, offset: number, coverage: Float32Array, label: number, random: Random): void {
  const hue = label / SYNTHETIC_CLASSES.length + uniform(random, -0.15, 0.15);
  const lightOnDark = random.next() < 0.7;
  const fg = hsv(hue, uniform(random, 0.35, 0.9), lightOnDark ? uniform(random, 0.6, 1) : uniform(random, 0.05, 0.4));
  const bg = hsv(random.next(), uniform(random, 0, 0.5), lightOnDark ? uniform(random, 0.05, 0.4) : uniform(random, 0.6, 1));
  // Noise: the sum of two uniforms − 1 (variance 1/6), from mulberry32 inlined for speed and
  // seeded from the main stream, so the image stays a function of the seed.
  const scale = 255 * uniform(random, 0.02, 0.08) * Math.sqrt(6) / 4294967296;
  let state = random.int(0x100000000) >>> 0;
  for (let p = 0; p < SIDE * SIDE; p++) {
    const a = coverage[p];
    for (let ch = 0; ch < CHANNELS; ch++) {
      let sum = 0;
      for (let d = 0; d < 2; d++) {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        sum += (t ^ (t >>> 14)) >>> 0;
      }
      const v = 255 * (bg[ch] + (fg[ch] - bg[ch]) * a) + (sum - 4294967296) * scale + 0.5;
      out[offset + p * CHANNELS + ch] = v <= 0 ? 0 : v >= 255 ? 255 : v;
    }
  }
}

function hsv(h: number, s: number, v: number): [number, number, number] {
  const hh = ((h % 1) + 1) % 1 * 6;
  const i = Math.floor(hh);
  const f = hh - i;
  const p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (i) {
    case 0: return [v, t, p];
    case 1: return [q, v, p];
    case 2: return [p, v, t];
    case 3: return [p, q, v];
    case 4: return [t, p, v];
    default: return [v, p, q];
  }
}
