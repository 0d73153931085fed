import { findLiaoningDivision, liaoningDivisions } from '#shared';
import type { UnitType } from '../events/kpi-entities.js';
import { computeIndicators } from '../indicators/indicator-formulas.js';
import type { FiveIndicators, UnitMonthCounts } from '../indicators/indicator-formulas.js';
import { addCounts, ZERO_COUNTS } from './bulletin-data-source.js';
import type { UnitCountsRow } from './bulletin-data-source.js';

/*
 * The figures of one month's bulletin (月度通报), computed from the read model's counters with
 * computeIndicators: province totals, each city, every company and authority with its rank by each
 * indicator, and the 红榜/黑榜. A snapshot is plain JSON (stored as the published version's
 * `snapshot`), so every figure stays next to the counts it was computed from.
 */

export const INDICATOR_KEYS = ['feedbackRate', 'handlingDays', 'onTimeDispatchRate', 'completionRate', 'satisfactionRate'] as const;
export type IndicatorKey = (typeof INDICATOR_KEYS)[number];

export interface IndicatorDefinition {
  key: IndicatorKey;
  label: string;
  unit: '%' | '天';
  /** Ranking direction: rates rank high-first, handling days low-first. */
  higherIsBetter: boolean;
  formula: string;
}

const LABELS: Record<IndicatorKey, string> = {
  feedbackRate: '反馈率',
  handlingDays: '办件天数',
  onTimeDispatchRate: '按时分转率',
  completionRate: '办结率',
  satisfactionRate: '满意率',
};

export function indicatorDefinitions(): IndicatorDefinition[] {
  const formulas = computeIndicators(ZERO_COUNTS);
  return INDICATOR_KEYS.map((key) => ({
    key,
    label: LABELS[key],
    unit: key === 'handlingDays' ? '天' : '%',
    higherIsBetter: key !== 'handlingDays',
    formula: formulas[key].formula,
  }));
}

/** The rules a bulletin names; each snapshot records the rules it was made with. */
export interface BulletinRules {
  /** Units with fewer dispatched cases in the month are listed but not ranked (nor on 红榜/黑榜): KPI_RED_BLACK_MIN_DISPATCHED. */
  minDispatchedForRanking: number;
  /** 红榜/黑榜 size per unit type. */
  listSize: Record<'company' | 'authority', number>;
}

export const BULLETIN_RULES: BulletinRules = { minDispatchedForRanking: 10, listSize: { company: 10, authority: 5 } };

export type IndicatorValues = Record<IndicatorKey, number | null>;
export type IndicatorRanks = Record<IndicatorKey, number | null>;

export interface UnitFigures {
  id: string;
  name: string;
  counts: UnitMonthCounts;
  values: IndicatorValues;
}

export interface RankedUnit extends UnitFigures {
  /** Dispatched cases ≥ the ranking minimum. */
  eligible: boolean;
  /** Rank by each indicator among eligible units with a value (1 = best; equal values share a rank). */
  ranks: IndicatorRanks;
}

export interface ListEntry {
  position: number;
  id: string;
  name: string;
  satisfactionRate: number;
  completionRate: number | null;
  dispatched: number;
  rated: number;
}

export interface BulletinSnapshot {
  schemaVersion: 1;
  scope: 'province';
  month: string;
  generatedAt: string;
  rules: { minDispatchedForRanking: number; listSize: { company: number; authority: number }; text: string[] };
  definitions: IndicatorDefinition[];
  province: UnitFigures;
  cities: UnitFigures[];
  companies: RankedUnit[];
  authorities: RankedUnit[];
  redList: { company: ListEntry[]; authority: ListEntry[] };
  blackList: { company: ListEntry[]; authority: ListEntry[] };
}

export function valuesOf(i: FiveIndicators): IndicatorValues {
  return {
    feedbackRate: i.feedbackRate.value,
    handlingDays: i.handlingDays.value,
    onTimeDispatchRate: i.onTimeDispatchRate.value,
    completionRate: i.completionRate.value,
    satisfactionRate: i.satisfactionRate.value,
  };
}

/** Sums of days carry floating-point noise from many additions; four decimals are kept. */
function tidy(c: UnitMonthCounts): UnitMonthCounts {
  return { ...c, feedbackDaysSum: Math.round(c.feedbackDaysSum * 10_000) / 10_000 };
}

function figures(id: string, name: string, counts: UnitMonthCounts): UnitFigures {
  const tidied = tidy(counts);
  return { id, name, counts: tidied, values: valuesOf(computeIndicators(tidied)) };
}

/** An authority's id in the registry is AU + its GB/T 2260 code; its area is shown when it is one of Liaoning's. */
export function authorityArea(id: string): string {
  const code = /^AU(\d{6})$/.exec(id)?.[1];
  const found = code ? findLiaoningDivision(code) : undefined;
  if (!found) return '';
  return found.district ? `${found.city.name}${found.district.name}` : found.city.name;
}

export function cityName(code: string): string {
  const found = findLiaoningDivision(code);
  if (!found) return `未知城市（${code}）`;
  return found.district ? `${found.city.name}${found.district.name}` : found.city.name;
}

/** Competition ranking (1, 2, 2, 4) of the units that have a value, best first. */
function rankBy(units: RankedUnit[], key: IndicatorKey, higherIsBetter: boolean): void {
  const ranked = units.filter((u) => u.eligible && u.values[key] !== null);
  ranked.sort((a, b) => (higherIsBetter ? b.values[key]! - a.values[key]! : a.values[key]! - b.values[key]!));
  let previous: number | null = null;
  let rank = 0;
  ranked.forEach((u, i) => {
    if (u.values[key] !== previous) rank = i + 1;
    previous = u.values[key];
    u.ranks[key] = rank;
  });
}

