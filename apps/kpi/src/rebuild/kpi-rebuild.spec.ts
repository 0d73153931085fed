import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { EVENT_CONTRACTS, Inbox, ManualClock, openDataSource, shanghaiMonth } from '#shared';
import type { EventEnvelope, EventType, Rating } from '#shared';
import { KpiEventsConsumer } from '../events/kpi-events.consumer.js';
import { KpiProjector } from '../events/kpi-projector.js';
import { ON_TIME_DISPATCH_MS } from '../indicators/indicator-formulas.js';
import { KPI_SCHEMA } from '../kpi-schema.js';
import { KpiRebuilder } from './kpi-rebuilder.js';

/*
 * Rebuild = incremental, over a whole generated season on a real (PGlite) database:
 * 2,000 cases over three cities' companies and authorities and four months, with feedback,
 * closures, ratings, re-dispatches, hand dispatches, re-surveys after rectification, approved and
 * rejected reconsiderations, passed and failed spot-checks, and the events kpi stores but does not
 * count. They go through the consumer (inbox, kpi_event, projection) shuffled, some delivered twice;
 * a delivery whose handler throws is put back at the end of the queue, as the bus retries it.
 * Then the read model is rebuilt from kpi_event alone: the same rows, to the last counter.
 * Both are also checked against counters worked out from the generator's own case records.
 */

/** Small deterministic PRNG (mulberry32): the season is the same on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    uuid: () => {
      const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16));
      hex[12] = '4';
      hex[16] = '8';
      const h = hex.join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    shuffle: <T>(xs: T[]): T[] => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [xs[i], xs[j]] = [xs[j], xs[i]];
      }
      return xs;
    },
  };
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

interface Company {
  id: string;
  authorityId: string;
  cityCode: string;
}
const COMPANIES: Company[] = [
  { id: 'HC0001', authorityId: 'AU210100', cityCode: '210100' },
  { id: 'HC0002', authorityId: 'AU210100', cityCode: '210100' },
  { id: 'HC0003', authorityId: 'AU210102', cityCode: '210100' },
  { id: 'HC0101', authorityId: 'AU210200', cityCode: '210200' },
  { id: 'HC0102', authorityId: 'AU210200', cityCode: '210200' },
  { id: 'HC0201', authorityId: 'AU210300', cityCode: '210300' },
];

/** What the generator knows about a case, to work the counters out independently of the events. */
interface CaseRecord {
  month: string;
  final: Company;
  finalDispatchAt: number;
  receivedAt: number;
  handDispatch: boolean;
  feedbackAt: number | null;
  closed: boolean;
  rating: Rating | null;
  approved: boolean;
  failedChecks: number;
}

interface Season {
  envelopes: EventEnvelope[];
  cases: CaseRecord[];
}

function envelope(r: ReturnType<typeof prng>, type: EventType, at: number, payload: Record<string, unknown>): EventEnvelope {
  const producer = type === 'complaint.received' ? 'intake' : type === 'survey.rated' ? 'sms-survey' : 'dispatch';
  return { id: r.uuid(), type, version: EVENT_CONTRACTS[type].version, occurredAt: new Date(at).toISOString(), producer, payload };
}

