// Seeded random numbers, so the same seed gives the same data order, augmentation and weights.
import seedrandom from 'seedrandom';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Whole number in [0, n). */
  int(n: number): number;
}

export function seededRandom(seed: number | string): Random {
  const prng = seedrandom(String(seed));
  return {
    next: () => prng.quick(),
    int: (n: number) => Math.floor(prng.quick() * n),
  };
}

/** Fisher–Yates shuffle of 0..n-1. */
export function shuffledIndices(n: number, random: Random): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

// Counter-based draws for the training batches: the batch at step k is a pure function of
// (seed, k), computed the same way by the PyTorch trainer (python/resnet_lab_trainer.py,
// vectorised with numpy), so both engines see the same images, crops and flips.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

function mixWord(h: number, k: number): number {
  k = Math.imul(rotl(Math.imul(k, C1), 15), C2);
  return (Math.imul(rotl(h ^ k, 13), 5) + 0xe6546b64) | 0;
}

function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes, seed 0: the key of a seed. */
export function murmur3String(text: string): number {
  const bytes = new TextEncoder().encode(text);
  let h = 0;
  const whole = bytes.length & ~3;
  for (let i = 0; i < whole; i += 4) h = mixWord(h, bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
  let k = 0;
  for (let i = bytes.length - 1; i >= whole; i--) k = (k << 8) | bytes[i];
  if (bytes.length & 3) h ^= Math.imul(rotl(Math.imul(k, C1), 15), C2);
  return finalize(h, bytes.length);
}

/** MurmurHash3 of the words (stream, a, b) with `key` as its seed: one uniform 32-bit draw. */
export function counterHash(key: number, stream: number, a: number, b: number): number {
  return finalize(mixWord(mixWord(mixWord(key | 0, stream), a), b), 12);
}

/** A whole number in [0, n) from a 32-bit draw (exact: h·n < 2^53 for n < 2^21). */
export function drawInt(hash: number, n: number): number {
  return Math.floor((hash * n) / 4294967296);
}
