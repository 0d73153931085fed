/** Small statistics shared by the benchmarks. */

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export interface LatencyStats {
  count: number;
  p50: number;
  p90?: number;
  p95?: number;
  p99: number;
  max: number;
  mean: number;
}

/** p50, p99 and one middle percentile (p95 by default, or p90), max and mean, rounded to 0.01. */
export function latencyStats(values: number[], middle: 90 | 95 = 95): LatencyStats {
  const sorted = Float64Array.from(values).sort();
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    count: values.length,
    p50: round(percentile(sorted, 50)),
    [`p${middle}`]: round(percentile(sorted, middle)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(mean),
  };
}

/** Median of the finite values (NaN when there are none). */
export function median(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median of every numeric field across runs (recursing into objects). */
export function medians(runs: Array<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(runs[0] ?? {})) {
    const vals = runs.map((r) => r[key]);
    if (vals.every((v) => typeof v === 'number')) out[key] = round(median(vals as number[]));
    else if (vals.every((v) => v && typeof v === 'object' && !Array.isArray(v))) out[key] = medians(vals as Array<Record<string, unknown>>);
  }
  return out;
}
