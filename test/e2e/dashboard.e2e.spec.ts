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
import { DashboardHub } from '../../apps/kpi/src/dashboard/dashboard-hub.js';
import { KpiEventsConsumer } from '../../apps/kpi/src/events/kpi-events.consumer.js';
import { KPI_DOCS, KpiModule } from '../../apps/kpi/src/kpi.module.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';

/*
 * The live monitoring page's API on the kpi service alone (PGlite + in-process bus, a manual
 * clock at 10:00 on Dec 10, 2026 in Shanghai), fed events over the bus as intake and dispatch
 * publish them: the stream refuses a connection without a valid ticket, a city authority sees its
 * city only, a flood of events is coalesced, a reconnecting page gets the latest picture once,
 * a surge raises a warning (row + warning.raised) that an authority of the region acknowledges.
 */

const NOW = '2026-12-10T02:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

function envelope(type: EventType, payload: Record<string, unknown>, producer: 'intake' | 'dispatch' = 'intake'): EventEnvelope {
  return { id: randomUUID(), type, version: EVENT_CONTRACTS[type].version, occurredAt: NOW, producer, payload };
}

let room = 100;
function complaint(o: { city?: string; district?: string; community?: string; minutes?: number; text?: string } = {}): EventEnvelope {
  const caseId = randomUUID();
  return envelope('complaint.received', {
    caseId,
    caseNumber: `GR20261210${String(room).padStart(5, '0')}`,
    channel: 'hotline',
    type: 'complaint',
    category: 'too_cold',
    communityName: o.community ?? '金地小区',
    address: { cityCode: o.city ?? '210100', districtCode: o.district ?? '210102', street: '南京南街 12 号', building: '3 号楼', unit: '2 单元', room: String(room++) },
    description: o.text ?? '卧室只有 15 度，暖气不热',
    phone: '13912345678',
    receivedAt: at(o.minutes ?? 0),
  });
}

interface SseMessage {
  id: string;
  event: string;
  data: any;
}

/** A minimal Server-Sent Events reader over fetch (what EventSource does, with a header-free request). */
class SseReader {
  readonly messages: SseMessage[] = [];
  status = 0;
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();

