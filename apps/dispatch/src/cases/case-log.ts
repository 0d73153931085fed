import type { EntityManager } from 'typeorm';
import type { Principal } from '#shared';
import { CaseAction } from './case-records.entity.js';

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

/** Appends several steps in one statement, in the given order. */
export async function logActions(em: EntityManager, entries: LogEntry[]): Promise<void> {
  await em.insert(
    CaseAction,
    entries.map(({ caseId, actor, at, action, change = {} }) => ({
      caseId,
      at,
      actorRole: actor.role,
      actorId: actor.id,
      action,
      fromStatus: change.from ?? null,
      toStatus: change.to ?? null,
      detail: (change.detail ?? {}) as never,
    })),
  );
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
