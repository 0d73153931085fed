import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EVENT_CONTRACTS, InProcessBus, loadServiceConfig, ManualClock, startService, TokenService } from '#shared';
import type { EventEnvelope, EventType } from '#shared';
import { KPI_DOCS, KpiModule } from '../../apps/kpi/src/kpi.module.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';

/*
 * The kpi service on its own (PGlite + in-process bus), fed a small December over the bus, asked
 * through its HTTP API as the province, authorities and companies see it: indicators, rankings,
 * the red/black list, the errors, and the rebuild.
 *
 * December 2025 (Asia/Shanghai), "now" 2026-01-15:
 * - HC0001 (AU210100, 沈阳 210100): 12 cases on time, feedback after 1 day, 9 满意 + 1 基本满意 +
 *   2 不满意, one of them reconsidered away and then failed at the spot-check → (10 ÷ 11) − 1 = 89.9 %.
 *   A 13th case went to HC0001 first and was re-dispatched to HC0002: it counts for HC0002 only.
 * - HC0002 (AU210102 县级, 沈阳): 3 cases (one on time, one the authority's hand dispatch 3 h after
 *   intake, the re-dispatched one 5 h after intake), all 满意 after half a day → 100 %, too few to rank.
 * - HC0003 (AU210100, 沈阳): 10 cases, feedback after 3 days, 8 满意 + 2 不满意 → 80 %.
 * - HC0101 (AU210200, 大连 210200): 12 cases, 6 dispatched 3 h after intake, 10 fed back after
 *   2 days and rated 满意 → 100 %.
 */

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const MONTH = '2025-12';
const NOW = '2026-01-15T04:00:00.000Z';

interface Unit {
  companyId: string;
  authorityId: string;
  cityCode: string;
}
const HC0001: Unit = { companyId: 'HC0001', authorityId: 'AU210100', cityCode: '210100' };
const HC0002: Unit = { companyId: 'HC0002', authorityId: 'AU210102', cityCode: '210100' };
const HC0003: Unit = { companyId: 'HC0003', authorityId: 'AU210100', cityCode: '210100' };
const HC0101: Unit = { companyId: 'HC0101', authorityId: 'AU210200', cityCode: '210200' };

function envelope(type: EventType, at: number, payload: Record<string, unknown>): EventEnvelope {
  return { id: randomUUID(), type, version: EVENT_CONTRACTS[type].version, occurredAt: new Date(at).toISOString(), producer: 'dispatch', payload };
}

/** The events of one case: dispatch(es), then optionally feedback + closure, a rating and bad-rating steps. */
function caseEvents(o: {
  unit: Unit;
  day: number;
  dispatchAfterMs?: number;
  method?: 'auto' | 'manual';
  redispatch?: { to: Unit; afterMs: number };
  feedbackAfterMs?: number;
  rating?: 'satisfied' | 'basically_satisfied' | 'dissatisfied';
  approved?: boolean;
  spotCheck?: 'confirmed' | 'faked';
}): EventEnvelope[] {
  const caseId = randomUUID();
  const base = { caseId, caseNumber: `GR-${caseId.slice(0, 8)}` };
  const received = Date.parse(`2025-12-${String(o.day).padStart(2, '0')}T09:00:00+08:00`);
  const iso = (t: number) => new Date(t).toISOString();
  const dispatch = (u: Unit, t: number, method: 'auto' | 'manual', previous?: string) =>
    envelope('case.dispatched', t, {
      ...base,
      companyId: u.companyId,
      authorityId: u.authorityId,
      cityCode: u.cityCode,
      method,
      reason: '按换热站分转',
      receivedAt: iso(received),
      dispatchedAt: iso(t),
      dueAt: iso(t + 3 * DAY),
      ...(previous ? { previousCompanyId: previous } : {}),
    });
  let at = received + (o.dispatchAfterMs ?? 30 * 60 * 1000);
  const events = [dispatch(o.unit, at, o.method ?? 'auto')];
  let final = o.unit;
  if (o.redispatch) {
    at = received + o.redispatch.afterMs;
    events.push(dispatch(o.redispatch.to, at, 'manual', o.unit.companyId));
    final = o.redispatch.to;
  }
  const ids = { companyId: final.companyId, authorityId: final.authorityId };
  if (o.feedbackAfterMs === undefined) return events;
  const fb = at + o.feedbackAfterMs;
  events.push(envelope('case.feedback_submitted', fb, { ...base, ...ids, resolution: 'fixed', summary: '已处理', dispatchedAt: iso(at), submittedAt: iso(fb) }));
  events.push(envelope('case.closed', fb, { ...base, ...ids, resolution: 'fixed', closedAt: iso(fb) }));
  if (!o.rating) return events;
  const ratedAt = fb + HOUR;
  events.push(envelope('survey.rated', ratedAt, { surveyId: randomUUID(), ...base, ...ids, rating: o.rating, via: 'sms', ratedAt: iso(ratedAt) }));
  const badRatingId = randomUUID();
  const step = (s: string, t: number, extra: Record<string, unknown>) =>
    envelope('bad_rating.updated', t, { badRatingId, ...base, ...ids, cityCode: final.cityCode, step: s, at: iso(t), ...extra });
  if (o.approved !== undefined) events.push(step('reconsideration_decided', ratedAt + DAY, { approved: o.approved }));
  if (o.spotCheck) events.push(step('spot_checked', ratedAt + 5 * DAY, { finding: o.spotCheck }));
  return events;
}

