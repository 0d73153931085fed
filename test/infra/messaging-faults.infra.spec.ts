import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'amqplib';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { EVENTS_EXCHANGE, listDeadLetters } from '#shared';
import { demoPlaces } from '../support/case-flow.js';
import { runDlq } from '../support/dlq-cli.js';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { startInfraSuite } from '../support/infra.js';
import type { InfraSuite } from '../support/infra.js';
import { HC0001_COMMUNITY, hotlineComplaint } from '../support/thin-loop.js';

function envelope(type: string, payload: Record<string, unknown>, id = randomUUID()) {
  return { id, type, version: 1, occurredAt: new Date().toISOString(), producer: 'intake', payload };
}

function complaintPayload(caseId: string, phone = '13600001111') {
  return {
    caseId,
    caseNumber: `GR-20261129-9${caseId.slice(0, 5)}`,
    channel: 'hotline',
    type: 'complaint',
    category: 'too_cold',
    communityName: HC0001_COMMUNITY.communityName,
    address: { cityCode: HC0001_COMMUNITY.cityCode, districtCode: HC0001_COMMUNITY.districtCode, street: '南京南街 1 号' },
    description: '不热',
    phone,
    indoorTemperatureC: 16,
    receivedAt: new Date().toISOString(),
  };
}

