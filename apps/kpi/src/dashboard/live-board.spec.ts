import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { EVENT_CONTRACTS } from '#shared';
import type { EventEnvelope, EventType } from '#shared';
import type { WarningView } from '../warnings/warning-view.js';
import { buildDashboardBody } from './dashboard-snapshot.js';
import { covers, dashboardScopeOf, scopeKey } from './dashboard-scope.js';
import type { DashboardScope } from './dashboard-scope.js';
import { LiveBoard } from './live-board.js';

/** 2026-12-10 10:00 Asia/Shanghai. */
const NOW = Date.parse('2026-12-10T10:00:00+08:00');
const MIN = 60_000;
const iso = (t: number) => new Date(t).toISOString();

function envelope(type: EventType, payload: Record<string, unknown>, at = NOW): EventEnvelope {
  return { id: randomUUID(), type, version: EVENT_CONTRACTS[type].version, occurredAt: iso(at), producer: 'intake', payload };
}

function received(caseId: string, o: { at?: number; city?: string; district?: string; community?: string; room?: string; category?: string; text?: string; type?: string } = {}) {
  return envelope('complaint.received', {
    caseId,
    caseNumber: `GR-${caseId.slice(0, 6)}`,
    channel: 'hotline',
    type: o.type ?? 'complaint',
    category: o.category ?? 'too_cold',
    communityName: o.community ?? '金地小区',
    address: { cityCode: o.city ?? '210100', districtCode: o.district ?? '210102', street: '南京南街 12 号', building: '3', unit: '2', room: o.room ?? caseId },
    description: o.text ?? '卧室只有 15 度，暖气不热',
    receivedAt: iso(o.at ?? NOW),
  });
}

function dispatched(caseId: string, o: { at?: number; company?: string; authority?: string; city?: string; station?: string } = {}) {
  const at = o.at ?? NOW + MIN;
  return envelope('case.dispatched', {
    caseId,
    caseNumber: `GR-${caseId.slice(0, 6)}`,
    companyId: o.company ?? 'HC0001',
    authorityId: o.authority ?? 'AU210102',
    cityCode: o.city ?? '210100',
    method: 'auto',
    reason: '按换热站分转',
    receivedAt: iso(NOW),
    dispatchedAt: iso(at),
    dueAt: iso(at + 3 * 24 * 60 * MIN),
    ...(o.station ? { stationId: o.station, stationName: `${o.station} 换热站` } : {}),
  });
}

const PROVINCE: DashboardScope = { kind: 'province' };
const body = (board: LiveBoard, scope: DashboardScope = PROVINCE, now = NOW + 5 * MIN) => buildDashboardBody(board, scope, scopeKey(scope), now, null);

