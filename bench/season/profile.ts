import type { Category } from '#shared';
import { apportion } from '../../apps/dispatch/src/registry/demo-registry.js';
import { Random } from './random.js';

/*
 * When complaints come in over a heating season (Liaoning: Nov 1 – Mar 31, Asia/Shanghai) and
 * what they are about (DOMAIN.md §1, §3):
 * - per day: a surge in the first cold week (heating starts on Nov 1: 未按时供热 and the first
 *   cold rooms; several times the season's 1,250/day average), then a level that follows the
 *   cold (deepest in early January, with a few seeded cold spells), a little more at weekends,
 *   tailing off in March; the day counts are apportioned so they add up exactly;
 * - per hour: the hotline's day (morning peak when the rooms are coldest, evening peak);
 * - per category: 室温不达标 ≈ 49 %, 未按时供热 ≈ 38 %, 维修不及时 ≈ 9 %, the rest ≈ 4 % over the
 *   season, with 未按时供热 front-loaded and 室温不达标 / 管网漏水 following the cold. The daily
 *   mixes are fitted (iterative proportional fitting) so the season totals keep the proportions.
 */

export const HOUR_MS = 3600 * 1000;
export const DAY_MS = 24 * HOUR_MS;
/** Asia/Shanghai has had no daylight saving since 1991: a fixed +08:00. */
export const SHANGHAI_OFFSET_MS = 8 * HOUR_MS;

/** Season-wide shares of complaint categories (forwarded cases; 政策咨询 is answered at intake). */
export const COMPLAINT_CATEGORY_SHARES: ReadonlyArray<readonly [Category, number]> = [
  ['too_cold', 0.49],
  ['heating_not_started', 0.38],
  ['repair_delayed', 0.09],
  ['heating_cut_off', 0.015],
  ['pipe_leak', 0.012],
  ['charges', 0.005],
  ['staff_conduct', 0.004],
  ['connect_disconnect', 0.002],
  ['other', 0.002],
];

/** Consultations answered at intake (DOMAIN.md §1: 531,000 in a season). */
export const CONSULTATION_CATEGORY_SHARES: ReadonlyArray<readonly [Category, number]> = [
  ['policy_question', 0.7],
  ['charges', 0.18],
  ['connect_disconnect', 0.08],
  ['other', 0.04],
];

/** Calls per hour of the Shanghai day, relative. */
export const HOURLY_WEIGHTS: readonly number[] = [
  0.35, 0.22, 0.15, 0.12, 0.12, 0.25, 0.7, 1.5, 2.3, 2.4, 2.1, 1.7, 1.3, 1.4, 1.6, 1.6, 1.5, 1.6, 2.0, 2.3, 2.1, 1.6, 1.0, 0.6,
];

export interface SeasonCalendar {
  startYear: number;
  /** 00:00 Asia/Shanghai on Nov 1. */
  startMs: number;
  /** 00:00 Asia/Shanghai on Apr 1 (exclusive end). */
  endMs: number;
  days: number;
}

export function seasonCalendar(startYear: number): SeasonCalendar {
  const startMs = Date.parse(`${startYear}-11-01T00:00:00+08:00`);
  const endMs = Date.parse(`${startYear + 1}-04-01T00:00:00+08:00`);
  return { startYear, startMs, endMs, days: Math.round((endMs - startMs) / DAY_MS) };
}

/** YYYY-MM of an instant in Asia/Shanghai (plain arithmetic: fixed offset). */
export function shanghaiMonthOfMs(t: number): string {
  return new Date(t + SHANGHAI_OFFSET_MS).toISOString().slice(0, 7);
}

/** YYYYMMDD of an instant in Asia/Shanghai. */
export function shanghaiDateStampOfMs(t: number): string {
  const s = new Date(t + SHANGHAI_OFFSET_MS).toISOString();
  return s.slice(0, 4) + s.slice(5, 7) + s.slice(8, 10);
}

/** Hour of the Shanghai day, fractional. */
export function shanghaiHour(t: number): number {
  return (((t + SHANGHAI_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS / HOUR_MS;
}

/** How cold day d of the season is, 0…1 (deepest in early January). */
function cold(d: number): number {
  return Math.exp(-(((d - 68) / 48) ** 2));
}

export interface DailyProfile {
  /** Relative complaint volume per day. */
  complaintWeights: number[];
  /** Relative consultation volume per day (the first-week surge is smaller). */
  consultationWeights: number[];
  /** Cold spells drawn for the season: [first day, length, extra volume]. */
  coldSpells: Array<[number, number, number]>;
}

export function dailyProfile(calendar: SeasonCalendar, seed: number): DailyProfile {
  const r = new Random(seed, 101);
  const coldSpells: Array<[number, number, number]> = [];
  for (let i = 0; i < 5; i++) coldSpells.push([r.int(18, calendar.days - 30), r.int(3, 6), r.between(0.25, 0.6)]);
  const dow = (d: number) => new Date(calendar.startMs + SHANGHAI_OFFSET_MS + d * DAY_MS).getUTCDay();
  const base = (d: number) => {
    let w = 0.5 + 0.7 * cold(d);
    for (const [from, length, extra] of coldSpells) if (d >= from && d < from + length) w *= 1 + extra;
    if (dow(d) === 0 || dow(d) === 6) w *= 1.06;
    if (d >= calendar.days - 14) w *= 0.75; // late March: the heating winds down
    return w * (0.94 + 0.12 * r.next());
  };
  const complaintWeights: number[] = [];
  const consultationWeights: number[] = [];
  for (let d = 0; d < calendar.days; d++) {
    const b = base(d);
    // First cold week: heating starts Nov 1; the peak (days 2–4) is ~4× the season's average.
    const surge = 5.5 * Math.exp(-(((d - 2.8) / 3.2) ** 2));
    complaintWeights.push(b * (1 + surge));
    consultationWeights.push(b * (1 + surge / 3));
  }
  return { complaintWeights, consultationWeights, coldSpells };
}

/** How many of `total` arrive on each day (adds up exactly). */
export function dailyCounts(total: number, weights: number[]): number[] {
  return apportion(total, weights);
}

/** Time profile of a category over the season (before fitting). */
function categoryShape(category: Category, d: number): number {
  switch (category) {
    case 'heating_not_started':
      return 0.45 + 3.2 * Math.exp(-d / 7); // the start of the season, and households left unheated later
    case 'too_cold':
    case 'pipe_leak':
      return 0.35 + cold(d);
    case 'heating_cut_off':
      return 0.6 + 0.6 * cold(d);
    default:
      return 1;
  }
}

/**
 * Each day's category mix, fitted so that Σ_d count_d · share_c(d) = total · target_c for every
 * category (iterative proportional fitting of one factor per category).
 */
export function dailyCategoryShares(counts: readonly number[], targets: ReadonlyArray<readonly [Category, number]>): number[][] {
  const total = counts.reduce((a, b) => a + b, 0);
  const factors = targets.map(() => 1);
  const shape = counts.map((_, d) => targets.map(([c]) => categoryShape(c, d)));
  let shares: number[][] = [];
  for (let round = 0; round < 60; round++) {
    shares = shape.map((row) => {
      const raw = row.map((s, i) => s * targets[i][1] * factors[i]);
      const sum = raw.reduce((a, b) => a + b, 0);
      return raw.map((x) => x / sum);
    });
    targets.forEach(([, target], i) => {
      const got = shares.reduce((a, row, d) => a + row[i] * counts[d], 0);
      if (got > 0) factors[i] *= (target * total) / got;
    });
  }
  return shares;
}
