import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CATEGORIES, naturalDayDeadline, normalizeMainlandMobile, validateEnvelope } from '#shared';
import type { EventEnvelope } from '#shared';
import { generateSeason } from '../../../../bench/season/generator.js';
import type { Season, SeasonCase, SeasonInput } from '../../../../bench/season/generator.js';
import { ExpectedFigures } from '../../../../bench/season/expected.js';
import { CreateHotlineComplaintDto } from '../../../intake/src/complaints/create-complaint.dto.js';
import { normalizeCommunityName } from '../../../dispatch/src/routing/community-name.js';
import { accumulate, applyEvent, carriesFact, contributions, EMPTY_CASE, isProjected, unitMonthKey } from '../projection/case-state.js';
import type { CaseState, UnitMonthDelta } from '../projection/case-state.js';

/*
 * The season generator behind the kpi rebuild benchmark (bench/season/generator.ts, reused by the
 * whole-season replay): a small season from a seed, checked for what the benchmark relies on —
 * the same season from the same seed, the counts and proportions asked for, valid contracts,
 * every case's events in an order the services can produce, and kpi's own reducer folding the
 * events to exactly the figures the generator works out from its case scripts.
 */

const COMPLAINTS = 1_500;
const CONSULTATIONS = 300;
const HOUR = 3600 * 1000;

interface Collected {
  season: Season;
  cases: SeasonCase[];
  events: EventEnvelope[];
  expected: ExpectedFigures;
}

function collect(seed: number): Collected {
  const season = generateSeason({ seed, complaints: COMPLAINTS, consultations: CONSULTATIONS });
  const cases: SeasonCase[] = [];
  const expected = new ExpectedFigures();
  const events = [
    ...season.events((c) => {
      cases.push(c);
      expected.add(c);
    }),
  ];
  return { season, cases, events, expected };
}

const p = (e: EventEnvelope) => e.payload as Record<string, unknown>;
const ms = (iso: unknown) => Date.parse(String(iso));

