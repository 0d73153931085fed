import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadServiceConfig } from '../config/service-config.js';
import { AliyunSmsGateway } from './aliyun-sms.gateway.js';
import { ConsoleSmsGateway } from './console-sms.gateway.js';
import { readSmsConfig } from './sms-config.js';
import { createSmsGateway } from './sms-gateway.provider.js';
import { SMS_TEMPLATE_KEYS, SMS_TEMPLATES, templateCodeVariable } from './sms-templates.js';
import type { SmsTemplateDefinition } from './sms-templates.js';
import { TencentSmsGateway } from './tencent-sms.gateway.js';

const TOKEN = 'cb-4f9a1e7c2d8b6a3f5e0c9d7b';
const PRODUCTION = {
  HEATING_MODE: 'production',
  DATABASE_URL: 'postgres://heat:pw@db:5432/heating',
  AMQP_URL: 'amqp://mq:5672',
  AUTH_SECRET: 'x'.repeat(32),
};
const ALIYUN_KEYS = { ALIYUN_SMS_ACCESS_KEY_ID: 'LTAI5tExampleKeyId01', ALIYUN_SMS_ACCESS_KEY_SECRET: 'ExampleSecretValue0123456789ab', ALIYUN_SMS_SIGN_NAME: '供热直通车' };
const TENCENT_KEYS = {
  TENCENT_SMS_SECRET_ID: 'AKIDExampleSecretId000000000000000001',
  TENCENT_SMS_SECRET_KEY: 'ExampleSecretKey0000000000000001',
  TENCENT_SMS_SDK_APP_ID: '1400787878',
  TENCENT_SMS_SIGN_NAME: '供热直通车',
};

/** A template code for every catalogue key, in the provider's format. */
function templateCodes(provider: 'aliyun' | 'tencent', keys = SMS_TEMPLATE_KEYS): Record<string, string> {
  return Object.fromEntries(keys.map((k, i) => [templateCodeVariable(k), provider === 'aliyun' ? `SMS_27645${String(i).padStart(4, '0')}` : `20589${i}`]));
}
const ALIYUN = { SMS_PROVIDER: 'aliyun', ...ALIYUN_KEYS, ...templateCodes('aliyun'), SMS_CALLBACK_TOKEN: TOKEN };
const TENCENT = { SMS_PROVIDER: 'tencent', ...TENCENT_KEYS, ...templateCodes('tencent'), SMS_CALLBACK_TOKEN: TOKEN };

