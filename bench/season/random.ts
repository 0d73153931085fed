/*
 * Seeded randomness for the season generator: sfc32 (128-bit state, period ≥ 2^32, in practice
 * ~2^127) seeded through splitmix32, so millions of draws (event ids included) never repeat a
 * stream the way a 32-bit-state generator would.
 */

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `stream` separates independent sequences drawn from the same seed. */
  constructor(seed: number, stream = 0) {
    const mix = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2f)) >>> 0);
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix() | 1;
    for (let i = 0; i < 16; i++) this.u32();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Real in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and shape (σ of the log). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** A version-4 UUID. */
  uuid(): string {
    const x = this.u32();
    const y = this.u32();
    const z = this.u32();
    const w = this.u32();
    const h = (n: number, shift: number) => HEX[(n >>> shift) & 0xff];
    return (
      h(x, 24) + h(x, 16) + h(x, 8) + h(x, 0) + '-' +
      h(y, 24) + h(y, 16) + '-' +
      HEX[0x40 | ((y >>> 8) & 0x0f)] + h(y, 0) + '-' +
      HEX[0x80 | ((z >>> 24) & 0x3f)] + h(z, 16) + '-' +
      h(z, 8) + h(z, 0) + h(w, 24) + h(w, 16) + h(w, 8) + h(w, 0)
    );
  }
}

/** Weighted choice by binary search over cumulative weights (built once). */
export class WeightedChoice<T> {
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    if (items.length !== weights.length || items.length === 0) throw new Error('WeightedChoice needs one positive weight per item');
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0)) throw new Error(`weight ${i} is not a non-negative number`);
      sum += w;
      this.cumulative[i] = sum;
    });
    if (sum <= 0) throw new Error('WeightedChoice needs a positive total weight');
    this.total = sum;
  }

  pick(r: Random): T {
    const x = r.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo];
  }
}
