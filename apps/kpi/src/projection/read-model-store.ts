import type { EntityManager } from 'typeorm';
import { COUNTER_KEYS, canonicalState, EMPTY_CASE, finalDispatch, firstDispatch, shanghaiMonthOf, stateFromJson } from './case-state.js';
import type { CaseState, Counters, UnitMonthDelta } from './case-state.js';

/*
 * The SQL side of the read model, shared by the incremental projector and the rebuild:
 * kpi_case (one row per case: its facts and what is derived from them), unit_month (counters per
 * unit and month) and kpi_unit_link (company ↔ authority ↔ city, as the dispatches name them).
 */

/** Counter → unit_month column. */
export const COUNTER_COLUMN: Record<keyof Counters, string> = {
  dispatched: 'dispatched',
  onTimeDispatched: 'on_time_dispatched',
  withFeedback: 'with_feedback',
  feedbackMs: 'feedback_ms_sum',
  closed: 'closed',
  rated: 'rated',
  satisfied: 'satisfied',
  basicallySatisfied: 'basically_satisfied',
  dissatisfied: 'dissatisfied',
  approvedReconsiderations: 'approved_reconsiderations',
  failedSpotChecks: 'failed_spot_checks',
};
/** unit_month's counter columns, in COUNTER_KEYS order. */
export const COUNTER_COLUMNS = COUNTER_KEYS.map((k) => COUNTER_COLUMN[k]);

const EMPTY_STATE_JSON = JSON.stringify(canonicalState(EMPTY_CASE));

const CASE_COLUMNS = ['case_id', 'state', 'company_id', 'authority_id', 'city_code', 'month', 'first_dispatched_at', 'dispatched_at', 'feedback_at', 'closed_at', 'rating'];
const CASE_CASTS = ['::uuid', '::jsonb', '', '', '', '', '::timestamptz', '::timestamptz', '::timestamptz', '::timestamptz', ''];

/** Rows × columns → "($1, $2), ($3, $4)" and the flat parameter list. */
function valuesList(rows: unknown[][], casts: string[] = []): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples = rows.map((row) => `(${row.map((v, i) => (params.push(v), `$${params.length}${casts[i] ?? ''}`)).join(', ')})`);
  return { sql: tuples.join(', '), params };
}

/** The kpi_case columns of a case, derived from its state. */
function caseValues(caseId: string, state: CaseState): unknown[] {
  const first = firstDispatch(state);
  const final = finalDispatch(state);
  return [
    caseId,
    JSON.stringify(canonicalState(state)),
    final?.companyId ?? null,
    final?.authorityId ?? null,
    final?.cityCode ?? null,
    first ? shanghaiMonthOf(first.at) : null,
    first?.at ?? null,
    final?.at ?? null,
    state.feedbackAt,
    state.closedAt,
    state.rating?.rating ?? null,
  ];
}

/**
 * The case's current state, its row locked for this transaction. A case seen for the first time
 * gets an empty row first, so two events of a new case arriving together take turns.
 */
export async function lockCase(em: EntityManager, caseId: string): Promise<CaseState> {
  await em.query(`INSERT INTO kpi_case (case_id, state) VALUES ($1, $2::jsonb) ON CONFLICT (case_id) DO NOTHING`, [caseId, EMPTY_STATE_JSON]);
  const rows: Array<{ state: unknown }> = await em.query(`SELECT state FROM kpi_case WHERE case_id = $1 FOR UPDATE`, [caseId]);
  return stateFromJson(rows[0]?.state);
}

export async function saveCase(em: EntityManager, caseId: string, state: CaseState): Promise<void> {
  const [, ...rest] = caseValues(caseId, state);
  const set = CASE_COLUMNS.slice(1).map((c, i) => `${c} = $${i + 2}${CASE_CASTS[i + 1]}`);
  await em.query(`UPDATE kpi_case SET ${set.join(', ')} WHERE case_id = $1`, [caseId, ...rest]);
}

