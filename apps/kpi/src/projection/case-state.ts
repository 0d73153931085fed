import { shanghaiMonth } from '#shared';
import type { Rating } from '#shared';
import { ON_TIME_DISPATCH_MS } from '../indicators/indicator-formulas.js';

/*
 * The pure projection shared by the incremental consumer and the rebuild (docs/kpi.md).
 *
 * 1. Each event that moves an indicator adds a FACT to its case's state. The state is a set of
 *    facts with a canonical form (sorted, de-duplicated; "latest"/"earliest" kept by a total order),
 *    so adding facts is commutative and idempotent: any order, any duplication, same state.
 * 2. What a case contributes to the (unit, month) counters is a function of its state alone.
 * 3. The incremental path moves the counters by contributions(new) − contributions(old); the rebuild
 *    sums contributions(final state) over all cases. Both therefore land on the same numbers.
 */

export const DAY_MS = 24 * 3600 * 1000;

/** The events that carry facts for the indicators; the others are stored but project nothing. */
export const PROJECTED_EVENT_TYPES = ['case.dispatched', 'case.feedback_submitted', 'case.closed', 'survey.rated', 'bad_rating.updated'] as const;
export type ProjectedEventType = (typeof PROJECTED_EVENT_TYPES)[number];

export function isProjected(type: string): type is ProjectedEventType {
  return (PROJECTED_EVENT_TYPES as readonly string[]).includes(type);
}

/** One case.dispatched: the case reached a company (first dispatch, or a re-dispatch). */
export interface DispatchFact {
  at: string;
  companyId: string;
  authorityId: string;
  cityCode: string;
  method: 'auto' | 'manual';
  receivedAt: string;
  previousCompanyId: string | null;
}

export interface RatingFact {
  surveyId: string;
  rating: Rating;
  at: string;
  /** The survey round (survey.rated `round`; 1 when absent): a later round replaces an earlier one. */
  round: number;
}

export interface CaseState {
  /** Every dispatch of the case, ordered by time (see compareDispatch), without duplicates. */
  dispatches: DispatchFact[];
  /** The earliest feedback. */
  feedbackAt: string | null;
  /** The earliest closure (办结). */
  closedAt: string | null;
  /** The latest survey's rating (highest round, then latest): a fresh survey after a rectification replaces the earlier one. */
  rating: RatingFact | null;
  /** Bad ratings whose reconsideration (复议) the authority approved, sorted. */
  approvedBadRatings: string[];
  /** Bad ratings whose province spot-check found 不办结 / 被办结 / 假办结, sorted. */
  failedSpotChecks: string[];
}

export const EMPTY_CASE: CaseState = Object.freeze({
  dispatches: [],
  feedbackAt: null,
  closedAt: null,
  rating: null,
  approvedBadRatings: [],
  failedSpotChecks: [],
}) as CaseState;

/** The counters of one (unit, month); `feedbackMs` is kept in whole milliseconds so sums are exact. */
export interface Counters {
  dispatched: number;
  onTimeDispatched: number;
  withFeedback: number;
  feedbackMs: number;
  closed: number;
  rated: number;
  satisfied: number;
  basicallySatisfied: number;
  dissatisfied: number;
  approvedReconsiderations: number;
  failedSpotChecks: number;
}

export const COUNTER_KEYS: ReadonlyArray<keyof Counters> = [
  'dispatched',
  'onTimeDispatched',
  'withFeedback',
  'feedbackMs',
  'closed',
  'rated',
  'satisfied',
  'basicallySatisfied',
  'dissatisfied',
  'approvedReconsiderations',
  'failedSpotChecks',
];

export const ZERO_COUNTERS: Readonly<Counters> = Object.freeze({
  dispatched: 0,
  onTimeDispatched: 0,
  withFeedback: 0,
  feedbackMs: 0,
  closed: 0,
  rated: 0,
  satisfied: 0,
  basicallySatisfied: 0,
  dissatisfied: 0,
  approvedReconsiderations: 0,
  failedSpotChecks: 0,
});

export type UnitType = 'company' | 'authority' | 'city';

/** What one case adds to one (unit, month), or (as a delta) how a row's counters move. */
export interface UnitMonthDelta {
  unitType: UnitType;
  unitId: string;
  month: string;
  counters: Counters;
}

const RATING_COUNTER: Record<Rating, keyof Counters> = {
  satisfied: 'satisfied',
  basically_satisfied: 'basicallySatisfied',
  dissatisfied: 'dissatisfied',
};

const iso = (value: unknown): string => new Date(String(value)).toISOString();
const str = (value: unknown): string => String(value);

