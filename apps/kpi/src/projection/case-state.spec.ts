import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { accumulate, applyEvent, canonicalState, contributions, COUNTER_KEYS, counterDeltas, EMPTY_CASE, sameState, stateFromJson, ZERO_COUNTERS } from './case-state.js';
import type { CaseState, Counters, UnitMonthDelta } from './case-state.js';

/*
 * The counting rules of the read model (docs/kpi.md §Rules), on the pure reducer that both the
 * incremental consumer and the rebuild run.
 */

type Ev = [type: string, payload: Record<string, unknown>];
const HOUR = 3600 * 1000;
const CASE = '00000000-0000-4000-8000-000000000001';

const at = (iso: string, plusMs = 0) => new Date(Date.parse(iso) + plusMs).toISOString();

function dispatched(o: { company: string; authority?: string; city?: string; at: string; receivedAt: string; method?: 'auto' | 'manual'; previous?: string }): Ev {
  return [
    'case.dispatched',
    {
      caseId: CASE,
      caseNumber: 'GR-1',
      companyId: o.company,
      authorityId: o.authority ?? 'AU210100',
      cityCode: o.city ?? '210100',
      method: o.method ?? 'auto',
      reason: 'r',
      receivedAt: o.receivedAt,
      dispatchedAt: o.at,
      dueAt: at(o.at, 72 * HOUR),
      ...(o.previous ? { previousCompanyId: o.previous } : {}),
    },
  ];
}
const feedback = (submittedAt: string, company = 'HC1'): Ev => [
  'case.feedback_submitted',
  { caseId: CASE, caseNumber: 'GR-1', companyId: company, authorityId: 'AU210100', resolution: 'fixed', summary: 's', dispatchedAt: submittedAt, submittedAt },
];
const closed = (closedAt: string): Ev => ['case.closed', { caseId: CASE, caseNumber: 'GR-1', companyId: 'HC1', authorityId: 'AU210100', resolution: 'fixed', closedAt }];
/** survey.rated; `round` left out as older producers do (it then means round 1). */
const rated = (surveyId: string, rating: string, ratedAt: string, round?: number): Ev => [
  'survey.rated',
  { surveyId, caseId: CASE, caseNumber: 'GR-1', companyId: 'HC1', authorityId: 'AU210100', rating, via: 'sms', ratedAt, ...(round === undefined ? {} : { round }) },
];
const badRating = (badRatingId: string, step: string, extra: Record<string, unknown>, when: string): Ev => [
  'bad_rating.updated',
  { badRatingId, caseId: CASE, caseNumber: 'GR-1', companyId: 'HC1', authorityId: 'AU210100', cityCode: '210100', step, at: when, ...extra },
];

const stateOf = (events: Ev[]): CaseState => events.reduce((s, [type, payload]) => applyEvent(s, type, payload), EMPTY_CASE);

/** The counters the case puts on one unit (all zero when it puts nothing there). */
function on(events: Ev[] | CaseState, unitType: string, unitId: string, month: string): Counters {
  const rows = contributions(Array.isArray(events) ? stateOf(events) : events);
  return rows.find((r) => r.unitType === unitType && r.unitId === unitId && r.month === month)?.counters ?? { ...ZERO_COUNTERS };
}

const RECEIVED = '2026-11-10T01:00:00.000Z'; // 09:00 in Shanghai
const SOON = at(RECEIVED, 10 * 60 * 1000);

describe('a case counts once, in the month of its first dispatch (Asia/Shanghai), for its final company, authority and city', () => {
  it('one dispatch puts dispatched = 1 on the company, its authority and its city, nowhere else', () => {
    const rows = contributions(stateOf([dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED })]));
    expect(rows.map((r) => [r.unitType, r.unitId, r.month, r.counters.dispatched])).toEqual([
      ['company', 'HC1', '2026-11', 1],
      ['authority', 'AU210100', '2026-11', 1],
      ['city', '210100', '2026-11', 1],
    ]);
  });

  it('the month is the Shanghai month: dispatched 2026-11-30T16:30Z (Dec 1, 00:30 in Shanghai) counts in 2026-12', () => {
    const events = [dispatched({ company: 'HC1', at: '2026-11-30T16:30:00.000Z', receivedAt: '2026-11-30T16:00:00.000Z' })];
    expect(on(events, 'company', 'HC1', '2026-12').dispatched).toBe(1);
    expect(on(events, 'company', 'HC1', '2026-11').dispatched).toBe(0);
  });

  it('a case whose dispatch has not arrived yet counts nowhere; its earlier facts count as soon as the dispatch arrives', () => {
    const early = [feedback(at(RECEIVED, 5 * HOUR)), closed(at(RECEIVED, 5 * HOUR)), rated('s1', 'satisfied', at(RECEIVED, 6 * HOUR))];
    expect(contributions(stateOf(early))).toEqual([]);
    const all = [...early, dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED })];
    expect(on(all, 'company', 'HC1', '2026-11')).toMatchObject({ dispatched: 1, withFeedback: 1, closed: 1, rated: 1, satisfied: 1 });
  });
});

