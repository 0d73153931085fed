import { CATEGORY_LABELS, RATING_LABELS } from '#shared';
import type { Category, Rating, Resolution } from '#shared';

/** Where a case stands, from the resident's side. */
export const CASE_STATUSES = ['received', 'answered', 'dispatched', 'feedback', 'closed', 'rated'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

const ORDER: Record<CaseStatus, number> = { received: 0, answered: 0, dispatched: 1, feedback: 2, closed: 3, rated: 4 };

/** Where a status stands in a case's life: orders history entries recorded at the same instant. */
export function lifecycleRank(status: CaseStatus): number {
  return ORDER[status];
}

/** Events may arrive out of order; a case never moves backwards. */
export function isAdvance(from: CaseStatus, to: CaseStatus): boolean {
  return ORDER[to] > ORDER[from];
}

export function receivedText(category: Category): string {
  return `您反映的“${CATEGORY_LABELS[category]}”问题已受理，正在转交供热企业`;
}
export function repeatedText(): string {
  return '您再次反映了同一问题（同一号码、同一地址、同一类别），已合并到本工单继续办理';
}
export function dispatchedText(reassigned = false): string {
  return reassigned ? '主管单位已将工单改派给负责您小区的供热企业办理' : '已转交负责您小区的供热企业办理';
}
export function overdueText(): string {
  return '供热企业未在办理时限内办结，主管单位已介入督办';
}
export function feedbackText(resolution: Resolution): string {
  return resolution === 'fixed' ? '供热企业已反馈：问题已处理' : '供热企业已反馈：问题未能解决，已说明原因';
}
/** A case only closed is never shown as fixed. */
export function closedText(resolution: Resolution): string {
  return resolution === 'fixed' ? '已办结（问题已解决）' : '已办结（问题未解决）';
}
export function ratedText(rating: Rating): string {
  return `您的评价：${RATING_LABELS[rating]}`;
}
