import { liaoningDivisions } from '#shared';
import type { UnitMonthCounts } from '../../indicators/indicator-formulas.js';
import { addCounts, ZERO_COUNTS } from '../bulletin-data-source.js';
import type { UnitCountsRow } from '../bulletin-data-source.js';

/*
 * A deterministic, realistic heating season of unit_month counters for specs and the benchmark:
 * Liaoning's 14 cities, 97 authorities (one per city, the rest county-level), 647 companies,
 * ≈ 189,000 complaints over Nov–Mar (DOMAIN.md §1), company sizes skewed, satisfaction and
 * completion around the province's 92 % / 98 %. Authority and city rows are the sums of their
 * companies' rows, as the projector writes them.
 */

export interface SyntheticSeasonOptions {
  /** First year of the season: 2026 → months 2026-11 … 2027-03. */
  startYear: number;
  companies?: number;
  authorities?: number;
  complaints?: number;
  seed?: number;
}

export interface SyntheticUnit {
  companyId: string;
  authorityId: string;
  cityCode: string;
}

/** Mulberry32: a small seeded PRNG (the same season every run). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTH_SHARE = [0.3, 0.25, 0.2, 0.15, 0.1];

export function seasonMonths(startYear: number): string[] {
  return [`${startYear}-11`, `${startYear}-12`, `${startYear + 1}-01`, `${startYear + 1}-02`, `${startYear + 1}-03`];
}

export function syntheticUnits(companies = 647, authorities = 97): SyntheticUnit[] {
  const cities = liaoningDivisions();
  const authorityList: Array<{ id: string; cityCode: string }> = cities.map((c) => ({ id: `AU${c.code}`, cityCode: c.code }));
  const districts = cities.flatMap((c) => c.districts.map((d) => ({ id: `AU${d.code}`, cityCode: c.code })));
  for (let i = 0; authorityList.length < authorities && i < districts.length; i++) authorityList.push(districts[i]);
  return Array.from({ length: companies }, (_, i) => {
    const a = authorityList[i % authorityList.length];
    return { companyId: `HC${String(i + 1).padStart(4, '0')}`, authorityId: a.id, cityCode: a.cityCode };
  });
}

function binomialish(rand: () => number, n: number, p: number): number {
  // Mean n·p with a little noise; exact binomial draws are not needed for counters.
  const noise = (rand() - 0.5) * Math.sqrt(n * p * (1 - p)) * 2;
  return Math.max(0, Math.min(n, Math.round(n * p + noise)));
}

/** The counters of one season: every (unit type, unit, month) row. */
export function syntheticSeason(options: SyntheticSeasonOptions): Array<UnitCountsRow & { month: string }> {
  const rand = prng(options.seed ?? 20_261_101);
  const units = syntheticUnits(options.companies, options.authorities);
  const total = options.complaints ?? 189_000;
  // Company weights: a few large companies, many small ones (Pareto-like), about 12 % very small
  // (a few cases a month: listed in the bulletin, not ranked).
  const weights = units.map(() => (rand() < 0.12 ? 0.02 + rand() * 0.05 : 1 / Math.pow(rand() + 0.02, 0.9)));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const quality = units.map(() => ({ satisfaction: 0.84 + rand() * 0.15, completion: 0.95 + rand() * 0.049, onTime: 0.9 + rand() * 0.1, days: 0.8 + rand() * 3 }));
  const rows: Array<UnitCountsRow & { month: string }> = [];
  seasonMonths(options.startYear).forEach((month, mi) => {
    const byAuthority = new Map<string, UnitMonthCounts>();
    const byCity = new Map<string, UnitMonthCounts>();
    units.forEach((u, i) => {
      const dispatched = Math.round((total * MONTH_SHARE[mi] * weights[i]) / weightSum);
      if (dispatched === 0) return;
      const q = quality[i];
      const withFeedback = binomialish(rand, dispatched, Math.min(1, q.completion + 0.01));
      const closed = Math.min(withFeedback, binomialish(rand, dispatched, q.completion));
      const rated = binomialish(rand, closed, 0.8);
      const happy = binomialish(rand, rated, q.satisfaction);
      const satisfied = binomialish(rand, happy, 0.75);
      const dissatisfied = rated - happy;
      const counts: UnitMonthCounts = {
        dispatched,
        onTimeDispatched: binomialish(rand, dispatched, q.onTime),
        withFeedback,
        feedbackDaysSum: Math.round(withFeedback * q.days * (0.9 + rand() * 0.2) * 1000) / 1000,
        closed,
        rated,
        satisfied,
        basicallySatisfied: happy - satisfied,
        dissatisfied,
        approvedReconsiderations: binomialish(rand, dissatisfied, 0.1),
        failedSpotChecks: 0,
      };
      rows.push({ unitType: 'company', unitId: u.companyId, month, counts: { ...counts, failedSpotChecks: rand() < 0.01 ? 1 : 0 } });
      byAuthority.set(u.authorityId, addCounts(byAuthority.get(u.authorityId) ?? ZERO_COUNTS, counts));
      byCity.set(u.cityCode, addCounts(byCity.get(u.cityCode) ?? ZERO_COUNTS, counts));
    });
    for (const [unitId, counts] of byAuthority) rows.push({ unitType: 'authority', unitId, month, counts });
    for (const [unitId, counts] of byCity) rows.push({ unitType: 'city', unitId, month, counts });
  });
  return rows;
}
