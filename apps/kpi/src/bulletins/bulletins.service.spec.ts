import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { ManualClock, openDataSource, Outbox } from '#shared';
import type { ServiceConfig } from '#shared';
import type { UnitMonthCounts } from '../indicators/indicator-formulas.js';
import { Bulletins1764400000450 } from '../migrations/1764400000450-bulletins.js';
import { ZERO_COUNTS } from './bulletin-data-source.js';
import type { BulletinDataSource, UnitCountsRow } from './bulletin-data-source.js';
import { BulletinScheduler } from './bulletin-scheduler.js';
import { BULLETIN_RULES } from './bulletin-snapshot.js';
import { BulletinsService, sha256 } from './bulletins.service.js';

/*
 * Published versions are immutable (PGlite, the bulletin migration, the real outbox): the same
 * figures answer the existing version; moved figures make version N+1 listing the changes;
 * the table refuses UPDATE and DELETE.
 */

/** The read model as the bulletins see it: rows per month, changed by the test like late events would. */
class MonthRows implements BulletinDataSource {
  readonly months = new Map<string, UnitCountsRow[]>();
  async countsFor(months: readonly string[]): Promise<UnitCountsRow[]> {
    return months.flatMap((m) => this.months.get(m) ?? []);
  }
  set(month: string, hc1: Partial<UnitMonthCounts>): void {
    const c = { ...ZERO_COUNTS, ...hc1 };
    this.months.set(month, [
      { unitType: 'company', unitId: 'HC0001', counts: c },
      { unitType: 'authority', unitId: 'AU210102', counts: c },
      { unitType: 'city', unitId: '210100', counts: c },
    ]);
  }
}

const NOVEMBER = { dispatched: 12, withFeedback: 12, closed: 12, rated: 10, satisfied: 8, dissatisfied: 2 };