describe('the season generator (bench/season): a deterministic heating season for the kpi benchmarks', () => {
  const a = collect(424242);
  const inputs: SeasonInput[] = [...a.season.inputs()];

  it('the same seed gives the same season, to the event id; another seed another one', () => {
    const again = [...generateSeason({ seed: 424242, complaints: COMPLAINTS, consultations: CONSULTATIONS }).events()];
    expect(again.length).toBe(a.events.length);
    expect(JSON.stringify(again)).toBe(JSON.stringify(a.events));
    const other = generateSeason({ seed: 7, complaints: COMPLAINTS, consultations: CONSULTATIONS }).events().next().value as EventEnvelope;
    expect(other.id).not.toBe(a.events[0].id);
    expect(new Set(a.events.map((e) => e.id)).size).toBe(a.events.length);
  });

  it('151 days (Nov 1 – Mar 31, 2026–27), every complaint and consultation once, a first-cold-week surge', () => {
    const s = a.season;
    expect(s.calendar.days).toBe(151);
    expect(s.calendar.startMs).toBe(Date.parse('2026-11-01T00:00:00+08:00'));
    expect(s.complaintsPerDay.reduce((x, y) => x + y, 0)).toBe(COMPLAINTS);
    const count = (type: string) => a.events.filter((e) => e.type === type).length;
    expect(count('complaint.received')).toBe(COMPLAINTS);
    expect(count('consultation.answered')).toBe(CONSULTATIONS);
    expect(a.cases.map((c) => c.index)).toEqual(Array.from({ length: COMPLAINTS }, (_, i) => i));
    const received = a.cases.map((c) => c.receivedAt);
    expect(received.every((t, i) => i === 0 || t >= received[i - 1])).toBe(true);
    expect(Math.min(...received)).toBeGreaterThanOrEqual(s.calendar.startMs);
    expect(Math.max(...received)).toBeLessThan(s.calendar.endMs);
    const mean = COMPLAINTS / 151;
    expect(Math.max(...s.complaintsPerDay.slice(0, 7))).toBeGreaterThan(3 * mean);
    // The surge tops every later day, cold spells included.
    expect(Math.max(...s.complaintsPerDay.slice(0, 7))).toBeGreaterThan(1.3 * Math.max(...s.complaintsPerDay.slice(14)));
  });

  it('categories in real proportions: 室温不达标 ≈ 49 %, 未按时供热 ≈ 38 %, 维修不及时 ≈ 9 %, the rest ≈ 4 %', () => {
    const share = (cat: string) => a.cases.filter((c) => c.body.category === cat).length / COMPLAINTS;
    expect(Math.abs(share('too_cold') - 0.49)).toBeLessThan(0.03);
    expect(Math.abs(share('heating_not_started') - 0.38)).toBeLessThan(0.03);
    expect(Math.abs(share('repair_delayed') - 0.09)).toBeLessThan(0.02);
    expect(share('policy_question')).toBe(0); // answered at intake, not forwarded
    for (const c of a.cases) expect(CATEGORIES).toContain(c.body.category);
    // 未按时供热 is front-loaded: the start of the season.
    const firstWeek = a.cases.filter((c) => c.receivedAt < a.season.calendar.startMs + 7 * 24 * HOUR);
    expect(firstWeek.filter((c) => c.body.category === 'heating_not_started').length / firstWeek.length).toBeGreaterThan(0.5);
  });

  it('spread over the 647 demo companies of all 14 cities, roughly by population (the registry apportions companies by it)', () => {
    const companies = new Map(a.season.registry.companies.map((c) => [c.id, c]));
    const byCity = new Map<string, number>();
    for (const c of a.cases) {
      const city = companies.get(c.responsibleCompanyId)!.cityCode;
      byCity.set(city, (byCity.get(city) ?? 0) + 1);
    }
    expect(byCity.size).toBe(14);
    const companiesIn = (city: string) => a.season.registry.companies.filter((c) => c.cityCode === city).length / 647;
    for (const city of ['210100', '210200']) expect(Math.abs(byCity.get(city)! / COMPLAINTS - companiesIn(city))).toBeLessThan(0.06);
    expect(byCity.get('210100')!).toBeGreaterThan(byCity.get('210500')! * 3); // Shenyang vs Benxi
  });

  it('residents: valid mobile numbers, one per resident, some with several cases', () => {
    const phones = new Map<string, Set<number>>();
    for (const c of a.cases) {
      expect(normalizeMainlandMobile(c.body.callerPhone)).toBe(c.body.callerPhone);
      phones.set(c.body.callerPhone, (phones.get(c.body.callerPhone) ?? new Set()).add(c.residentId));
    }
    for (const residents of phones.values()) expect(residents.size).toBe(1);
    const casesPerPhone = new Map<string, number>();
    for (const c of a.cases) casesPerPhone.set(c.body.callerPhone, (casesPerPhone.get(c.body.callerPhone) ?? 0) + 1);
    expect([...casesPerPhone.values()].filter((n) => n > 1).length).toBeGreaterThan(COMPLAINTS * 0.03);
  });

  it('community names as residents say them: full-width, 3期 / 第三期, suffixes, typos, aliases; formatting variants normalize to the registered name', () => {
    const registered = new Map(a.season.registry.communities.map((c) => [c.id, c]));
    const kinds = new Map<string, number>();
    for (const c of a.cases) kinds.set(c.nameVariant, (kinds.get(c.nameVariant) ?? 0) + 1);
    for (const k of ['as_registered', 'spacing', 'phase_numeral', 'suffix', 'full_width', 'traditional', 'typo', 'alias', 'wrong_district', 'unknown']) {
      expect(kinds.get(k) ?? 0).toBeGreaterThan(0);
    }
    expect(kinds.get('as_registered')! / COMPLAINTS).toBeGreaterThan(0.5);
    expect(a.cases.some((c) => /[\uff10-\uff19\u3000（）]/u.test(c.body.communityName))).toBe(true);
    expect(a.cases.some((c) => /\d期|第[一二三]期/u.test(c.body.communityName))).toBe(true);
    for (const c of a.cases.filter((x) => ['spacing', 'phase_numeral', 'full_width', 'traditional'].includes(x.nameVariant))) {
      expect(normalizeCommunityName(c.body.communityName)).toBe(registered.get(c.communityId)!.normalizedName);
    }
  });

  it('every event fits its contract, and the stream is in time order', () => {
    const invalid: string[] = [];
    for (const e of a.events) {
      try {
        validateEnvelope(JSON.parse(JSON.stringify(e)));
      } catch (error) {
        invalid.push(`${e.type} ${e.id}: ${(error as Error).message}`);
      }
    }
    expect(invalid).toEqual([]);
    const times = a.events.map((e) => ms(e.occurredAt));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
  });

  it('the operator inputs: valid POST /api/v1/complaints bodies in time order — every case once, repeat calls linked, consultations', () => {
    const count = (kind: string) => inputs.filter((i) => i.kind === kind).length;
    expect(count('complaint')).toBe(COMPLAINTS);
    expect(count('consultation')).toBe(CONSULTATIONS);
    expect(count('repeat')).toBeGreaterThan(COMPLAINTS * 0.02);
    expect(inputs.every((x, i) => i === 0 || x.at >= inputs[i - 1].at)).toBe(true);
    expect(new Set(inputs.map((i) => i.idempotencyKey)).size).toBe(inputs.length);
    const invalid = inputs.flatMap((input) => validateSync(plainToInstance(CreateHotlineComplaintDto, input.body)).map((e) => `${input.caseNumber}: ${e.property}`));
    expect(invalid).toEqual([]);
    // A repeat call is the same phone, address and category while the case is open (intake links it).
    const byNumber = new Map(a.cases.map((c) => [c.caseNumber, c]));
    const wrong: string[] = [];
    for (const r of inputs.filter((i) => i.kind === 'repeat')) {
      const c = byNumber.get(r.caseNumber)!;
      const same = r.body.callerPhone === c.body.callerPhone && r.body.category === c.body.category && JSON.stringify(r.body.address) === JSON.stringify(c.body.address);
      if (!same || r.at <= c.receivedAt || r.at >= (c.closedAt ?? Number.POSITIVE_INFINITY)) wrong.push(r.idempotencyKey);
    }
    expect(wrong).toEqual([]);
    // A resident's new case never repeats an open one (that would be a repeat call, not a case).
    const open = new Map<string, SeasonCase[]>();
    const overlapping: string[] = [];
    for (const c of a.cases) {
      const key = `${c.body.callerPhone}|${c.body.category}|${JSON.stringify(c.body.address)}`;
      for (const earlier of open.get(key) ?? []) if ((earlier.closedAt ?? Number.POSITIVE_INFINITY) > c.receivedAt) overlapping.push(`${earlier.caseNumber} / ${c.caseNumber}`);
      open.set(key, [...(open.get(key) ?? []), c]);
    }
    expect(overlapping).toEqual([]);
  });

  it('every case\'s events follow the lifecycle: received → dispatched → (returned, re-dispatched) → feedback = closure → surveys → bad-rating steps', () => {
    const byCase = new Map<string, EventEnvelope[]>();
    for (const e of a.events) {
      if (e.type === 'consultation.answered') continue;
      const list = byCase.get(String(p(e).caseId));
      if (list) list.push(e);
      else byCase.set(String(p(e).caseId), [e]);
    }
    expect(byCase.size).toBe(COMPLAINTS);
    const problems: string[] = [];
    for (const c of a.cases) {
      const fail = (what: string) => problems.push(`${c.caseNumber}: ${what}`);
      const events = byCase.get(c.caseId)!;
      if (events[0].type !== 'complaint.received') fail('does not start with complaint.received');
      const dispatched = events.filter((e) => e.type === 'case.dispatched');
      if (dispatched.length < 1 || dispatched.length > 2) fail(`${dispatched.length} dispatches`);
      if (ms(p(dispatched[0]).dispatchedAt) <= c.receivedAt) fail('dispatched before received');
      if (dispatched.length === 2 && (p(dispatched[1]).previousCompanyId !== p(dispatched[0]).companyId || c.returnRequest?.approved !== true)) fail('re-dispatch without an approved return');
      const final = p(dispatched[dispatched.length - 1]);
      // The deadlines are libs/shared's natural days.
      for (const d of dispatched) if (ms(p(d).dueAt) !== naturalDayDeadline(new Date(ms(p(d).dispatchedAt)), 3).getTime()) fail('dispatch dueAt');
      if (c.dueAt !== naturalDayDeadline(new Date(ms(final.dispatchedAt)), c.complexity === 'complex' ? 7 : 3).getTime()) fail('final dueAt');
      for (const e of events.filter((x) => !['complaint.received', 'case.dispatched'].includes(x.type))) {
        if (p(e).companyId !== final.companyId || p(e).authorityId !== final.authorityId) fail(`${e.type} not for the final company`);
        if (ms(e.occurredAt) <= ms(final.dispatchedAt)) fail(`${e.type} before the final dispatch`);
      }
      const feedback = events.filter((e) => e.type === 'case.feedback_submitted');
      const closed = events.filter((e) => e.type === 'case.closed');
      if (feedback.length !== closed.length || feedback.length > 1) fail('feedback and closure do not pair');
      if (feedback.length) {
        if (p(closed[0]).closedAt !== p(feedback[0]).submittedAt) fail('closed at another time than the feedback');
        if (ms(p(feedback[0]).submittedAt) <= c.signedAt!) fail('feedback before signing');
        if (p(feedback[0]).dispatchedAt !== final.dispatchedAt) fail('feedback names another dispatch');
      }
      const overdue = events.filter((e) => e.type === 'case.overdue');
      const late = !feedback.length || ms(p(feedback[0]).submittedAt) > c.dueAt;
      if (overdue.length > 1 || (overdue.length === 1 && ms(p(overdue[0]).overdueAt) < c.dueAt)) fail('overdue mark');
      if ((!late && overdue.length) || (!feedback.length && !overdue.length)) fail('overdue mark without a late feedback, or missing');
      const rated = events.filter((e) => e.type === 'survey.rated');
      if (!feedback.length && rated.length) fail('rated without closure');
      if (rated.some((e) => ms(p(e).ratedAt) <= ms(p(closed[0]).closedAt))) fail('rated before closure');
      checkBadRatings(events, rated, fail);
    }
    expect(problems).toEqual([]);
  });

  it('the season looks like Liaoning\'s: dispatch mostly within 2 h, feedback mostly within the deadline, completion ≈ 98 %, satisfaction ≈ 92 %', () => {
    const t = a.expected.totals().season;
    expect(t.dispatched).toBe(COMPLAINTS);
    expect(a.cases.filter((c) => c.dispatches[0].at - c.receivedAt <= 2 * HOUR).length / COMPLAINTS).toBeGreaterThan(0.9);
    expect(a.cases.filter((c) => c.dispatches[0].method === 'manual').length).toBeGreaterThan(COMPLAINTS * 0.05);
    expect(a.cases.filter((c) => c.returnRequest).length).toBeGreaterThan(0);
    const completion = t.closed / t.dispatched;
    expect(completion).toBeGreaterThan(0.96);
    expect(completion).toBeLessThan(0.995);
    const onTimeFeedback = a.cases.filter((c) => c.feedback && c.feedback.at <= c.dueAt).length / COMPLAINTS;
    expect(onTimeFeedback).toBeGreaterThan(0.9);
    expect(onTimeFeedback).toBeLessThan(0.99);
    expect(a.cases.filter((c) => c.complexity === 'complex').length).toBeGreaterThan(0);
    const satisfaction = (t.satisfied + t.basically_satisfied) / (t.rated - t.approved_reconsiderations);
    expect(satisfaction).toBeGreaterThan(0.9);
    expect(satisfaction).toBeLessThan(0.95);
    expect(t.rated / t.closed).toBeGreaterThan(0.7);
    expect(t.rated / t.closed).toBeLessThan(0.9);
    const flows = a.cases.flatMap((c) => c.badRatings);
    const steps = (step: string, pred: (s: any) => boolean = () => true) => flows.filter((f) => f.steps.some((s) => s.step === step && pred(s))).length;
    expect(steps('rectified')).toBeGreaterThan(0);
    expect(steps('reconsideration_decided', (s) => s.approved === true)).toBeGreaterThan(0);
    expect(steps('reconsideration_decided', (s) => s.approved === false)).toBeGreaterThan(0);
    expect(steps('spot_checked')).toBeGreaterThan(0);
    expect(a.cases.filter((c) => c.surveys.length > 1).length).toBeGreaterThan(0);
    // SMS replies as residents type them, read by sms-survey's parser (the generator checks each).
    const replies = a.cases.flatMap((c) => c.surveys).filter((s) => s.via === 'sms');
    expect(new Set(replies.map((s) => s.reply)).size).toBeGreaterThan(15);
  });

  it('kpi\'s reducer folds the events to exactly the figures the generator works out from its case scripts', () => {
    const states = new Map<string, CaseState>();
    for (const e of a.events) {
      if (!isProjected(e.type) || !carriesFact(e.type, p(e))) continue;
      const id = String(p(e).caseId);
      states.set(id, applyEvent(states.get(id) ?? EMPTY_CASE, e.type, p(e)));
    }
    const counters = new Map<string, UnitMonthDelta>();
    for (const s of states.values()) accumulate(counters, contributions(s));
    const fromKpi = [...counters.values()]
      .sort((x, y) => (unitMonthKey(x) < unitMonthKey(y) ? -1 : 1))
      .map((d) => ({
        unit_type: d.unitType,
        unit_id: d.unitId,
        month: d.month,
        dispatched: d.counters.dispatched,
        on_time_dispatched: d.counters.onTimeDispatched,
        with_feedback: d.counters.withFeedback,
        feedback_ms_sum: d.counters.feedbackMs,
        closed: d.counters.closed,
        rated: d.counters.rated,
        satisfied: d.counters.satisfied,
        basically_satisfied: d.counters.basicallySatisfied,
        dissatisfied: d.counters.dissatisfied,
        approved_reconsiderations: d.counters.approvedReconsiderations,
        failed_spot_checks: d.counters.failedSpotChecks,
      }));
    // Both sorted by (unit type, unit id, month): unitMonthKey joins them with \u0000, which sorts first.
    expect(fromKpi).toEqual(a.expected.unitMonths());
    expect(states.size).toBe(a.expected.cases);
  });
});

