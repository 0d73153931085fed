import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { SERVICE_NAMES } from '#shared';
import { CaseFlow, demoPlaces } from '../support/case-flow.js';
import type { FlowCase } from '../support/case-flow.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { ensureMachineServices, restartPostgres, withRabbitStopped } from '../support/machine-services.js';
import { startProcessSuite } from '../support/service-processes.js';
import type { ProcessSuite } from '../support/service-processes.js';
import { ageLeasesOnceIdle } from '../support/webhook-leases.js';

/*
 * Faults in the middle of a flow, with the four services running as production processes
 * (`node dist/apps/<service>/src/main.js`) on the machine's PostgreSQL and RabbitMQ. Every test
 * ends with the same reconciliation (CaseFlow.reconcile): each accepted complaint reached exactly
 * one company (or the manual queue) once, case.dispatched once per case, one webhook-id per case,
 * every feedback made one survey and one survey SMS, every rating is counted once in kpi, no
 * outbox row left unpublished and no message dead-lettered.
 *
 * RabbitMQ and PostgreSQL are the machine's own: each test that stops one starts it again in a
 * `finally` and waits until it answers, and afterEach checks once more (CI runs other infra tests
 * after these).
 */

describe('faults in the middle of a flow (services as processes), reconciled after each', () => {
  let suite: ProcessSuite;
  let flow: CaseFlow;

  beforeAll(async () => {
    await ensureMachineServices();
    // Production's retry delays (1 s, 10 s, 60 s): a handler that fails while PostgreSQL restarts
    // is retried after it is back (a restart can take 10 s on a busy 2-core machine).
    suite = await startProcessSuite('faults', { env: { MESSAGE_RETRY_DELAYS_MS: '1000,10000,60000' } });
    flow = await new CaseFlow(suite, demoPlaces(4, 40), '139').init();
  }, 120_000);

  afterEach(async () => {
    // Whatever a test did: PostgreSQL and RabbitMQ answer, and every service runs again.
    await ensureMachineServices();
    for (const service of SERVICE_NAMES) if (suite.running(service).length === 0) await suite.start(service);
  }, 120_000);

  afterAll(async () => {
    await flow?.stop();
    await suite?.close();
  }, 60_000);

  it('RabbitMQ stopped mid-flow: intake keeps accepting complaints (outbox), and once it is back each reaches exactly one company once, every feedback gets one survey, every rating counts once', async () => {
    const before = await flow.file(12, { manualEvery: 6 });
    await flow.awaitDispatched(before);
    let during: FlowCase[] = [];
    await withRabbitStopped(async () => {
      await eventually(async () => ((await call('GET', `${suite.url('intake')}/health/ready`)).status === 503 ? true : undefined), 15_000, 'intake to report the broker down');
      during = await flow.file(20, { manualEvery: 5 });
      // Companies keep working meanwhile: their feedback waits in dispatch's outbox.
      await flow.feedBack(before);
      const [{ n }] = await suite.query('intake', `SELECT count(*)::int AS n FROM outbox_message WHERE published_at IS NULL`);
      expect(n).toBe(during.length);
      const [{ closed }] = await suite.query('dispatch', `SELECT count(*)::int AS closed FROM outbox_message WHERE event_type = 'case.closed' AND published_at IS NULL`);
      expect(closed).toBe(before.filter((c) => c.companyId).length);
    });
    await flow.feedBack(during);
    await flow.rate(flow.cases);
    const report = await flow.reconcile();
    expect(report).toMatchObject({ cases: 32, manual: 6, closed: 26, rated: 26, repeatedWebhooks: [] });
    expect(report.webhookRequests).toBe(26);
  });

  it('PostgreSQL restarted twice mid-flow (while complaints are filed, and while companies feed back): nothing lost, each case once (a webhook answered while the database was down goes out again, same webhook-id)', async () => {
    const known = flow.cases.length;
    const surveyed = flow.cases.filter((c) => c.closed).length;
    const restarts: Array<[number, number]> = [];
    const restart = async () => {
      const started = Date.now();
      await restartPostgres();
      restarts.push([started, Date.now()]);
      if (process.env.FLOW_REPORT) process.stderr.write(`[restart] PostgreSQL answered again after ${Date.now() - started} ms\n`);
    };
    const filing = flow.file(30, { concurrency: 4, manualEvery: 10 });
    await eventually(async () => ((await suite.query('dispatch', `SELECT count(*)::int AS n FROM dispatch_case`))[0].n >= known + 8 ? true : undefined), 30_000, 'the flow to be under way');
    await restart();
    const batch = await filing;
    const feeding = flow.feedBack(batch, 3);
    await eventually(async () => ((await suite.query('sms-survey', `SELECT count(*)::int AS n FROM survey`))[0].n >= surveyed + 6 ? true : undefined), 30_000, 'feedback to be under way');
    await restart();
    await feeding;
    await flow.rate(batch);
    // A webhook the company accepted while dispatch could not write that down is sent again when its lease runs out (60 s): don't wait for it.
    await ageLeasesOnceIdle((sql) => suite.query('dispatch', sql), () => flow.webhookRequestCount());
    const duringRestart = (at: number) => restarts.some(([from, to]) => at >= from - 2_000 && at <= to + 2_000);
    const report = await flow.reconcile({ allowRepeatedWebhook: (_id, accepted) => accepted.length === 2 && duringRestart(accepted[0]) });
    expect(report).toMatchObject({ cases: known + 30, closed: surveyed + 27 });
  });

  it('dispatch and kpi SIGKILLed mid-batch and started again: the batch is dispatched and counted exactly once (webhooks at least once, one webhook-id per case)', async () => {
    const known = flow.cases.length;
    const [dispatch] = suite.running('dispatch');
    const [kpi] = suite.running('kpi');
    const filing = flow.file(40, { concurrency: 10, manualEvery: 10 });
    await eventually(async () => ((await suite.query('dispatch', `SELECT count(*)::int AS n FROM dispatch_case`))[0].n >= known + 12 ? true : undefined), 30_000, 'the batch to be under way');
    await Promise.all([suite.kill(dispatch, 'SIGKILL'), suite.kill(kpi, 'SIGKILL')]);
    const killedAt = Date.now();
    // Webhook deliveries the dead process had leased would be sent by the next one after the
    // lease (60 s, not configurable by environment): no dispatch process runs now, so every live
    // lease is the dead one's; age them instead of waiting.
    await suite.query('dispatch', `UPDATE webhook_delivery SET leased_until = now() - interval '1 second' WHERE status = 'pending' AND leased_until > now()`);
    await Promise.all([suite.start('dispatch'), suite.start('kpi')]);
    const batch = await filing;
    await flow.feedBack(batch);
    await flow.rate(batch);
    // A webhook the company had accepted but the dead process had not yet recorded (it records in
    // the background, in batches) goes out again with the same webhook-id: at least once. Only
    // such a one may be accepted twice.
    const report = await flow.reconcile({ allowRepeatedWebhook: (_id, accepted) => accepted.length === 2 && accepted[0] <= killedAt });
    expect(report).toMatchObject({ cases: known + 40, closed: flow.cases.filter((c) => c.closed).length });
  });

  it('intake SIGKILLed mid-burst: every complaint the operator was told is accepted is dispatched once, and retries with the same Idempotency-Key make no second case', async () => {
    const known = flow.cases.length;
    const [intake] = suite.running('intake');
    const filing = flow.file(30, { concurrency: 8, manualEvery: 10 });
    await eventually(async () => ((await suite.query('intake', `SELECT count(*)::int AS n FROM complaint`))[0].n >= known + 10 ? true : undefined), 30_000, 'the burst to be under way');
    await suite.kill(intake, 'SIGKILL');
    await suite.start('intake');
    const batch = await filing;
    await flow.feedBack(batch);
    await flow.rate(batch);
    const report = await flow.reconcile();
    expect(report.cases).toBe(known + 30);
    expect(report.webhookRequests).toBe(report.routed + report.repeatedWebhooks.length); // none beyond the earlier tests' accepted repeats
  });
});
