import { performance } from 'node:perf_hooks';
import { Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { accumulate, applyEvent, carriesFact, contributions, EMPTY_CASE, PROJECTED_EVENT_TYPES, unitLinks } from '../projection/case-state.js';
import type { CaseState, UnitMonthDelta } from '../projection/case-state.js';
import { insertCases, insertUnitMonths, linkUnits } from '../projection/read-model-store.js';

export interface RebuildResult {
  /** Events read from kpi_event (those that carry facts for the indicators). */
  events: number;
  /** kpi_case rows written. */
  cases: number;
  /** unit_month rows written. */
  unitMonths: number;
  /** kpi_unit_link rows written. */
  unitLinks: number;
  durationMs: number;
}

const PAGE_SIZE = 5_000;

/** Readers go on; the consumer's writes (and another rebuild) wait until this transaction ends. */
async function lockReadModel(em: EntityManager): Promise<void> {
  await em.query('LOCK TABLE kpi_case, unit_month, kpi_unit_link, kpi_rebuild_request IN EXCLUSIVE MODE');
}

/**
 * Recomputes kpi_case, unit_month and kpi_unit_link from kpi_event alone, in the caller's
 * transaction, with the same pure reducer as the incremental projector.
 *
 * Concurrency (docs/kpi.md): the three read-model tables are locked EXCLUSIVE first (readers go on
 * reading the previous figures; the consumer's writes wait), then events are read, then the tables
 * are emptied and written. A consumer transaction that had already touched them made the lock wait
 * for its commit, so its event is read; one that had not is blocked before it touches kpi_case, so
 * its event is not read and it applies it afterwards to the rebuilt state. Run in REPEATABLE READ
 * so the paged read of kpi_event is one snapshot taken after the lock.
 */
export async function rebuildReadModel(em: EntityManager): Promise<RebuildResult> {
  const started = performance.now();
  await lockReadModel(em);
  const cases = new Map<string, CaseState>();
  let events = 0;
  let cursor: { at: string; id: string } | null = null;
  for (;;) {
    const page: Array<{ message_id: string; type: string; at: string; payload: Record<string, unknown> }> = await em.query(
      `SELECT message_id, type, occurred_at::text AS at, payload FROM kpi_event
        WHERE type = ANY($1::text[]) ${cursor ? 'AND (occurred_at, message_id) > ($2::timestamptz, $3::uuid)' : ''}
        ORDER BY occurred_at, message_id LIMIT ${PAGE_SIZE}`,
      cursor ? [[...PROJECTED_EVENT_TYPES], cursor.at, cursor.id] : [[...PROJECTED_EVENT_TYPES]],
    );
    for (const e of page) {
      if (!carriesFact(e.type, e.payload)) continue; // as the projector: no fact, no case row
      const caseId = String(e.payload.caseId);
      cases.set(caseId, applyEvent(cases.get(caseId) ?? EMPTY_CASE, e.type, e.payload));
    }
    events += page.length;
    if (page.length < PAGE_SIZE) break;
    const last = page[page.length - 1];
    cursor = { at: last.at, id: last.message_id };
  }

  const counters = new Map<string, UnitMonthDelta>();
  const links = new Map<string, { companyId: string; authorityId: string; cityCode: string }>();
  for (const state of cases.values()) {
    accumulate(counters, contributions(state));
    for (const l of unitLinks(state)) links.set(`${l.companyId}\u0000${l.authorityId}\u0000${l.cityCode}`, l);
  }
  const rows = [...counters.values()];

  await em.query('DELETE FROM kpi_rebuild_request');
  await em.query('DELETE FROM unit_month');
  await em.query('DELETE FROM kpi_unit_link');
  await em.query('DELETE FROM kpi_case');
  await insertCases(em, [...cases.entries()]);
  await insertUnitMonths(em, rows);
  await linkUnits(em, [...links.values()]);
  return { events, cases: cases.size, unitMonths: rows.length, unitLinks: links.size, durationMs: Math.round(performance.now() - started) };
}

/**
 * The rebuild as a service: one REPEATABLE READ transaction into the live tables. At start-up it
 * carries out a rebuild a migration requested (a change of the read model's form or rules).
 */
@Injectable()
export class KpiRebuilder implements OnModuleInit {
  private readonly logger = new Logger('KpiRebuilder');

  constructor(private readonly dataSource: DataSource) {}

  async rebuild(): Promise<RebuildResult> {
    return this.dataSource.transaction('REPEATABLE READ', (em) => rebuildReadModel(em));
  }

  /** Replicas starting together: the first rebuilds, the others find the request settled (checked under the lock). */
  async onModuleInit(): Promise<void> {
    const [{ pending }]: Array<{ pending: boolean }> = await this.dataSource.query('SELECT EXISTS (SELECT 1 FROM kpi_rebuild_request) AS pending');
    if (!pending) return;
    const done = await this.dataSource.transaction('REPEATABLE READ', async (em) => {
      await lockReadModel(em);
      const requests: Array<{ reason: string }> = await em.query('SELECT reason FROM kpi_rebuild_request ORDER BY requested_at');
      return requests.length === 0 ? null : { requests, result: await rebuildReadModel(em) };
    });
    if (!done) return;
    const { requests, result } = done;
    this.logger.log(`read model rebuilt (requested by ${requests.map((r) => r.reason).join(', ')}): ${result.events} events, ${result.cases} cases, ${result.unitMonths} unit-months in ${result.durationMs} ms`);
  }
}