function problemsOf(env: NodeJS.ProcessEnv, service: 'intake' | 'sms-survey' = 'sms-survey'): string[] {
  try {
    loadServiceConfig(service, { ...PRODUCTION, ...env }, 'production');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

describe('SMS_PROVIDER: console by default, which needs nothing', () => {
  it('with nothing set the gateway is the console, in embedded and production mode alike', () => {
    expect(loadServiceConfig('sms-survey', {}, 'embedded').sms).toEqual({ provider: 'console', templateCodes: {}, callback: { allowedIps: [] } });
    expect(loadServiceConfig('intake', PRODUCTION, 'production').sms.provider).toBe('console');
  });

  it('an unknown provider is refused, naming the choices', () => {
    expect(problemsOf({ SMS_PROVIDER: 'twilio' })).toEqual(['SMS_PROVIDER must be one of console, aliyun, tencent (got "twilio")']);
  });

  it('the console accepts a callback token (replies can then be played through the provider callbacks)', () => {
    expect(loadServiceConfig('sms-survey', { SMS_CALLBACK_TOKEN: TOKEN }, 'embedded').sms.callback.token).toBe(TOKEN);
  });
});

describe('aliyun needs its AccessKey, signature, every template code and the callback token', () => {
  it('a complete configuration is read as given, with the public endpoint by default', () => {
    const { sms } = loadServiceConfig('sms-survey', { ...PRODUCTION, ...ALIYUN }, 'production');
    expect(sms.provider).toBe('aliyun');
    expect(sms.aliyun).toEqual({
      accessKeyId: ALIYUN_KEYS.ALIYUN_SMS_ACCESS_KEY_ID,
      accessKeySecret: ALIYUN_KEYS.ALIYUN_SMS_ACCESS_KEY_SECRET,
      signName: '供热直通车',
      endpoint: { protocol: 'https', host: 'dysmsapi.aliyuncs.com' },
    });
    expect(sms.templateCodes.verification_code).toBe(ALIYUN[templateCodeVariable('verification_code') as keyof typeof ALIYUN]);
    expect(Object.keys(sms.templateCodes).sort()).toEqual([...SMS_TEMPLATE_KEYS].sort());
    expect(sms.callback).toEqual({ token: TOKEN, allowedIps: [] });
  });

  it('each missing credential is named', () => {
    const problems = problemsOf({ ...ALIYUN, ALIYUN_SMS_ACCESS_KEY_ID: '', ALIYUN_SMS_ACCESS_KEY_SECRET: undefined, ALIYUN_SMS_SIGN_NAME: undefined });
    expect(problems).toEqual([
      'ALIYUN_SMS_ACCESS_KEY_ID must be set when SMS_PROVIDER=aliyun',
      'ALIYUN_SMS_ACCESS_KEY_SECRET must be set when SMS_PROVIDER=aliyun',
      'ALIYUN_SMS_SIGN_NAME must be set when SMS_PROVIDER=aliyun',
    ]);
  });

  it('the missing template codes are named, all of them in one message', () => {
    const withoutTwo = { ...ALIYUN, SMS_TEMPLATE_SURVEY_REMINDER: undefined, SMS_TEMPLATE_OUTAGE_NOTICE: '' };
    expect(problemsOf(withoutTwo)).toEqual([
      'when SMS_PROVIDER=aliyun, every SMS template needs its registered code; missing: SMS_TEMPLATE_SURVEY_REMINDER, SMS_TEMPLATE_OUTAGE_NOTICE',
    ]);
  });

  it('with no template code at all, every SMS_TEMPLATE_<KEY> is listed', () => {
    const { SMS_PROVIDER, SMS_CALLBACK_TOKEN } = ALIYUN;
    const [problem] = problemsOf({ SMS_PROVIDER, SMS_CALLBACK_TOKEN, ...ALIYUN_KEYS, PUBLIC_BASE_URL: 'https://gr.example.cn' });
    for (const key of SMS_TEMPLATE_KEYS) expect(problem).toContain(templateCodeVariable(key));
  });

  it('the web-link templates are needed only when PUBLIC_BASE_URL is set (links are sent only then)', () => {
    const linkKeys = SMS_TEMPLATE_KEYS.filter((k) => (SMS_TEMPLATES[k] as SmsTemplateDefinition).onlyWith === 'PUBLIC_BASE_URL');
    expect(linkKeys).toEqual(['survey_invitation_link', 'survey_resurvey_link', 'survey_reminder_link']);
    const withoutLinks = { ...ALIYUN, ...Object.fromEntries(linkKeys.map((k) => [templateCodeVariable(k), undefined])) };
    expect(loadServiceConfig('sms-survey', { ...PRODUCTION, ...withoutLinks }, 'production').sms.templateCodes.survey_invitation_link).toBeUndefined();
    expect(problemsOf({ ...withoutLinks, PUBLIC_BASE_URL: 'https://gr.example.cn' })).toEqual([
      'when SMS_PROVIDER=aliyun, every SMS template needs its registered code; missing: SMS_TEMPLATE_SURVEY_INVITATION_LINK, SMS_TEMPLATE_SURVEY_RESURVEY_LINK, SMS_TEMPLATE_SURVEY_REMINDER_LINK',
    ]);
  });

  it('embedded mode links by default (PUBLIC_BASE_URL defaults to the local service), so there the link templates are needed too', () => {
    const withoutLinks = { ...ALIYUN, SMS_TEMPLATE_SURVEY_INVITATION_LINK: undefined, SMS_TEMPLATE_SURVEY_RESURVEY_LINK: undefined, SMS_TEMPLATE_SURVEY_REMINDER_LINK: undefined };
    expect(() => loadServiceConfig('sms-survey', withoutLinks, 'embedded')).toThrow(
      /missing: SMS_TEMPLATE_SURVEY_INVITATION_LINK, SMS_TEMPLATE_SURVEY_RESURVEY_LINK, SMS_TEMPLATE_SURVEY_REMINDER_LINK/,
    );
  });

  it('Aliyun template codes look like SMS_276450123: a Tencent ID is refused, naming the variable', () => {
    expect(problemsOf({ ...ALIYUN, SMS_TEMPLATE_RATING_THANKS: '2058914' })).toEqual([
      'aliyun template codes look like SMS_276450123; not so: SMS_TEMPLATE_RATING_THANKS',
    ]);
  });

  it('the signature is given without 【】', () => {
    expect(problemsOf({ ...ALIYUN, ALIYUN_SMS_SIGN_NAME: '【供热直通车】' })).toEqual([
      'ALIYUN_SMS_SIGN_NAME is the registered signature without brackets: 供热直通车, not 【供热直通车】',
    ]);
  });

  it('a secret with a space is refused without repeating the secret', () => {
    const problems = problemsOf({ ...ALIYUN, ALIYUN_SMS_ACCESS_KEY_SECRET: 'abc def-secret-value' });
    expect(problems).toEqual(['ALIYUN_SMS_ACCESS_KEY_SECRET must not contain spaces']);
    expect(problems.join()).not.toContain('def-secret-value');
  });

  it('intake and dispatch send SMS but receive no replies: they need no callback token', () => {
    const { SMS_CALLBACK_TOKEN: _, ...noToken } = ALIYUN;
    expect(loadServiceConfig('intake', { ...PRODUCTION, ...noToken }, 'production').sms.provider).toBe('aliyun');
    expect(problemsOf(noToken, 'sms-survey')).toEqual([
      'SMS_CALLBACK_TOKEN must be set when SMS_PROVIDER=aliyun: it authenticates the provider\'s reply callbacks (at least 24 characters)',
    ]);
  });
});

describe('tencent needs its SecretId/SecretKey, SdkAppId, signature, every template ID and the callback token', () => {
  it('a complete configuration is read, region ap-guangzhou and the public endpoint by default', () => {
    const { sms } = loadServiceConfig('sms-survey', { ...PRODUCTION, ...TENCENT }, 'production');
    expect(sms.tencent).toEqual({
      secretId: TENCENT_KEYS.TENCENT_SMS_SECRET_ID,
      secretKey: TENCENT_KEYS.TENCENT_SMS_SECRET_KEY,
      sdkAppId: '1400787878',
      signName: '供热直通车',
      region: 'ap-guangzhou',
      endpoint: { protocol: 'https', host: 'sms.tencentcloudapi.com' },
    });
  });

  it('TENCENT_SMS_REGION and TENCENT_SMS_ENDPOINT are taken as given', () => {
    const { sms } = loadServiceConfig('sms-survey', { ...PRODUCTION, ...TENCENT, TENCENT_SMS_REGION: 'ap-beijing', TENCENT_SMS_ENDPOINT: 'sms.ap-beijing.tencentcloudapi.com' }, 'production');
    expect(sms.tencent).toMatchObject({ region: 'ap-beijing', endpoint: { protocol: 'https', host: 'sms.ap-beijing.tencentcloudapi.com' } });
  });

  it('missing credentials and a non-numeric SdkAppId are named', () => {
    expect(problemsOf({ ...TENCENT, TENCENT_SMS_SECRET_KEY: '', TENCENT_SMS_SDK_APP_ID: 'sms-app' })).toEqual([
      'TENCENT_SMS_SDK_APP_ID must be the numeric SdkAppId of the SMS application, e.g. 1400123456',
      'TENCENT_SMS_SECRET_KEY must be set when SMS_PROVIDER=tencent',
    ]);
  });

  it('Tencent template IDs are numeric: an Aliyun code is refused', () => {
    expect(problemsOf({ ...TENCENT, SMS_TEMPLATE_VERIFICATION_CODE: 'SMS_276450001' })).toEqual([
      'tencent template codes look like 2058914; not so: SMS_TEMPLATE_VERIFICATION_CODE',
    ]);
  });

  it('a malformed region is refused', () => {
    expect(problemsOf({ ...TENCENT, TENCENT_SMS_REGION: 'guangzhou' })).toEqual([
      'TENCENT_SMS_REGION must be a Tencent Cloud region such as ap-guangzhou or ap-beijing',
    ]);
  });
});

describe('provider endpoints: https, or http for a loopback test server only', () => {
  const endpointOf = (value: string) => readSmsConfig({ ...ALIYUN, ALIYUN_SMS_ENDPOINT: value }, 'sms-survey');

  it('a host name, a host with port and an https URL are accepted', () => {
    expect(endpointOf('dysmsapi.aliyuncs.com').config.aliyun!.endpoint).toEqual({ protocol: 'https', host: 'dysmsapi.aliyuncs.com' });
    expect(endpointOf('sms-gw.internal:8443').config.aliyun!.endpoint).toEqual({ protocol: 'https', host: 'sms-gw.internal:8443' });
    expect(endpointOf('https://dysmsapi.aliyuncs.com/').config.aliyun!.endpoint).toEqual({ protocol: 'https', host: 'dysmsapi.aliyuncs.com' });
  });

  it('http://127.0.0.1:port (a local fake provider) is accepted', () => {
    expect(endpointOf('http://127.0.0.1:9977').config.aliyun!.endpoint).toEqual({ protocol: 'http', host: '127.0.0.1:9977' });
    expect(endpointOf('http://localhost:9977').problems).toEqual([]);
  });

  it('plain http to another host, a path or a query are refused', () => {
    for (const value of ['http://dysmsapi.aliyuncs.com', 'https://dysmsapi.aliyuncs.com/v1', 'https://dysmsapi.aliyuncs.com/?a=1', 'ftp://x', 'not a url']) {
      expect(endpointOf(value).problems).toEqual([
        'ALIYUN_SMS_ENDPOINT must be a host name (e.g. dysmsapi.aliyuncs.com) or an https:// URL with no path; http:// is accepted only for a loopback test server',
      ]);
    }
  });
});

describe('callback authentication: SMS_CALLBACK_TOKEN and SMS_CALLBACK_ALLOWED_IPS', () => {
  it('a token shorter than 24 characters is refused, without repeating it', () => {
    const problems = problemsOf({ ...ALIYUN, SMS_CALLBACK_TOKEN: 'short-token-123' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SMS_CALLBACK_TOKEN must be 24–256 characters/);
    expect(problems[0]).not.toContain('short-token-123');
  });

  it('a token with characters that do not belong in a URL path is refused', () => {
    expect(problemsOf({ ...ALIYUN, SMS_CALLBACK_TOKEN: 'abc/def?ghi#jkl%mno&pqrstuvwx' })[0]).toMatch(/^SMS_CALLBACK_TOKEN must be/);
  });

  it('the allow-list takes IPv4 and IPv6 addresses and CIDR ranges', () => {
    const { sms } = loadServiceConfig('sms-survey', { ...PRODUCTION, ...ALIYUN, SMS_CALLBACK_ALLOWED_IPS: '106.11.0.0/16, 47.96.1.2,2408:4000::/32' }, 'production');
    expect(sms.callback.allowedIps).toEqual(['106.11.0.0/16', '47.96.1.2', '2408:4000::/32']);
  });

  it('entries that are not addresses or ranges are named (non-standard forms like 10.1 too)', () => {
    expect(problemsOf({ ...ALIYUN, SMS_CALLBACK_ALLOWED_IPS: '106.11.0.0/16,aliyun.com,10.1,1.2.3.4/40' })).toEqual([
      'SMS_CALLBACK_ALLOWED_IPS must be comma-separated IP addresses or CIDR ranges (e.g. 106.11.0.0/16,2408:4000::/32); not valid: aliyun.com, 10.1, 1.2.3.4/40',
    ]);
  });

  it('all SMS problems are reported together with the other settings', () => {
    const problems = problemsOf({ ...ALIYUN, PORT: 'abc', ALIYUN_SMS_SIGN_NAME: '', SMS_CALLBACK_TOKEN: 'x' });
    expect(problems[0]).toMatch(/^PORT must be/);
    expect(problems.slice(1)).toEqual([
      'ALIYUN_SMS_SIGN_NAME must be set when SMS_PROVIDER=aliyun',
      expect.stringMatching(/^SMS_CALLBACK_TOKEN must be 24–256 characters/),
    ]);
  });
});

describe('the SMS_GATEWAY binding follows SMS_PROVIDER', () => {
  const logger = () => {
    const lines: string[] = [];
    return { lines, log: (m: string) => void lines.push(`log ${m}`), warn: (m: string) => void lines.push(`warn ${m}`) };
  };

  it('console in production starts with a warning that no SMS leaves the platform', () => {
    const l = logger();
    const gateway = createSmsGateway(loadServiceConfig('intake', PRODUCTION, 'production'), l as never);
    expect(gateway).toBeInstanceOf(ConsoleSmsGateway);
    expect(l.lines).toEqual([expect.stringMatching(/^warn SMS_PROVIDER is console: NO SMS LEAVES THE PLATFORM/)]);
  });

  it('console in embedded mode is the expected default: no warning', () => {
    const l = logger();
    expect(createSmsGateway(loadServiceConfig('intake', {}, 'embedded'), l as never)).toBeInstanceOf(ConsoleSmsGateway);
    expect(l.lines).toEqual([]);
  });

  it('aliyun and tencent get their adapters; the start-up line names provider and signature, never a key', () => {
    const l = logger();
    const aliyun = createSmsGateway(loadServiceConfig('sms-survey', { ...PRODUCTION, ...ALIYUN }, 'production'), l as never);
    const tencent = createSmsGateway(loadServiceConfig('sms-survey', { ...PRODUCTION, ...TENCENT }, 'production'), l as never);
    expect(aliyun).toBeInstanceOf(AliyunSmsGateway);
    expect(tencent).toBeInstanceOf(TencentSmsGateway);
    expect(aliyun.signName).toBe('供热直通车');
    const said = l.lines.join('\n');
    expect(said).toContain('Aliyun SMS');
    expect(said).toContain('Tencent Cloud SMS');
    for (const secret of [...Object.values(ALIYUN_KEYS), ...Object.values(TENCENT_KEYS)].filter((v) => v !== '供热直通车' && !/^\d+$/.test(v))) {
      expect(said).not.toContain(secret);
    }
  });
});