describe('a re-dispatch moves the case and all its counters to the new company; the month stays that of the first dispatch', () => {
  const first = dispatched({ company: 'HC1', at: '2026-11-30T15:00:00.000Z', receivedAt: '2026-11-30T14:30:00.000Z' }); // Nov 30, 23:00 in Shanghai
  const again = dispatched({ company: 'HC2', authority: 'AU210200', city: '210200', at: '2026-12-02T02:00:00.000Z', receivedAt: '2026-11-30T14:30:00.000Z', method: 'manual', previous: 'HC1' });

  it('counted once, for HC2 (and its authority and city) in 2026-11; HC1 keeps nothing', () => {
    const events = [first, again, feedback('2026-12-03T02:00:00.000Z', 'HC2'), closed('2026-12-03T02:00:00.000Z')];
    expect(on(events, 'company', 'HC2', '2026-11')).toMatchObject({ dispatched: 1, withFeedback: 1, closed: 1 });
    expect(on(events, 'authority', 'AU210200', '2026-11').dispatched).toBe(1);
    expect(on(events, 'city', '210200', '2026-11').dispatched).toBe(1);
    expect(on(events, 'company', 'HC1', '2026-11').dispatched).toBe(0);
    expect(on(events, 'company', 'HC2', '2026-12').dispatched).toBe(0);
  });

  it('the re-dispatch moves the counters: −1 for HC1, +1 for HC2, in the same month', () => {
    const deltas = counterDeltas(stateOf([first]), stateOf([first, again]));
    const company = deltas.filter((d) => d.unitType === 'company').map((d) => [d.unitId, d.month, d.counters.dispatched]);
    expect(company).toEqual([
      ['HC1', '2026-11', -1],
      ['HC2', '2026-11', 1],
    ]);
  });

  it('the final company is the latest dispatch whatever the order the events arrive in', () => {
    expect(sameState(stateOf([again, first]), stateOf([first, again]))).toBe(true);
    expect(on([again, first], 'company', 'HC2', '2026-11').dispatched).toBe(1);
  });
});

describe('按时分转: the final dispatch within 2 h of intake (ON_TIME_DISPATCH_MS), the limit included', () => {
  it('dispatched exactly 2 h after intake is on time; 2 h + 1 ms is late', () => {
    expect(on([dispatched({ company: 'HC1', at: at(RECEIVED, 2 * HOUR), receivedAt: RECEIVED })], 'company', 'HC1', '2026-11').onTimeDispatched).toBe(1);
    expect(on([dispatched({ company: 'HC1', at: at(RECEIVED, 2 * HOUR + 1), receivedAt: RECEIVED })], 'company', 'HC1', '2026-11').onTimeDispatched).toBe(0);
  });

  it('a re-dispatch after 2 h makes the case late for the new company, its authority and city, even though the first dispatch was on time', () => {
    const events = [
      dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED }),
      dispatched({ company: 'HC2', at: at(RECEIVED, 26 * HOUR), receivedAt: RECEIVED, previous: 'HC1', method: 'manual' }),
    ];
    expect(on(events, 'company', 'HC2', '2026-11')).toMatchObject({ dispatched: 1, onTimeDispatched: 0 });
    expect(on(events, 'authority', 'AU210100', '2026-11')).toMatchObject({ dispatched: 1, onTimeDispatched: 0 });
  });

  it("the authority's hand dispatch (manual, no previous company) 3 h after intake is charged to the authority and city, not to the company", () => {
    const events = [dispatched({ company: 'HC1', at: at(RECEIVED, 3 * HOUR), receivedAt: RECEIVED, method: 'manual' })];
    expect(on(events, 'company', 'HC1', '2026-11')).toMatchObject({ dispatched: 1, onTimeDispatched: 1 });
    expect(on(events, 'authority', 'AU210100', '2026-11')).toMatchObject({ dispatched: 1, onTimeDispatched: 0 });
    expect(on(events, 'city', '210100', '2026-11')).toMatchObject({ dispatched: 1, onTimeDispatched: 0 });
  });

  it('a hand dispatch within 2 h is on time for everyone', () => {
    const events = [dispatched({ company: 'HC1', at: at(RECEIVED, HOUR), receivedAt: RECEIVED, method: 'manual' })];
    expect(on(events, 'authority', 'AU210100', '2026-11').onTimeDispatched).toBe(1);
    expect(on(events, 'company', 'HC1', '2026-11').onTimeDispatched).toBe(1);
  });

  it('a manual re-dispatch after a decided return (previousCompanyId) is not a hand dispatch: late for the company too', () => {
    const events = [
      dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED }),
      dispatched({ company: 'HC2', at: at(RECEIVED, 3 * HOUR), receivedAt: RECEIVED, method: 'manual', previous: 'HC1' }),
    ];
    expect(on(events, 'company', 'HC2', '2026-11').onTimeDispatched).toBe(0);
  });
});