function december(): EventEnvelope[] {
  const events: EventEnvelope[] = [];
  const hc0001Ratings = [...Array(9).fill('satisfied'), 'basically_satisfied', 'dissatisfied', 'dissatisfied'] as const;
  hc0001Ratings.forEach((rating, i) =>
    events.push(...caseEvents({ unit: HC0001, day: 1 + i, feedbackAfterMs: DAY, rating, ...(i === 11 ? { approved: true, spotCheck: 'faked' as const } : {}) })),
  );
  events.push(...caseEvents({ unit: HC0002, day: 3, feedbackAfterMs: DAY / 2, rating: 'satisfied' }));
  events.push(...caseEvents({ unit: HC0002, day: 4, method: 'manual', dispatchAfterMs: 3 * HOUR, feedbackAfterMs: DAY / 2, rating: 'satisfied' }));
  events.push(...caseEvents({ unit: HC0001, day: 5, redispatch: { to: HC0002, afterMs: 5 * HOUR }, feedbackAfterMs: DAY / 2, rating: 'satisfied' }));
  for (let i = 0; i < 10; i++) events.push(...caseEvents({ unit: HC0003, day: 10 + i, feedbackAfterMs: 3 * DAY, rating: i < 8 ? 'satisfied' : 'dissatisfied' }));
  for (let i = 0; i < 12; i++) {
    events.push(...caseEvents({ unit: HC0101, day: 2 + i, dispatchAfterMs: i < 6 ? 3 * HOUR : HOUR, ...(i < 10 ? { feedbackAfterMs: 2 * DAY, rating: 'satisfied' as const } : {}) }));
  }
  // The bus may deliver in any order: the last events first.
  return events.reverse();
}