describe('bulletin versions', () => {
  let dir: string;
  let ds: DataSource;
  let service: BulletinsService;
  let scheduler: BulletinScheduler;
  const clock = new ManualClock('2026-12-02T09:00:00+08:00');
  const source = new MonthRows();

  const outboxRows = () => ds.query(`SELECT event_type, payload FROM outbox_message ORDER BY id`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulletins-'));
    ds = await openDataSource({ kind: 'pglite', dataDir: dir }, { entities: [], migrations: [Bulletins1764400000450] });
    service = new BulletinsService(ds, new Outbox('kpi', clock), clock, source, BULLETIN_RULES);
    scheduler = new BulletinScheduler(service, clock, { bulletinSchedule: false } as ServiceConfig);
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first publication of a month is version 1, stored with its three files and their SHA-256, announced by bulletin.published', async () => {
    source.set('2026-11', NOVEMBER);
    const r = await service.publish('2026-11', 'province:prov-1');
    expect(r.created).toBe(true);
    expect(r.bulletin).toMatchObject({ month: '2026-11', version: 1, createdBy: 'province:prov-1', changedUnits: null, files: { pdf: '/api/v1/bulletins/2026-11/v1.pdf' } });
    for (const format of ['html', 'pdf', 'xlsx'] as const) {
      const file = await service.file('2026-11', 1, format);
      expect(sha256(file.bytes)).toBe(r.bulletin.sha256[format]);
      expect(file.bytes.length).toBe(r.bulletin.bytes[format]);
    }
    const events = await outboxRows();
    expect(events).toHaveLength(1);
    const payload = typeof events[0].payload === 'string' ? JSON.parse(events[0].payload) : events[0].payload;
    expect(events[0].event_type).toBe('bulletin.published');
    expect(payload).toEqual({
      bulletinId: r.bulletin.id,
      month: '2026-11',
      version: 1,
      publishedAt: clock.now().toISOString(),
      sha256Html: r.bulletin.sha256.html,
      sha256Pdf: r.bulletin.sha256.pdf,
      sha256Xlsx: r.bulletin.sha256.xlsx,
    });
  });

  it('publishing again with the same figures answers version 1: no new version, no event', async () => {
    clock.advance(3600_000);
    const again = await service.publish('2026-11', 'province:prov-2');
    expect(again.created).toBe(false);
    expect(again.bulletin).toMatchObject({ version: 1, createdBy: 'province:prov-1' });
    expect(await service.list('2026-11')).toHaveLength(1);
    expect(await outboxRows()).toHaveLength(1);
  });

  it('after a late rating, publishing makes version 2 listing the change; version 1 stays as it was', async () => {
    const v1Pdf = await service.file('2026-11', 1, 'pdf');
    source.set('2026-11', { ...NOVEMBER, rated: 11, basicallySatisfied: 1 });
    const r = await service.publish('2026-11', 'province:prov-1');
    expect(r.created).toBe(true);
    expect(r.bulletin).toMatchObject({ version: 2, changedUnits: 4 }); // province, 沈阳市, HC0001, AU210102
    const v2 = await service.version('2026-11', 2);
    const hc1 = v2.changes!.units.find((u) => u.id === 'HC0001')!;
    expect(v2.changes!.sinceVersion).toBe(1);
    expect(hc1.fields).toContainEqual({ key: 'rated', label: '已评价件数', old: 10, new: 11 });
    expect(hc1.fields).toContainEqual({ key: 'satisfactionRate', label: '满意率', old: 80, new: 81.8 });
    expect((await service.file('2026-11', 2, 'html')).bytes.toString('utf8')).toContain('本版更新：与第 1 版相比的变化');
    expect((await service.file('2026-11', 1, 'pdf')).bytes.equals(v1Pdf.bytes)).toBe(true);
    expect((await service.list('2026-11')).map((b) => b.version)).toEqual([1, 2]);
    expect((await outboxRows()).map((e: { event_type: string }) => e.event_type)).toEqual(['bulletin.published', 'bulletin.published']);
  });

  it('the database refuses to change or delete a published version', async () => {
    await expect(ds.query(`UPDATE bulletin SET html = 'forged' WHERE month = '2026-11' AND version = 1`)).rejects.toThrow(/cannot be changed/);
    await expect(ds.query(`DELETE FROM bulletin WHERE month = '2026-11'`)).rejects.toThrow(/cannot be changed/);
    expect((await service.file('2026-11', 1, 'html')).bytes.toString('utf8')).not.toBe('forged');
  });

  it('two publications of the same figures at once make one version', async () => {
    source.set('2026-10', NOVEMBER);
    const [a, b] = await Promise.all([service.publish('2026-10', 'province:a'), service.publish('2026-10', 'province:b')]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.bulletin.id).toBe(b.bulletin.id);
  });

  it('an unknown version is a 404', async () => {
    await expect(service.file('2026-11', 9, 'pdf')).rejects.toMatchObject({ code: 'BULLETIN_NOT_FOUND', status: 404 });
  });

  describe('the monthly schedule', () => {
    it('before 06:00 on the 1st nothing new is due; at 06:00 the previous month is published as version 1 by the schedule', async () => {
      source.set('2026-12', { dispatched: 3, closed: 3 });
      clock.set('2027-01-01T05:59:00+08:00');
      expect(await scheduler.check()).toEqual({ month: '2026-11', outcome: 'already_published' });
      clock.set('2027-01-01T06:00:00+08:00');
      expect(await scheduler.check()).toEqual({ month: '2026-12', outcome: 'published' });
      const [v1] = await service.list('2026-12');
      expect(v1).toMatchObject({ version: 1, createdBy: 'system:schedule' });
    });

    it('checks after that (every few minutes, any replica) publish nothing more, even when figures moved', async () => {
      source.set('2026-12', { dispatched: 4, closed: 4 });
      clock.advance(5 * 60_000);
      expect(await scheduler.check()).toEqual({ month: '2026-12', outcome: 'already_published' });
      expect(await service.list('2026-12')).toHaveLength(1);
    });

    it('a month without any dispatched case gets no scheduled bulletin', async () => {
      clock.set('2027-02-01T06:00:00+08:00');
      expect(await scheduler.check()).toEqual({ month: '2027-01', outcome: 'no_cases' });
      expect(await service.list('2027-01')).toEqual([]);
    });
  });
});
