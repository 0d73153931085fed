import type { EntityManager } from 'typeorm';
import type { Principal } from '#shared';
import { chainEntries } from '../audit/audit-chain.js';
import { modifyReturning } from '../webhooks/webhook-sql.js';

/** Who acted: a person of a unit, or the platform itself (routing, deadlines). */
export interface Actor {
  role: 'company' | 'authority' | 'province' | 'system';
  id: string;
}

export const SYSTEM: Actor = { role: 'system', id: 'dispatch' };

export function actorOf(principal: Principal): Actor {
  const role = principal.role === 'company' || principal.role === 'authority' || principal.role === 'province' ? principal.role : 'system';
  return { role, id: principal.unitId ? `${principal.unitId}/${principal.sub}` : principal.sub };
}

/** What changed in one step: status from/to and the step's details. */
export interface ActionChange {
  from?: string | null;
  to?: string | null;
  detail?: Record<string, unknown>;
}

/** One step of a case's action log. */
export interface LogEntry {
  caseId: string;
  actor: Actor;
  at: Date;
  action: string;
  change?: ActionChange;
}

/** Appends one step to a case's action log, in the caller's transaction. */
export async function logAction(em: EntityManager, caseId: string, actor: Actor, at: Date, action: string, change: ActionChange = {}): Promise<void> {
  await logActions(em, [{ caseId, actor, at, action, change }]);
}

/**
 * Appends steps of one case, in order, to its hash-chained action log (apps/dispatch/src/audit):
 * one statement writes the entries and moves the case's chain head. The head is read under a lock
 * first, unless the caller knows it (`head: null` for a case created in this transaction).
 */
export async function logActions(em: EntityManager, entries: LogEntry[], known?: { head: null }): Promise<void> {
  if (entries.length === 0) return;
  const caseId = entries[0].caseId;
  let head: string | null = null;
  if (!known) {
    const [row]: Array<{ hash: string }> = await em.query(`SELECT hash FROM case_audit_head WHERE case_id = $1 FOR UPDATE`, [caseId]);
    head = row?.hash ?? null;
  }
  const log = chainedLogInsert(entries, head, 1);
  const moved = await modifyReturning(em, `WITH ${log.ctes} SELECT case_id FROM ${log.headCte}`, log.params);
  if (moved.length === 0) throw new Error(`the audit chain of case ${caseId} moved on meanwhile; the transaction is rolled back`);
}

/**
 * The two CTEs that append steps of one case to its action log and move its chain head, for a
 * statement that writes other rows too (their parameters numbered from `firstParam`). The
 * `headCte` returns the case's id when the head moved, no row if the chain moved on meanwhile.
 */
export function chainedLogInsert(entries: LogEntry[], head: string | null, firstParam: number): { ctes: string; headCte: string; params: unknown[] } {
  const caseId = entries[0].caseId;
  if (entries.some((e) => e.caseId !== caseId)) throw new Error('logActions appends the steps of one case at a time');
  const chained = chainEntries(
    head,
    entries.map(({ actor, at, action, change = {} }) => ({
      caseId,
      at,
      actorRole: actor.role,
      actorId: actor.id,
      action,
      fromStatus: change.from ?? null,
      toStatus: change.to ?? null,
      // As jsonb will give it back: what is hashed is what the verifier reads.
      detail: JSON.parse(JSON.stringify(change.detail ?? {})) as Record<string, unknown>,
    })),
  );
  const p = (i: number) => `$${firstParam + i - 1}`;
  const params: unknown[] = [caseId, chained[chained.length - 1].hash, chained.length, head];
  const values = chained.map((c) => {
    params.push(c.at, c.actorRole, c.actorId, c.action, c.fromStatus, c.toStatus, JSON.stringify(c.detail), c.prevHash, c.hash);
    const n = params.length;
    return `(${p(1)}, ${p(n - 8)}, ${p(n - 7)}, ${p(n - 6)}, ${p(n - 5)}, ${p(n - 4)}, ${p(n - 3)}, ${p(n - 2)}::jsonb, ${p(n - 1)}, ${p(n)})`;
  });
  const ctes = `log_entries AS (
       INSERT INTO case_action (case_id, at, actor_role, actor_id, action, from_status, to_status, detail, prev_hash, hash)
       VALUES ${values.join(', ')}
       RETURNING id
     ), log_head AS (
       INSERT INTO case_audit_head (case_id, hash, count) VALUES (${p(1)}, ${p(2)}, ${p(3)})
       ON CONFLICT (case_id) DO UPDATE SET hash = EXCLUDED.hash, count = case_audit_head.count + EXCLUDED.count
         WHERE case_audit_head.hash IS NOT DISTINCT FROM ${p(4)}
       RETURNING case_id
     )`;
  return { ctes, headCte: 'log_head', params };
}

/** What each action is called in a case's timeline. */
export const ACTION_LABELS: Record<string, string> = {
  received: '收到工单',
  routed: '自动分转',
  queued_for_manual_dispatch: '转主管单位人工分转',
  manual_dispatch: '主管单位人工分转',
  dispatch_overdue: '超过 2 小时未分转',
  signed: '企业签收',
  contact: '联系诉求人',
  return_requested: '企业申请退回',
  return_rejected: '主管单位驳回退回申请',
  return_approved: '主管单位同意退回并改派',
  extension_requested: '企业申请延期',
  extension_approved: '主管单位同意延期',
  extension_rejected: '主管单位驳回延期申请',
  graded: '主管单位调整工单类别（一般/复杂）',
  reminder: '办理时限提醒',
  overdue: '超期未办结，提请主管单位督办',
  supervision: '主管单位督办',
  escalated: '企业上报重大/群体性问题',
  evidence_uploaded: '上传现场照片',
  feedback: '企业反馈办结',
  incident_linked: '关联大面积停供事件，已短信告知诉求人',
  bad_rating_opened: '居民评价不满意，待企业回访',
  bad_rating_called_back: '企业回访',
  bad_rating_classified: '主管单位认定诉求',
  bad_rating_rectified: '企业整改完成，重新征询评价',
  bad_rating_reconsideration_applied: '企业申请复议',
  bad_rating_reconsideration_decided: '主管单位审核复议',
  spot_checked: '省级抽查核实',
};