function generateSeason(seed: number, caseCount: number): Season {
  const r = prng(seed);
  const envelopes: EventEnvelope[] = [];
  const cases: CaseRecord[] = [];
  const seasonStart = Date.parse('2025-11-01T00:00:00+08:00');
  const seasonLength = Date.parse('2026-03-01T00:00:00+08:00') - seasonStart;
  const iso = (t: number) => new Date(t).toISOString();
  for (let n = 0; n < caseCount; n++) {
    const caseId = r.uuid();
    const caseNumber = `GR${String(n).padStart(6, '0')}`;
    // Many cases near the month ends, so first dispatch and re-dispatch often fall in different months.
    const receivedAt = r.chance(0.15) ? Date.parse('2025-11-30T22:30:00+08:00') + r.int(0, 3 * HOUR) : seasonStart + r.int(0, seasonLength - 20 * DAY);
    const first = r.pick(COMPANIES);
    const base = { caseId, caseNumber };
    envelopes.push(
      envelope(r, 'complaint.received', receivedAt, {
        ...base,
        channel: 'hotline',
        type: 'complaint',
        category: 'too_cold',
        communityName: '小区',
        address: { cityCode: first.cityCode, districtCode: '210102', street: '街' },
        description: '不热',
        receivedAt: iso(receivedAt),
      }),
    );
    const handDispatch = r.chance(0.12);
    let at = receivedAt + (handDispatch ? r.int(20 * MIN, 6 * HOUR) : r.chance(0.9) ? r.int(1, 100 * MIN) : r.int(2 * HOUR - 5 * MIN, 5 * HOUR));
    const dispatch = (c: Company, t: number, method: 'auto' | 'manual', previous?: string) =>
      envelope(r, 'case.dispatched', t, {
        ...base,
        companyId: c.id,
        authorityId: c.authorityId,
        cityCode: c.cityCode,
        method,
        reason: 'r',
        receivedAt: iso(receivedAt),
        dispatchedAt: iso(t),
        dueAt: iso(t + 3 * DAY),
        ...(previous ? { previousCompanyId: previous } : {}),
      });
    envelopes.push(dispatch(first, at, handDispatch ? 'manual' : 'auto'));
    const month = shanghaiMonth(new Date(at));
    let final = first;
    let finalHand = handDispatch;
    const redispatches = r.chance(0.1) ? r.int(1, 2) : 0;
    for (let i = 0; i < redispatches; i++) {
      const next = r.pick(COMPANIES.filter((c) => c.id !== final.id));
      at += r.int(30 * MIN, 2 * DAY);
      envelopes.push(dispatch(next, at, 'manual', final.id));
      final = next;
      finalHand = false;
    }
    const ids = { companyId: final.id, authorityId: final.authorityId };
    const record: CaseRecord = { month, final, finalDispatchAt: at, receivedAt, handDispatch: finalHand, feedbackAt: null, closed: false, rating: null, approved: false, failedChecks: 0 };
    cases.push(record);
    if (r.chance(0.05)) envelopes.push(envelope(r, 'case.overdue', at + 3 * DAY, { ...base, ...ids, dueAt: iso(at + 3 * DAY), overdueAt: iso(at + 3 * DAY) }));
    if (!r.chance(0.92)) continue;
    const fb = at + r.int(2 * HOUR, 8 * DAY);
    record.feedbackAt = fb;
    record.closed = true;
    envelopes.push(envelope(r, 'case.feedback_submitted', fb, { ...base, ...ids, resolution: 'fixed', summary: 's', dispatchedAt: iso(at), submittedAt: iso(fb) }));
    envelopes.push(envelope(r, 'case.closed', fb, { ...base, ...ids, resolution: 'fixed', closedAt: iso(fb) }));
    if (!r.chance(0.85)) continue;
    let t = fb + r.int(HOUR, 2 * DAY);
    const rate = (rating: Rating) => {
      envelopes.push(envelope(r, 'survey.rated', t, { surveyId: r.uuid(), ...base, ...ids, rating, via: 'sms', ratedAt: iso(t) }));
      record.rating = rating;
    };
    const u = r.next();
    rate(u < 0.72 ? 'satisfied' : u < 0.86 ? 'basically_satisfied' : 'dissatisfied');
    // 差评处理: each 不满意 rating opens a bad rating; a re-survey may be 不满意 again (up to three rounds).
    for (let round = 0; round < 3 && record.rating === 'dissatisfied'; round++) {
      const badRatingId = r.uuid();
      const step = (s: string, extra: Record<string, unknown> = {}) => {
        t += r.int(HOUR, DAY);
        envelopes.push(envelope(r, 'bad_rating.updated', t, { badRatingId, ...base, ...ids, cityCode: final.cityCode, step: s, at: iso(t), ...extra }));
      };
      step('opened');
      step('called_back');
      const unreasonable = r.chance(0.5);
      step('classified', { classification: unreasonable ? 'unreasonable' : 'reasonable' });
      if (unreasonable) {
        step('reconsideration_applied');
        const approved = r.chance(0.6);
        step('reconsideration_decided', { approved });
        if (approved) {
          record.approved = true;
          if (r.chance(0.5)) {
            const finding = r.pick(['confirmed', 'confirmed', 'not_done', 'closed_over_head', 'faked'] as const);
            step('spot_checked', { finding });
            if (finding !== 'confirmed') record.failedChecks += 1;
          }
          break;
        }
      }
      step('rectified');
      t += r.int(HOUR, 2 * DAY);
      rate(r.chance(0.65) ? 'satisfied' : r.chance(0.5) ? 'basically_satisfied' : 'dissatisfied');
    }
    // An approval counts while the case's rating is the 不满意 it took out.
    if (record.rating !== 'dissatisfied') record.approved = false;
  }
  return { envelopes, cases };
}

