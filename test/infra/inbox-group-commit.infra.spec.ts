import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource, EntityManager } from 'typeorm';
import { Inbox, openDataSource } from '#shared';
import type { EventEnvelope } from '#shared';
import { dropDatabase, freshDatabase } from '../support/infra.js';

const DB = 'heating_infra_inbox_group_commit';

function envelope(id = randomUUID()): EventEnvelope {
  return { id, type: 'test.event', version: 1, occurredAt: new Date().toISOString(), producer: 'intake', payload: {} };
}

/** A deferred promise: lets a test hold a transaction open while more messages arrive. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('Inbox group commit on real PostgreSQL', () => {
  let ds: DataSource;

  beforeAll(async () => {
    const url = await freshDatabase(DB);
    ds = await openDataSource({ kind: 'postgres', url, poolSize: 4 }, { entities: [], migrations: [] });
    await ds.query('CREATE TABLE effect (message_id uuid NOT NULL, txid bigint NOT NULL)');
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(DB);
  });

  beforeEach(async () => {
    await ds.query('TRUNCATE effect, inbox_message');
  });

  /** The effect records its message and the transaction it ran in. */
  const record = (env: EventEnvelope) => async (em: EntityManager) => {
    await em.query('INSERT INTO effect (message_id, txid) VALUES ($1, txid_current())', [env.id]);
  };

  it('messages that arrive while a transaction runs are handled together in the next one, each effect once, each caller told after commit', async () => {
    const inbox = new Inbox(ds, { maxBatch: 16, concurrency: 1 });
    const hold = gate();
    const first = envelope();
    const firstDone = inbox.once(first, async (em) => {
      await record(first)(em);
      await hold.opened;
    });
    const rest = Array.from({ length: 5 }, () => envelope());
    const restDone = rest.map((env) => inbox.once(env, record(env)));
    let settled = 0;
    restDone.forEach((p) => void p.then(() => settled++));
    await new Promise((r) => setTimeout(r, 100));
    // Nothing of the waiting messages is committed, nor reported, while the first transaction runs.
    expect(settled).toBe(0);
    expect((await ds.query('SELECT count(*)::int AS n FROM effect'))[0].n).toBe(0);
    hold.open();
    expect(await firstDone).toBe(true);
    expect(await Promise.all(restDone)).toEqual([true, true, true, true, true]);
    const rows: Array<{ message_id: string; txid: string }> = await ds.query('SELECT message_id, txid FROM effect');
    expect(rows).toHaveLength(6);
    const txOf = new Map(rows.map((r) => [r.message_id, r.txid]));
    expect(new Set(rest.map((env) => txOf.get(env.id))).size).toBe(1); // the five in one transaction
    expect(txOf.get(first.id)).not.toBe(txOf.get(rest[0].id));
    expect((await ds.query('SELECT count(*)::int AS n FROM inbox_message'))[0].n).toBe(6);
  });

  it('a message already handled, or twice in the same batch, has its effect once and the others report it as a duplicate', async () => {
    const inbox = new Inbox(ds, { maxBatch: 16, concurrency: 1 });
    const old = envelope();
    expect(await inbox.once(old, record(old))).toBe(true);
    const hold = gate();
    const blocker = envelope();
    const blocked = inbox.once(blocker, async (em) => {
      await record(blocker)(em);
      await hold.opened;
    });
    const fresh = envelope();
    const outcomes = [inbox.once(old, record(old)), inbox.once(fresh, record(fresh)), inbox.once({ ...fresh }, record(fresh))];
    hold.open();
    await blocked;
    expect(await Promise.all(outcomes)).toEqual([false, true, false]);
    const counts: Array<{ message_id: string; n: number }> = await ds.query('SELECT message_id, count(*)::int AS n FROM effect GROUP BY message_id');
    expect(counts.every((c) => c.n === 1)).toBe(true);
    expect(counts).toHaveLength(3);
  });

  it('one failing effect rolls its batch back and fails alone; the other messages of the batch are handled once each', async () => {
    const inbox = new Inbox(ds, { maxBatch: 16, concurrency: 1 });
    const hold = gate();
    const blocker = envelope();
    const blocked = inbox.once(blocker, async (em) => {
      await record(blocker)(em);
      await hold.opened;
    });
    const good = [envelope(), envelope(), envelope()];
    const bad = envelope();
    let badRuns = 0;
    const outcomes = [
      inbox.once(good[0], record(good[0])),
      inbox.once(bad, async (em) => {
        badRuns++;
        await record(bad)(em);
        throw new Error('no contact yet for case');
      }),
      inbox.once(good[1], record(good[1])),
      inbox.once(good[2], record(good[2])),
    ];
    const results = await (hold.open(), blocked, Promise.allSettled(outcomes));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('no contact yet for case'));
    expect(badRuns).toBe(2); // in the batch, then alone
    const ids: Array<{ message_id: string }> = await ds.query('SELECT message_id FROM effect ORDER BY message_id');
    expect(ids.map((r) => r.message_id).sort()).toEqual([blocker, ...good].map((e) => e.id).sort());
    // The failed message is not marked handled: its retry runs the effect.
    const inboxIds: Array<{ message_id: string }> = await ds.query('SELECT message_id FROM inbox_message');
    expect(inboxIds.map((r) => r.message_id)).not.toContain(bad.id);
    expect(await inbox.once(bad, record(bad))).toBe(true);
  });

  it('with batching off (size 1) every message gets a transaction of its own', async () => {
    const inbox = new Inbox(ds, { maxBatch: 1, concurrency: 1 });
    const envs = Array.from({ length: 4 }, () => envelope());
    await Promise.all(envs.map((env) => inbox.once(env, record(env))));
    const rows: Array<{ txid: string }> = await ds.query('SELECT txid FROM effect');
    expect(new Set(rows.map((r) => r.txid)).size).toBe(4);
  });

  it('never runs more transactions at once than its concurrency', async () => {
    const inbox = new Inbox(ds, { maxBatch: 2, concurrency: 2 });
    let open = 0;
    let most = 0;
    const counter = {
      afterTransactionStart: () => void (most = Math.max(most, ++open)),
      afterTransactionCommit: () => void open--,
      afterTransactionRollback: () => void open--,
    };
    ds.subscribers.push(counter);
    try {
      const envs = Array.from({ length: 12 }, () => envelope());
      await Promise.all(
        envs.map((env) =>
          inbox.once(env, async (em) => {
            await new Promise((r) => setTimeout(r, 20));
            await record(env)(em);
          }),
        ),
      );
    } finally {
      ds.subscribers.splice(ds.subscribers.indexOf(counter), 1);
    }
    expect(most).toBe(2);
    const rows: Array<{ txid: string }> = await ds.query('SELECT txid FROM effect');
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.txid)).size).toBeLessThan(12); // batched, at most 2 per transaction
  });
});
