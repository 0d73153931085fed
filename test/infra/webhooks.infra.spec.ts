import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { ManualClock } from '#shared';
import { WebhookDispatcher } from '../../apps/dispatch/src/webhooks/webhook-dispatcher.js';
import { WebhookOutbox } from '../../apps/dispatch/src/webhooks/webhook-outbox.js';
import { WEBHOOK_RETRY_DELAYS_MS } from '../../apps/dispatch/src/webhooks/webhook-schedule.js';
import { WEBHOOK_SETTINGS } from '../../apps/dispatch/src/webhooks/webhook-settings.js';
import type { WebhookDeliverySettings } from '../../apps/dispatch/src/webhooks/webhook-settings.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { startInfraSuite } from '../support/infra.js';
import type { InfraSuite } from '../support/infra.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/*
 * Company webhooks on real PostgreSQL (a pool of connections, so claims really run side by side)
 * and RabbitMQ: retries, isolation between companies, 410, exactly-once claiming under load, and
 * the production default that refuses private targets.
 */

const RESIDENT_PHONE = '13712345678';

interface Harness {
  suite: InfraSuite;
  ds: DataSource;
  outbox: WebhookOutbox;
  dispatcher: WebhookDispatcher;
  settings: WebhookDeliverySettings;
}

function harness(suite: InfraSuite): Harness {
  const app = suite.apps.dispatch;
  return { suite, ds: app.get(DataSource), outbox: app.get(WebhookOutbox), dispatcher: app.get(WebhookDispatcher), settings: app.get(WEBHOOK_SETTINGS) };
}

async function queue(h: Harness, companyId: string, count = 1): Promise<string[]> {
  return h.ds.transaction(async (em) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const caseId = randomUUID();
      const result = await h.outbox.queue(em, { companyId, caseId, type: 'case.dispatched', data: { caseId, phone: RESIDENT_PHONE } });
      if (!result.queued) throw new Error(`not queued: ${result.reason}`);
      ids.push(result.deliveryId);
    }
    return ids;
  });
}

async function row(h: Harness, id: string): Promise<{ status: string; attempts: number; last_error: string | null }> {
  const [r] = await h.suite.query('dispatch', `SELECT status, attempts, last_error FROM webhook_delivery WHERE id = $1`, [id]);
  return r;
}

const until = (h: Harness, id: string, predicate: (r: { status: string; attempts: number; last_error: string | null }) => boolean, what: string) =>
  eventually(async () => {
    const r = await row(h, id);
    return predicate(r) ? r : undefined;
  }, 20_000, what);