describe('the live board takes each event once, in any order', () => {
  it('a complaint counts in today’s intake by category and city, and is open until closed', () => {
    const board = new LiveBoard();
    const id = randomUUID();
    board.ingest(received(id));
    let b = body(board);
    expect(b.intake).toMatchObject({ total: 1, complaints: 1, consultations: 0 });
    expect(b.intake.byCategory.find((c) => c.category === 'too_cold')).toEqual({ category: 'too_cold', label: '室温不达标', count: 1 });
    expect(b.intake.byHour[10]).toBe(1);
    expect(b.tiles.items.find((t) => t.code === '210100')).toMatchObject({ name: '沈阳市', today: 1, open: 1, level: 4 });
    expect(b.tiles.items).toHaveLength(14);
    expect(b.cases).toEqual({ open: 1, overdue: 0, awaitingDispatch: 1 });
    board.ingest(dispatched(id));
    expect(body(board).cases).toEqual({ open: 1, overdue: 0, awaitingDispatch: 0 });
    board.ingest(envelope('case.closed', { caseId: id, caseNumber: 'x', companyId: 'HC0001', authorityId: 'AU210102', resolution: 'fixed', closedAt: iso(NOW + 2 * MIN) }));
    b = body(board);
    expect(b.cases.open).toBe(0);
    expect(b.intake.total).toBe(1);
  });

  it('the same message delivered twice changes nothing the second time', () => {
    const board = new LiveBoard();
    const e = received(randomUUID());
    expect(board.ingest(e).changed).toBe(true);
    const revision = board.revision;
    expect(board.ingest(e)).toEqual({ changed: false, signals: [] });
    expect(board.revision).toBe(revision);
    expect(body(board).intake.total).toBe(1);
  });

  it('the dispatch arriving before the complaint: the household still counts for its station, once', () => {
    const board = new LiveBoard();
    const id = randomUUID();
    expect(board.ingest(dispatched(id, { station: 'ST0001' })).signals).toEqual([]);
    const signals = board.ingest(received(id)).signals;
    expect(signals.map((s) => s.kind === 'household' && s.subjectType)).toEqual(['community', 'district', 'station']);
    expect(board.ingest(dispatched(id, { station: 'ST0001', at: NOW + 5 * MIN })).signals).toEqual([]);
    expect(body(board).hotStations).toEqual([{ stationId: 'ST0001', name: 'ST0001 换热站', cases: 1 }]);
  });

  it('an overdue case is overdue until a re-dispatch gives it a new deadline', () => {
    const board = new LiveBoard();
    const id = randomUUID();
    board.ingest(received(id));
    board.ingest(dispatched(id));
    const overdue = board.ingest(envelope('case.overdue', { caseId: id, caseNumber: 'x', companyId: 'HC0001', authorityId: 'AU210102', dueAt: iso(NOW), overdueAt: iso(NOW + 2 * MIN) }));
    expect(overdue.signals).toEqual([expect.objectContaining({ kind: 'overdue', companyId: 'HC0001', caseId: id, cityCode: '210100' })]);
    expect(body(board).cases.overdue).toBe(1);
    board.ingest(dispatched(id, { company: 'HC0002', at: NOW + 3 * MIN }));
    expect(body(board).cases.overdue).toBe(0);
  });

  it('a consultation answered at intake counts in today’s intake, never as open and never for surges', () => {
    const board = new LiveBoard();
    const r = board.ingest(envelope('consultation.answered', { caseId: randomUUID(), caseNumber: 'GR-c', channel: 'hotline', category: 'policy_question', cityCode: '210200', districtCode: '210202', answeredAt: iso(NOW) }));
    expect(r.signals).toEqual([]);
    expect(body(board)).toMatchObject({ intake: { total: 1, consultations: 1 }, cases: { open: 0 } });
  });

  it('yesterday’s complaints are not today’s intake (Asia/Shanghai day), but still open', () => {
    const board = new LiveBoard();
    board.ingest(received(randomUUID(), { at: Date.parse('2026-12-09T23:59:00+08:00') }));
    expect(body(board)).toMatchObject({ intake: { total: 0 }, cases: { open: 1 } });
  });
});

describe('what the page lists', () => {
  it('hot communities count households (a flat once), hot words count complaints, the newest complaints first, phone numbers masked', () => {
    const board = new LiveBoard();
    board.ingest(received(randomUUID(), { room: '501', at: NOW }));
    board.ingest(received(randomUUID(), { room: '501', at: NOW + MIN }));
    board.ingest(received(randomUUID(), { room: '502', at: NOW + 2 * MIN, text: '暖气片漏水 请回电13812345678' }));
    board.ingest(received(randomUUID(), { community: '银河小区', at: NOW + 3 * MIN }));
    const b = body(board);
    expect(b.hotCommunities).toEqual([
      { name: '金地小区', district: '沈阳市和平区', households: 2, cases: 3 },
      { name: '银河小区', district: '沈阳市和平区', households: 1, cases: 1 },
    ]);
    expect(b.words.slice(0, 2)).toEqual([
      { word: '不热', count: 3 },
      { word: '卧室', count: 3 },
    ]);
    expect(b.recent.map((r) => r.community)).toEqual(['银河小区', '金地小区', '金地小区', '金地小区']);
    expect(b.recent[1].excerpt).toBe('暖气片漏水 请回电138****5678');
    expect(JSON.stringify(b)).not.toContain('13812345678');
  });
});