type Row = Record<string, string | number>;

/** unit_month worked out from the generator's case records (the rules of docs/kpi.md, applied directly). */
function expectedUnitMonths(cases: CaseRecord[]): Row[] {
  const rows = new Map<string, Row>();
  const add = (unitType: string, unitId: string, month: string, c: CaseRecord) => {
    const key = `${unitType}|${unitId}|${month}`;
    const row = rows.get(key) ?? {
      unit_type: unitType,
      unit_id: unitId,
      month,
      dispatched: 0,
      on_time_dispatched: 0,
      with_feedback: 0,
      feedback_ms_sum: 0,
      closed: 0,
      rated: 0,
      satisfied: 0,
      basically_satisfied: 0,
      dissatisfied: 0,
      approved_reconsiderations: 0,
      failed_spot_checks: 0,
    };
    const inc = (k: string, by = 1) => (row[k] = (row[k] as number) + by);
    inc('dispatched');
    const onTime = c.finalDispatchAt - c.receivedAt <= ON_TIME_DISPATCH_MS;
    if (onTime || (unitType === 'company' && c.handDispatch)) inc('on_time_dispatched');
    if (c.feedbackAt !== null) {
      inc('with_feedback');
      inc('feedback_ms_sum', c.feedbackAt - c.finalDispatchAt);
    }
    if (c.closed) inc('closed');
    if (c.rating) {
      inc('rated');
      inc(c.rating);
      if (c.approved) inc('approved_reconsiderations');
    }
    if (unitType === 'company') inc('failed_spot_checks', c.failedChecks);
    rows.set(key, row);
  };
  for (const c of cases) {
    add('company', c.final.id, c.month, c);
    add('authority', c.final.authorityId, c.month, c);
    add('city', c.final.cityCode, c.month, c);
  }
  return sortRows([...rows.values()]);
}

