import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { EVENTS_EXCHANGE } from '#shared';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { startInfraSuite } from '../support/infra.js';
import type { InfraSuite } from '../support/infra.js';
import { HC0001_COMMUNITY, hotlineComplaint } from '../support/thin-loop.js';

function envelope(type: string, payload: Record<string, unknown>, id = randomUUID()) {
  return { id, type, version: 1, occurredAt: new Date().toISOString(), producer: 'intake', payload };
}

function complaintPayload(caseId: string) {
  return {
    caseId,
    caseNumber: `GR-20261129-9${caseId.slice(0, 5)}`,
    channel: 'hotline',
    type: 'complaint',
    category: 'too_cold',
    communityName: HC0001_COMMUNITY.communityName,
    address: { cityCode: HC0001_COMMUNITY.cityCode, districtCode: HC0001_COMMUNITY.districtCode, street: '南京南街 1 号' },
    description: '不热',
    phone: '13600001111',
    indoorTemperatureC: 16,
    receivedAt: new Date().toISOString(),
  };
}

describe('messaging faults on real RabbitMQ', () => {
  let suite: InfraSuite;
  let amqp: ChannelModel;
  let channel: ConfirmChannel;
  let province: string;

  async function publishRaw(routingKey: string, body: string, messageId?: string): Promise<void> {
    channel.publish(EVENTS_EXCHANGE, routingKey, Buffer.from(body), { persistent: true, messageId });
    await channel.waitForConfirms();
  }

  async function deadLetters(service: 'dispatch' | 'sms-survey' | 'kpi' | 'intake') {
    return (await call('GET', `${suite.urls[service]}/ops/dead-letters`, province)).body as { count: number; items: any[] };
  }

  beforeAll(async () => {
    // Longer backoff here, so the test can watch other messages pass while one is being retried.
    suite = await startInfraSuite('faults', { env: { MESSAGE_RETRY_DELAYS_MS: '1000,2000' } });
    amqp = await connect(suite.connections.intake.settings.url);
    channel = await amqp.createConfirmChannel();
    province = await suite.tokens.sign({ sub: 'prov', role: 'province' }, 600);
  }, 120_000);

  afterAll(async () => {
    await amqp?.close();
    await suite?.close();
  });

  it('a message whose handler keeps failing is retried with backoff, then parked in the dead-letter queue with the reason, without blocking the queue', async () => {
    const orphanCase = randomUUID();
    const published = Date.now();
    // sms-survey cannot survey a case it has no contact for: its handler throws every time.
    await publishRaw(
      'case.closed',
      JSON.stringify(envelope('case.closed', {
        caseId: orphanCase, caseNumber: 'GR-20261129-999999', companyId: 'HC0001', authorityId: 'AU210100',
        resolution: 'fixed', closedAt: new Date().toISOString(),
      })),
    );
    // Meanwhile a good message for the same queue goes through at once.
    const goodCase = randomUUID();
    await publishRaw('complaint.received', JSON.stringify(envelope('complaint.received', complaintPayload(goodCase))));
    await eventually(async () => ((await suite.query('sms-survey', 'SELECT 1 FROM case_contact WHERE case_id = $1', [goodCase])).length ? true : undefined));
    expect((await deadLetters('sms-survey')).count).toBe(0);

    const parked = await eventually(async () => {
      const letters = await deadLetters('sms-survey');
      return letters.count > 0 ? letters : undefined;
    }, 20_000, 'the failing message to be dead-lettered');
    expect(Date.now() - published).toBeGreaterThanOrEqual(3_000); // 1 s + 2 s of backoff
    expect(parked.count).toBe(1);
    expect(parked.items[0]).toMatchObject({ type: 'case.closed', attempts: 3 });
    expect(parked.items[0].reason).toMatch(/failed 3 times, last error: Error: no contact yet for case/);
    // Reading the dead letters does not consume them.
    expect((await deadLetters('sms-survey')).count).toBe(1);
  });

  it('a malformed message is dead-lettered at once with its reason, and the consumer goes on', async () => {
    await publishRaw('complaint.received', 'this is not json', 'poison-1');
    const letters = await eventually(async () => {
      const l = await deadLetters('dispatch');
      return l.count > 0 ? l : undefined;
    }, 10_000, 'poison message in the dead-letter queue');
    expect(letters.items[0]).toMatchObject({ attempts: 1, reason: 'rejected: PoisonMessageError: body is not valid JSON' });

    const operator = await suite.tokens.sign({ sub: 'op', role: 'operator' }, 600);
    const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint('13600002222'));
    expect(filed.status).toBe(201);
    await eventually(async () => {
      const rows = await suite.query('dispatch', 'SELECT status FROM dispatch_case WHERE id = $1', [filed.body.caseId]);
      return rows[0]?.status === 'dispatched' ? true : undefined;
    }, 10_000, 'the next complaint to be dispatched');
  });

  it('a message delivered twice has one effect (inbox)', async () => {
    const caseId = randomUUID();
    const body = JSON.stringify(envelope('complaint.received', complaintPayload(caseId)));
    await publishRaw('complaint.received', body);
    await publishRaw('complaint.received', body);
    await eventually(async () => {
      const rows = await suite.query('kpi', `SELECT count(*)::int AS n FROM kpi_case WHERE case_id = $1`, [caseId]);
      return rows[0].n === 1 ? true : undefined;
    }, 10_000, 'the case to be dispatched');
    // Give the duplicate every chance to be handled too.
    await new Promise((r) => setTimeout(r, 500));
    const cases = await suite.query('dispatch', 'SELECT count(*)::int AS n FROM dispatch_case WHERE id = $1', [caseId]);
    const events = await suite.query('dispatch', `SELECT count(*)::int AS n FROM outbox_message WHERE event_type = 'case.dispatched' AND payload->>'caseId' = $1`, [caseId]);
    const kpiEvents = await suite.query('kpi', `SELECT count(*)::int AS n FROM kpi_event WHERE type = 'case.dispatched' AND payload->>'caseId' = $1`, [caseId]);
    expect(cases[0].n).toBe(1);
    expect(events[0].n).toBe(1);
    expect(kpiEvents[0].n).toBe(1);
  });
});
