import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ManualClock } from '#shared';
import { WebhookDispatcher } from '../../apps/dispatch/src/webhooks/webhook-dispatcher.js';
import { WEBHOOK_SETTINGS } from '../../apps/dispatch/src/webhooks/webhook-settings.js';
import type { WebhookDeliverySettings } from '../../apps/dispatch/src/webhooks/webhook-settings.js';
import { CaseFlow, demoPlaces, flowTargetOf } from '../support/case-flow.js';
import type { FlowCase, Place } from '../support/case-flow.js';
import { eventually } from '../support/eventually.js';
import { startInfraSuite } from '../support/infra.js';
import type { InfraSuite } from '../support/infra.js';

/*
 * Company endpoints that fail, time out, hang or answer slowly, with whole cases going through the
 * loop (intake → dispatch → webhook → feedback → survey → rating → kpi) on real PostgreSQL and
 * RabbitMQ, each test ending with the reconciliation. What test/infra/webhooks.infra.spec.ts already
 * covers (500 then 200, 410, isolation from a hanging company, claims under load) is not repeated:
 * here the point is that whatever the endpoint does, each case has one webhook-id, every retry
 * carries it, and the company accepts the case once.
 * The suite runs on a manual clock (retries are due when the test moves it), with a 500 ms
 * request budget instead of 15 s.
 */

interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

describe('company webhook endpoints that fail, time out, hang or are slow (whole cases, reconciled)', () => {
  let suite: InfraSuite;
  let flow: CaseFlow;
  let settings: WebhookDeliverySettings;
  let dispatcher: WebhookDispatcher;
  const clock = new ManualClock(new Date());
  const [faulty, down, slow] = demoPlaces(3, 120);

  const receiverOf = (place: Place) => flow.receivers.get(place.companyId)!;
  const deliveriesOf = (cases: FlowCase[]): Promise<DeliveryRow[]> =>
    suite.query('dispatch', `SELECT id, status, attempts, last_error FROM webhook_delivery WHERE event_type = 'case.dispatched' AND case_id = ANY($1::uuid[]) ORDER BY seq`, [cases.map((c) => c.caseId)]);
  const until = (cases: FlowCase[], what: string, predicate: (rows: DeliveryRow[]) => boolean) =>
    eventually(async () => {
      const rows = await deliveriesOf(cases);
      return rows.length === cases.length && predicate(rows) ? rows : undefined;
    }, 20_000, what);
  /** Moves the service clock past the retry (jitter fixed at the nominal delay) and looks for due deliveries. */
  const retryAfter = (ms: number) => {
    clock.advance(ms);
    dispatcher.kick();
  };

  beforeAll(async () => {
    suite = await startInfraSuite('webhook_faults', { clock });
    settings = suite.apps.dispatch.get(WEBHOOK_SETTINGS);
    dispatcher = suite.apps.dispatch.get(WebhookDispatcher);
    settings.timeoutMs = 500;
    settings.random = () => 0.5; // no jitter: retries are due exactly 5 s, 30 s, 2 min … later
    flow = await new CaseFlow(flowTargetOf(suite), [faulty, down, slow], '137', () => clock.now()).init();
  }, 120_000);

  afterAll(async () => {
    await flow?.stop();
    await suite?.close();
  });

  it('an endpoint that hangs, then never finishes its body, then answers 503 gets the same webhook-id on every retry and accepts the case once; every attempt is logged', async () => {
    receiverOf(faulty).then('hang', 'hang-body', { status: 503 });
    const cases = await flow.file(1, { place: faulty });
    await until(cases, 'the first attempt to time out', ([d]) => d.attempts === 1);
    retryAfter(5_000);
    await until(cases, 'the second attempt', ([d]) => d.attempts === 2);
    retryAfter(30_000);
    await until(cases, 'the third attempt', ([d]) => d.attempts === 3);
    retryAfter(120_000);
    const [delivery] = await until(cases, 'the delivery', ([d]) => d.status === 'delivered');
    expect(delivery.attempts).toBe(4);
    const attempts = await suite.query('dispatch', `SELECT attempt, status_code, error FROM webhook_attempt WHERE delivery_id = $1 ORDER BY attempt`, [delivery.id]);
    expect(attempts.map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, null, 'no response within 500 ms'],
      [2, 200, 'HTTP 200: response body not finished within 500 ms'],
      [3, 503, 'HTTP 503'],
      [4, 204, null],
    ]);
    const requests = receiverOf(faulty).requests;
    expect(requests.map((r) => r.id)).toEqual([delivery.id, delivery.id, delivery.id, delivery.id]);
    expect(receiverOf(faulty).received.map((r) => r.id)).toEqual([delivery.id]);

    await flow.feedBack(cases);
    await flow.rate(cases);
    const report = await flow.reconcile();
    expect(report).toMatchObject({ cases: 1, webhookRequests: 4, retriedWebhooks: 1, repeatedWebhooks: [] });
  });

  it('an endpoint that is down (connection refused) while its cases are dispatched gets each of them once it is back, with the webhook-id it had', async () => {
    const receiver = receiverOf(down);
    const port = receiver.port;
    await receiver.stop();
    const cases = await flow.file(3, { place: down });
    const refused = await until(cases, 'each to be refused once', (rows) => rows.every((d) => d.attempts === 1));
    for (const d of refused) expect(d).toMatchObject({ status: 'pending', last_error: expect.stringMatching(/connection refused/) });
    expect(receiver.requests).toHaveLength(0);
    await receiver.start(port);
    retryAfter(5_000);
    const rows = await until(cases, 'all three delivered', (r) => r.every((d) => d.status === 'delivered'));
    expect(rows.map((d) => d.attempts)).toEqual([2, 2, 2]);
    expect(receiver.requests.map((r) => r.id).sort()).toEqual(rows.map((d) => d.id).sort()); // each once, with the id it had

    await flow.feedBack(cases);
    await flow.rate(cases);
    const report = await flow.reconcile();
    expect(report).toMatchObject({ cases: 4, webhookRequests: 4 + 3, retriedWebhooks: 1, repeatedWebhooks: [] }); // refused attempts never reached it
  });

  it('a slow endpoint (every answer after 300 ms, inside the budget) gets each case once, one request at a time, never retried', async () => {
    settings.timeoutMs = 2_000;
    try {
      receiverOf(slow).behaviour = { delayMs: 300 };
      const slowCases = await flow.file(5, { place: slow, concurrency: 5 });
      const delivered = await until(slowCases, 'the slow deliveries', (rows) => rows.every((d) => d.status === 'delivered'));
      expect(delivered.map((d) => d.attempts)).toEqual([1, 1, 1, 1, 1]);
      // Each once. (Not necessarily in insert order: deliveries queued by transactions that commit
      // in another order go out in commit order; the order per case is what the dispatcher keeps.)
      expect(receiverOf(slow).requests.map((r) => r.id).sort()).toEqual(delivered.map((d) => d.id).sort());
      const arrivals = receiverOf(slow).requests.map((r) => r.at);
      for (let i = 1; i < arrivals.length; i++) expect(arrivals[i] - arrivals[i - 1]).toBeGreaterThanOrEqual(290); // one at a time

      await flow.feedBack(slowCases);
      await flow.rate(slowCases);
      const report = await flow.reconcile();
      expect(report).toMatchObject({ cases: 9, webhookRequests: 7 + 5, retriedWebhooks: 1, repeatedWebhooks: [] });
    } finally {
      settings.timeoutMs = 500;
      receiverOf(slow).behaviour = 'ok';
    }
  });
});