describe('反馈率 and 办件天数: once per case, for the final company, measured from the final dispatch', () => {
  it('handling time is feedback − final dispatch, in whole milliseconds (1.5 days)', () => {
    const events = [dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED }), feedback(at(SOON, 36 * HOUR))];
    expect(on(events, 'company', 'HC1', '2026-11')).toMatchObject({ withFeedback: 1, feedbackMs: 36 * HOUR });
  });

  it('after a re-dispatch the time counts from when the final company received the case', () => {
    const redispatchAt = at(RECEIVED, 24 * HOUR);
    const events = [
      dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED }),
      dispatched({ company: 'HC2', at: redispatchAt, receivedAt: RECEIVED, previous: 'HC1', method: 'manual' }),
      feedback(at(redispatchAt, 12 * HOUR), 'HC2'),
    ];
    expect(on(events, 'company', 'HC2', '2026-11').feedbackMs).toBe(12 * HOUR);
  });

  it('a feedback delivered twice counts once; of two feedbacks the earliest is kept', () => {
    const d = dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED });
    const events = [d, feedback(at(SOON, 2 * HOUR)), feedback(at(SOON, 5 * HOUR)), feedback(at(SOON, 2 * HOUR))];
    expect(on(events, 'company', 'HC1', '2026-11')).toMatchObject({ withFeedback: 1, feedbackMs: 2 * HOUR });
  });
});

describe('办结率: a case closed counts once, for the final company', () => {
  it('closed twice is closed once', () => {
    const events = [dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED }), closed(at(SOON, HOUR)), closed(at(SOON, HOUR))];
    expect(on(events, 'company', 'HC1', '2026-11').closed).toBe(1);
  });
});

describe('满意率: a fresh survey after a rectification REPLACES the case’s earlier rating', () => {
  const d = dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED });
  const bad = rated('11111111-0000-4000-8000-000000000001', 'dissatisfied', at(SOON, 48 * HOUR));
  const good = rated('11111111-0000-4000-8000-000000000002', 'satisfied', at(SOON, 120 * HOUR));

  it('the case is rated once, with its latest rating', () => {
    expect(on([d, bad, good], 'company', 'HC1', '2026-11')).toMatchObject({ rated: 1, satisfied: 1, dissatisfied: 0 });
  });

  it('the counters move −不满意, +满意 when the fresh survey arrives', () => {
    const [row] = counterDeltas(stateOf([d, bad]), stateOf([d, bad, good])).filter((r) => r.unitType === 'company');
    expect(row.counters).toMatchObject({ rated: 0, dissatisfied: -1, satisfied: 1 });
  });

  it('the earlier survey arriving after the fresh one changes nothing', () => {
    expect(sameState(stateOf([d, good]), stateOf([d, good, bad]))).toBe(true);
  });

  it('基本满意 counts as a rating of its own kind', () => {
    expect(on([d, rated('s', 'basically_satisfied', at(SOON, HOUR))], 'company', 'HC1', '2026-11')).toMatchObject({ rated: 1, basicallySatisfied: 1 });
  });
});