/** Bad-rating steps in the order dispatch's workflow allows, each opened by a 不满意 rating. */
function checkBadRatings(events: EventEnvelope[], rated: EventEnvelope[], fail: (what: string) => void): void {
  const next: Record<string, string[]> = {
    opened: ['called_back'],
    called_back: ['classified'],
    classified: ['rectified', 'reconsideration_applied'],
    reconsideration_applied: ['reconsideration_decided'],
    reconsideration_decided: ['spot_checked', 'rectified'],
    spot_checked: [],
    rectified: [],
  };
  const flows = new Map<string, EventEnvelope[]>();
  for (const e of events) if (e.type === 'bad_rating.updated') flows.set(String(p(e).badRatingId), [...(flows.get(String(p(e).badRatingId)) ?? []), e]);
  const dissatisfied = rated.filter((e) => p(e).rating === 'dissatisfied');
  if (flows.size > dissatisfied.length) fail('more bad ratings than 不满意 ratings');
  for (const steps of flows.values()) {
    if (p(steps[0]).step !== 'opened') fail('bad rating not opened first');
    const opening = dissatisfied.find((r) => ms(p(r).ratedAt) <= ms(p(steps[0]).at) && ms(p(steps[0]).at) - ms(p(r).ratedAt) < 60_000);
    if (!opening) fail('bad rating without its 不满意 rating');
    for (let i = 1; i < steps.length; i++) {
      const prev = p(steps[i - 1]);
      const cur = p(steps[i]);
      if (!next[String(prev.step)].includes(String(cur.step))) fail(`${prev.step} → ${cur.step}`);
      if (prev.step === 'reconsideration_decided' && cur.step !== (prev.approved ? 'spot_checked' : 'rectified')) fail(`decided (approved ${prev.approved}) → ${cur.step}`);
      if (prev.step === 'classified' && cur.step !== (prev.classification === 'reasonable' ? 'rectified' : 'reconsideration_applied')) fail(`classified ${prev.classification} → ${cur.step}`);
      if (ms(cur.at) <= ms(prev.at)) fail(`${cur.step} not after ${prev.step}`);
    }
  }
}
