import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { eventually } from '../support/eventually.js';
import { call } from '../support/http.js';
import { PG_URL, rabbitmqctl, startInfraSuite } from '../support/infra.js';
import type { InfraSuite } from '../support/infra.js';
import { hotlineComplaint } from '../support/thin-loop.js';

const BURST = 1_000;

/** Sends `count` requests, `concurrency` at a time; returns the statuses. */
async function burst(count: number, concurrency: number, send: (i: number) => Promise<number>): Promise<number[]> {
  const statuses: number[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        statuses[i] = await send(i);
      }
    }),
  );
  return statuses;
}

describe('outages', () => {
  let suite: InfraSuite;
  let operator: string;

  beforeAll(async () => {
    suite = await startInfraSuite('outages');
    operator = await suite.tokens.sign({ sub: 'op-burst', role: 'operator' }, 3600);
  }, 120_000);

  afterAll(async () => {
    // Whatever happened, leave the machine's services running.
    try {
      rabbitmqctl('start_app');
    } catch {
      // already running
    }
    await suite?.close();
  });

  it(`RabbitMQ stopped during a burst of ${BURST} complaints: all are accepted, and once it is back every one is dispatched exactly once`, async () => {
    rabbitmqctl('stop_app');
    try {
      await eventually(async () => ((await call('GET', `${suite.urls.intake}/health/ready`)).status === 503 ? true : undefined), 15_000, 'readiness to report the broker down');
      const ready = await call('GET', `${suite.urls.intake}/health/ready`);
      expect(ready.body).toEqual({ status: 'error', checks: { database: 'ok', broker: 'down' } });

      const statuses = await burst(BURST, 20, async (i) => {
        const phone = `135${String(10_000_000 + i).slice(-8)}`;
        return (await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint(phone))).status;
      });
      expect(statuses.filter((s) => s === 201)).toHaveLength(BURST);
      const waiting = await suite.query('intake', `SELECT count(*)::int AS n FROM outbox_message WHERE published_at IS NULL`);
      expect(waiting[0].n).toBe(BURST);
    } finally {
      rabbitmqctl('start_app');
    }

    await eventually(async () => {
      const rows = await suite.query('kpi', `SELECT coalesce(sum(dispatched), 0)::int AS n FROM unit_month WHERE unit_type = 'company'`);
      return rows[0].n >= BURST ? true : undefined;
    }, 180_000, `all ${BURST} complaints to be dispatched and counted`);
    // A little longer, so a duplicate (if there were one) would have arrived too.
    await new Promise((r) => setTimeout(r, 1_000));

    const dispatched = await suite.query('dispatch', `SELECT count(*)::int AS cases, count(DISTINCT id)::int AS distinct_cases FROM dispatch_case`);
    const events = await suite.query('dispatch', `SELECT count(*)::int AS n, count(DISTINCT payload->>'caseId')::int AS d FROM outbox_message WHERE event_type = 'case.dispatched'`);
    const counted = await suite.query('kpi', `SELECT coalesce(sum(dispatched), 0)::int AS n FROM unit_month WHERE unit_type = 'company'`);
    const published = await suite.query('intake', `SELECT count(*)::int AS n FROM outbox_message WHERE published_at IS NULL`);
    expect(dispatched[0]).toEqual({ cases: BURST, distinct_cases: BURST });
    expect(events[0]).toEqual({ n: BURST, d: BURST });
    expect(counted[0].n).toBe(BURST);
    expect(published[0].n).toBe(0);
    for (const service of ['intake', 'dispatch', 'sms-survey', 'kpi'] as const) {
      const letters = await call('GET', `${suite.urls[service]}/ops/dead-letters`, await suite.tokens.sign({ sub: 'p', role: 'province' }, 60));
      expect({ service, count: letters.body.count }).toEqual({ service, count: 0 });
    }
  }, 300_000);

  it('with its database unreachable, intake answers 503 in Chinese and writes nothing; it recovers when the database is back', async () => {
    const dbName = new URL(suite.databaseUrls.intake).pathname.slice(1);
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const before = await suite.query('intake', 'SELECT count(*)::int AS n FROM complaint');
    try {
      await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
      let last: unknown;
      const filed = await eventually(async () => {
        const r = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint('13512340000'));
        last = r;
        return r.status === 503 ? r : undefined;
      }, 15_000, 'a 503 from intake').catch((e: Error) => {
        throw new Error(`${e.message}; last answer: ${JSON.stringify(last)}`);
      });
      expect(filed.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(filed.body.message).toMatch(/未保存/);
      const ready = await call('GET', `${suite.urls.intake}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database).toBe('down');
    } finally {
      await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const after = await suite.query('intake', 'SELECT count(*)::int AS n FROM complaint');
    expect(after[0].n).toBe(before[0].n);
    const retried = await eventually(async () => {
      const r = await call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint('13512340000'));
      return r.status === 201 ? r : undefined;
    }, 15_000, 'intake to accept again');
    expect(retried.body.caseNumber).toMatch(/^GR-\d{8}-\d{6}$/);
  }, 60_000);
});