describe('满意率 with survey rounds: the fresh survey after a rectification (round 2) replaces round 1; the case is rated once', () => {
  const d = dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED });
  const round1Bad = rated('11111111-0000-4000-8000-000000000001', 'dissatisfied', at(SOON, 48 * HOUR), 1);
  const round2Good = rated('11111111-0000-4000-8000-000000000002', 'satisfied', at(SOON, 120 * HOUR), 2);

  it('不满意 in round 1, 满意 in round 2: rated 1, 满意 1, 不满意 0 (the bad rating is replaced, not added to)', () => {
    expect(on([d, round1Bad, round2Good], 'company', 'HC1', '2026-11')).toMatchObject({ rated: 1, satisfied: 1, dissatisfied: 0 });
    expect(on([d, round1Bad, round2Good], 'authority', 'AU210100', '2026-11')).toMatchObject({ rated: 1, satisfied: 1, dissatisfied: 0 });
  });

  it('不满意 again in round 2: still rated 1, 不满意 1 — never two ratings for one case', () => {
    const round2Bad = rated('11111111-0000-4000-8000-000000000003', 'dissatisfied', at(SOON, 120 * HOUR), 2);
    expect(on([d, round1Bad, round2Bad], 'company', 'HC1', '2026-11')).toMatchObject({ rated: 1, dissatisfied: 1, satisfied: 0 });
  });

  it('the higher round wins even when its rating time is not later (clocks of two replicas), in either delivery order', () => {
    const skewed = rated('11111111-0000-4000-8000-000000000004', 'basically_satisfied', at(SOON, 48 * HOUR - 1000), 2);
    expect(on([d, round1Bad, skewed], 'company', 'HC1', '2026-11')).toMatchObject({ rated: 1, basicallySatisfied: 1, dissatisfied: 0 });
    expect(sameState(stateOf([d, skewed, round1Bad]), stateOf([d, round1Bad, skewed]))).toBe(true);
  });

  it('a rating without a round (older producers) is round 1: a round-2 rating replaces it', () => {
    const legacy = rated('11111111-0000-4000-8000-000000000005', 'dissatisfied', at(SOON, 200 * HOUR));
    expect(on([d, legacy, round2Good], 'company', 'HC1', '2026-11')).toMatchObject({ rated: 1, satisfied: 1, dissatisfied: 0 });
  });

  it('round 1 arriving after round 2 (or round 2 delivered twice) changes nothing', () => {
    const after = stateOf([d, round2Good]);
    expect(applyEvent(after, ...round1Bad)).toBe(after);
    expect(applyEvent(after, ...round2Good)).toBe(after);
  });

  it('the counters move −不满意, +满意 when round 2 arrives; rated does not move', () => {
    const [row] = counterDeltas(stateOf([d, round1Bad]), stateOf([d, round1Bad, round2Good])).filter((r) => r.unitType === 'company');
    expect(row.counters).toMatchObject({ rated: 0, dissatisfied: -1, satisfied: 1 });
  });

  it('a state stored before rounds existed (no round on its rating) reads as round 1 and is still replaced by round 2', () => {
    const stored = JSON.parse(JSON.stringify(stateOf([d, rated('11111111-0000-4000-8000-000000000006', 'dissatisfied', at(SOON, 300 * HOUR))])));
    delete stored.rating.round;
    const read = stateFromJson(stored);
    expect(read.rating).toMatchObject({ rating: 'dissatisfied', round: 1 });
    expect(canonicalState(applyEvent(read, ...round2Good)).rating).toMatchObject({ rating: 'satisfied', round: 2 });
  });

  it('after round 2 is 不满意 and its reconsideration is approved, the case leaves the base once', () => {
    const round2Bad = rated('11111111-0000-4000-8000-000000000003', 'dissatisfied', at(SOON, 120 * HOUR), 2);
    const approved = badRating('b2', 'reconsideration_decided', { approved: true }, at(SOON, 150 * HOUR));
    expect(on([d, round1Bad, round2Bad, approved], 'company', 'HC1', '2026-11')).toMatchObject({ rated: 1, dissatisfied: 1, approvedReconsiderations: 1 });
  });
});

