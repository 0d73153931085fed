import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MessagingHousekeeping, PhoneVault } from '#shared';
import { call } from '../support/http.js';
import { startInfraSuite, TEST_SECRET } from '../support/infra.js';
import { columnsWithPlaintextPhones } from '../support/stored-phones.js';
import type { InfraSuite } from '../support/infra.js';
import { driveThinLoop } from '../support/thin-loop.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

describe('the suite on real PostgreSQL and RabbitMQ', () => {
  let suite: InfraSuite;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    suite = await startInfraSuite('loop');
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
    await receiver.stop();
  });

  it('all four services report ready (PostgreSQL and RabbitMQ)', async () => {
    for (const url of Object.values(suite.urls)) {
      const r = await call('GET', `${url}/health/ready`);
      expect(r).toEqual({ status: 200, body: { status: 'ok', checks: { database: 'ok', broker: 'ok' } } });
    }
  });

  it('a complaint travels the whole loop: intake → dispatch → signed webhook → feedback → survey SMS → reply → kpi', async () => {
    await driveThinLoop(suite, receiver, '13712345678');
  });

  it('after the loop no table of any service holds a phone number in clear text (encrypted at rest, blind index for look-ups)', async () => {
    const found: string[] = [];
    for (const service of ['intake', 'dispatch', 'sms-survey', 'kpi'] as const) {
      found.push(...(await columnsWithPlaintextPhones((sql, params) => suite.query(service, sql, params))).map((c) => `${service}: ${c}`));
    }
    expect(found).toEqual([]);
    // The loop's resident really is stored, sealed: intake finds the case by the number's blind index.
    const vault = PhoneVault.derivedFrom(TEST_SECRET);
    expect((await suite.query('intake', 'SELECT count(*)::int AS n FROM complaint WHERE phone_hash = $1', [vault.hash('13712345678')]))[0].n).toBe(1);
  });

  it('migrations, not synchronize, created the schema (recorded in schema_migration)', async () => {
    const rows = await suite.query('dispatch', 'SELECT name FROM schema_migration ORDER BY id');
    expect(rows.map((r) => r.name)).toEqual([
      'MessagingTables1764400000000',
      'SmsTables1764400000050',
      'SmsTemplates1764400000060',
      'SmsPhonesAtRest1764400000070',
      'DispatchSchema1764400000200',
      'CaseWorkflow1764400000210',
      'WebhookHardening1764400000230',
      'OutageIncidents1764400000240',
      'BadRatings1764400000250',
      'AuditChain1764400000260',
      'PhonesAtRest1764400000270',
      'MessagingRetention1764400000900',
      'OutboxPhonesSealed1764400000910',
    ]);
  });

  it('housekeeping prunes published outbox rows after 7 days and inbox ids after 30, nothing newer and nothing unpublished', async () => {
    await suite.query('kpi', `INSERT INTO outbox_message (message_id, event_type, event_version, payload, occurred_at, published_at) VALUES
      (gen_random_uuid(), 'x', 1, '{}', now(), now() - interval '8 days'),
      (gen_random_uuid(), 'x', 1, '{}', now(), now() - interval '6 days'),
      ('9d000000-0000-4000-8000-000000000001', 'x', 1, '{}', now() - interval '9 days', NULL)`);
    await suite.query('kpi', `INSERT INTO inbox_message (message_id, event_type, handled_at) VALUES
      (gen_random_uuid(), 'x', now() - interval '31 days'), (gen_random_uuid(), 'x', now() - interval '29 days')`);
    const before = await suite.query('kpi', `SELECT (SELECT count(*) FROM outbox_message)::int AS o, (SELECT count(*) FROM inbox_message)::int AS i`);
    const removed = await suite.apps.kpi.get(MessagingHousekeeping).prune();
    const after = await suite.query('kpi', `SELECT (SELECT count(*) FROM outbox_message)::int AS o, (SELECT count(*) FROM inbox_message)::int AS i`);
    expect(removed).toBe(2);
    expect(after[0]).toEqual({ o: before[0].o - 1, i: before[0].i - 1 });
    // (the relay may have published it meanwhile; either way it was not old-and-published when pruned)
    const unpublished = await suite.query('kpi', `SELECT count(*)::int AS n FROM outbox_message WHERE message_id = '9d000000-0000-4000-8000-000000000001'`);
    expect(unpublished[0].n).toBe(1);
  });
});
