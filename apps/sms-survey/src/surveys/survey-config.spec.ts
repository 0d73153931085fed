import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadServiceConfig } from '#shared';

const PRODUCTION = {
  HEATING_MODE: 'production',
  DATABASE_URL: 'postgres://heat:pw@db:5432/heating',
  AMQP_URL: 'amqp://mq:5672',
  AUTH_SECRET: 'x'.repeat(32),
  SMS_CALLBACK_TOKEN: 'callback-token-0123456789abcdef',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadServiceConfig('sms-survey', env, 'production');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

describe('SURVEY_WINDOW_DAYS: how long a survey waits for a rating', () => {
  it('is 7 days unless set', () => {
    expect(loadServiceConfig('sms-survey', {}, 'embedded').surveyWindowDays).toBe(7);
    expect(loadServiceConfig('sms-survey', PRODUCTION, 'production').surveyWindowDays).toBe(7);
  });

  it('may be set from 2 to 30 days', () => {
    expect(loadServiceConfig('sms-survey', { SURVEY_WINDOW_DAYS: '2' }, 'embedded').surveyWindowDays).toBe(2);
    expect(loadServiceConfig('sms-survey', { SURVEY_WINDOW_DAYS: '30' }, 'embedded').surveyWindowDays).toBe(30);
  });

  it.each(['1', '31', '0', '7.5', 'seven'])('「%s」 is refused with a message naming the setting (the reminder needs more than a day)', (value) => {
    expect(problemsOf({ ...PRODUCTION, SURVEY_WINDOW_DAYS: value }).join('\n')).toMatch(/SURVEY_WINDOW_DAYS must be/);
  });
});

describe('PUBLIC_BASE_URL: where the one-time rating links point', () => {
  it('is http://127.0.0.1:3003 in embedded mode', () => {
    expect(loadServiceConfig('sms-survey', {}, 'embedded').publicBaseUrl).toBe('http://127.0.0.1:3003');
  });

  it('is unset in production unless set (survey SMS then carry no link)', () => {
    expect(loadServiceConfig('sms-survey', PRODUCTION, 'production').publicBaseUrl).toBeUndefined();
  });

  it('loses a trailing slash and keeps a path', () => {
    expect(loadServiceConfig('sms-survey', { ...PRODUCTION, PUBLIC_BASE_URL: 'https://gr.example.cn/' }, 'production').publicBaseUrl).toBe('https://gr.example.cn');
    expect(loadServiceConfig('sms-survey', { ...PRODUCTION, PUBLIC_BASE_URL: 'https://example.cn/heating' }, 'production').publicBaseUrl).toBe('https://example.cn/heating');
  });

  it.each(['gr.example.cn', 'ftp://gr.example.cn', 'https://gr.example.cn/?a=1', 'https://gr example.cn'])('「%s」 is refused', (value) => {
    expect(problemsOf({ ...PRODUCTION, PUBLIC_BASE_URL: value }).join('\n')).toMatch(/PUBLIC_BASE_URL must be/);
  });
});
