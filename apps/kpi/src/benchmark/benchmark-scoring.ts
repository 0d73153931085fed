import { AppError } from '#shared';
import { computeIndicators } from '../indicators/indicator-formulas.js';
import type { UnitMonthCounts } from '../indicators/indicator-formulas.js';

/*
 * 标杆企业 (benchmark enterprise) rating, DOMAIN.md §3 step 8: eight dimensions, each scored
 * 0–100, weighted (weights per heating season, sum 100). Seven are entered by assessors with an
 * evidence note; 用户评议 comes from the data: the season's satisfaction rate.
 */

export const DIMENSIONS = [
  { key: 'basic_requirements', label: '基本要求', entered: true, defaultWeight: 10 },
  { key: 'heating_quality', label: '供热质量', entered: true, defaultWeight: 20 },
  { key: 'service_quality', label: '服务质量', entered: true, defaultWeight: 15 },
  { key: 'facilities', label: '设施设备管理', entered: true, defaultWeight: 10 },
  { key: 'safety', label: '安全管理', entered: true, defaultWeight: 10 },
  { key: 'energy_efficiency', label: '能效评价', entered: true, defaultWeight: 10 },
  { key: 'smart_heating', label: '智慧供热', entered: true, defaultWeight: 5 },
  { key: 'user_evaluation', label: '用户评议', entered: false, defaultWeight: 20 },
] as const;

export type DimensionKey = (typeof DIMENSIONS)[number]['key'];
export const DIMENSION_KEYS = DIMENSIONS.map((d) => d.key) as DimensionKey[];
export const ENTERED_DIMENSIONS = DIMENSIONS.filter((d) => d.entered).map((d) => d.key) as DimensionKey[];
export const USER_EVALUATION: DimensionKey = 'user_evaluation';
export const DIMENSION_LABELS = Object.fromEntries(DIMENSIONS.map((d) => [d.key, d.label])) as Record<DimensionKey, string>;

export type Weights = Record<DimensionKey, number>;
export const DEFAULT_WEIGHTS = Object.fromEntries(DIMENSIONS.map((d) => [d.key, d.defaultWeight])) as Weights;

/** 用户评议 needs at least this many dispatched cases in the season (as bulletin rankings do per month). */
export const USER_EVALUATION_MIN_DISPATCHED = 10;

export const USER_EVALUATION_RULE =
  `用户评议得分 = 本供暖季（10 月至次年 4 月按分转时间计）该企业的满意率（0–100，一位小数），由考核数据自动计算、不能录入；` +
  `本季分转件数少于 ${USER_EVALUATION_MIN_DISPATCHED} 件或没有有效评价时不予计分（评定不完整）。总分相同时依次比较本季办结率、满意率。`;

export const TOTAL_RULE = '总分 = Σ（各维度得分 × 权重）÷ 100，一位小数；权重由省级按供暖季设定，合计 100。所有权重大于 0 的维度都有得分才计算总分并参与排名。';

// ---------------------------------------------------------------- seasons

const SEASON = /^(\d{4})-(\d{4})$/;

export interface Season {
  id: string;
  startYear: number;
  /** Months whose cases count for 用户评议: October of the first year to April of the second. */
  months: string[];
}

export function seasonMonthsOf(startYear: number): string[] {
  return ['10', '11', '12'].map((m) => `${startYear}-${m}`).concat(['01', '02', '03', '04'].map((m) => `${startYear + 1}-${m}`));
}

/** A heating season like 2026-2027, from 2020-2021 up to next year's. */
export function parseSeason(value: unknown, now: Date): Season {
  const match = typeof value === 'string' ? SEASON.exec(value) : null;
  if (!match || Number(match[2]) !== Number(match[1]) + 1) {
    throw new AppError('INVALID_SEASON', '供暖季（season）格式应为 YYYY-YYYY（相邻两年），例如 2026-2027', 400, 'season');
  }
  const startYear = Number(match[1]);
  const latest = now.getUTCFullYear() + 1;
  if (startYear < 2020 || startYear > latest) {
    throw new AppError('SEASON_OUT_OF_RANGE', `供暖季（season）应在 2020-2021 至 ${latest}-${latest + 1} 之间`, 400, 'season');
  }
  return { id: value as string, startYear, months: seasonMonthsOf(startYear) };
}

// ---------------------------------------------------------------- weights

