import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { ManualClock } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { WebhookDispatcher } from '../../apps/dispatch/src/webhooks/webhook-dispatcher.js';
import { WebhookOutbox } from '../../apps/dispatch/src/webhooks/webhook-outbox.js';
import { WEBHOOK_SETTINGS } from '../../apps/dispatch/src/webhooks/webhook-settings.js';
import type { WebhookDeliverySettings } from '../../apps/dispatch/src/webhooks/webhook-settings.js';
import { WEBHOOK_RETRY_DELAYS_MS } from '../../apps/dispatch/src/webhooks/webhook-schedule.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/*
 * Company webhooks end to end on the embedded suite (PGlite): signed deliveries, retries, receivers
 * that fail in every way, 410, isolation between companies, the push log and who may see it, and
 * the SSRF guard. Time is a ManualClock (retries come when the test moves it); the exchange budget
 * is shortened through the delivery settings instead of waiting 15 s.
 */

const ANY_PORT = { INTAKE_PORT: '0', DISPATCH_PORT: '0', SMS_SURVEY_PORT: '0', KPI_PORT: '0', LOG_LEVEL: 'silent' };
const RESIDENT_PHONE = '13912345678';
const SHORT_TIMEOUT_MS = 400;

interface CompanyRow {
  id: string;
  city_code: string;
  district_code: string;
  authority_id: string;
}