describe('an approved reconsideration (复议通过) takes the case out of the rated base', () => {
  const d = dispatched({ company: 'HC1', at: SOON, receivedAt: RECEIVED });
  const bad = rated('s1', 'dissatisfied', at(SOON, 48 * HOUR));
  const approved = badRating('b1', 'reconsideration_decided', { approved: true }, at(SOON, 100 * HOUR));

  it('rated 1, 不满意 1, approved 1: the base (rated − approved) is 0', () => {
    const c = on([d, bad, approved], 'company', 'HC1', '2026-11');
    expect(c).toMatchObject({ rated: 1, dissatisfied: 1, approvedReconsiderations: 1 });
    expect(on([d, bad, approved], 'authority', 'AU210100', '2026-11').approvedReconsiderations).toBe(1);
  });

  it('a rejected reconsideration and the other workflow steps change nothing', () => {
    const steps = [
      badRating('b1', 'opened', {}, at(SOON, 49 * HOUR)),
      badRating('b1', 'classified', { classification: 'unreasonable' }, at(SOON, 50 * HOUR)),
      badRating('b1', 'reconsideration_decided', { approved: false }, at(SOON, 60 * HOUR)),
    ];
    expect(sameState(stateOf([d, bad, ...steps]), stateOf([d, bad]))).toBe(true);
  });

  it('the approval is counted once, however often it is delivered', () => {
    expect(on([d, bad, approved, approved], 'company', 'HC1', '2026-11').approvedReconsiderations).toBe(1);
  });

  it('an approval arriving before the rating it removes is held until the rating arrives (the base never goes below 0)', () => {
    expect(on([d, approved], 'company', 'HC1', '2026-11')).toMatchObject({ rated: 0, approvedReconsiderations: 0 });
    expect(on([d, approved, bad], 'company', 'HC1', '2026-11')).toMatchObject({ rated: 1, approvedReconsiderations: 1 });
  });

  it('only a 不满意 rating is taken out: a later 满意 survey leaves nothing for the approval to remove', () => {
    const c = on([d, bad, approved, rated('s2', 'satisfied', at(SOON, 200 * HOUR))], 'company', 'HC1', '2026-11');
    expect(c).toMatchObject({ rated: 1, satisfied: 1, approvedReconsiderations: 0 });
  });
});

describe('a failed province spot-check costs the company 1 point, in the month of the case', () => {
  const d = dispatched({ company: 'HC1', at: '2026-11-20T02:00:00.000Z', receivedAt: '2026-11-20T01:00:00.000Z' });
  const faked = badRating('b1', 'spot_checked', { finding: 'faked' }, '2026-12-15T02:00:00.000Z');

  it('one failed check (假办结) counts 1 for the company in 2026-11 (not in December, when it was found)', () => {
    expect(on([d, faked], 'company', 'HC1', '2026-11').failedSpotChecks).toBe(1);
    expect(on([d, faked], 'company', 'HC1', '2026-12').failedSpotChecks).toBe(0);
  });

  it('it costs the applying company, not its authority or city', () => {
    expect(on([d, faked], 'authority', 'AU210100', '2026-11').failedSpotChecks).toBe(0);
    expect(on([d, faked], 'city', '210100', '2026-11').failedSpotChecks).toBe(0);
  });

  it('不办结 and 被办结 fail too; confirmed costs nothing; the same check delivered twice costs once', () => {
    const notDone = badRating('b2', 'spot_checked', { finding: 'not_done' }, '2026-12-15T02:00:00.000Z');
    const overHead = badRating('b3', 'spot_checked', { finding: 'closed_over_head' }, '2026-12-15T02:00:00.000Z');
    const confirmed = badRating('b4', 'spot_checked', { finding: 'confirmed' }, '2026-12-15T02:00:00.000Z');
    expect(on([d, faked, faked, notDone, overHead, confirmed], 'company', 'HC1', '2026-11').failedSpotChecks).toBe(3);
  });
});

/* ---- any order, any duplication: the same counters, never negative ---- */

const COMPANIES = ['HC1', 'HC2', 'HC3'];