function rankUnits(rows: UnitCountsRow[], type: 'company' | 'authority', minDispatched: number): RankedUnit[] {
  const units: RankedUnit[] = rows
    .filter((r) => r.unitType === type)
    .map((r) => ({
      ...figures(r.unitId, type === 'authority' ? authorityArea(r.unitId) : '', r.counts),
      eligible: r.counts.dispatched >= minDispatched,
      ranks: { feedbackRate: null, handlingDays: null, onTimeDispatchRate: null, completionRate: null, satisfactionRate: null },
    }));
  for (const d of indicatorDefinitions()) rankBy(units, d.key, d.higherIsBetter);
  // Listed by satisfaction rank; the unranked after, most cases first.
  return units.sort(
    (a, b) =>
      (a.ranks.satisfactionRate ?? Infinity) - (b.ranks.satisfactionRate ?? Infinity) ||
      b.counts.dispatched - a.counts.dispatched ||
      a.id.localeCompare(b.id),
  );
}

/** Tie order of the 红榜/黑榜 (as kpi's rankings API): 满意率, then 办结率, 按时分转率, 反馈率, 办件天数, then id. */
const LIST_ORDER: Array<{ key: IndicatorKey; higherIsBetter: boolean }> = [
  { key: 'satisfactionRate', higherIsBetter: true },
  { key: 'completionRate', higherIsBetter: true },
  { key: 'onTimeDispatchRate', higherIsBetter: true },
  { key: 'feedbackRate', higherIsBetter: true },
  { key: 'handlingDays', higherIsBetter: false },
];

function better(a: RankedUnit, b: RankedUnit): number {
  for (const { key, higherIsBetter } of LIST_ORDER) {
    const x = a.values[key];
    const y = b.values[key];
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    return higherIsBetter ? y - x : x - y;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * 红榜: the best `size` by satisfaction rate among eligible units with a satisfaction rate;
 * 黑榜: the worst `size`, worst first. A unit is never on both lists: with fewer than 2 × size
 * such units each list takes half of them (rounded down).
 */
export function redAndBlack(units: RankedUnit[], size: number): { red: ListEntry[]; black: ListEntry[] } {
  const candidates = units.filter((u) => u.eligible && u.values.satisfactionRate !== null).sort(better);
  const k = Math.min(size, Math.floor(candidates.length / 2));
  const entry = (u: RankedUnit, i: number): ListEntry => ({
    position: i + 1,
    id: u.id,
    name: u.name,
    satisfactionRate: u.values.satisfactionRate!,
    completionRate: u.values.completionRate,
    dispatched: u.counts.dispatched,
    rated: u.counts.rated,
  });
  return { red: candidates.slice(0, k).map(entry), black: candidates.slice(candidates.length - k).reverse().map(entry) };
}

export function rulesText(rules: BulletinRules = BULLETIN_RULES): string[] {
  return [
    `排名范围：当月分转件数不少于 ${rules.minDispatchedForRanking} 件的单位参与各项指标排名；不足 ${rules.minDispatchedForRanking} 件的单位列出数据但不排名。`,
    '排名方法：反馈率、按时分转率、办结率、满意率由高到低，办件天数由少到多；数值相同名次相同（如 1、2、2、4）；无数据不排名。',
    `红榜/黑榜：在参与排名且有满意率的单位中，满意率最高（红榜）和最低（黑榜）的 ${rules.listSize.company} 家企业、${rules.listSize.authority} 个主管单位；满意率相同时依次比较办结率、按时分转率、反馈率、办件天数（少者优先）；同一单位不同时列入红榜和黑榜，符合条件的单位不足两倍名额时红榜、黑榜各取一半（向下取整）。`,
    '统计口径：按工单分转时间（北京时间）计入所属月份；全省、各市数据为辖区内全部工单的合计；抽查不合格扣减的满意率百分点计入申请复议的企业。',
  ];
}

/** Builds the month's figures from the read model's rows (any order). */
export function buildSnapshot(month: string, rows: UnitCountsRow[], generatedAt: Date, rules: BulletinRules = BULLETIN_RULES): BulletinSnapshot {
  const sorted = [...rows].sort((a, b) => a.unitType.localeCompare(b.unitType) || a.unitId.localeCompare(b.unitId));
  const cityRows = new Map(sorted.filter((r) => r.unitType === 'city').map((r) => [r.unitId, r.counts]));
  // All 14 cities in code order, also those without a case; then any other code the events carried.
  const liaoning = liaoningDivisions().map((c) => c.code);
  const codes = [...liaoning, ...[...cityRows.keys()].filter((c) => !liaoning.includes(c))];
  const cities = codes.map((code) => figures(code, cityName(code), cityRows.get(code) ?? ZERO_COUNTS));
  const provinceCounts = [...cityRows.values()].reduce(addCounts, ZERO_COUNTS);
  const companies = rankUnits(sorted, 'company', rules.minDispatchedForRanking);
  const authorities = rankUnits(sorted, 'authority', rules.minDispatchedForRanking);
  const companyLists = redAndBlack(companies, rules.listSize.company);
  const authorityLists = redAndBlack(authorities, rules.listSize.authority);
  return {
    schemaVersion: 1,
    scope: 'province',
    month,
    generatedAt: generatedAt.toISOString(),
    rules: { minDispatchedForRanking: rules.minDispatchedForRanking, listSize: { ...rules.listSize }, text: rulesText(rules) },
    definitions: indicatorDefinitions(),
    province: figures('210000', '辽宁省', provinceCounts),
    cities,
    companies,
    authorities,
    redList: { company: companyLists.red, authority: authorityLists.red },
    blackList: { company: companyLists.black, authority: authorityLists.black },
  };
}

export type { UnitType };
