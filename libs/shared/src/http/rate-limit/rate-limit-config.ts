import type { RateRule } from './token-bucket.js';

/**
 * The limits of the platform (docs/security.md). Each is one environment setting `<count>/<window>`
 * (window `s`, `m`, `h`, optionally with a number: `60/10m` = 60 per 10 minutes) or `off`.
 */
export const RATE_LIMIT_POLICIES = {
  verificationSendIp: { env: 'RATE_LIMIT_VERIFICATION_SEND_IP', default: '60/10m', what: '当前网络获取验证码' },
  verificationSendPhone: { env: 'RATE_LIMIT_VERIFICATION_SEND_PHONE', default: '20/1h', what: '该手机号获取验证码' },
  verificationConfirmIp: { env: 'RATE_LIMIT_VERIFICATION_CONFIRM_IP', default: '120/10m', what: '当前网络提交验证码' },
  publicIp: { env: 'RATE_LIMIT_PUBLIC_IP', default: '300/1m', what: '当前网络访问公开页面和接口' },
  smsCallbackIp: { env: 'RATE_LIMIT_SMS_CALLBACK_IP', default: '3000/1m', what: '该地址推送短信回调' },
  perToken: { env: 'RATE_LIMIT_PER_TOKEN', default: '5000/1s', what: '该令牌的请求' },
} as const;

export type RateLimitPolicy = keyof typeof RATE_LIMIT_POLICIES;

/** A policy's rule, or null when it is switched off. */
export type RateLimits = Record<RateLimitPolicy, RateRule | null>;

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
const SETTING = /^(\d{1,9})\/(\d{0,6})(s|m|h)$/;

/** `60/10m` → 60 per 600,000 ms; `off` → null; anything else → undefined. */
export function parseRateRule(text: string): RateRule | null | undefined {
  const value = text.trim().toLowerCase();
  if (value === 'off') return null;
  const m = SETTING.exec(value);
  if (!m) return undefined;
  const limit = Number(m[1]);
  const windowMs = Number(m[2] || '1') * UNIT_MS[m[3] as keyof typeof UNIT_MS];
  return limit >= 1 && windowMs >= 1_000 ? { limit, windowMs } : undefined;
}

/** Reads every policy from the environment; a wrong setting is named in `problems`. */
export function readRateLimits(env: NodeJS.ProcessEnv): { limits: RateLimits; problems: string[] } {
  const problems: string[] = [];
  const limits = {} as RateLimits;
  for (const [policy, { env: name, default: fallback }] of Object.entries(RATE_LIMIT_POLICIES)) {
    const rule = parseRateRule(env[name] ?? fallback);
    if (rule === undefined) {
      problems.push(`${name} must be "<count>/<window>" with a window in s, m or h (e.g. ${fallback}, 100/30s), or "off"`);
      continue;
    }
    limits[policy as RateLimitPolicy] = rule;
  }
  return { limits, problems };
}

/** 1 s → 每秒, 10 min → 每 10 分钟, 1 h → 每小时. */
export function describeWindowZh(windowMs: number): string {
  const units: Array<[number, string]> = [
    [3_600_000, '小时'],
    [60_000, '分钟'],
    [1_000, '秒'],
  ];
  for (const [ms, label] of units) {
    if (windowMs % ms === 0) {
      const n = windowMs / ms;
      return n === 1 ? `每${label}` : `每 ${n} ${label}`;
    }
  }
  return `每 ${Math.ceil(windowMs / 1000)} 秒`;
}

/** A wait in words: under two minutes in seconds, else in whole minutes (rounded up). */
export function describeWaitZh(seconds: number): string {
  return seconds < 120 ? `${seconds} 秒` : `${Math.ceil(seconds / 60)} 分钟`;
}