describe('company webhooks on real PostgreSQL and RabbitMQ (private targets allowed for the 127.0.0.1 receivers)', () => {
  let h: Harness;
  const clock = new ManualClock(new Date());
  const receivers: WebhookReceiver[] = [];
  let shenyang: string[];

  beforeAll(async () => {
    h = harness(await startInfraSuite('webhooks', { clock }));
    h.settings.timeoutMs = 500;
    h.settings.random = () => 0.5;
    shenyang = (await h.suite.query('dispatch', `SELECT id FROM company WHERE city_code = '210100' ORDER BY id`)).map((r) => r.id);
  }, 180_000);

  afterAll(async () => {
    await h?.suite.close();
    for (const r of receivers) await r.stop();
  });

  let next = 0;
  async function companyWithEndpoint(): Promise<{ id: string; token: string; receiver: WebhookReceiver; secret: string }> {
    const id = shenyang[next++];
    const receiver = new WebhookReceiver();
    receivers.push(receiver);
    const token = await h.suite.tokens.sign({ sub: `duty-${id}`, role: 'company', unitId: id }, 3600);
    const put = await call('PUT', `${h.suite.urls.dispatch}/api/v1/companies/me/webhook`, token, { url: await receiver.start() });
    expect(put.status).toBe(200);
    receiver.secret = put.body.secret;
    return { id, token, receiver, secret: put.body.secret };
  }

  it('the webhook migration ran (recorded in schema_migration), never synchronize', async () => {
    const rows = await h.suite.query('dispatch', 'SELECT name FROM schema_migration ORDER BY id');
    expect(rows.map((r) => r.name)).toContain('WebhookHardening1764400000230');
    const columns = await h.suite.query('dispatch', `SELECT column_name FROM information_schema.columns WHERE table_name = 'company' AND column_name LIKE 'webhook_disabled%' ORDER BY 1`);
    expect(columns.map((c) => c.column_name)).toEqual(['webhook_disabled_at', 'webhook_disabled_reason']);
  });

  it('a receiver answering 500 then 200: delivered on the retry, with a signature the standardwebhooks package verifies and both attempts logged', async () => {
    const company = await companyWithEndpoint();
    company.receiver.then({ status: 500 });
    const [id] = await queue(h, company.id);
    expect(await until(h, id, (r) => r.attempts === 1, 'the first attempt')).toMatchObject({ status: 'pending', last_error: 'HTTP 500' });
    clock.advance(WEBHOOK_RETRY_DELAYS_MS[0]);
    h.dispatcher.kick();
    await until(h, id, (r) => r.status === 'delivered', 'the retry');
    const delivered = company.receiver.requests.at(-1)!;
    expect((new Webhook(company.secret).verify(delivered.body, delivered.headers as Record<string, string>) as any).data.phone).toBe(RESIDENT_PHONE);
    const list = await call('GET', `${h.suite.urls.dispatch}/api/v1/webhooks/deliveries?companyId=${company.id}`, company.token);
    expect(list.body[0].attempts.map((a: any) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 204, null],
    ]);
  });

  it("a company whose receiver hangs does not delay another company's delivery", async () => {
    h.settings.timeoutMs = 60_000;
    try {
      const slow = await companyWithEndpoint();
      const fast = await companyWithEndpoint();
      slow.receiver.behaviour = 'hang';
      const slowIds = await queue(h, slow.id, 2);
      await eventually(async () => (slow.receiver.holding === 1 ? true : undefined), 20_000, 'the slow receiver to hold a delivery');
      const [fastId] = await queue(h, fast.id);
      await until(h, fastId, (r) => r.status === 'delivered', "the fast company's delivery");
      expect((await Promise.all(slowIds.map((id) => row(h, id)))).map((r) => r.status)).toEqual(['pending', 'pending']);
      slow.receiver.behaviour = 'ok';
      slow.receiver.release();
      for (const id of slowIds) await until(h, id, (r) => r.status === 'delivered', 'the slow deliveries after release');
    } finally {
      h.settings.timeoutMs = 500;
    }
  });

  it('under load, every delivery of six companies is sent exactly once and each company gets its own in queue order', async () => {
    const companies = await Promise.all(Array.from({ length: 6 }, () => companyWithEndpoint()));
    const queued = await Promise.all(companies.map((c) => queue(h, c.id, 8)));
    for (const ids of queued) for (const id of ids) await until(h, id, (r) => r.status === 'delivered', 'every delivery');
    companies.forEach((c, i) => {
      expect(c.receiver.requests.map((q) => q.id)).toEqual(queued[i]);
      expect(c.receiver.rejected).toEqual([]);
    });
    const [{ n }] = await h.suite.query('dispatch', `SELECT count(*)::int AS n FROM webhook_attempt WHERE delivery_id = ANY($1::text[])`, [queued.flat()]);
    expect(n).toBe(48);
  });

  it('410 Gone disables the endpoint and fails its other pending deliveries; setting the webhook again re-enables it', async () => {
    const company = await companyWithEndpoint();
    company.receiver.then({ status: 410 });
    const [gone, waiting] = await queue(h, company.id, 2);
    await until(h, gone, (r) => r.status === 'failed', 'the 410');
    expect(await row(h, waiting)).toMatchObject({ status: 'failed', attempts: 0 });
    const state = await call('GET', `${h.suite.urls.dispatch}/api/v1/companies/me/webhook`, company.token);
    expect(state.body).toMatchObject({ status: 'disabled', url: company.receiver.url });
    await call('PUT', `${h.suite.urls.dispatch}/api/v1/companies/me/webhook`, company.token, { url: company.receiver.url }).then((r) => (company.receiver.secret = r.body.secret));
    expect((await call('GET', `${h.suite.urls.dispatch}/api/v1/companies/me/webhook`, company.token)).body.status).toBe('active');
  });

  it("company B gets 404 for company A's delivery; the province sees it with the phone number masked", async () => {
    const a = await companyWithEndpoint();
    const b = await companyWithEndpoint();
    const [id] = await queue(h, a.id);
    await until(h, id, (r) => r.status === 'delivered', "A's delivery");
    expect((await call('POST', `${h.suite.urls.dispatch}/api/v1/webhooks/deliveries/${id}/redeliver`, b.token)).status).toBe(404);
    const province = await h.suite.tokens.sign({ sub: 'prov', role: 'province' }, 600);
    const listed = await call('GET', `${h.suite.urls.dispatch}/api/v1/webhooks/deliveries?companyId=${a.id}`, province);
    expect(listed.body[0].payload.data.phone).toBe('137****5678');
  });
});

describe('production default (WEBHOOK_ALLOW_PRIVATE_TARGETS unset = false) refuses private targets', () => {
  let h: Harness;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    // Unset: the production default applies (the infra suite otherwise sets it to true).
    h = harness(await startInfraSuite('webhooks_strict', { env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: undefined } }));
  }, 180_000);

  afterAll(async () => {
    await h?.suite.close();
    await receiver.stop();
  });

  it('setting a 127.0.0.1 URL is a 400 naming url; one stored anyway (DNS rebinding, older data) is refused at connect time and the receiver sees nothing', async () => {
    expect(h.settings.allowPrivateTargets).toBe(false);
    const url = await receiver.start();
    const token = await h.suite.tokens.sign({ sub: 'duty-HC0001', role: 'company', unitId: 'HC0001' }, 600);
    const put = await call('PUT', `${h.suite.urls.dispatch}/api/v1/companies/me/webhook`, token, { url });
    expect(put.status).toBe(400);
    expect(put.body).toMatchObject({ code: 'WEBHOOK_URL_NOT_ALLOWED', field: 'url' });
    expect(put.body.message).toContain('本机环回地址（127.0.0.1）');

    await h.suite.query('dispatch', `UPDATE company SET webhook_url = $1, webhook_secret = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' WHERE id = 'HC0001'`, [url]);
    const [id] = await queue(h, 'HC0001');
    const refused = await until(h, id, (r) => r.attempts === 1, 'the refused attempt');
    expect(refused.last_error).toBe('target 127.0.0.1 is a loopback address; private targets are not allowed (WEBHOOK_ALLOW_PRIVATE_TARGETS=false)');
    expect(receiver.requests).toEqual([]);
  });
});
