/**
 * The SMS template catalogue. Mainland China SMS may only be sent from templates registered with
 * the provider (template code + parameters) under a registered signature (签名), so every SMS the
 * platform sends is one of these. The same message renders to Chinese text (kept in `sms_message`,
 * shown by the console gateway) and to (template code, parameters) for Aliyun and Tencent.
 *
 * `body` is the text to register with the provider, without the signature: Aliyun writes a
 * parameter as `${name}`, Tencent as `{1}`, `{2}` … in the order of `params` (docs/sms.md lists both).
 * Changing a body means registering the template again: keep the catalogue and the registrations in step.
 */
export interface SmsTemplateDefinition {
  /** Who sends it and when (for the people registering templates with the provider). */
  purpose: string;
  /** Parameter names, in Tencent's positional order ({1}, {2} …). */
  params: readonly string[];
  /** The registered text without the signature; Aliyun's `${name}` placeholders. */
  body: string;
  /** Sent only when this setting is on: its code is required only then. */
  onlyWith?: 'PUBLIC_BASE_URL';
}

export const SMS_TEMPLATES = {
  verification_code: {
    purpose: '实名验证码（intake：居民网上/App 反映前验证手机号）',
    params: ['code'],
    body: '您的验证码是 ${code}，5 分钟内有效。请勿告诉他人；工作人员不会向您索要验证码。',
  },
  survey_invitation: {
    purpose: '办结后的满意度评价邀请（sms-survey）',
    params: ['caseNumber'],
    body: '您反映的供热问题（工单${caseNumber}）已办结，请回复数字评价：1满意 2基本满意 3不满意。回TD退订',
  },
  survey_invitation_link: {
    purpose: '评价邀请，附一次性网页评价链接（sms-survey，设置了 PUBLIC_BASE_URL 时）',
    params: ['caseNumber', 'link'],
    body: '您反映的供热问题（工单${caseNumber}）已办结，请回复数字评价：1满意 2基本满意 3不满意，或点 ${link} 评价。回TD退订',
    onlyWith: 'PUBLIC_BASE_URL',
  },
  survey_resurvey: {
    purpose: '差评整改完成后的再次评价邀请（sms-survey，第 2 轮起）',
    params: ['caseNumber'],
    body: '您反映的问题（工单${caseNumber}）已整改，请再次回复数字评价：1满意 2基本满意 3不满意。回TD退订',
  },
  survey_resurvey_link: {
    purpose: '再次评价邀请，附一次性网页评价链接（sms-survey，设置了 PUBLIC_BASE_URL 时）',
    params: ['caseNumber', 'link'],
    body: '您反映的问题（工单${caseNumber}）已整改，请再次回复数字评价：1满意 2基本满意 3不满意，或点 ${link} 评价。回TD退订',
    onlyWith: 'PUBLIC_BASE_URL',
  },
  survey_reminder: {
    purpose: '评价截止前 24 小时的提醒（sms-survey）',
    params: ['caseNumber'],
    body: '提醒：工单${caseNumber}的评价明天截止，请回复数字：1满意 2基本满意 3不满意。回TD退订',
  },
  survey_reminder_link: {
    purpose: '评价提醒，附一次性网页评价链接（sms-survey，设置了 PUBLIC_BASE_URL 时）',
    params: ['caseNumber', 'link'],
    body: '提醒：工单${caseNumber}的评价明天截止，请回复数字：1满意 2基本满意 3不满意，或点 ${link} 评价。回TD退订',
    onlyWith: 'PUBLIC_BASE_URL',
  },
  rating_thanks: {
    purpose: '收到评价后的致谢（sms-survey）',
    params: ['caseNumber'],
    body: '感谢您对工单${caseNumber}的评价。',
  },
  reply_not_understood: {
    purpose: '未能识别居民的回复，请其重新回复（sms-survey）',
    params: [],
    body: '未能识别您的回复，请回复数字：1满意 2基本满意 3不满意。',
  },
  rating_window_closed: {
    purpose: '评价期结束后收到的回复：留存但不计入（sms-survey，每个评价只说一次）',
    params: ['caseNumber'],
    body: '您好，工单${caseNumber}的评价期已结束，您的回复已留存，但不再计入评价。感谢您的反馈。',
  },
  unsubscribed: {
    purpose: '退订确认（sms-survey）',
    params: [],
    body: '您已退订，今后不再收到工单评价短信。如需恢复，请回复“订阅”。',
  },
  resubscribed: {
    purpose: '恢复订阅确认（sms-survey）',
    params: [],
    body: '您已恢复接收工单评价短信。回TD退订',
  },
  outage_notice: {
    purpose: '大面积停供通知，已知预计恢复时间（dispatch）',
    params: ['caseNumber', 'communityName', 'cause', 'restoreAt'],
    body: '您反映的供热问题（工单 ${caseNumber}）：${communityName}所在区域因${cause}暂停供热，供热企业正在抢修，预计 ${restoreAt} 恢复。恢复后工单将自动办结，无需重复反映。',
  },
  outage_notice_no_eta: {
    purpose: '大面积停供通知，恢复时间待定（dispatch）',
    params: ['caseNumber', 'communityName', 'cause'],
    body: '您反映的供热问题（工单 ${caseNumber}）：${communityName}所在区域因${cause}暂停供热，供热企业正在抢修，恢复时间待定。恢复后工单将自动办结，无需重复反映。',
  },
} as const satisfies Record<string, SmsTemplateDefinition>;