describe('kpi API: indicators, rankings and the red/black list, scoped by role', () => {
  let app: INestApplication;
  let bus: InProcessBus;
  let url: string;
  let dataDir: string;
  let tokens: TokenService;
  let province: string;
  let shenyang: string;
  let heping: string;
  let dalian: string;
  let hc0001: string;
  const published = december();

  const get = (path: string, token: string) => call('GET', `${url}${path}`, token);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kpi-e2e-'));
    const authSecret = randomBytes(32).toString('base64url');
    const config = loadServiceConfig('kpi', { ...process.env, HEATING_MODE: 'embedded', DATA_DIR: dataDir, KPI_PORT: '0' }, 'embedded');
    bus = new InProcessBus();
    const runtime = { config, clock: new ManualClock(NOW), broker: { kind: 'in-process' as const, bus }, authSecret };
    app = await startService(KpiModule.register(runtime), runtime, KPI_DOCS);
    url = `http://${config.host}:${(app.getHttpServer().address() as AddressInfo).port}`;
    tokens = new TokenService(authSecret);
    province = await tokens.sign({ sub: 'prov', role: 'province' }, 3600);
    shenyang = await tokens.sign({ sub: 'sy', role: 'authority', unitId: 'AU210100', regionCode: '210100' }, 3600);
    heping = await tokens.sign({ sub: 'hp', role: 'authority', unitId: 'AU210102', regionCode: '210102' }, 3600);
    dalian = await tokens.sign({ sub: 'dl', role: 'authority', unitId: 'AU210200', regionCode: '210200' }, 3600);
    hc0001 = await tokens.sign({ sub: 'duty', role: 'company', unitId: 'HC0001' }, 3600);
    for (const e of published) bus.publish(e);
    const ds = app.get(DataSource);
    await eventually(async () => {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM kpi_event`);
      return n === published.length ? true : undefined;
    }, 60_000, 'kpi to store every event');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    bus?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('GET /api/v1/indicators/{unitType}/{unitId}', () => {
    it('HC0001: 12 cases (the re-dispatched one left), satisfaction (9 + 1) ÷ (12 − 1) = 90.9 % minus 1 point for the failed spot-check = 89.9 %', async () => {
      const r = await get(`/api/v1/indicators/company/HC0001?month=${MONTH}`, province);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ unitType: 'company', unitId: 'HC0001', month: MONTH });
      expect(r.body.counts).toMatchObject({ dispatched: 12, onTimeDispatched: 12, withFeedback: 12, closed: 12, rated: 12, satisfied: 9, basicallySatisfied: 1, dissatisfied: 2, approvedReconsiderations: 1, failedSpotChecks: 1 });
      expect(r.body.counts.feedbackDaysSum).toBe(12);
      expect(r.body.indicators.satisfactionRate).toMatchObject({ value: 89.9, numerator: 10, denominator: 11 });
      expect(r.body.indicators.handlingDays.value).toBe(1);
    });

    it('HC0002: the re-dispatched case counts here; the hand dispatch is on time for the company (2 of 3) but late for its authority (1 of 3)', async () => {
      const company = (await get(`/api/v1/indicators/company/HC0002?month=${MONTH}`, province)).body;
      expect(company.counts).toMatchObject({ dispatched: 3, onTimeDispatched: 2, withFeedback: 3, rated: 3, satisfied: 3 });
      expect(company.indicators.onTimeDispatchRate.value).toBe(66.7);
      const authority = (await get(`/api/v1/indicators/authority/AU210102?month=${MONTH}`, province)).body;
      expect(authority.counts).toMatchObject({ dispatched: 3, onTimeDispatched: 1 });
      expect(authority.indicators.onTimeDispatchRate.value).toBe(33.3);
    });

    it('an authority and a city sum the cases of their companies: AU210100 22, 沈阳 210100 25', async () => {
      expect((await get(`/api/v1/indicators/authority/AU210100?month=${MONTH}`, province)).body.counts.dispatched).toBe(22);
      expect((await get(`/api/v1/indicators/city/210100?month=${MONTH}`, province)).body.counts.dispatched).toBe(25);
    });

    it('a known unit in a month without cases has zero counts and no figures (null), not 0 %', async () => {
      const r = await get('/api/v1/indicators/company/HC0001?month=2025-11', province);
      expect(r.status).toBe(200);
      expect(r.body.counts.dispatched).toBe(0);
      expect(r.body.indicators.satisfactionRate.value).toBeNull();
    });

    it('a company sees its own figures only', async () => {
      expect((await get(`/api/v1/indicators/company/HC0001?month=${MONTH}`, hc0001)).status).toBe(200);
      const other = await get(`/api/v1/indicators/company/HC0101?month=${MONTH}`, hc0001);
      expect(other).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
      expect((await get(`/api/v1/indicators/authority/AU210100?month=${MONTH}`, hc0001)).status).toBe(403);
    });

    it('a city authority sees itself, its city, the companies and county authorities the dispatches place in its city — not another city', async () => {
      for (const path of ['authority/AU210100', 'city/210100', 'company/HC0001', 'company/HC0002', 'company/HC0003', 'authority/AU210102']) {
        expect([path, (await get(`/api/v1/indicators/${path}?month=${MONTH}`, shenyang)).status]).toEqual([path, 200]);
      }
      for (const path of ['company/HC0101', 'authority/AU210200', 'city/210200']) {
        expect([path, (await get(`/api/v1/indicators/${path}?month=${MONTH}`, shenyang)).status]).toEqual([path, 403]);
      }
    });

    it('a county authority sees itself and the companies dispatched under it, not its city’s other companies', async () => {
      expect((await get(`/api/v1/indicators/company/HC0002?month=${MONTH}`, heping)).status).toBe(200);
      expect((await get(`/api/v1/indicators/authority/AU210102?month=${MONTH}`, heping)).status).toBe(200);
      expect((await get(`/api/v1/indicators/company/HC0001?month=${MONTH}`, heping)).status).toBe(403);
      expect((await get(`/api/v1/indicators/city/210100?month=${MONTH}`, heping)).status).toBe(403);
    });

    it('a unit kpi never heard of is a 404 UNIT_NOT_FOUND naming unitId', async () => {
      const r = await get(`/api/v1/indicators/company/HC9999?month=${MONTH}`, province);
      expect(r).toMatchObject({ status: 404, body: { code: 'UNIT_NOT_FOUND', field: 'unitId' } });
      expect(r.body.message).toContain('HC9999');
    });

    it.each([
      ['2025-13', 'INVALID_MONTH'],
      ['2025-1', 'INVALID_MONTH'],
      ['1999-12', 'MONTH_OUT_OF_RANGE'],
      ['2026-02', 'FUTURE_MONTH'],
    ])('month=%s is a 400 %s naming the field month, in Chinese', async (month, code) => {
      const r = await get(`/api/v1/indicators/company/HC0001?month=${month}`, province);
      expect(r).toMatchObject({ status: 400, body: { code, field: 'month' } });
      expect(r.body.message).toMatch(/月份/);
    });

    it('an unknown unit type is a 400 INVALID_UNIT_TYPE naming unitType', async () => {
      expect(await get('/api/v1/indicators/district/210102', province)).toMatchObject({ status: 400, body: { code: 'INVALID_UNIT_TYPE', field: 'unitType' } });
    });
  });

  describe('GET /api/v1/rankings', () => {
    it('the province ranks every company by satisfaction: equal figures share a rank (1, 1, 3, 4)', async () => {
      const r = await get(`/api/v1/rankings?unitType=company&month=${MONTH}&indicator=satisfactionRate`, province);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ unitType: 'company', month: MONTH, indicator: 'satisfactionRate', order: 'desc', total: 4 });
      expect(r.body.items.map((i: any) => [i.rank, i.unitId, i.value])).toEqual([
        [1, 'HC0002', 100],
        [1, 'HC0101', 100],
        [3, 'HC0001', 89.9],
        [4, 'HC0003', 80],
      ]);
      expect(r.body.items[0].indicators.completionRate.value).toBe(100);
      expect(r.body.items[0].counts.dispatched).toBe(3);
    });

    it('handling days rank fewest first', async () => {
      const r = await get(`/api/v1/rankings?unitType=company&month=${MONTH}&indicator=handlingDays`, province);
      expect(r.body.order).toBe('asc');
      expect(r.body.items.map((i: any) => [i.rank, i.unitId, i.value])).toEqual([
        [1, 'HC0002', 0.5],
        [2, 'HC0001', 1],
        [3, 'HC0101', 2],
        [4, 'HC0003', 3],
      ]);
    });

    it('an authority ranks the companies of its region only', async () => {
      const city = await get(`/api/v1/rankings?unitType=company&month=${MONTH}`, shenyang);
      expect(city.body.items.map((i: any) => i.unitId).sort()).toEqual(['HC0001', 'HC0002', 'HC0003']);
      const county = await get(`/api/v1/rankings?unitType=company&month=${MONTH}`, heping);
      expect(county.body.items.map((i: any) => i.unitId)).toEqual(['HC0002']);
      const other = await get(`/api/v1/rankings?unitType=company&month=${MONTH}&indicator=onTimeDispatchRate`, dalian);
      expect(other.body.items.map((i: any) => [i.unitId, i.value])).toEqual([['HC0101', 50]]);
    });

    it('authorities and cities are ranked too', async () => {
      const cities = await get(`/api/v1/rankings?unitType=city&month=${MONTH}&indicator=onTimeDispatchRate`, province);
      expect(cities.body.items.map((i: any) => i.unitId)).toEqual(['210100', '210200']);
      const authorities = await get(`/api/v1/rankings?unitType=authority&month=${MONTH}`, province);
      expect(authorities.body.total).toBe(3);
    });

    it('a company may not see rankings; an unknown indicator is a 400 naming indicator', async () => {
      expect((await get(`/api/v1/rankings?month=${MONTH}`, hc0001)).status).toBe(403);
      expect(await get(`/api/v1/rankings?month=${MONTH}&indicator=speed`, province)).toMatchObject({ status: 400, body: { code: 'INVALID_INDICATOR', field: 'indicator' } });
      expect(await get('/api/v1/rankings?month=2030-01', province)).toMatchObject({ status: 400, body: { code: 'FUTURE_MONTH', field: 'month' } });
    });
  });

  describe('GET /api/v1/rankings/red-black', () => {
    it('红榜 the best, 黑榜 the worst by satisfaction; a unit with fewer than 10 cases is listed as 样本不足, never ranked', async () => {
      const r = await get(`/api/v1/rankings/red-black?unitType=company&month=${MONTH}&size=10`, province);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ unitType: 'company', month: MONTH, size: 10, minDispatched: 10 });
      // Three units have enough cases: each list takes one of them, none is on both.
      expect(r.body.red.map((u: any) => [u.place, u.unitId])).toEqual([[1, 'HC0101']]);
      expect(r.body.black.map((u: any) => [u.place, u.unitId])).toEqual([[1, 'HC0003']]);
      expect(r.body.insufficient.map((u: any) => u.unitId)).toEqual(['HC0002']);
      expect(r.body.insufficient[0].reason).toContain('样本不足');
      expect(r.body.basis).toContain('满意率');
    });

    it('the minimum is configurable per request: with minDispatched=3 HC0002 is ranked and tops the red list (tie on satisfaction, better completion)', async () => {
      const r = await get(`/api/v1/rankings/red-black?unitType=company&month=${MONTH}&size=2&minDispatched=3`, province);
      expect(r.body.insufficient).toEqual([]);
      expect(r.body.red.map((u: any) => u.unitId)).toEqual(['HC0002', 'HC0101']);
      expect(r.body.black.map((u: any) => u.unitId)).toEqual(['HC0003', 'HC0001']);
    });

    it('size out of range is a 400 naming size', async () => {
      expect(await get(`/api/v1/rankings/red-black?month=${MONTH}&size=0`, province)).toMatchObject({ status: 400, body: { field: 'size' } });
    });
  });

  describe('POST /api/v1/kpi/rebuild', () => {
    it('only the province may rebuild', async () => {
      expect((await call('POST', `${url}/api/v1/kpi/rebuild`, shenyang)).status).toBe(403);
    });

    it('rebuilds from kpi_event, answers counts and duration, and every figure stays the same', async () => {
      const before = (await get(`/api/v1/rankings?unitType=company&month=${MONTH}`, province)).body;
      const r = await call('POST', `${url}/api/v1/kpi/rebuild`, province);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ events: published.length, cases: 37 });
      expect(r.body.unitMonths).toBeGreaterThan(0);
      expect(typeof r.body.durationMs).toBe('number');
      expect((await get(`/api/v1/rankings?unitType=company&month=${MONTH}`, province)).body).toEqual(before);
    });
  });
});
