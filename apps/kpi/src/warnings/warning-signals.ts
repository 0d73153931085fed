import type { Category, WarningRule, WarningSubjectType } from '#shared';

/*
 * What the early-warning rules read (signals, derived from the events by the live board) and what
 * they answer (candidates, which become stored warnings and warning.raised events). Plain data:
 * the rules are pure and take "now" as an argument.
 */

/** Where a warning belongs, for scoping (who sees it, who may acknowledge it). */
export interface WarningPlace {
  cityCode?: string;
  districtCode?: string;
  authorityId?: string;
  companyId?: string;
}

/** One household complained, at `at` (the complaint's intake time), about a station, community or district. */
export interface HouseholdSignal extends WarningPlace {
  kind: 'household';
  subjectType: Extract<WarningSubjectType, 'station' | 'community' | 'district'>;
  subjectId: string;
  subjectName: string;
  /** The flat (address) or, without one, the case: one household counts once however often it calls. */
  household: string;
  category: Category;
  at: number;
}

/** A case of a company passed its deadline without a result (case.overdue). */
export interface OverdueSignal extends WarningPlace {
  kind: 'overdue';
  companyId: string;
  caseId: string;
  at: number;
}

/** A resident rated a company's handling (survey.rated); 满意 and 基本满意 count as satisfied. */
export interface RatingSignal extends WarningPlace {
  kind: 'rating';
  companyId: string;
  surveyId: string;
  satisfied: boolean;
  at: number;
}

export type WarningSignal = HouseholdSignal | OverdueSignal | RatingSignal;

/** A warning a rule wants raised: its subject, its place, its reason in Chinese, the figures behind it. */
export interface WarningCandidate extends WarningPlace {
  rule: WarningRule;
  subjectType: WarningSubjectType;
  subjectId: string;
  subjectName: string;
  reason: string;
  figures: Record<string, number | string | null>;
  raisedAt: number;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 3600 * 1000;

/** The rule and subject a cooldown is kept for. */
export function warningKey(c: { rule: WarningRule; subjectType: WarningSubjectType; subjectId: string }): string {
  return `${c.rule}|${c.subjectType}|${c.subjectId}`;
}

/** 4.1 (one decimal, as people read it). */
export const oneDecimal = (x: number): number => Math.round(x * 10) / 10;

/**
 * Entries sorted by time with the index of the first at or after `t` (binary search): the rules
 * keep their windows this way, so an event that arrives late still lands in its place.
 */
export function firstIndexAtOrAfter(entries: ReadonlyArray<{ at: number }>, t: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts keeping the order by time (appends in the usual case of events in order). */
export function insertByTime<T extends { at: number }>(entries: T[], entry: T): void {
  if (entries.length === 0 || entries[entries.length - 1].at <= entry.at) {
    entries.push(entry);
    return;
  }
  entries.splice(firstIndexAtOrAfter(entries, entry.at + 1), 0, entry);
}