export type SmsTemplateKey = keyof typeof SMS_TEMPLATES;
export const SMS_TEMPLATE_KEYS = Object.keys(SMS_TEMPLATES) as SmsTemplateKey[];

/** The parameters of one template, by name. */
export type SmsTemplateParams<K extends SmsTemplateKey> = { [P in (typeof SMS_TEMPLATES)[K]['params'][number]]: string };

/** One SMS as the platform decides to send it: a catalogue template and its parameters. */
export type SmsContent = { [K in SmsTemplateKey]: { template: K; params: SmsTemplateParams<K> } }[SmsTemplateKey];

/** The signature (签名) of the platform's SMS, as residents see it: 【供热直通车】. */
export const DEFAULT_SMS_SIGN_NAME = '供热直通车';

/** What a gateway is handed: the template and parameters for providers, the rendered text for people. */
export interface OutgoingSms {
  phone: string;
  template: SmsTemplateKey;
  params: Record<string, string>;
  /** The whole text the resident receives, signature included. */
  text: string;
}

const PLACEHOLDER = /\$\{(\w+)\}/g;

export function isSmsTemplateKey(key: unknown): key is SmsTemplateKey {
  return typeof key === 'string' && Object.hasOwn(SMS_TEMPLATES, key);
}

/** The environment variable holding a template's provider code: verification_code → SMS_TEMPLATE_VERIFICATION_CODE. */
export function templateCodeVariable(key: SmsTemplateKey): string {
  return `SMS_TEMPLATE_${key.toUpperCase()}`;
}

/** The parameter values in the catalogue's order (Tencent's TemplateParamSet is positional). */
export function orderedParams(key: SmsTemplateKey, params: Record<string, string>): string[] {
  return SMS_TEMPLATES[key].params.map((name) => params[name]);
}

/** The template body with Tencent's positional placeholders: `${caseNumber}` → `{1}`. */
export function tencentTemplateBody(key: SmsTemplateKey): string {
  const names: readonly string[] = SMS_TEMPLATES[key].params;
  return SMS_TEMPLATES[key].body.replace(PLACEHOLDER, (_m, name: string) => `{${names.indexOf(name) + 1}}`);
}

/**
 * Renders a template to the text the resident receives: 【signature】 + body with its parameters.
 * Every declared parameter must be given as text, and nothing else: a wrong call is a bug, caught here.
 */
export function renderSms(template: SmsTemplateKey, params: Record<string, unknown>, signName = DEFAULT_SMS_SIGN_NAME): string {
  if (!isSmsTemplateKey(template)) throw new Error(`unknown SMS template "${String(template)}"`);
  const declared: readonly string[] = SMS_TEMPLATES[template].params;
  for (const name of declared) {
    if (typeof params[name] !== 'string') throw new Error(`SMS template ${template}: parameter "${name}" must be text`);
  }
  const extra = Object.keys(params).filter((name) => !declared.includes(name));
  if (extra.length > 0) throw new Error(`SMS template ${template}: unknown parameter(s) ${extra.join(', ')}`);
  return `【${signName}】${SMS_TEMPLATES[template].body.replace(PLACEHOLDER, (_m, name: string) => params[name] as string)}`;
}

/** Builds the structured message for a template, rendered with the given signature. */
export function toOutgoingSms(phone: string, content: SmsContent, signName = DEFAULT_SMS_SIGN_NAME): OutgoingSms {
  const params = { ...(content.params as Record<string, string>) };
  return { phone, template: content.template, params, text: renderSms(content.template, params, signName) };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function patternOf(key: SmsTemplateKey, signName: string): RegExp {
  const body = SMS_TEMPLATES[key].body;
  let source = '';
  let last = 0;
  for (const m of body.matchAll(PLACEHOLDER)) {
    source += `${escapeRegExp(body.slice(last, m.index))}([\\s\\S]+?)`;
    last = m.index + m[0].length;
  }
  source += escapeRegExp(body.slice(last));
  return new RegExp(`^${escapeRegExp(`【${signName}】`)}${source}$`, 'u');
}

/**
 * Finds the template a rendered text came from (texts queued as plain strings by older callers,
 * rows queued before templates existed). Null when no template renders exactly this text.
 */
export function matchSmsTemplate(text: string, signName = DEFAULT_SMS_SIGN_NAME): SmsContent | null {
  for (const key of SMS_TEMPLATE_KEYS) {
    const m = patternOf(key, signName).exec(text);
    if (!m) continue;
    const names: readonly string[] = SMS_TEMPLATES[key].params;
    const params = Object.fromEntries(names.map((name, i) => [name, m[i + 1]]));
    if (renderSms(key, params, signName) === text) return { template: key, params } as SmsContent;
  }
  return null;
}

const shanghaiTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/** The outage notice (大面积停供) to one affected resident; the expected restoration in Shanghai time, e.g. 11/30 18:00. */
export function outageNoticeSms(caseNumber: string, communityName: string, cause: string, expectedRestoration: Date | null): SmsContent {
  return expectedRestoration
    ? { template: 'outage_notice', params: { caseNumber, communityName, cause, restoreAt: shanghaiTime.format(expectedRestoration) } }
    : { template: 'outage_notice_no_eta', params: { caseNumber, communityName, cause } };
}
