import type { EntityManager } from 'typeorm';
import { verifyCaseChain } from './audit-chain.js';
import type { AuditProblem, StoredEntry } from './audit-chain.js';

/** Cases read per round trip while verifying. */
const CASES_PER_BATCH = 500;

export interface AuditReport {
  cases: number;
  entries: number;
  /** Every break found, with the case number for people. */
  problems: Array<AuditProblem & { caseNumber: string }>;
}

/** A `case_action` row as SQL returns it. */
export interface ActionRow {
  id: string;
  case_id: string;
  at: Date | string;
  actor_role: string;
  actor_id: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  detail: Record<string, unknown> | string;
  prev_hash: string | null;
  hash: string | null;
}

/**
 * Walks every case's hash-chained action log (or the given cases') and checks it entry by entry
 * and against the case's chain head. Read-only; run it with `npm run audit:verify`.
 */
export async function verifyAuditTrail(em: EntityManager, options: { caseNumbers?: string[] } = {}): Promise<AuditReport> {
  const report: AuditReport = { cases: 0, entries: 0, problems: [] };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const cases: Array<{ id: string; case_number: string; head: string | null; count: number | null }> = await em.query(
      `SELECT c.id, c.case_number, h.hash AS head, h.count
         FROM dispatch_case c LEFT JOIN case_audit_head h ON h.case_id = c.id
        WHERE c.id > $1 AND ($3::text[] IS NULL OR c.case_number = ANY($3::text[]))
        ORDER BY c.id LIMIT $2`,
      [after, CASES_PER_BATCH, options.caseNumbers ?? null],
    );
    if (cases.length === 0) return report;
    after = cases[cases.length - 1].id;
    const rows: ActionRow[] = await em.query(`SELECT * FROM case_action WHERE case_id = ANY($1::uuid[]) ORDER BY case_id, id`, [cases.map((c) => c.id)]);
    const byCase = new Map<string, StoredEntry[]>();
    for (const r of rows) {
      const list = byCase.get(r.case_id) ?? [];
      list.push(toStored(r));
      byCase.set(r.case_id, list);
    }
    for (const c of cases) {
      const entries = byCase.get(c.id) ?? [];
      report.cases++;
      report.entries += entries.length;
      const head = c.head === null ? null : { hash: c.head, count: Number(c.count) };
      for (const p of verifyCaseChain(c.id, entries, head)) report.problems.push({ ...p, caseNumber: c.case_number });
    }
  }
}

/** A row as the chain sees it (detail parsed if the driver gave text). */
export function toStored(r: ActionRow): StoredEntry {
  return {
    id: String(r.id),
    caseId: r.case_id,
    at: new Date(r.at),
    actorRole: r.actor_role,
    actorId: r.actor_id,
    action: r.action,
    fromStatus: r.from_status,
    toStatus: r.to_status,
    detail: typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
