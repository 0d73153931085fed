import { eventually } from './eventually.js';

type Query = (sql: string) => Promise<Array<Record<string, any>>>;

/**
 * A webhook delivery stays leased to the dispatch process that queued or claimed it for 60 s (not
 * configurable by environment: apps/dispatch/src/webhooks/webhook-settings.ts). When that process
 * died, or could not record the company's answer, the delivery goes out again only after the lease.
 * Tests do not wait a minute for that: once the live dispatch processes are idle — no new request
 * at the receivers for 1.5 s, nothing pending without a live lease — every lease still held can
 * only be a dead process's or an unrecorded answer's, and is aged so the poll loop claims it now.
 * Returns the ids whose lease was aged.
 */
export async function ageLeasesOnceIdle(dispatchQuery: Query, requestsSoFar: () => number): Promise<string[]> {
  let seen = -1;
  await eventually(
    async () => {
      const now = requestsSoFar();
      const [{ unleased }] = await dispatchQuery(
        `SELECT count(*)::int AS unleased FROM webhook_delivery WHERE status = 'pending' AND (leased_until IS NULL OR leased_until <= now())`,
      );
      const idle = now === seen && unleased === 0;
      seen = now;
      if (!idle) await new Promise((r) => setTimeout(r, 1_500));
      return idle ? true : undefined;
    },
    60_000,
    'the dispatch processes to be idle',
  );
  const aged = await dispatchQuery(
    `UPDATE webhook_delivery SET leased_until = now() - interval '1 second' WHERE status = 'pending' AND leased_until > now() RETURNING id`,
  );
  return aged.map((r) => String(r.id));
}
