import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PHONE_VAULT } from '#shared';
import type { PhoneVault } from '#shared';
import { call } from '../support/http.js';
import { startInfraSuite } from '../support/infra.js';
import type { InfraSuite } from '../support/infra.js';
import { hotlineComplaint } from '../support/thin-loop.js';

/*
 * On the real PostgreSQL, with many connections: the rules that only a race can break. Embedded
 * mode (one PGlite connection) serialises every request, so only here do requests truly overlap.
 */
describe('intake under concurrent identical requests (real PostgreSQL)', () => {
  let suite: InfraSuite;
  let operator: string;
  let vault: PhoneVault;

  beforeAll(async () => {
    suite = await startInfraSuite('intake-concurrency');
    vault = suite.apps.intake.get(PHONE_VAULT);
    operator = await suite.tokens.sign({ sub: 'op-race', role: 'operator' }, 3600);
  }, 120_000);

  afterAll(async () => {
    await suite?.close();
  });

  it('20 identical reports at the same moment open one case; the other 19 are linked to it as repeats', async () => {
    const phone = '13700000001';
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint(phone))),
    );
    const outcomes = answers.map((a) => `${a.status} ${a.body.outcome}`).sort();
    expect(outcomes).toEqual([...Array<string>(19).fill('200 duplicate'), '201 created']);
    expect(new Set(answers.map((a) => a.body.caseNumber)).size).toBe(1);

    const cases = await suite.query('intake', `SELECT id, repeat_count FROM complaint WHERE phone_hash = $1`, [vault.hash(phone)]);
    expect(cases).toHaveLength(1);
    expect(cases[0].repeat_count).toBe(19);
    const events = await suite.query('intake', `SELECT count(*)::int AS n FROM outbox_message WHERE payload->>'caseId' = $1`, [cases[0].id]);
    expect(events[0].n).toBe(1);
  });

  it('10 retries with one Idempotency-Key at the same moment make one case, and every retry answers with it', async () => {
    const phone = '13700000002';
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint(phone), { 'Idempotency-Key': 'race-key-1' }),
      ),
    );
    const outcomes = answers.map((a) => `${a.status} ${a.body.outcome}`).sort();
    expect(outcomes).toEqual([...Array<string>(9).fill('200 replayed'), '201 created']);
    expect(new Set(answers.map((a) => a.body.caseNumber)).size).toBe(1);
    const cases = await suite.query('intake', `SELECT repeat_count FROM complaint WHERE phone_hash = $1`, [vault.hash(phone)]);
    expect(cases).toEqual([{ repeat_count: 0 }]);
  });

  it('200 different reports at once get 200 different case numbers, each with its one event', async () => {
    const phones = Array.from({ length: 200 }, (_, i) => `1370001${String(i).padStart(4, '0')}`);
    const answers = await Promise.all(phones.map((phone) => call('POST', `${suite.urls.intake}/api/v1/complaints`, operator, hotlineComplaint(phone))));
    expect(answers.every((a) => a.status === 201)).toBe(true);
    expect(new Set(answers.map((a) => a.body.caseNumber)).size).toBe(200);
    const rows = await suite.query(
      'intake',
      `SELECT count(*)::int AS cases, count(DISTINCT o.message_id)::int AS events
         FROM complaint c JOIN outbox_message o ON o.payload->>'caseId' = c.id::text WHERE c.phone_hash = ANY($1)`,
      [phones.map((phone) => vault.hash(phone))],
    );
    expect(rows[0]).toEqual({ cases: 200, events: 200 });
  });
});
