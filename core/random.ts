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
