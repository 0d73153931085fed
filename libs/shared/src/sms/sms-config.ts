import ipaddr from 'ipaddr.js';
import type { ServiceName } from '../contracts/services.js';
import { SMS_TEMPLATE_KEYS, SMS_TEMPLATES, templateCodeVariable } from './sms-templates.js';
import type { SmsTemplateDefinition, SmsTemplateKey } from './sms-templates.js';

export const SMS_PROVIDERS = ['console', 'aliyun', 'tencent'] as const;
export type SmsProviderName = (typeof SMS_PROVIDERS)[number];

/** Where a provider's API is: its public endpoint, or a local fake provider in tests. */
export interface SmsEndpoint {
  protocol: 'http' | 'https';
  /** host or host:port */
  host: string;
}

export interface AliyunSmsSettings {
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  endpoint: SmsEndpoint;
}

export interface TencentSmsSettings {
  secretId: string;
  secretKey: string;
  sdkAppId: string;
  signName: string;
  region: string;
  endpoint: SmsEndpoint;
}

export interface SmsConfig {
  provider: SmsProviderName;
  aliyun?: AliyunSmsSettings;
  tencent?: TencentSmsSettings;
  /** The provider's template code for each catalogue key (every key when a provider is selected). */
  templateCodes: Partial<Record<SmsTemplateKey, string>>;
  /** Reply callbacks (sms-survey): the secret path token and the optional caller allow-list. */
  callback: { token?: string; allowedIps: string[] };
}

export const ALIYUN_SMS_DEFAULT_ENDPOINT = 'dysmsapi.aliyuncs.com';
export const TENCENT_SMS_DEFAULT_ENDPOINT = 'sms.tencentcloudapi.com';
export const TENCENT_SMS_DEFAULT_REGION = 'ap-guangzhou';
export const MIN_CALLBACK_TOKEN_LENGTH = 24;

/** The services that receive residents' replies through provider callbacks. */
const RECEIVES_REPLIES: readonly ServiceName[] = ['sms-survey'];

const TOKEN = /^[A-Za-z0-9._~-]+$/;
const TEMPLATE_CODE: Record<Exclude<SmsProviderName, 'console'>, { pattern: RegExp; example: string }> = {
  aliyun: { pattern: /^SMS_\d{3,20}$/, example: 'SMS_276450123' },
  tencent: { pattern: /^\d{1,20}$/, example: '2058914' },
};

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  return ipaddr.isValid(bare) && ipaddr.process(bare).range() === 'loopback';
}

function readEndpoint(variable: string, value: string | undefined, fallback: string, problems: string[]): SmsEndpoint {
  if (value === undefined || value === '') return { protocol: 'https', host: fallback };
  const wrong = `${variable} must be a host name (e.g. ${fallback}) or an https:// URL with no path; http:// is accepted only for a loopback test server`;
  if (/^[a-z0-9.-]+(:\d{1,5})?$/i.test(value)) return { protocol: 'https', host: value.toLowerCase() };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(wrong);
    return { protocol: 'https', host: fallback };
  }
  const protocol = url.protocol.replace(':', '');
  const plain = (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash && !url.username && !url.password;
  if (!plain || (protocol !== 'https' && !(protocol === 'http' && isLoopbackHost(url.hostname)))) {
    problems.push(wrong);
    return { protocol: 'https', host: fallback };
  }
  return { protocol: protocol as 'http' | 'https', host: url.host };
}

function required(env: NodeJS.ProcessEnv, variable: string, why: string, problems: string[]): string {
  const value = env[variable]?.trim();
  if (!value) {
    problems.push(`${variable} must be set ${why}`);
    return '';
  }
  if (/\s/.test(value)) problems.push(`${variable} must not contain spaces`);
  return value;
}

function signName(env: NodeJS.ProcessEnv, variable: string, why: string, problems: string[]): string {
  const value = required(env, variable, why, problems);
  if (value && /[【】[\]]/.test(value)) problems.push(`${variable} is the registered signature without brackets: 供热直通车, not 【供热直通车】`);
  else if (value && [...value].length > 20) problems.push(`${variable} must be at most 20 characters (the registered signature, e.g. 供热直通车)`);
  return value;
}

/**
 * Reads and checks the SMS settings (docs/sms.md). `console` (the default) needs nothing; a real
 * provider needs its credentials, signature and a template code for every catalogue key, and the
 * service that receives replies needs SMS_CALLBACK_TOKEN. Returns every problem, never a secret.
 */
