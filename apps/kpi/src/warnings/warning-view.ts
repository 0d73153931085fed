import type { WarningRule, WarningSubjectType } from '#shared';

export const WARNING_RULE_LABELS: Record<WarningRule, string> = {
  surge: '诉求突增',
  overdue_wave: '集中超期',
  satisfaction_dip: '满意率下滑',
};

export const WARNING_SUBJECT_LABELS: Record<WarningSubjectType, string> = {
  station: '换热站',
  community: '小区',
  district: '区县',
  company: '供热企业',
};

/** A stored warning as the API and the live page show it. */
export interface WarningView {
  id: string;
  rule: WarningRule;
  ruleLabel: string;
  subjectType: WarningSubjectType;
  subjectLabel: string;
  subjectId: string;
  subjectName: string;
  cityCode: string | null;
  districtCode: string | null;
  authorityId: string | null;
  companyId: string | null;
  reason: string;
  figures: Record<string, number | string | null>;
  raisedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  note: string | null;
}

/** A dashboard_warning row as pg returns it. */
export interface WarningRow {
  id: string;
  rule: WarningRule;
  subject_type: WarningSubjectType;
  subject_id: string;
  subject_name: string;
  city_code: string | null;
  district_code: string | null;
  authority_id: string | null;
  company_id: string | null;
  reason: string;
  figures: Record<string, number | string | null> | string;
  raised_at: Date | string;
  acknowledged_at: Date | string | null;
  acknowledged_by: string | null;
  acknowledgement_note: string | null;
}

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

export function warningView(r: WarningRow): WarningView {
  return {
    id: r.id,
    rule: r.rule,
    ruleLabel: WARNING_RULE_LABELS[r.rule],
    subjectType: r.subject_type,
    subjectLabel: WARNING_SUBJECT_LABELS[r.subject_type],
    subjectId: r.subject_id,
    subjectName: r.subject_name,
    cityCode: r.city_code,
    districtCode: r.district_code,
    authorityId: r.authority_id,
    companyId: r.company_id,
    reason: r.reason,
    figures: typeof r.figures === 'string' ? JSON.parse(r.figures) : r.figures,
    raisedAt: iso(r.raised_at)!,
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    note: r.acknowledgement_note,
  };
}
