/** 受理渠道 intake channel. */
export const CHANNELS = ['hotline', 'web', 'app', 'open311'] as const;
export type Channel = (typeof CHANNELS)[number];

/** 诉求类型: 咨询 consultation, 投诉 complaint, 举报 report. */
export const CASE_TYPES = ['consultation', 'complaint', 'report'] as const;
export type CaseType = (typeof CASE_TYPES)[number];

/** 问题分类 (DOMAIN.md §3 step 1). */
export const CATEGORIES = [
  'too_cold', // 室温不达标
  'heating_not_started', // 未按时供热
  'heating_cut_off', // 停热
  'pipe_leak', // 管网漏水
  'repair_delayed', // 维修不及时
  'charges', // 收费
  'staff_conduct', // 服务态度
  'connect_disconnect', // 报停/开栓
  'policy_question', // 政策咨询
  'other', // 其他
] as const;
export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_LABELS: Record<Category, string> = {
  too_cold: '室温不达标',
  heating_not_started: '未按时供热',
  heating_cut_off: '停热',
  pipe_leak: '管网漏水',
  repair_delayed: '维修不及时',
  charges: '收费',
  staff_conduct: '服务态度',
  connect_disconnect: '报停/开栓',
  policy_question: '政策咨询',
  other: '其他',
};

/** 评价 satisfaction rating. */
export const RATINGS = ['satisfied', 'basically_satisfied', 'dissatisfied'] as const;
export type Rating = (typeof RATINGS)[number];
export const RATING_LABELS: Record<Rating, string> = {
  satisfied: '满意',
  basically_satisfied: '基本满意',
  dissatisfied: '不满意',
};

/** How a case left the company: 已解决 fixed, or only 已办结 closed without a fix. */
export const RESOLUTIONS = ['fixed', 'closed_unresolved'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** Roles carried by bearer tokens. */
export const ROLES = ['operator', 'resident', 'company', 'authority', 'province'] as const;
export type Role = (typeof ROLES)[number];