/** Total order of dispatches: by time, then by the remaining fields (so "latest" is always one fact). */
export function compareDispatch(a: DispatchFact, b: DispatchFact): number {
  return (
    cmp(a.at, b.at) ||
    cmp(a.companyId, b.companyId) ||
    cmp(a.authorityId, b.authorityId) ||
    cmp(a.cityCode, b.cityCode) ||
    cmp(a.method, b.method) ||
    cmp(a.receivedAt, b.receivedAt) ||
    cmp(a.previousCompanyId ?? '', b.previousCompanyId ?? '')
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function earliest(a: string | null, b: string): string {
  return a === null || b < a ? b : a;
}

/**
 * The later survey wins: by round (the fresh survey after a rectification is round 2, 3 …), then by
 * rating time, then by survey id. A total order, so the case keeps one rating whatever the delivery
 * order, and the case is counted once, with its latest rating (DOMAIN.md §4: rated once per case).
 */
export function compareRating(a: RatingFact, b: RatingFact): number {
  return a.round - b.round || cmp(a.at, b.at) || cmp(a.surveyId, b.surveyId);
}

function laterRating(a: RatingFact | null, b: RatingFact): RatingFact {
  if (a === null) return b;
  return compareRating(b, a) > 0 ? b : a;
}

/** A survey round as carried by an event or a stored state: a whole number from 1; anything else is 1. */
function roundOf(value: unknown): number {
  const n = Number(value ?? 1);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

function withMember(list: string[], id: string): string[] {
  return list.includes(id) ? list : [...list, id].sort();
}

/**
 * Adds the fact an event carries to its case's state. Pure, commutative, idempotent.
 * Payload fields are read as the contracts in libs/shared/src/contracts/events.ts define them.
 */
export function applyEvent(state: CaseState, type: string, payload: Record<string, unknown>): CaseState {
  switch (type) {
    case 'case.dispatched': {
      const fact: DispatchFact = {
        at: iso(payload.dispatchedAt),
        companyId: str(payload.companyId),
        authorityId: str(payload.authorityId),
        cityCode: str(payload.cityCode),
        method: payload.method === 'manual' ? 'manual' : 'auto',
        receivedAt: iso(payload.receivedAt),
        previousCompanyId: typeof payload.previousCompanyId === 'string' && payload.previousCompanyId !== '' ? payload.previousCompanyId : null,
      };
      if (state.dispatches.some((d) => compareDispatch(d, fact) === 0)) return state;
      return { ...state, dispatches: [...state.dispatches, fact].sort(compareDispatch) };
    }
    case 'case.feedback_submitted': {
      const at = iso(payload.submittedAt);
      const feedbackAt = earliest(state.feedbackAt, at);
      return feedbackAt === state.feedbackAt ? state : { ...state, feedbackAt };
    }
    case 'case.closed': {
      const closedAt = earliest(state.closedAt, iso(payload.closedAt));
      return closedAt === state.closedAt ? state : { ...state, closedAt };
    }
    case 'survey.rated': {
      const fact: RatingFact = { surveyId: str(payload.surveyId), rating: payload.rating as Rating, at: iso(payload.ratedAt), round: roundOf(payload.round) };
      const rating = laterRating(state.rating, fact);
      return rating === state.rating ? state : { ...state, rating };
    }
    case 'bad_rating.updated': {
      const id = str(payload.badRatingId);
      if (payload.step === 'reconsideration_decided' && payload.approved === true) {
        const approvedBadRatings = withMember(state.approvedBadRatings, id);
        return approvedBadRatings === state.approvedBadRatings ? state : { ...state, approvedBadRatings };
      }
      if (payload.step === 'spot_checked' && typeof payload.finding === 'string' && payload.finding !== 'confirmed') {
        const failedSpotChecks = withMember(state.failedSpotChecks, id);
        return failedSpotChecks === state.failedSpotChecks ? state : { ...state, failedSpotChecks };
      }
      return state;
    }
    default:
      return state;
  }
}

/** Whether an event adds anything to a case (a 'called_back' step, say, does not). */
export function carriesFact(type: string, payload: Record<string, unknown>): boolean {
  return applyEvent(EMPTY_CASE, type, payload) !== EMPTY_CASE;
}

/** The stored form of a state (keys in a fixed order: equal states give equal JSON). */
export function canonicalState(s: CaseState): CaseState {
  return {
    dispatches: s.dispatches.map((d) => ({
      at: d.at,
      companyId: d.companyId,
      authorityId: d.authorityId,
      cityCode: d.cityCode,
      method: d.method,
      receivedAt: d.receivedAt,
      previousCompanyId: d.previousCompanyId,
    })),
    feedbackAt: s.feedbackAt,
    closedAt: s.closedAt,
    rating: s.rating ? { surveyId: s.rating.surveyId, rating: s.rating.rating, at: s.rating.at, round: roundOf(s.rating.round) } : null,
    approvedBadRatings: [...s.approvedBadRatings],
    failedSpotChecks: [...s.failedSpotChecks],
  };
}

/** Reads a stored state (jsonb); anything missing is an empty part. */
export function stateFromJson(value: unknown): CaseState {
  const v = (value ?? {}) as Partial<CaseState>;
  return canonicalState({
    dispatches: Array.isArray(v.dispatches) ? [...v.dispatches].sort(compareDispatch) : [],
    feedbackAt: v.feedbackAt ?? null,
    closedAt: v.closedAt ?? null,
    rating: v.rating ?? null,
    approvedBadRatings: Array.isArray(v.approvedBadRatings) ? [...v.approvedBadRatings].sort() : [],
    failedSpotChecks: Array.isArray(v.failedSpotChecks) ? [...v.failedSpotChecks].sort() : [],
  });
}

export function sameState(a: CaseState, b: CaseState): boolean {
  return JSON.stringify(canonicalState(a)) === JSON.stringify(canonicalState(b));
}

/** The first dispatch fixes the case's month; the last one names its final handling company. */
export function firstDispatch(s: CaseState): DispatchFact | null {
  return s.dispatches[0] ?? null;
}

export function finalDispatch(s: CaseState): DispatchFact | null {
  return s.dispatches[s.dispatches.length - 1] ?? null;
}

/**
 * Whether the final dispatch is the authority's own hand dispatch (routing could not place the
 * case: method 'manual' with no previous company). Its delay is charged to the authority, not to
 * the company that received the case.
 */
export function isAuthorityHandDispatch(d: DispatchFact): boolean {
  return d.method === 'manual' && d.previousCompanyId === null;
}

/** Within ON_TIME_DISPATCH_MS (2 h) of intake, the limit itself included. */
export function withinDispatchLimit(d: DispatchFact): boolean {
  return Date.parse(d.at) - Date.parse(d.receivedAt) <= ON_TIME_DISPATCH_MS;
}

/**
 * What a case contributes to the (unit, month) counters, for its final company, authority and
 * city, in the month of its first dispatch (Asia/Shanghai). A case with no dispatch contributes nothing.
 */
export function contributions(s: CaseState): UnitMonthDelta[] {
  const first = firstDispatch(s);
  const final = finalDispatch(s);
  if (!first || !final) return [];
  const month = shanghaiMonthOf(first.at);
  const onTime = withinDispatchLimit(final);
  const base: Counters = { ...ZERO_COUNTERS, dispatched: 1 };
  if (s.feedbackAt !== null) {
    base.withFeedback = 1;
    base.feedbackMs = Math.max(0, Date.parse(s.feedbackAt) - Date.parse(final.at));
  }
  if (s.closedAt !== null) base.closed = 1;
  if (s.rating !== null) {
    base.rated = 1;
    base[RATING_COUNTER[s.rating.rating]] = 1;
    // An approval takes out a 不满意 rating; a fresh satisfied rating after it has nothing to take out.
    if (s.rating.rating === 'dissatisfied' && s.approvedBadRatings.length > 0) base.approvedReconsiderations = 1;
  }
  return [
    {
      unitType: 'company',
      unitId: final.companyId,
      month,
      counters: {
        ...base,
        onTimeDispatched: onTime || isAuthorityHandDispatch(final) ? 1 : 0,
        failedSpotChecks: s.failedSpotChecks.length,
      },
    },
    { unitType: 'authority', unitId: final.authorityId, month, counters: { ...base, onTimeDispatched: onTime ? 1 : 0 } },
    { unitType: 'city', unitId: final.cityCode, month, counters: { ...base, onTimeDispatched: onTime ? 1 : 0 } },
  ];
}

/** The Asia/Shanghai month (YYYY-MM) of an ISO instant. */
export function shanghaiMonthOf(at: string): string {
  return shanghaiMonth(new Date(at));
}

export function unitMonthKey(d: { unitType: string; unitId: string; month: string }): string {
  return `${d.unitType}\u0000${d.unitId}\u0000${d.month}`;
}

/** Adds `rows` into `into` by (unit, month). */
export function accumulate(into: Map<string, UnitMonthDelta>, rows: UnitMonthDelta[], sign: 1 | -1 = 1): void {
  for (const row of rows) {
    const key = unitMonthKey(row);
    let acc = into.get(key);
    if (!acc) {
      acc = { unitType: row.unitType, unitId: row.unitId, month: row.month, counters: { ...ZERO_COUNTERS } };
      into.set(key, acc);
    }
    for (const k of COUNTER_KEYS) acc.counters[k] += sign * row.counters[k];
  }
}

/**
 * How the counters move when a case goes from `before` to `after`: contributions(after) −
 * contributions(before), zero rows left out, in a fixed order (so concurrent writers lock rows alike).
 */
export function counterDeltas(before: CaseState, after: CaseState): UnitMonthDelta[] {
  const acc = new Map<string, UnitMonthDelta>();
  accumulate(acc, contributions(before), -1);
  accumulate(acc, contributions(after), 1);
  return [...acc.entries()]
    .filter(([, d]) => COUNTER_KEYS.some((k) => d.counters[k] !== 0))
    .sort(([a], [b]) => cmp(a, b))
    .map(([, d]) => d);
}

/** (company, authority, city) triples the case's dispatches name: which companies an authority's region holds. */
export function unitLinks(s: CaseState): Array<{ companyId: string; authorityId: string; cityCode: string }> {
  const seen = new Map<string, { companyId: string; authorityId: string; cityCode: string }>();
  for (const d of s.dispatches) seen.set(`${d.companyId}\u0000${d.authorityId}\u0000${d.cityCode}`, { companyId: d.companyId, authorityId: d.authorityId, cityCode: d.cityCode });
  return [...seen.values()];
}
