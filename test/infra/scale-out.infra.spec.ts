import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'amqplib';
import { queueOf, SERVICE_NAMES } from '#shared';
import { CaseFlow, demoPlaces } from '../support/case-flow.js';
import { eventually } from '../support/eventually.js';
import { ensureMachineServices } from '../support/machine-services.js';
import { startProcessSuite } from '../support/service-processes.js';
import type { ProcessSuite } from '../support/service-processes.js';
import { ageLeasesOnceIdle } from '../support/webhook-leases.js';

/*
 * Scale-out as production does it: more processes of a service on the same durable queue and the
 * same database. Two dispatch processes and two sms-survey processes (plus one intake, one kpi),
 * each a real `node dist/apps/<service>/src/main.js`. The rules: RabbitMQ hands each message to
 * one of them and the inbox makes a redelivery harmless; a webhook delivery is leased to one
 * process (at insert, or claimed FOR UPDATE SKIP LOCKED); an SMS is claimed by one process. So
 * each case gets one webhook request and one survey SMS — also when one replica is SIGKILLed
 * mid-flow and the other takes over its work.
 */

describe('scale-out: two dispatch and two sms-survey processes on the same queues and databases', () => {
  let suite: ProcessSuite;
  let flow: CaseFlow;

  beforeAll(async () => {
    await ensureMachineServices();
    suite = await startProcessSuite('scale', { replicas: { dispatch: 2, 'sms-survey': 2 } });
    flow = await new CaseFlow(suite, demoPlaces(6, 80), '138').init();
  }, 150_000);

  afterEach(async () => {
    await ensureMachineServices();
    for (const service of SERVICE_NAMES) if (suite.running(service).length === 0) await suite.start(service);
  }, 120_000);

  afterAll(async () => {
    await flow?.stop();
    await suite?.close();
  }, 60_000);

  it('both processes of a service consume from its one queue; each case gets exactly one webhook request and one survey SMS', async () => {
    const amqp = await connect(suite.amqpUrl);
    try {
      const ch = await amqp.createChannel();
      expect((await ch.checkQueue(queueOf('dispatch'))).consumerCount).toBe(2);
      expect((await ch.checkQueue(queueOf('sms-survey'))).consumerCount).toBe(2);
    } finally {
      await amqp.close();
    }
    const cases = await flow.file(48, { concurrency: 10, manualEvery: 12 });
    await flow.feedBack(cases, 8);
    await flow.rate(cases, 8);
    const report = await flow.reconcile();
    expect(report).toMatchObject({ cases: 48, routed: 44, closed: 44, rated: 44, repeatedWebhooks: [] });
    expect(report.webhookRequests).toBe(44); // strictly one request per case, none retried
  });

  it('a dispatch replica and an sms-survey replica SIGKILLed mid-flow: the others take over their work; still one webhook-id and one survey SMS per case (a webhook the killed process sent but had not recorded may come again, with the same webhook-id)', async () => {
    const known = flow.cases.length;
    const requestsBefore = flow.webhookRequestCount();
    // Slow receivers: each process holds a queue of leased deliveries in memory (one request at a time per company).
    for (const receiver of flow.receivers.values()) receiver.behaviour = { delayMs: 150 };
    try {
      const [victim] = suite.running('dispatch');
      const filing = flow.file(40, { concurrency: 12 });
      await eventually(async () => (flow.webhookRequestCount() - requestsBefore >= 10 ? true : undefined), 30_000, 'webhooks to be under way');
      await suite.kill(victim, 'SIGKILL');
      const killedAt = Date.now();
      const batch = await filing;
      await flow.awaitDispatched(batch);
      // What the dead process had leased waits for its lease (60 s): once the survivor is idle, age it.
      const orphaned = await ageLeasesOnceIdle((sql) => suite.query('dispatch', sql), () => flow.webhookRequestCount());
      expect(orphaned.length).toBeGreaterThan(0); // the takeover path really ran

      // Now sms-survey: kill one replica while case.closed events are being turned into surveys.
      for (const receiver of flow.receivers.values()) receiver.behaviour = 'ok';
      const [smsVictim] = suite.running('sms-survey');
      const surveysBefore = (await suite.query('sms-survey', `SELECT count(*)::int AS n FROM survey`))[0].n;
      const feeding = flow.feedBack(batch, 8);
      await eventually(async () => ((await suite.query('sms-survey', `SELECT count(*)::int AS n FROM survey`))[0].n >= surveysBefore + 8 ? true : undefined), 30_000, 'surveys to be under way');
      await suite.kill(smsVictim, 'SIGKILL');
      await feeding;
      await flow.rate(batch, 8);

      // Accepted twice only if the company accepted it before the kill and the dead process had not recorded that yet.
      const report = await flow.reconcile({ allowRepeatedWebhook: (_id, accepted) => accepted.length === 2 && accepted[0] <= killedAt });
      expect(report).toMatchObject({ cases: known + 40, closed: known - 4 + 40, rated: known - 4 + 40 });
    } finally {
      for (const receiver of flow.receivers.values()) receiver.behaviour = 'ok';
    }
  });
});