describe('company webhooks (embedded suite)', () => {
  let suite: EmbeddedSuite;
  let dataDir: string;
  let ds: DataSource;
  let outbox: WebhookOutbox;
  let dispatcher: WebhookDispatcher;
  let settings: WebhookDeliverySettings;
  const clock = new ManualClock(new Date());
  const receivers: WebhookReceiver[] = [];
  let shenyang: CompanyRow[] = [];
  let dalian: CompanyRow[] = [];
  let nextShenyang = 0;
  let province: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'heating-webhooks-'));
    suite = await startEmbeddedSuite({ dataDir, clock, env: { ...process.env, ...ANY_PORT } });
    ds = suite.apps.dispatch.get(DataSource);
    outbox = suite.apps.dispatch.get(WebhookOutbox);
    dispatcher = suite.apps.dispatch.get(WebhookDispatcher);
    settings = suite.apps.dispatch.get(WEBHOOK_SETTINGS);
    settings.timeoutMs = SHORT_TIMEOUT_MS;
    settings.random = () => 0.5; // retry gaps exactly as published
    const companies: CompanyRow[] = await ds.query(`SELECT id, city_code, district_code, authority_id FROM company ORDER BY id`);
    shenyang = companies.filter((c) => c.city_code === '210100');
    dalian = companies.filter((c) => c.city_code === '210200');
    province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 3600);
  }, 120_000);

  let closed = false;

  afterAll(async () => {
    if (!closed) await suite?.close();
    for (const r of receivers) await r.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const companyToken = (companyId: string) => suite.tokens.sign({ sub: `duty-${companyId}`, role: 'company', unitId: companyId }, 3600);
  const authorityToken = (authorityId: string) => suite.tokens.sign({ sub: `staff-${authorityId}`, role: 'authority', unitId: authorityId }, 3600);

  /** A Shenyang company not used by another test, with its own receiver registered as its endpoint. */
  async function companyWithEndpoint(): Promise<{ id: string; token: string; receiver: WebhookReceiver; secret: string; row: CompanyRow }> {
    const row = shenyang[nextShenyang++];
    const receiver = new WebhookReceiver();
    receivers.push(receiver);
    const token = await companyToken(row.id);
    const put = await call('PUT', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, token, { url: await receiver.start() });
    expect(put.status).toBe(200);
    receiver.secret = put.body.secret;
    return { id: row.id, token, receiver, secret: put.body.secret, row };
  }

  /** Queues deliveries in one transaction, as the case code does; returns their ids in order. */
  async function queue(companyId: string, events: Array<{ caseId?: string; type?: string; data?: Record<string, unknown> }> = [{}]): Promise<string[]> {
    const ids: string[] = [];
    await ds.transaction(async (em) => {
      for (const e of events) {
        const caseId = e.caseId ?? randomUUID();
        const result = await outbox.queue(em, {
          companyId,
          caseId,
          type: e.type ?? 'case.dispatched',
          data: e.data ?? { caseId, caseNumber: 'GR-20261129-000123', phone: RESIDENT_PHONE, description: '卧室只有 15 度' },
        });
        if (!result.queued) throw new Error(`not queued: ${result.reason}`);
        ids.push(result.deliveryId);
      }
    });
    return ids;
  }

  async function row(id: string): Promise<{ status: string; attempts: number; last_error: string | null; next_attempt_at: Date }> {
    const [r] = await ds.query(`SELECT status, attempts, last_error, next_attempt_at FROM webhook_delivery WHERE id = $1`, [id]);
    return r;
  }

  const until = (id: string, predicate: (r: Awaited<ReturnType<typeof row>>) => boolean, what: string) =>
    eventually(async () => {
      const r = await row(id);
      return predicate(r) ? r : undefined;
    }, 15_000, what);

  /** Moves the clock to when the retries are due and lets the dispatcher at them. */
  async function advance(ms: number): Promise<void> {
    clock.advance(ms);
    dispatcher.kick();
  }

  async function listAs(token: string, query: string): Promise<any[]> {
    const r = await call('GET', `${suite.urls.dispatch}/api/v1/webhooks/deliveries${query}`, token);
    expect(r.status).toBe(200);
    return r.body;
  }

  describe('what a company receives', () => {
    it('each delivery is signed per Standard Webhooks and verifies with the standardwebhooks package; the body is {type, timestamp, data}', async () => {
      const company = await companyWithEndpoint();
      const [id] = await queue(company.id);
      await until(id, (r) => r.status === 'delivered', 'the delivery');
      const request = company.receiver.requests.find((q) => q.id === id)!;
      expect(request.headers['webhook-id']).toBe(id);
      expect(request.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
      expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      expect(request.headers['content-type']).toBe('application/json');
      const verified = new Webhook(company.secret).verify(request.body, request.headers as Record<string, string>) as any;
      expect(Object.keys(JSON.parse(request.body))).toEqual(['type', 'timestamp', 'data']);
      expect(verified.type).toBe('case.dispatched');
      expect(verified.timestamp).toBe(clock.now().toISOString());
      expect(verified.data.phone).toBe(RESIDENT_PHONE); // the handling company needs the full number
      expect(() => new Webhook(`whsec_${Buffer.from('someone else').toString('base64')}`).verify(request.body, request.headers as Record<string, string>)).toThrow();
      expect(company.receiver.rejected).toEqual([]);
    });

    it('a company without an endpoint gets nothing queued (it pulls its cases through the API)', async () => {
      const bare = shenyang[nextShenyang++];
      const result = await ds.transaction((em) => outbox.queue(em, { companyId: bare.id, caseId: randomUUID(), type: 'case.reminder', data: {} }));
      expect(result).toEqual({ queued: false, reason: 'no_endpoint' });
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM webhook_delivery WHERE company_id = $1`, [bare.id]);
      expect(n).toBe(0);
      const state = await call('GET', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, await companyToken(bare.id));
      expect(state.body).toEqual({ url: null, status: 'not_configured', statusText: '未设置回调地址（通过接口拉取工单）', disabledAt: null, disabledReason: null });
    });

    it('an event type that is not dotted lowercase is a programming error, refused before anything is queued', async () => {
      const company = shenyang[0];
      await expect(ds.transaction((em) => outbox.queue(em, { companyId: company.id, caseId: randomUUID(), type: 'CaseDispatched', data: {} }))).rejects.toThrow(
        /must be dotted lowercase/,
      );
    });
  });

  describe('receivers that fail: clear errors, retried deliveries, nothing lost', () => {
    it('500 then 200: delivered on the retry, both attempts logged with status, duration and error', async () => {
      const company = await companyWithEndpoint();
      company.receiver.then({ status: 500 });
      const [id] = await queue(company.id);
      const failed = await until(id, (r) => r.attempts === 1, 'the first attempt');
      expect(failed).toMatchObject({ status: 'pending', last_error: 'HTTP 500' });
      expect(new Date(failed.next_attempt_at).getTime()).toBe(clock.now().getTime() + WEBHOOK_RETRY_DELAYS_MS[0]);
      await advance(WEBHOOK_RETRY_DELAYS_MS[0]);
      await until(id, (r) => r.status === 'delivered', 'the retry');
      const [listed] = await listAs(company.token, `?status=delivered&companyId=${company.id}`);
      expect(listed.id).toBe(id);
      expect(listed.attempts).toEqual([
        { attempt: 1, at: expect.any(String), statusCode: 500, durationMs: expect.any(Number), error: 'HTTP 500' },
        { attempt: 2, at: expect.any(String), statusCode: 204, durationMs: expect.any(Number), error: null },
      ]);
      expect(company.receiver.received.map((w) => w.id)).toEqual([id]);
    });

    it('no answer within the budget: the attempt fails with "no response within …", the worker moves on, the retry delivers', async () => {
      const company = await companyWithEndpoint();
      company.receiver.then('hang');
      const [id] = await queue(company.id);
      const failed = await until(id, (r) => r.attempts === 1, 'the timed-out attempt');
      expect(failed.last_error).toBe(`no response within ${SHORT_TIMEOUT_MS} ms`);
      // The sender hung up: the receiver no longer holds the request, so nothing was received.
      await eventually(async () => (company.receiver.holding === 0 ? true : undefined), 15_000, 'the sender to hang up');
      expect(company.receiver.received).toEqual([]);
      await advance(WEBHOOK_RETRY_DELAYS_MS[0]);
      await until(id, (r) => r.status === 'delivered', 'the retry');
      expect(company.receiver.received.map((w) => w.id)).toEqual([id]);
    });

    it('headers sent but the body never finished: counted as a failure (even with 200), and the worker is not stuck', async () => {
      const company = await companyWithEndpoint();
      company.receiver.then('hang-body');
      const [first] = await queue(company.id);
      const failed = await until(first, (r) => r.attempts === 1, 'the cut-off attempt');
      expect(failed).toMatchObject({ status: 'pending', last_error: `HTTP 200: response body not finished within ${SHORT_TIMEOUT_MS} ms` });
      const [second] = await queue(company.id);
      await until(second, (r) => r.status === 'delivered', 'the next delivery of the same company');
      await advance(WEBHOOK_RETRY_DELAYS_MS[0]);
      await until(first, (r) => r.status === 'delivered', 'the retry of the first');
    });

    it('a redirect is not followed: the attempt fails naming where it pointed, and nothing is sent there', async () => {
      const company = await companyWithEndpoint();
      const elsewhere = new WebhookReceiver();
      receivers.push(elsewhere);
      const elsewhereUrl = await elsewhere.start();
      company.receiver.then({ redirect: elsewhereUrl });
      const [id] = await queue(company.id);
      const failed = await until(id, (r) => r.attempts === 1, 'the redirected attempt');
      expect(failed.last_error).toBe(`HTTP 302: redirect to ${elsewhereUrl} not followed (configure the final URL)`);
      expect(elsewhere.requests).toEqual([]);
      const [listed] = await listAs(company.token, `?companyId=${company.id}&status=pending`);
      expect(listed.attempts[0]).toMatchObject({ statusCode: 302 });
      await advance(WEBHOOK_RETRY_DELAYS_MS[0]);
      await until(id, (r) => r.status === 'delivered', 'the retry');
    });

    it('messages about one case never overtake each other: the reminder waits while the dispatch is being retried', async () => {
      const company = await companyWithEndpoint();
      company.receiver.then({ status: 503 });
      const caseId = randomUUID();
      const [dispatched, reminder] = await queue(company.id, [
        { caseId, type: 'case.dispatched' },
        { caseId, type: 'case.reminder', data: { caseId, dueAt: '2026-12-02T16:00:00.000Z' } },
      ]);
      await until(dispatched, (r) => r.attempts === 1, 'the first attempt');
      await dispatcher.deliverDue();
      expect((await row(reminder)).attempts).toBe(0);
      expect(company.receiver.requests.map((q) => q.id)).toEqual([dispatched]);
      await advance(WEBHOOK_RETRY_DELAYS_MS[0]);
      await until(reminder, (r) => r.status === 'delivered', 'the reminder');
      expect(company.receiver.received.map((w) => w.payload.type)).toEqual(['case.dispatched', 'case.reminder']);
    });

    it('the stored copy holds no readable number; a retry, read back from the table, sends the very body it sent before encryption at rest, signed', async () => {
      const company = await companyWithEndpoint();
      company.receiver.then({ status: 500 });
      const caseId = randomUUID();
      const data = { caseId, caseNumber: 'GR-20261129-000124', phone: RESIDENT_PHONE, description: '卧室只有 15 度，可打 138-0000-1111', address: { street: '和平路 1 号' } };
      const queuedAt = clock.now().toISOString();
      const [id] = await queue(company.id, [{ caseId, data }]);
      await until(id, (r) => r.attempts === 1, 'the first attempt');
      const [stored] = await ds.query(`SELECT to_jsonb(w)::text AS text FROM webhook_delivery w WHERE id = $1`, [id]);
      expect(stored.text).not.toMatch(/1[3-9]\d{9}|138-0000-1111/);
      await advance(WEBHOOK_RETRY_DELAYS_MS[0]);
      await until(id, (r) => r.status === 'delivered', 'the retry');
      const [, retry] = company.receiver.requests.filter((q) => q.id === id);
      // Before, the retry's body was the payload as jsonb gave it back: the same keys, in jsonb's order.
      const [{ p }] = await ds.query(`SELECT $1::jsonb AS p`, [JSON.stringify({ type: 'case.dispatched', timestamp: queuedAt, data })]);
      expect(retry.body).toBe(JSON.stringify({ type: p.type, timestamp: p.timestamp, data: p.data }));
      const verified = new Webhook(company.secret).verify(retry.body, retry.headers as Record<string, string>) as any;
      expect(verified.data).toEqual(data);
    });
  });

  describe('one slow or failing company never delays another', () => {
    it("a company whose receiver hangs holds one slot; another company's delivery completes while the slow ones are still pending", async () => {
      settings.timeoutMs = 60_000; // the hang lasts until the test releases it
      try {
        const slow = await companyWithEndpoint();
        const fast = await companyWithEndpoint();
        slow.receiver.behaviour = 'hang';
        const slowIds = await queue(slow.id, [{}, {}, {}]);
        await eventually(async () => (slow.receiver.holding === 1 ? true : undefined), 15_000, 'the slow receiver to hold the first delivery');
        const [fastId] = await queue(fast.id);
        await until(fastId, (r) => r.status === 'delivered', "the fast company's delivery");
        // Ordering, not timing: the fast delivery is done while every slow one is still pending,
        // the first in flight and the others not even tried (one in flight per company).
        const slowRows = await Promise.all(slowIds.map(row));
        expect(slowRows.map((r) => [r.status, r.attempts])).toEqual([
          ['pending', 0],
          ['pending', 0],
          ['pending', 0],
        ]);
        expect(slow.receiver.requests.map((q) => q.id)).toEqual([slowIds[0]]);
        const [inFlight] = await listAs(slow.token, `?caseId=${(await ds.query(`SELECT case_id FROM webhook_delivery WHERE id = $1`, [slowIds[0]]))[0].case_id}`);
        expect(inFlight.inFlight).toBe(true);
        slow.receiver.behaviour = 'ok';
        slow.receiver.release();
        for (const id of slowIds) await until(id, (r) => r.status === 'delivered', 'the slow deliveries after release');
        expect(slow.receiver.received.map((w) => w.id)).toEqual(slowIds); // oldest first
      } finally {
        settings.timeoutMs = SHORT_TIMEOUT_MS;
      }
    });
  });

  describe('HTTP 410 Gone disables the endpoint until the company sets it again', () => {
    it('410 disables the endpoint (URL kept, reason shown), fails its pending deliveries without trying them, and queues nothing more', async () => {
      const company = await companyWithEndpoint();
      company.receiver.then({ status: 410 });
      const [gone, waiting] = await queue(company.id, [{}, {}]);
      await until(gone, (r) => r.status === 'failed', 'the 410');
      expect((await row(gone)).last_error).toMatch(/^HTTP 410 Gone/);
      expect(await row(waiting)).toMatchObject({ status: 'failed', attempts: 0, last_error: 'endpoint disabled after HTTP 410 Gone; not attempted' });
      expect(company.receiver.requests).toHaveLength(1);

      const state = await call('GET', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, company.token);
      expect(state.body).toMatchObject({ url: company.receiver.url, status: 'disabled', statusText: '已停用（重新设置回调地址即可恢复）' });
      expect(state.body.disabledReason).toMatch(/HTTP 410 Gone/);
      expect(state.body.disabledAt).toBe(clock.now().toISOString());

      const more = await ds.transaction((em) => outbox.queue(em, { companyId: company.id, caseId: randomUUID(), type: 'case.overdue', data: {} }));
      expect(more).toEqual({ queued: false, reason: 'endpoint_disabled' });
      const refused = await call('POST', `${suite.urls.dispatch}/api/v1/webhooks/deliveries/${waiting}/redeliver`, company.token);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('WEBHOOK_ENDPOINT_DISABLED');

      // Setting the webhook again re-enables it; the failed deliveries can then be redelivered.
      const again = await call('PUT', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, company.token, { url: company.receiver.url });
      company.receiver.secret = again.body.secret;
      expect((await call('GET', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, company.token)).body).toMatchObject({ status: 'active', disabledReason: null });
      expect((await call('POST', `${suite.urls.dispatch}/api/v1/webhooks/deliveries/${waiting}/redeliver`, company.token)).status).toBe(202);
      await until(waiting, (r) => r.status === 'delivered', 'the redelivery after re-enabling');
    });
  });

  describe('the push log: who sees which deliveries, and manual redelivery', () => {
    let a: Awaited<ReturnType<typeof companyWithEndpoint>>;
    let b: Awaited<ReturnType<typeof companyWithEndpoint>>;
    let caseId: string;
    let deliveryId: string;

    beforeAll(async () => {
      a = await companyWithEndpoint();
      b = await companyWithEndpoint();
      caseId = randomUUID();
      [deliveryId] = await queue(a.id, [{ caseId }]);
      await until(deliveryId, (r) => r.status === 'delivered', "A's delivery");
    });

    it('a company sees its own deliveries with the payload it received, full phone number included', async () => {
      const list = await listAs(a.token, `?caseId=${caseId}`);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ id: deliveryId, companyId: a.id, caseId, type: 'case.dispatched', status: 'delivered', inFlight: false, nextAttemptAt: null });
      expect(list[0].payload.data.phone).toBe(RESIDENT_PHONE);
      expect((await listAs(a.token, '')).every((d: any) => d.companyId === a.id)).toBe(true);
    });

    it("company B cannot see company A's deliveries, even by naming A, and its redelivery of them is a 404", async () => {
      expect(await listAs(b.token, `?caseId=${caseId}`)).toEqual([]);
      expect(await listAs(b.token, `?companyId=${a.id}`)).toEqual([]);
      const r = await call('POST', `${suite.urls.dispatch}/api/v1/webhooks/deliveries/${deliveryId}/redeliver`, b.token);
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ code: 'WEBHOOK_DELIVERY_NOT_FOUND', message: '未找到该推送记录，或无权查看', field: 'id' });
      expect((await row(deliveryId)).attempts).toBe(1);
    });

    it("A's city authority and the province see A's deliveries with the phone number masked", async () => {
      for (const token of [await authorityToken('AU210100'), province]) {
        const [d] = await listAs(token, `?caseId=${caseId}`);
        expect(d.id).toBe(deliveryId);
        expect(d.payload.data.phone).toBe('139****5678');
        expect(JSON.stringify(d)).not.toContain(RESIDENT_PHONE);
        expect(d.attempts).toHaveLength(1);
      }
    });

    it("another city's authority, and a county authority of another district, see nothing of A and get 404 on redelivery", async () => {
      const otherDistrict = shenyang.find((c) => c.authority_id !== 'AU210100' && c.district_code !== a.row.district_code)!;
      for (const token of [await authorityToken(dalian[0].authority_id), await authorityToken(otherDistrict.authority_id)]) {
        expect(await listAs(token, `?caseId=${caseId}`)).toEqual([]);
        expect((await call('POST', `${suite.urls.dispatch}/api/v1/webhooks/deliveries/${deliveryId}/redeliver`, token)).status).toBe(404);
      }
    });

    it('redelivery: a new attempt soon with the same webhook-id, the earlier attempts kept', async () => {
      const r = await call('POST', `${suite.urls.dispatch}/api/v1/webhooks/deliveries/${deliveryId}/redeliver`, a.token);
      expect(r.status).toBe(202);
      expect(r.body).toMatchObject({ id: deliveryId, status: 'pending', nextAttemptAt: clock.now().toISOString() });
      await until(deliveryId, (x) => x.status === 'delivered' && x.attempts === 2, 'the redelivery');
      expect(a.receiver.received.map((w) => w.id)).toEqual([deliveryId, deliveryId]);
      const [d] = await listAs(a.token, `?caseId=${caseId}`);
      expect(d.attempts.map((x: any) => x.attempt)).toEqual([1, 2]);
    });

    it("A's authority and the province may redeliver A's deliveries too", async () => {
      for (const token of [await authorityToken('AU210100'), province]) {
        const r = await call('POST', `${suite.urls.dispatch}/api/v1/webhooks/deliveries/${deliveryId}/redeliver`, token);
        expect(r.status).toBe(202);
        expect(JSON.stringify(r.body)).not.toContain(RESIDENT_PHONE);
        await until(deliveryId, (x) => x.status === 'delivered', 'the redelivery');
      }
      expect(a.receiver.received).toHaveLength(4);
    });

    it('the endpoint state never shows the secret', async () => {
      const r = await call('GET', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, a.token);
      expect(r.body).toEqual({ url: a.receiver.url, status: 'active', statusText: '推送中', disabledAt: null, disabledReason: null });
      expect(JSON.stringify(r.body)).not.toContain('whsec_');
    });

    it('bad filters are 400s naming the field; other roles are refused', async () => {
      const bad = await call('GET', `${suite.urls.dispatch}/api/v1/webhooks/deliveries?status=lost`, a.token);
      expect(bad).toMatchObject({ status: 400, body: { code: 'INVALID_STATUS', field: 'status' } });
      expect((await call('GET', `${suite.urls.dispatch}/api/v1/webhooks/deliveries?caseId=GR-1`, a.token)).body).toMatchObject({ field: 'caseId' });
      expect((await call('GET', `${suite.urls.dispatch}/api/v1/webhooks/deliveries?limit=0`, a.token)).body).toMatchObject({ field: 'limit' });
      const operator = await suite.tokens.sign({ sub: 'op', role: 'operator' }, 600);
      expect((await call('GET', `${suite.urls.dispatch}/api/v1/webhooks/deliveries`, operator)).status).toBe(403);
    });
  });

  describe('SSRF guard: no deliveries into the platform network unless configured', () => {
    it.each(['http://127.0.0.1:8080/hook', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:8080/hook', 'http://localhost:8080/hook'])(
      'setting %s is a 400 naming url when private targets are not allowed',
      async (url) => {
        settings.allowPrivateTargets = false;
        try {
          const token = await companyToken(shenyang[0].id);
          const r = await call('PUT', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, token, { url });
          expect(r.status).toBe(400);
          expect(r.body.code).toBe('WEBHOOK_URL_NOT_ALLOWED');
          expect(r.body.field).toBe('url');
          expect(r.body.message).toMatch(/^回调地址（url）指向.+地址（.+），平台不向本机、内网或保留地址推送/);
        } finally {
          settings.allowPrivateTargets = true;
        }
      },
    );

    it('an endpoint stored earlier that points at loopback is refused at connect time: the attempt fails, the receiver sees nothing', async () => {
      const company = await companyWithEndpoint();
      settings.allowPrivateTargets = false;
      try {
        const [id] = await queue(company.id);
        const failed = await until(id, (r) => r.attempts === 1, 'the refused attempt');
        expect(failed.last_error).toBe('target 127.0.0.1 is a loopback address; private targets are not allowed (WEBHOOK_ALLOW_PRIVATE_TARGETS=false)');
        expect(company.receiver.requests).toEqual([]);
      } finally {
        settings.allowPrivateTargets = true;
      }
    });

    it('a malformed URL is a 400 naming url', async () => {
      const r = await call('PUT', `${suite.urls.dispatch}/api/v1/companies/me/webhook`, await companyToken(shenyang[0].id), { url: 'ftp://x' });
      expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'url' });
    });
  });

  describe('the retry schedule ends after about a day; the delivery then waits for a manual redelivery', () => {
    it('after the last retry the delivery is failed with every attempt logged; a redelivery starts a fresh schedule and delivers', async () => {
      const company = await companyWithEndpoint();
      company.receiver.behaviour = { status: 500 };
      const started = clock.now();
      try {
        const [id] = await queue(company.id);
        await until(id, (r) => r.attempts === 1, 'the first attempt');
        for (const gap of WEBHOOK_RETRY_DELAYS_MS) {
          const before = (await row(id)).attempts;
          clock.advance(gap);
          await dispatcher.deliverDue();
          expect((await row(id)).attempts).toBe(before + 1);
        }
        expect(await row(id)).toMatchObject({ status: 'failed', attempts: WEBHOOK_RETRY_DELAYS_MS.length + 1, last_error: 'HTTP 500' });
        expect(clock.now().getTime() - started.getTime()).toBeGreaterThan(20 * 3_600_000);

        clock.set(started); // back to real time, so the receiver's signature check accepts the timestamp
        company.receiver.behaviour = 'ok';
        expect((await call('POST', `${suite.urls.dispatch}/api/v1/webhooks/deliveries/${id}/redeliver`, company.token)).status).toBe(202);
        await until(id, (r) => r.status === 'delivered', 'the manual redelivery');
        const [listed] = await listAs(company.token, `?companyId=${company.id}`);
        expect(listed.attempts).toHaveLength(WEBHOOK_RETRY_DELAYS_MS.length + 2);
      } finally {
        clock.set(started);
      }
    });
  });

  describe('shutting down (runs last: it closes the suite)', () => {
    it('a delivery in flight to a hanging receiver does not hold up shutdown: the request is abandoned, not counted', async () => {
      settings.timeoutMs = 60_000;
      const company = await companyWithEndpoint();
      company.receiver.behaviour = 'hang';
      const [id] = await queue(company.id);
      await eventually(async () => (company.receiver.holding === 1 ? true : undefined), 15_000, 'the receiver to hold the delivery');
      expect((await row(id)).attempts).toBe(0);
      closed = true;
      await suite.close();
      // Ordering, not timing: the suite closed although the receiver never answered.
      expect(company.receiver.received).toEqual([]);
      expect(dispatcher.inFlightCount()).toBe(0);
    });
  });
});