  async open(url: string, headers: Record<string, string> = {}): Promise<this> {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: this.abort.signal });
    this.status = res.status;
    if (res.status !== 200 || !res.body) {
      this.messages.push({ id: '', event: 'error', data: await res.json() });
      return this;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    this.done = (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const fields = Object.fromEntries(frame.split('\n').filter((l) => l && !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
            if (fields.event) this.messages.push({ id: fields.id ?? '', event: fields.event, data: JSON.parse(fields.data ?? 'null') });
          }
        }
      } catch {
        // aborted
      }
    })();
    return this;
  }

  get snapshots(): SseMessage[] {
    return this.messages.filter((m) => m.event === 'snapshot');
  }

  get last(): SseMessage | undefined {
    return this.snapshots[this.snapshots.length - 1];
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

describe('live monitoring page: stream, scoping, coalescing, reconnection, warnings', () => {
  let app: INestApplication;
  let bus: InProcessBus;
  let url: string;
  let dataDir: string;
  let tokens: TokenService;
  let province: string;
  let shenyang: string;
  let heping: string;
  let dalian: string;
  let company: string;
  const readers: SseReader[] = [];
  const clock = new ManualClock(NOW);
  let restartSecret: string;

  const ticketFor = async (token: string) => {
    const r = await call('POST', `${url}/api/v1/dashboard/tickets`, token);
    expect(r.status).toBe(201);
    return r.body as { ticket: string; streamUrl: string; expiresAt: string };
  };
  const stream = async (token: string, lastEventId?: string) => {
    const { streamUrl } = await ticketFor(token);
    const reader = await new SseReader().open(`${url}${streamUrl}${lastEventId ? `&lastEventId=${encodeURIComponent(lastEventId)}` : ''}`);
    readers.push(reader);
    return reader;
  };
  const stored = async (n: number) => {
    const ds = app.get(DataSource);
    await eventually(async () => {
      const [{ count }] = await ds.query(`SELECT count(*)::int AS count FROM kpi_event`);
      return count >= n ? true : undefined;
    }, 30_000, `kpi to store ${n} events`);
  };
  let published = 0;
  const publish = (...events: EventEnvelope[]) => {
    for (const e of events) bus.publish(e);
    published += events.length;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kpi-dashboard-e2e-'));
    const authSecret = (restartSecret = randomBytes(32).toString('base64url'));
    const config = loadServiceConfig('kpi', { ...process.env, HEATING_MODE: 'embedded', DATA_DIR: dataDir, KPI_PORT: '0' }, 'embedded');
    bus = new InProcessBus();
    const runtime = { config, clock, broker: { kind: 'in-process' as const, bus }, authSecret };
    app = await startService(KpiModule.register(runtime), runtime, KPI_DOCS);
    url = `http://${config.host}:${(app.getHttpServer().address() as AddressInfo).port}`;
    tokens = new TokenService(authSecret);
    province = await tokens.sign({ sub: 'prov', role: 'province' }, 3600);
    shenyang = await tokens.sign({ sub: 'sy', role: 'authority', unitId: 'AU210100', regionCode: '210100' }, 3600);
    heping = await tokens.sign({ sub: 'hp', role: 'authority', unitId: 'AU210102', regionCode: '210102' }, 3600);
    dalian = await tokens.sign({ sub: 'dl', role: 'authority', unitId: 'AU210200', regionCode: '210200' }, 3600);
    company = await tokens.sign({ sub: 'duty', role: 'company', unitId: 'HC0001' }, 3600);
  }, 120_000);

  afterAll(async () => {
    for (const r of readers) await r.close();
    await app?.close();
    bus?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('a connection without a valid token or ticket is refused', () => {
    it('no ticket, no token: 401 DASHBOARD_UNAUTHENTICATED, in Chinese, saying how to connect', async () => {
      const r = await call('GET', `${url}/api/v1/dashboard/stream`);
      expect(r).toMatchObject({ status: 401, body: { code: 'DASHBOARD_UNAUTHENTICATED', field: 'ticket' } });
      expect(r.body.message).toContain('POST /api/v1/dashboard/tickets');
    });

    it('a forged or garbled ticket: 401', async () => {
      const { ticket } = await ticketFor(province);
      const [body] = ticket.split('.');
      for (const bad of [`${body}.AAAA`, 'nonsense', `${ticket}x`]) {
        const r = await call('GET', `${url}/api/v1/dashboard/stream?ticket=${encodeURIComponent(bad)}`);
        expect([bad, r.status, r.body.code]).toEqual([bad, 401, 'DASHBOARD_UNAUTHENTICATED']);
      }
    });

    it('a ticket opens one stream only: used again it is refused', async () => {
      const { streamUrl } = await ticketFor(province);
      const first = await new SseReader().open(`${url}${streamUrl}`);
      readers.push(first);
      expect(first.status).toBe(200);
      const again = await call('GET', `${url}${streamUrl}`);
      expect(again.status).toBe(401);
      expect(again.body.message).toContain('已被使用');
    });

    it('no token for a ticket, the snapshot or the warnings: 401; a company or an operator: 403', async () => {
      expect((await call('POST', `${url}/api/v1/dashboard/tickets`)).status).toBe(401);
      expect((await call('GET', `${url}/api/v1/dashboard/snapshot`)).status).toBe(401);
      const denied = await call('POST', `${url}/api/v1/dashboard/tickets`, company);
      expect(denied.status).toBe(403);
      const operator = await tokens.sign({ sub: 'op', role: 'operator' }, 600);
      expect((await call('GET', `${url}/api/v1/dashboard/snapshot`, operator)).status).toBe(403);
    });

    it('the page itself (no data in it) and its assets are public; ECharts comes from kpi, gzipped', async () => {
      const page = await fetch(`${url}/dashboard`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await page.text()).toContain('监测预警大屏');
      const echarts = await fetch(`${url}/dashboard/assets/echarts-6.1.0.min.js`, { headers: { 'accept-encoding': 'gzip' } });
      expect(echarts.status).toBe(200);
      expect(echarts.headers.get('cache-control')).toContain('immutable');
      expect((await echarts.text()).length).toBeGreaterThan(500_000);
      expect((await fetch(`${url}/dashboard/assets/nope.js`)).status).toBe(404);
    });
  });

  describe('scoped live pictures', () => {
    it('a city authority’s stream shows its city only; the province sees every city', async () => {
      const sy = await stream(shenyang);
      await eventually(async () => sy.last, 5_000, 'the first picture');
      expect(sy.last!.data).toMatchObject({ scope: { kind: 'city', label: '沈阳市' }, intake: { total: 0 } });
      publish(complaint(), complaint({ minutes: 1 }), complaint({ city: '210200', district: '210202', community: '星海小区' }));
      await stored(published);
      const last = await eventually(async () => (sy.last?.data.intake.total === 2 ? sy.last : undefined), 5_000, 'two Shenyang complaints on the stream');
      expect(last.data.recent.map((r: { community: string }) => r.community)).toEqual(['金地小区', '金地小区']);
      expect(last.data.tiles.kind).toBe('district');
      expect(JSON.stringify(last.data)).not.toContain('13912345678');
      const all = await call('GET', `${url}/api/v1/dashboard/snapshot`, province);
      expect(all.body).toMatchObject({ scope: { kind: 'province' }, intake: { total: 3 } });
      expect(all.body.tiles.items.find((t: { code: string }) => t.code === '210200')).toMatchObject({ name: '大连市', today: 1 });
      const dl = await call('GET', `${url}/api/v1/dashboard/snapshot`, dalian);
      expect(dl.body.intake.total).toBe(1);
    });

    it('a flood of 300 events reaches the page as a few pictures (at most one per 500 ms), ending on the right counts', async () => {
      const sy = await stream(shenyang);
      await eventually(async () => sy.last, 5_000, 'the first picture');
      const before = sy.snapshots.length;
      const startTotal = sy.last!.data.intake.total;
      const t0 = Date.now();
      const flood = Array.from({ length: 300 }, (_, i) => complaint({ community: `花园${i % 30}小区`, minutes: -600 + i }));
      publish(...flood);
      await stored(published);
      const last = await eventually(async () => (sy.last?.data.intake.total === startTotal + 300 ? sy.last : undefined), 30_000, 'the flood on the stream');
      const elapsed = Date.now() - t0;
      const pictures = sy.snapshots.length - before;
      expect(pictures).toBeGreaterThanOrEqual(1);
      expect(pictures).toBeLessThanOrEqual(Math.ceil(elapsed / 500) + 1);
      const versions = sy.snapshots.map((m) => m.data.version);
      expect([...versions].sort((a, b) => a - b)).toEqual(versions); // versions only grow
      expect(new Set(versions).size).toBe(versions.length); // and never repeat
      expect(last.data.words[0]).toMatchObject({ count: startTotal + 300 });
    });

    it('a reconnecting page that holds the latest picture gets nothing again; one that holds an older picture gets the latest once', async () => {
      const first = await stream(shenyang);
      const held = await eventually(async () => first.last, 5_000, 'a picture');
      await first.close();
      const same = await stream(shenyang, held.id);
      await new Promise((r) => setTimeout(r, 1_200));
      expect(same.snapshots).toEqual([]); // nothing new happened: no duplicate
      const older = await stream(shenyang, `${held.data.epoch}-1`);
      await eventually(async () => older.last, 5_000, 'the latest picture');
      await new Promise((r) => setTimeout(r, 1_200));
      expect(older.snapshots.map((m) => m.id)).toEqual([held.id]);
      publish(complaint({ minutes: 2 }));
      await stored(published);
      const next = await eventually(async () => same.last, 5_000, 'the next picture after a change');
      expect(next.data.version).toBeGreaterThan(held.data.version);
      expect(next.data.intake.total).toBe(held.data.intake.total + 1);
    });

    it('an open outage incident (incident.updated, stored like every event) is listed for the region it is in', async () => {
      await app.get(KpiEventsConsumer).handle(
        envelope('incident.updated', {
          incidentId: randomUUID(),
          status: 'open',
          authorityId: 'AU210102',
          cityCode: '210100',
          districtCode: '210102',
          title: '金地换热站循环泵故障',
          stationIds: ['ST0001'],
          communityIds: ['CM0001'],
          companyIds: ['HC0001'],
          linkedCases: 3,
          updatedAt: at(3),
        }, 'dispatch'),
      );
      expect((await call('GET', `${url}/api/v1/dashboard/snapshot`, shenyang)).body.incidents.map((i: { title: string }) => i.title)).toEqual(['金地换热站循环泵故障']);
      expect((await call('GET', `${url}/api/v1/dashboard/snapshot`, dalian)).body.incidents).toEqual([]);
    });
  });

  describe('early warnings', () => {
    let warningId: string;

    it('5 households of one community within 30 minutes raise a surge warning: a row with its reason, a warning.raised event, on the stream', async () => {
      const sy = await stream(shenyang);
      publish(...Array.from({ length: 5 }, (_, i) => complaint({ community: '银河小区', minutes: -i })));
      await stored(published);
      await app.get(DashboardHub).settled();
      const listed = await eventually(async () => {
        const r = await call('GET', `${url}/api/v1/dashboard/warnings?status=active`, shenyang);
        return r.body.find((w: { subjectName: string }) => w.subjectName === '银河小区');
      }, 10_000, 'the surge warning');
      warningId = listed.id;
      expect(listed).toMatchObject({ rule: 'surge', ruleLabel: '诉求突增', subjectType: 'community', cityCode: '210100', districtCode: '210102', acknowledgedAt: null });
      expect(listed.reason).toBe('过去30分钟内 银河小区（小区） 有 5 户反映室温不达标，尚无近7日同时段的记录可比（阈值：至少 5 户）');
      const events = await app.get(DataSource).query(`SELECT payload FROM outbox_message WHERE event_type = 'warning.raised'`);
      expect(events.map((e: { payload: { warningId: string } }) => e.payload.warningId)).toContain(warningId);
      await eventually(async () => sy.last?.data.warnings.items.find((w: { id: string }) => w.id === warningId), 5_000, 'the warning on the stream');
      expect(sy.last!.data.tiles.items.find((t: { code: string }) => t.code === '210102').warnings).toBeGreaterThanOrEqual(1);
    });

    it('more complaints of the same surge within the cooldown raise no second warning', async () => {
      publish(...Array.from({ length: 3 }, (_, i) => complaint({ community: '银河小区', minutes: -5 - i })));
      await stored(published);
      await app.get(DashboardHub).settled();
      const rows = await app.get(DataSource).query(`SELECT count(*)::int AS n FROM dashboard_warning WHERE subject_name = '银河小区'`);
      expect(rows[0].n).toBe(1);
    });

    it('an authority of another region neither sees nor acknowledges it (404); the county authority acknowledges it once (then 409)', async () => {
      expect((await call('GET', `${url}/api/v1/dashboard/warnings?status=all`, dalian)).body).toEqual([]);
      const foreign = await call('POST', `${url}/api/v1/dashboard/warnings/${warningId}/acknowledge`, dalian, {});
      expect(foreign).toMatchObject({ status: 404, body: { code: 'WARNING_NOT_FOUND' } });
      const sy = await stream(province);
      const ack = await call('POST', `${url}/api/v1/dashboard/warnings/${warningId}/acknowledge`, heping, { note: '已通知企业排查' });
      expect(ack.status).toBe(200);
      expect(ack.body).toMatchObject({ id: warningId, acknowledgedBy: 'authority:hp', note: '已通知企业排查', acknowledgedAt: NOW });
      const again = await call('POST', `${url}/api/v1/dashboard/warnings/${warningId}/acknowledge`, shenyang, {});
      expect(again).toMatchObject({ status: 409, body: { code: 'WARNING_ALREADY_ACKNOWLEDGED' } });
      expect(again.body.message).toContain('authority:hp');
      const event = await app.get(DataSource).query(`SELECT payload FROM outbox_message WHERE event_type = 'warning.acknowledged'`);
      expect(event[0].payload).toMatchObject({ warningId, acknowledgedBy: 'authority:hp', rule: 'surge' });
      await eventually(async () => sy.last?.data.warnings.items.find((w: { id: string; acknowledgedAt: string | null }) => w.id === warningId && w.acknowledgedAt), 5_000, 'the acknowledgement on the stream');
      expect((await call('GET', `${url}/api/v1/dashboard/warnings?status=active`, shenyang)).body.find((w: { id: string }) => w.id === warningId)).toBeUndefined();
    });

    it('a note that is not text, an unknown status or days out of range are refused in Chinese, naming the field', async () => {
      const bad = await call('POST', `${url}/api/v1/dashboard/warnings/${randomUUID()}/acknowledge`, heping, { note: 42 });
      expect(bad).toMatchObject({ status: 400, body: { field: 'note' } });
      expect((await call('GET', `${url}/api/v1/dashboard/warnings?status=open`, heping)).body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'status' });
      expect((await call('GET', `${url}/api/v1/dashboard/warnings?days=400`, heping)).body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'days' });
    });
  });

  describe('after a restart', () => {
    it('the board is read back from the stored events and warnings: the same picture, and a page holding the old version takes the new one whole', async () => {
      const before = (await call('GET', `${url}/api/v1/dashboard/snapshot`, province)).body;
      await app.close();
      const config = loadServiceConfig('kpi', { ...process.env, HEATING_MODE: 'embedded', DATA_DIR: dataDir, KPI_PORT: '0' }, 'embedded');
      const runtime = { config, clock, broker: { kind: 'in-process' as const, bus }, authSecret: restartSecret };
      app = await startService(KpiModule.register(runtime), runtime, KPI_DOCS);
      url = `http://${config.host}:${(app.getHttpServer().address() as AddressInfo).port}`;
      const after = (await call('GET', `${url}/api/v1/dashboard/snapshot`, province)).body;
      expect(after.epoch).not.toBe(before.epoch);
      for (const key of ['intake', 'cases', 'tiles', 'hotCommunities', 'words', 'warnings', 'incidents', 'recent']) expect([key, after[key]]).toEqual([key, before[key]]);
      const page = await stream(province, `${before.epoch}-${before.version}`);
      const picture = await eventually(async () => page.last, 5_000, 'the picture after the restart');
      expect(picture.data.epoch).toBe(after.epoch);
    });
  });

  it('the JSON endpoints are documented in the OpenAPI description', async () => {
    const doc = await call('GET', `${url}/docs/openapi.json`);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/dashboard/tickets', '/api/v1/dashboard/stream', '/api/v1/dashboard/snapshot', '/api/v1/dashboard/warnings', '/api/v1/dashboard/warnings/{id}/acknowledge']),
    );
    expect(Object.keys(doc.body.paths)).not.toContain('/dashboard');
  });
});