describe('messaging faults on real RabbitMQ', () => {
  let suite: InfraSuite;
  let amqp: ChannelModel;
  let channel: ConfirmChannel;
  let province: string;
  /** The case.closed the first test parks (sms-survey had no contact for its case), and that case. */
  let parked: { id: string; caseId: string } | undefined;

  async function publishRaw(routingKey: string, body: string, messageId?: string, type?: string): Promise<void> {
    channel.publish(EVENTS_EXCHANGE, routingKey, Buffer.from(body), { persistent: true, messageId, type });
    await channel.waitForConfirms();
  }

  const count = async (service: 'intake' | 'dispatch' | 'sms-survey' | 'kpi', sql: string, params: unknown[] = []) => (await suite.query(service, sql, params))[0].n as number;

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
    const closed = envelope('case.closed', {
      caseId: orphanCase, caseNumber: 'GR-20261129-999999', companyId: 'HC0001', authorityId: 'AU210100',
      resolution: 'fixed', closedAt: new Date().toISOString(),
    });
    parked = { id: closed.id, caseId: orphanCase };
    await publishRaw('case.closed', JSON.stringify(closed), closed.id, 'case.closed');
    // Meanwhile a good message for the same queue goes through at once.
    const goodCase = randomUUID();
    await publishRaw('complaint.received', JSON.stringify(envelope('complaint.received', complaintPayload(goodCase))));
    await eventually(async () => ((await suite.query('sms-survey', 'SELECT 1 FROM case_contact WHERE case_id = $1', [goodCase])).length ? true : undefined));
    expect((await deadLetters('sms-survey')).count).toBe(0);

    const letters = await eventually(async () => {
      const l = await deadLetters('sms-survey');
      return l.count > 0 ? l : undefined;
    }, 20_000, 'the failing message to be dead-lettered');
    expect(Date.now() - published).toBeGreaterThanOrEqual(3_000); // 1 s + 2 s of backoff
    expect(letters.count).toBe(1);
    expect(letters.items[0]).toMatchObject({ type: 'case.closed', attempts: 3 });
    expect(letters.items[0].reason).toMatch(/failed 3 times, last error: Error: no contact yet for case/);
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

  it('a case.closed that arrives before its case.dispatched, each delivered twice: one effect each, and every service reads the case as closed', async () => {
    const operator = await suite.tokens.sign({ sub: 'op', role: 'operator' }, 600);
    // A real complaint (intake, sms-survey and kpi know it) that no company took: dispatch emits nothing for it.
    const filed = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint('13600003333', '不存在的测试小区'));
    expect(filed.status).toBe(201);
    const { caseId, caseNumber } = filed.body;
    await eventually(async () => ((await count('sms-survey', 'SELECT count(*)::int AS n FROM case_contact WHERE case_id = $1', [caseId])) === 1 ? true : undefined), 10_000, 'sms-survey to learn the contact');
    await eventually(async () => ((await count('kpi', `SELECT count(*)::int AS n FROM kpi_event WHERE payload->>'caseId' = $1`, [caseId])) === 1 ? true : undefined), 10_000, 'kpi to store the complaint');

    const [place] = demoPlaces(1, 300); // a company no other test here touches
    const now = Date.now();
    const closed = envelope('case.closed', { caseId, caseNumber, companyId: place.companyId, authorityId: place.authorityId, resolution: 'fixed', closedAt: new Date(now).toISOString() });
    const dispatched = envelope('case.dispatched', {
      caseId, caseNumber, companyId: place.companyId, authorityId: place.authorityId, cityCode: place.cityCode, method: 'auto', reason: 'test',
      receivedAt: new Date(now - 60_000).toISOString(), dispatchedAt: new Date(now - 30_000).toISOString(), dueAt: new Date(now + 3 * 86_400_000).toISOString(),
    });
    for (const env of [closed, closed]) await publishRaw(env.type, JSON.stringify(env), env.id, env.type);
    await eventually(async () => ((await count('sms-survey', 'SELECT count(*)::int AS n FROM survey WHERE case_id = $1', [caseId])) === 1 ? true : undefined), 10_000, 'the survey');
    for (const env of [dispatched, dispatched]) await publishRaw(env.type, JSON.stringify(env), env.id, env.type);
    await eventually(async () => {
      const rows = await suite.query('kpi', `SELECT coalesce(sum(dispatched), 0)::int AS d, coalesce(sum(closed), 0)::int AS c FROM unit_month WHERE unit_type = 'company' AND unit_id = $1`, [place.companyId]);
      return rows[0].d === 1 && rows[0].c === 1 ? true : undefined;
    }, 10_000, 'kpi to count the dispatch and the closing');
    await eventually(async () => ((await suite.query('intake', 'SELECT count(*)::int AS n FROM complaint_status_entry WHERE complaint_id = $1', [caseId]))[0].n === 3 ? true : undefined), 10_000, 'intake to record both events');
    await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show up, if there were one

    const [complaint] = await suite.query('intake', 'SELECT status FROM complaint WHERE id = $1', [caseId]);
    expect(complaint.status).toBe('closed'); // the late dispatch does not move it back
    const history = await suite.query('intake', 'SELECT status FROM complaint_status_entry WHERE complaint_id = $1 ORDER BY id', [caseId]);
    expect(history.map((h) => h.status)).toEqual(['received', 'closed', 'dispatched']);
    expect(await count('sms-survey', 'SELECT count(*)::int AS n FROM survey WHERE case_id = $1', [caseId])).toBe(1);
    expect(await count('sms-survey', `SELECT count(*)::int AS n FROM sms_message m JOIN survey s ON s.id = m.survey_id WHERE s.case_id = $1 AND m.template LIKE 'survey_invitation%'`, [caseId])).toBe(1);
    const events = await suite.query('kpi', `SELECT type, count(*)::int AS n FROM kpi_event WHERE payload->>'caseId' = $1 GROUP BY type ORDER BY type`, [caseId]);
    expect(events).toEqual([{ type: 'case.closed', n: 1 }, { type: 'case.dispatched', n: 1 }, { type: 'complaint.received', n: 1 }]);
    const [kpiCase] = await suite.query('kpi', 'SELECT company_id, closed_at FROM kpi_case WHERE case_id = $1', [caseId]);
    expect(kpiCase.company_id).toBe(place.companyId);
    expect(kpiCase.closed_at).not.toBeNull();
  });

  it('`npm run dlq -- list` shows each parked message per service queue (id, type, reason, when, attempts) without consuming it, and never a phone number', async () => {
    const phone = '13655557777';
    // Two poison messages for kpi alone (only kpi takes bad_rating.updated), one carrying a phone number in its body and one in its type.
    const invalid = envelope('bad_rating.updated', { caseId: 'not-a-uuid', phone });
    await publishRaw('bad_rating.updated', JSON.stringify(invalid), invalid.id, 'bad_rating.updated');
    await publishRaw('bad_rating.updated', 'not json', 'poison-2', `note ${phone}`);
    // (kpi, dispatch and sms-survey also hold the malformed complaint.received of an earlier test: poison-1.)
    await eventually(async () => ((await deadLetters('kpi')).count === 3 ? true : undefined), 10_000, 'both poison messages parked at kpi');

    const url = suite.connections.intake.settings.url;
    const json = await runDlq(url, 'list', '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(json.stdout) as Array<{ queue: string; total: number; items: any[] }>;
    // (intake parked the case.dispatched events of the complaints injected above, which it never received: not counted here.)
    expect(report.map((r) => r.queue)).toEqual(['heating.intake', 'heating.dispatch', 'heating.sms-survey', 'heating.kpi']);
    expect(report.slice(1).map((r) => r.total)).toEqual([1, 2, 3]);
    const smsSurvey = report.find((r) => r.queue === 'heating.sms-survey')!.items.find((m) => m.type === 'case.closed');
    expect(smsSurvey).toMatchObject({ messageId: parked!.id, type: 'case.closed', attempts: 3, replays: 0 });
    expect(smsSurvey.reason).toMatch(/^failed 3 times, last error: Error: no contact yet for case/);
    expect(Date.parse(smsSurvey.deadLetteredAt)).toBeGreaterThan(Date.now() - 120_000);
    const kpi = report.find((r) => r.queue === 'heating.kpi')!.items.filter((m) => m.messageId !== 'poison-1');
    expect(kpi[0]).toMatchObject({ messageId: invalid.id, type: 'bad_rating.updated', attempts: 1 });
    expect(kpi[0].reason).toMatch(/^rejected: PoisonMessageError: payload of "bad_rating.updated" v1 is invalid/);
    expect(kpi[1]).toMatchObject({ messageId: 'poison-2', type: 'note 136****7777', reason: 'rejected: PoisonMessageError: body is not valid JSON' });

    const table = await runDlq(url, 'list', '--queue', 'kpi');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('heating.kpi (dead-letter queue heating.kpi.dead-letter): 3 parked');
    expect(table.stdout).toContain(invalid.id);
    // Nor the ops endpoint, which shows bodies: the number is masked there. (The CLI, another
    // process, hands its messages back as it exits; the broker may take a moment to requeue them.)
    const afterCli = await eventually(async () => {
      const letters = await deadLetters('kpi');
      return letters.count === 3 ? letters : undefined;
    }, 5_000, 'the messages the CLI listed to be back');
    const ops = JSON.stringify(afterCli);
    expect(ops).toContain('136****7777');
    for (const output of [json.stdout, table.stdout, ops]) expect(output).not.toContain(phone);
    // Listing consumed nothing, and a listing right after a listing sees everything.
    expect((await deadLetters('kpi')).count).toBe(3);
    expect((await deadLetters('kpi')).items).toHaveLength(3);
    expect((await deadLetters('sms-survey')).count).toBe(2);
  });

  it('a parked message, once its cause is fixed, is replayed by `npm run dlq -- replay --id` onto its own service queue only and handled exactly once', async () => {
    const url = suite.connections.intake.settings.url;
    const { id, caseId } = parked!;
    // The cause: sms-survey never learnt whom to ask. Fixed: the case's complaint.received arrives.
    await publishRaw('complaint.received', JSON.stringify(envelope('complaint.received', complaintPayload(caseId, '13600004444'))));
    await eventually(async () => ((await count('sms-survey', 'SELECT count(*)::int AS n FROM case_contact WHERE case_id = $1', [caseId])) === 1 ? true : undefined), 10_000, 'the contact');
    expect(await count('sms-survey', 'SELECT count(*)::int AS n FROM survey WHERE case_id = $1', [caseId])).toBe(0);

    const replay = await runDlq(url, 'replay', '--queue', 'heating.sms-survey', '--id', id);
    expect(replay).toMatchObject({ code: 0, stderr: '' });
    expect(replay.stdout).toContain(`heating.sms-survey: replayed 1, left parked 1`); // poison-1 was not chosen
    await eventually(async () => ((await count('sms-survey', 'SELECT count(*)::int AS n FROM survey WHERE case_id = $1', [caseId])) === 1 ? true : undefined), 10_000, 'the survey after the replay');
    const left = await deadLetters('sms-survey');
    expect(left.items.map((m) => m.envelopeId)).toEqual(['poison-1']);

    // The same id again: nothing parked any more, so nothing happens (exit code 1, says so).
    const again = await runDlq(url, 'replay', '--queue', 'sms-survey', '--id', id);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain(`not found: no parked message with id ${id}`);
    await new Promise((r) => setTimeout(r, 500));
    expect(await count('sms-survey', 'SELECT count(*)::int AS n FROM survey WHERE case_id = $1', [caseId])).toBe(1);
    expect(await count('sms-survey', `SELECT count(*)::int AS n FROM sms_message m JOIN survey s ON s.id = m.survey_id WHERE s.case_id = $1 AND m.template LIKE 'survey_invitation%'`, [caseId])).toBe(1);
    expect(await count('sms-survey', 'SELECT count(*)::int AS n FROM inbox_message WHERE message_id = $1', [id])).toBe(1);
    // Only sms-survey saw it again: kpi stored its own copy once, when it was first published.
    expect(await count('kpi', 'SELECT count(*)::int AS n FROM kpi_event WHERE message_id = $1', [id])).toBe(1);
  });

  it('poison messages replayed with `--all` are parked again at once, marked as replayed; other services\' dead letters are untouched', async () => {
    const url = suite.connections.intake.settings.url;
    const replay = await runDlq(url, 'replay', '--queue', 'kpi', '--all', '--json');
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ queue: 'heating.kpi', kept: 0, failed: [], notFound: [] });
    expect(JSON.parse(replay.stdout).replayed).toHaveLength(3);
    const letters = await eventually(async () => {
      const list = await listDeadLetters(channel, 'heating.kpi');
      return list.total === 3 && list.items.every((m) => m.replays === 1) ? list : undefined;
    }, 10_000, 'all three to be parked again, replayed once');
    expect(letters.items.map((m) => m.attempts)).toEqual([1, 1, 1]);
    // Replaying kpi's touched no other queue: dispatch and sms-survey still hold their copy of poison-1, not replayed.
    for (const queue of ['heating.dispatch', 'heating.sms-survey']) {
      const other = await listDeadLetters(channel, queue);
      expect(other.items.map((m) => [m.messageId, m.replays])).toEqual([['poison-1', 0]]);
    }
  });
});