export function readSmsConfig(
  env: NodeJS.ProcessEnv,
  service: ServiceName,
  /** Settings as the service resolved them (defaults included) that decide which templates are sent. */
  resolved: { PUBLIC_BASE_URL?: string } = { PUBLIC_BASE_URL: env.PUBLIC_BASE_URL },
): { config: SmsConfig; problems: string[] } {
  const problems: string[] = [];
  const providerValue = (env.SMS_PROVIDER ?? 'console').trim().toLowerCase() || 'console';
  const provider = (SMS_PROVIDERS as readonly string[]).includes(providerValue) ? (providerValue as SmsProviderName) : 'console';
  if (provider !== providerValue) problems.push(`SMS_PROVIDER must be one of ${SMS_PROVIDERS.join(', ')} (got "${env.SMS_PROVIDER}")`);
  const config: SmsConfig = { provider, templateCodes: {}, callback: { allowedIps: [] } };
  const why = `when SMS_PROVIDER=${provider}`;

  if (provider === 'aliyun') {
    config.aliyun = {
      accessKeyId: required(env, 'ALIYUN_SMS_ACCESS_KEY_ID', why, problems),
      accessKeySecret: required(env, 'ALIYUN_SMS_ACCESS_KEY_SECRET', why, problems),
      signName: signName(env, 'ALIYUN_SMS_SIGN_NAME', why, problems),
      endpoint: readEndpoint('ALIYUN_SMS_ENDPOINT', env.ALIYUN_SMS_ENDPOINT?.trim(), ALIYUN_SMS_DEFAULT_ENDPOINT, problems),
    };
  }
  if (provider === 'tencent') {
    const sdkAppId = required(env, 'TENCENT_SMS_SDK_APP_ID', why, problems);
    if (sdkAppId && !/^\d{5,20}$/.test(sdkAppId)) problems.push('TENCENT_SMS_SDK_APP_ID must be the numeric SdkAppId of the SMS application, e.g. 1400123456');
    const region = env.TENCENT_SMS_REGION?.trim() || TENCENT_SMS_DEFAULT_REGION;
    if (!/^[a-z]{2,4}-[a-z]+(-\d+)?$/.test(region)) problems.push(`TENCENT_SMS_REGION must be a Tencent Cloud region such as ${TENCENT_SMS_DEFAULT_REGION} or ap-beijing`);
    config.tencent = {
      secretId: required(env, 'TENCENT_SMS_SECRET_ID', why, problems),
      secretKey: required(env, 'TENCENT_SMS_SECRET_KEY', why, problems),
      sdkAppId,
      signName: signName(env, 'TENCENT_SMS_SIGN_NAME', why, problems),
      region,
      endpoint: readEndpoint('TENCENT_SMS_ENDPOINT', env.TENCENT_SMS_ENDPOINT?.trim(), TENCENT_SMS_DEFAULT_ENDPOINT, problems),
    };
  }

  if (provider !== 'console') {
    const { pattern, example } = TEMPLATE_CODE[provider];
    const missing: string[] = [];
    const malformed: string[] = [];
    for (const key of SMS_TEMPLATE_KEYS) {
      const variable = templateCodeVariable(key);
      const code = env[variable]?.trim();
      const { onlyWith }: SmsTemplateDefinition = SMS_TEMPLATES[key];
      if (!code && onlyWith && !resolved[onlyWith]) continue;
      if (!code) missing.push(variable);
      else if (!pattern.test(code)) malformed.push(variable);
      else config.templateCodes[key] = code;
    }
    if (missing.length > 0) problems.push(`${why}, every SMS template needs its registered code; missing: ${missing.join(', ')}`);
    if (malformed.length > 0) problems.push(`${provider} template codes look like ${example}; not so: ${malformed.join(', ')}`);
  }

  const token = env.SMS_CALLBACK_TOKEN?.trim() || undefined;
  if (token !== undefined) {
    if (token.length < MIN_CALLBACK_TOKEN_LENGTH || token.length > 256 || !TOKEN.test(token)) {
      problems.push(
        `SMS_CALLBACK_TOKEN must be ${MIN_CALLBACK_TOKEN_LENGTH}–256 characters of A–Z a–z 0–9 . _ ~ - (it is part of the callback URL), e.g. the output of: openssl rand -hex 24`,
      );
    } else {
      config.callback.token = token;
    }
  } else if (provider !== 'console' && RECEIVES_REPLIES.includes(service)) {
    problems.push(`SMS_CALLBACK_TOKEN must be set ${why}: it authenticates the provider's reply callbacks (at least ${MIN_CALLBACK_TOKEN_LENGTH} characters)`);
  }

  const allowed = (env.SMS_CALLBACK_ALLOWED_IPS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const invalid = allowed.filter((entry) => !isIpOrCidr(entry));
  if (invalid.length > 0) {
    problems.push(`SMS_CALLBACK_ALLOWED_IPS must be comma-separated IP addresses or CIDR ranges (e.g. 106.11.0.0/16,2408:4000::/32); not valid: ${invalid.join(', ')}`);
  } else {
    config.callback.allowedIps = allowed;
  }
  return { config, problems };
}

/** A strict address (four-part decimal IPv4 or IPv6) or CIDR range: 0x7f.1 or 10.1 are not accepted. */
export function isIpOrCidr(entry: string): boolean {
  if (entry.includes('/')) return ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) || ipaddr.IPv6.isValidCIDR(entry);
  return ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry);
}