describe('scoping: an authority sees its region only', () => {
  const board = new LiveBoard();
  const shenyang = randomUUID();
  const dalian = randomUUID();
  board.ingest(received(shenyang));
  board.ingest(received(dalian, { city: '210200', district: '210202', community: '星海小区' }));
  board.ingest(dispatched(dalian, { authority: 'AU210200', city: '210200', company: 'HC0101' }));

  it('the province sees both cities; a city authority its own city, with its districts as tiles', () => {
    expect(body(board).intake.total).toBe(2);
    const scope = dashboardScopeOf({ sub: 'sy', role: 'authority', unitId: 'AU210100', regionCode: '210100' });
    expect(scope).toEqual({ kind: 'city', cityCode: '210100' });
    const b = body(board, scope);
    expect(b.intake.total).toBe(1);
    expect(b.tiles.kind).toBe('district');
    expect(b.tiles.items.find((t) => t.code === '210102')).toMatchObject({ name: '和平区', today: 1 });
    expect(b.recent.map((r) => r.community)).toEqual(['金地小区']);
  });

  it('a county authority sees its county’s cases (by address) and those dispatched under it', () => {
    const scope = dashboardScopeOf({ sub: 'hp', role: 'authority', unitId: 'AU210102', regionCode: '210102' });
    expect(scope).toMatchObject({ kind: 'county', districtCode: '210102' });
    expect(body(board, scope).intake.total).toBe(1);
    const dalianCounty = dashboardScopeOf({ sub: 'x', role: 'authority', unitId: 'AU210200' });
    expect(body(board, dalianCounty).intake.total).toBe(1);
  });

  it('warnings are scoped like cases', () => {
    const w = { cityCode: '210200', districtCode: '210202', authorityId: null } as unknown as WarningView;
    expect(covers({ kind: 'city', cityCode: '210100' }, w)).toBe(false);
    expect(covers({ kind: 'city', cityCode: '210200' }, w)).toBe(true);
  });

  it('companies, operators and residents have no live page (403, in Chinese)', () => {
    expect(() => dashboardScopeOf({ sub: 'c', role: 'company', unitId: 'HC0001' })).toThrow(/监测大屏仅供省级和供热主管单位查看/);
    expect(() => dashboardScopeOf({ sub: 'o', role: 'operator' })).toThrow(/无权查看/);
  });
});

describe('warnings on the page', () => {
  const view = (id: string, raisedAt: number, acknowledgedAt: number | null): WarningView => ({
    id,
    rule: 'surge',
    ruleLabel: '诉求突增',
    subjectType: 'community',
    subjectLabel: '小区',
    subjectId: '210102|金地小区',
    subjectName: '金地小区',
    cityCode: '210100',
    districtCode: '210102',
    authorityId: null,
    companyId: null,
    reason: '过去30分钟内 …',
    figures: {},
    raisedAt: iso(raisedAt),
    acknowledgedAt: acknowledgedAt === null ? null : iso(acknowledgedAt),
    acknowledgedBy: acknowledgedAt === null ? null : 'authority:hp',
    note: null,
  });

  it('unacknowledged first, then acknowledged; an acknowledged one leaves after a day, an open one stays', () => {
    const board = new LiveBoard();
    board.upsertWarning(view('a', NOW - 2 * MIN, NOW - MIN));
    board.upsertWarning(view('b', NOW - 3 * MIN, null));
    board.upsertWarning(view('c', NOW - 30 * 60 * MIN, NOW - 29 * 60 * MIN));
    board.upsertWarning(view('d', NOW - 30 * 60 * MIN, null));
    const b = body(board, PROVINCE, NOW);
    expect(b.warnings.items.map((w) => w.id)).toEqual(['b', 'd', 'a']);
    expect(b.warnings.active).toBe(2);
    expect(b.tiles.items.find((t) => t.code === '210100')!.warnings).toBe(2);
  });

  it('the same warning acknowledged elsewhere replaces the open one; the same state again changes nothing', () => {
    const board = new LiveBoard();
    expect(board.upsertWarning(view('a', NOW, null))).toBe(true);
    expect(board.upsertWarning(view('a', NOW, null))).toBe(false);
    expect(board.upsertWarning(view('a', NOW, NOW + MIN))).toBe(true);
    expect(body(board, PROVINCE, NOW).warnings.active).toBe(0);
  });
});

describe('incidents and pruning', () => {
  it('an open outage incident is listed; once restored it is not', () => {
    const board = new LiveBoard();
    const incident = { incidentId: randomUUID(), authorityId: 'AU210102', cityCode: '210100', districtCode: '210102', title: '金地换热站循环泵故障', stationIds: ['ST0001'], communityIds: ['CM1'], companyIds: ['HC0001'] };
    board.ingest(envelope('incident.updated', { ...incident, status: 'open', updatedAt: iso(NOW) }));
    expect(body(board).incidents.map((i) => i.title)).toEqual(['金地换热站循环泵故障']);
    board.ingest(envelope('incident.updated', { ...incident, status: 'restored', updatedAt: iso(NOW + MIN) }));
    expect(body(board).incidents).toEqual([]);
  });

  it('cases untouched since before the horizon leave the board', () => {
    const board = new LiveBoard();
    board.ingest(received(randomUUID(), { at: NOW - 40 * 24 * 60 * MIN }));
    board.ingest(received(randomUUID()));
    board.prune(NOW - 30 * 24 * 60 * MIN);
    expect(board.cases.size).toBe(1);
    expect(body(board).cases.open).toBe(1);
  });
});