function sortRows(rows: Row[]): Row[] {
  const key = (r: Row) => `${r.unit_type}|${r.unit_id}|${r.month}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

async function unitMonthRows(ds: DataSource): Promise<Row[]> {
  const rows: Row[] = await ds.query(`SELECT * FROM unit_month ORDER BY unit_type, unit_id, month`);
  return sortRows(rows.map((r) => ({ ...r, feedback_ms_sum: Number(r.feedback_ms_sum) })));
}

async function caseRows(ds: DataSource): Promise<unknown[]> {
  return ds.query(`SELECT * FROM kpi_case ORDER BY case_id`);
}

async function linkRows(ds: DataSource): Promise<unknown[]> {
  return ds.query(`SELECT * FROM kpi_unit_link ORDER BY company_id, authority_id, city_code`);
}

/**
 * Feeds envelopes through the consumer path as the bus delivers them: in the given order, a
 * failed delivery retried later (at the back of the queue), at most `maxAttempts` times.
 */
async function deliver(consumer: KpiEventsConsumer, deliveries: EventEnvelope[], maxAttempts = 5): Promise<{ retried: number }> {
  const queue = deliveries.map((env) => ({ env, attempt: 1 }));
  let retried = 0;
  for (let i = 0; i < queue.length; i++) {
    const d = queue[i];
    try {
      // The bus hands each consumer its own copy (messages are serialised on publish).
      await consumer.handle(JSON.parse(JSON.stringify(d.env)));
    } catch (error) {
      if (d.attempt >= maxAttempts) throw error;
      retried++;
      queue.push({ env: d.env, attempt: d.attempt + 1 });
    }
  }
  return { retried };
}

/** Every envelope once, 8 % a second time (a redelivery: same message id), all shuffled. */
function busOrder(envelopes: EventEnvelope[], seed: number): EventEnvelope[] {
  const r = prng(seed);
  const all = [...envelopes];
  for (const e of envelopes) if (r.chance(0.08)) all.push(e);
  return r.shuffle(all);
}

describe('the rebuild from kpi_event gives exactly the read model the incremental consumer built (a generated season)', () => {
  const season = generateSeason(20261129, 2_000);
  let dataDir: string;
  let ds: DataSource;
  let consumer: KpiEventsConsumer;
  let rebuilder: KpiRebuilder;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kpi-rebuild-'));
    ds = await openDataSource({ kind: 'pglite', dataDir }, KPI_SCHEMA);
    consumer = new KpiEventsConsumer(new Inbox(ds), new KpiProjector(new ManualClock(new Date('2026-03-01T00:00:00Z'))));
    rebuilder = new KpiRebuilder(ds);
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the season has what the rules are about: re-dispatches, hand dispatches, re-surveys, approvals, failed spot-checks', () => {
    const count = (pred: (e: EventEnvelope) => boolean) => season.envelopes.filter(pred).length;
    const p = (e: EventEnvelope) => e.payload as Record<string, unknown>;
    expect(count((e) => e.type === 'case.dispatched' && p(e).previousCompanyId !== undefined)).toBeGreaterThan(100);
    expect(count((e) => e.type === 'case.dispatched' && p(e).method === 'manual' && p(e).previousCompanyId === undefined)).toBeGreaterThan(100);
    const surveysPerCase = new Map<string, number>();
    for (const e of season.envelopes) if (e.type === 'survey.rated') surveysPerCase.set(String(p(e).caseId), (surveysPerCase.get(String(p(e).caseId)) ?? 0) + 1);
    expect([...surveysPerCase.values()].filter((n) => n > 1).length).toBeGreaterThan(50);
    expect(count((e) => e.type === 'bad_rating.updated' && p(e).step === 'reconsideration_decided' && p(e).approved === true)).toBeGreaterThan(20);
    expect(count((e) => e.type === 'bad_rating.updated' && p(e).step === 'spot_checked' && p(e).finding !== 'confirmed')).toBeGreaterThan(5);
    expect(new Set(season.cases.map((c) => c.month)).size).toBeGreaterThanOrEqual(4);
  });

  it('delivered shuffled and partly twice through the consumer (no event waits for another), then rebuilt: the same unit_month rows, cases and links', async () => {
    const delivered = busOrder(season.envelopes, 7);
    const { retried } = await deliver(consumer, delivered);
    expect(retried).toBe(0); // a fact arriving before its case's dispatch is kept, not refused
    const stored = await ds.query(`SELECT count(*)::int AS n FROM kpi_event`);
    expect(stored[0].n).toBe(season.envelopes.length); // each message stored once

    const incremental = { unitMonths: await unitMonthRows(ds), cases: await caseRows(ds), links: await linkRows(ds) };
    expect(incremental.unitMonths).toEqual(expectedUnitMonths(season.cases));

    const result = await rebuilder.rebuild();
    expect(result).toMatchObject({ cases: season.cases.length, unitMonths: incremental.unitMonths.length, unitLinks: incremental.links.length });
    expect(await unitMonthRows(ds)).toEqual(incremental.unitMonths);
    expect(await caseRows(ds)).toEqual(incremental.cases);
    expect(await linkRows(ds)).toEqual(incremental.links);
  }, 600_000);

  it('after a rebuild the consumer goes on from the rebuilt state: a rebuild mid-season, the rest delivered, equals a rebuild at the end', async () => {
    // A second season on the same tables: half delivered, rebuilt, the other half delivered.
    const more = generateSeason(42, 300);
    const delivered = busOrder(more.envelopes, 11);
    const half = Math.floor(delivered.length / 2);
    await deliver(consumer, delivered.slice(0, half));
    await rebuilder.rebuild();
    await deliver(consumer, delivered.slice(half));
    const incremental = await unitMonthRows(ds);
    expect(incremental).toEqual(expectedUnitMonths([...season.cases, ...more.cases]));
    await rebuilder.rebuild();
    expect(await unitMonthRows(ds)).toEqual(incremental);
  }, 600_000);
});