/** Inserts whole case rows (the rebuild writes into emptied tables). */
export async function insertCases(em: EntityManager, cases: Array<[string, CaseState]>, batchSize = 500): Promise<void> {
  for (let i = 0; i < cases.length; i += batchSize) {
    const { sql, params } = valuesList(cases.slice(i, i + batchSize).map(([id, s]) => caseValues(id, s)), CASE_CASTS);
    await em.query(`INSERT INTO kpi_case (${CASE_COLUMNS.join(', ')}) VALUES ${sql}`, params);
  }
}

function deltaValues(d: UnitMonthDelta): unknown[] {
  return [d.unitType, d.unitId, d.month, ...COUNTER_KEYS.map((k) => d.counters[k])];
}

const COUNTER_CASTS = ['::text', '::text', '::text', ...COUNTER_KEYS.map((k) => (k === 'feedbackMs' ? '::bigint' : '::int'))];

/**
 * Moves the counters by the deltas: rows that only grow in one upsert; rows that lose something
 * (a case moved away, a rating replaced) in one UPDATE — they exist, since the case counted there
 * before — after which rows back to all zero are dropped, so the incremental tables hold exactly
 * the rows a rebuild writes. A CHECK constraint refuses any counter below zero.
 */
export async function moveCounters(em: EntityManager, deltas: UnitMonthDelta[]): Promise<void> {
  const shrinking = deltas.filter((d) => COUNTER_KEYS.some((k) => d.counters[k] < 0));
  const growing = deltas.filter((d) => !shrinking.includes(d));
  if (growing.length > 0) {
    const upsert = valuesList(growing.map(deltaValues));
    await em.query(
      `INSERT INTO unit_month (unit_type, unit_id, month, ${COUNTER_COLUMNS.join(', ')}) VALUES ${upsert.sql}
       ON CONFLICT (unit_type, unit_id, month) DO UPDATE SET ${COUNTER_COLUMNS.map((c) => `${c} = unit_month.${c} + EXCLUDED.${c}`).join(', ')}`,
      upsert.params,
    );
  }
  if (shrinking.length > 0) {
    const update = valuesList(shrinking.map(deltaValues), COUNTER_CASTS);
    const updated: unknown[] = await em.query(
      `UPDATE unit_month u SET ${COUNTER_COLUMNS.map((c) => `${c} = u.${c} + d.${c}`).join(', ')}
         FROM (VALUES ${update.sql}) AS d (unit_type, unit_id, month, ${COUNTER_COLUMNS.join(', ')})
        WHERE u.unit_type = d.unit_type AND u.unit_id = d.unit_id AND u.month = d.month
        RETURNING u.unit_type`,
      update.params,
    );
    const rows = Array.isArray(updated[0]) ? (updated[0] as unknown[]) : updated;
    if (rows.length !== shrinking.length) {
      throw new Error(`kpi read model out of step: ${shrinking.length - rows.length} unit_month row(s) to decrease are missing; run the rebuild`);
    }
    const keys = valuesList(shrinking.map((d) => [d.unitType, d.unitId, d.month]));
    await em.query(
      `DELETE FROM unit_month WHERE (unit_type, unit_id, month) IN (${keys.sql}) AND ${COUNTER_COLUMNS.map((c) => `${c} = 0`).join(' AND ')}`,
      keys.params,
    );
  }
}

/** Inserts whole unit_month rows (the rebuild). */
export async function insertUnitMonths(em: EntityManager, rows: UnitMonthDelta[], batchSize = 400): Promise<void> {
  for (let i = 0; i < rows.length; i += batchSize) {
    const { sql, params } = valuesList(rows.slice(i, i + batchSize).map(deltaValues));
    await em.query(`INSERT INTO unit_month (unit_type, unit_id, month, ${COUNTER_COLUMNS.join(', ')}) VALUES ${sql}`, params);
  }
}

export async function linkUnits(em: EntityManager, links: Array<{ companyId: string; authorityId: string; cityCode: string }>, batchSize = 1000): Promise<void> {
  for (let i = 0; i < links.length; i += batchSize) {
    const { sql, params } = valuesList(links.slice(i, i + batchSize).map((l) => [l.companyId, l.authorityId, l.cityCode]));
    await em.query(`INSERT INTO kpi_unit_link (company_id, authority_id, city_code) VALUES ${sql} ON CONFLICT DO NOTHING`, params);
  }
}