/** A plausible event history of one case, from a few random choices. */
const caseHistory: fc.Arbitrary<Ev[]> = fc
  .record({
    receivedOffsetMin: fc.integer({ min: 0, max: 60 * 24 * 40 }),
    firstDelayMin: fc.integer({ min: 1, max: 300 }),
    firstManual: fc.boolean(),
    redispatches: fc.array(fc.record({ company: fc.constantFrom(...COMPANIES), afterMin: fc.integer({ min: 1, max: 3000 }) }), { maxLength: 2 }),
    feedbackAfterMin: fc.option(fc.integer({ min: 1, max: 10_000 })),
    ratings: fc.array(fc.constantFrom('satisfied', 'basically_satisfied', 'dissatisfied'), { maxLength: 3 }),
    // Whether the ratings carry rounds (1, 2, 3 …) and how far each rating time may lag (replica clocks).
    withRounds: fc.boolean(),
    ratingLagsMin: fc.array(fc.integer({ min: 0, max: 3 * 24 * 60 }), { minLength: 3, maxLength: 3 }),
    approvals: fc.array(fc.boolean(), { maxLength: 2 }),
    findings: fc.array(fc.constantFrom('confirmed', 'not_done', 'closed_over_head', 'faked'), { maxLength: 2 }),
  })
  .map((h) => {
    const received = at('2026-10-25T00:00:00.000Z', h.receivedOffsetMin * 60_000);
    let t = at(received, h.firstDelayMin * 60_000);
    let company = 'HC1';
    const events: Ev[] = [dispatched({ company, at: t, receivedAt: received, method: h.firstManual ? 'manual' : 'auto' })];
    for (const r of h.redispatches) {
      t = at(t, r.afterMin * 60_000);
      events.push(dispatched({ company: r.company, authority: `AU-${r.company}`, at: t, receivedAt: received, method: 'manual', previous: company }));
      company = r.company;
    }
    if (h.feedbackAfterMin !== null) {
      const fb = at(t, h.feedbackAfterMin * 60_000);
      events.push(feedback(fb, company), closed(fb));
      h.ratings.forEach((rating, i) =>
        events.push(h.withRounds ? rated(`s${i}`, rating, at(fb, (i + 1) * 24 * HOUR - h.ratingLagsMin[i] * 60_000), i + 1) : rated(`s${i}`, rating, at(fb, (i + 1) * 24 * HOUR))),
      );
    }
    h.approvals.forEach((approved, i) => events.push(badRating(`b${i}`, 'reconsideration_decided', { approved }, at(t, (i + 5) * 24 * HOUR))));
    h.findings.forEach((finding, i) => events.push(badRating(`b${i}`, 'spot_checked', { finding }, at(t, (i + 20) * 24 * HOUR))));
    return events;
  });

/** A delivery: every event at least once, some more than once, in any order. */
const delivery = (events: Ev[]) =>
  fc
    .tuple(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), fc.array(fc.constantFrom(...events), { maxLength: 4 }))
    .chain(([all, dups]) => fc.shuffledSubarray([...all, ...dups], { minLength: all.length + dups.length, maxLength: all.length + dups.length }));

function rowsOf(map: Map<string, UnitMonthDelta>): Record<string, Counters> {
  const out: Record<string, Counters> = {};
  for (const [key, row] of map) if (COUNTER_KEYS.some((k) => row.counters[k] !== 0)) out[key] = row.counters;
  return out;
}

describe('duplicates and out-of-order delivery never double count and never go negative (property)', () => {
  it('any permutation and duplication of a case’s events gives the same state and the same counters', () => {
    fc.assert(
      fc.property(
        caseHistory.chain((events) => fc.tuple(fc.constant(events), delivery(events))),
        ([events, delivered]) => {
          const inOrder = stateOf(events);
          const shuffled = stateOf(delivered);
          expect(sameState(shuffled, inOrder)).toBe(true);
          expect(contributions(shuffled)).toEqual(contributions(inOrder));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('applying the deltas event by event, in any delivery, ends on exactly the case’s contributions and no counter is ever below 0', () => {
    fc.assert(
      fc.property(
        caseHistory.chain((events) => delivery(events)),
        (delivered) => {
          const running = new Map<string, UnitMonthDelta>();
          let state = EMPTY_CASE;
          let lowest = 0;
          for (const [type, payload] of delivered) {
            const next = applyEvent(state, type, payload);
            accumulate(running, counterDeltas(state, next));
            state = next;
            for (const row of running.values()) for (const k of COUNTER_KEYS) lowest = Math.min(lowest, row.counters[k]);
          }
          expect(lowest).toBe(0);
          const expected = new Map<string, UnitMonthDelta>();
          accumulate(expected, contributions(state));
          expect(rowsOf(running)).toEqual(rowsOf(expected));
          for (const row of contributions(state)) {
            expect(row.counters.dispatched).toBe(1);
            expect(row.counters.rated).toBeLessThanOrEqual(1);
            expect(row.counters.approvedReconsiderations).toBeLessThanOrEqual(row.counters.dissatisfied);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
