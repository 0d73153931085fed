import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from '../support/http.js';
import { startInfraSuite } from '../support/infra.js';
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

  it('migrations, not synchronize, created the schema (recorded in schema_migration)', async () => {
    const rows = await suite.query('dispatch', 'SELECT name FROM schema_migration ORDER BY id');
    expect(rows.map((r) => r.name)).toEqual(['MessagingTables1764400000000', 'DispatchSchema1764400000200']);
  });
});