/** Checks a full set of weights: every dimension, whole numbers 0–100, summing to 100. */
export function checkWeights(input: unknown): Weights {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AppError('VALIDATION_FAILED', '权重（weights）必须是对象，例如 {"basic_requirements": 10, …}', 400, 'weights');
  }
  const given = input as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(DIMENSION_KEYS as string[]).includes(key)) {
      throw new AppError('VALIDATION_FAILED', `权重（weights）中的“${key}”不是考核维度，可选：${DIMENSIONS.map((d) => `${d.key}（${d.label}）`).join('、')}`, 400, `weights.${key}`);
    }
  }
  const weights = {} as Weights;
  for (const d of DIMENSIONS) {
    const w = given[d.key];
    if (w === undefined) throw new AppError('VALIDATION_FAILED', `缺少“${d.label}”（${d.key}）的权重：八个维度都要设定`, 400, `weights.${d.key}`);
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 100) {
      throw new AppError('VALIDATION_FAILED', `“${d.label}”的权重（weights.${d.key}）必须是 0–100 的整数`, 400, `weights.${d.key}`);
    }
    weights[d.key] = w;
  }
  const sum = DIMENSION_KEYS.reduce((a, k) => a + weights[k], 0);
  if (sum !== 100) throw new AppError('WEIGHTS_SUM', `八个维度的权重合计必须为 100，现为 ${sum}`, 400, 'weights');
  return weights;
}

// ---------------------------------------------------------------- scores

export interface DimensionScore {
  score: number;
  evidence: string;
  assessedBy: string;
  assessedAt: string;
}

export interface UserEvaluation {
  score: number | null;
  satisfactionRate: number | null;
  completionRate: number | null;
  dispatched: number;
  rated: number;
  note: string;
}

export function userEvaluation(counts: UnitMonthCounts): UserEvaluation {
  const i = computeIndicators(counts);
  const base = {
    satisfactionRate: i.satisfactionRate.value,
    completionRate: i.completionRate.value,
    dispatched: counts.dispatched,
    rated: counts.rated,
  };
  if (counts.dispatched < USER_EVALUATION_MIN_DISPATCHED) {
    return { ...base, score: null, note: `样本不足：本季分转 ${counts.dispatched} 件，少于 ${USER_EVALUATION_MIN_DISPATCHED} 件` };
  }
  if (i.satisfactionRate.value === null) return { ...base, score: null, note: '本季没有有效评价' };
  return {
    ...base,
    score: i.satisfactionRate.value,
    note: `本季满意率 ${i.satisfactionRate.value.toFixed(1)}%（${i.satisfactionRate.numerator}/${i.satisfactionRate.denominator}）`,
  };
}

export interface DimensionResult {
  key: DimensionKey;
  label: string;
  weight: number;
  score: number | null;
  /** score × weight ÷ 100. */
  weighted: number | null;
  source: 'assessor' | 'data';
  evidence: string | null;
  assessedBy: string | null;
  assessedAt: string | null;
}

export interface CompanyRating {
  companyId: string;
  rank: number | null;
  total: number | null;
  complete: boolean;
  /** Labels of weighted dimensions without a score. */
  missing: string[];
  dimensions: DimensionResult[];
  userEvaluation: UserEvaluation;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function rateCompany(companyId: string, weights: Weights, entered: Partial<Record<DimensionKey, DimensionScore>>, counts: UnitMonthCounts): CompanyRating {
  const ue = userEvaluation(counts);
  const dimensions: DimensionResult[] = DIMENSIONS.map((d) => {
    const given = d.entered ? entered[d.key] : undefined;
    const score = d.entered ? (given?.score ?? null) : ue.score;
    return {
      key: d.key,
      label: d.label,
      weight: weights[d.key],
      score,
      weighted: score === null ? null : round1((score * weights[d.key]) / 100),
      source: d.entered ? 'assessor' : 'data',
      evidence: d.entered ? (given?.evidence ?? null) : ue.note,
      assessedBy: given?.assessedBy ?? null,
      assessedAt: given?.assessedAt ?? null,
    };
  });
  const missing = dimensions.filter((d) => d.weight > 0 && d.score === null).map((d) => d.label);
  const complete = missing.length === 0;
  const total = complete ? round1(dimensions.reduce((a, d) => a + (d.score ?? 0) * d.weight, 0) / 100) : null;
  return { companyId, rank: null, total, complete, missing, dimensions, userEvaluation: ue };
}

/** Complete ratings by total (ties: completion rate, then satisfaction rate); incomplete ones after, unranked. */
export function rankCompanies(ratings: CompanyRating[]): CompanyRating[] {
  const key = (r: CompanyRating) => [r.total ?? -1, r.userEvaluation.completionRate ?? -1, r.userEvaluation.satisfactionRate ?? -1];
  const sorted = [...ratings].sort((a, b) => {
    if (a.complete !== b.complete) return a.complete ? -1 : 1;
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return kb[i] - ka[i];
    return a.companyId.localeCompare(b.companyId);
  });
  let previous: number[] | null = null;
  let rank = 0;
  sorted.forEach((r, i) => {
    if (!r.complete) return;
    const k = key(r);
    if (!previous || k.some((x, j) => x !== previous![j])) rank = i + 1;
    previous = k;
    r.rank = rank;
  });
  return sorted;
}
