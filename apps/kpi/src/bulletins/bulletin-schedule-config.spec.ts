import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadServiceConfig } from '#shared';

const PRODUCTION = {
  HEATING_MODE: 'production',
  DATABASE_URL: 'postgres://heat:pw@db:5432/heating',
  AMQP_URL: 'amqp://mq:5672',
  AUTH_SECRET: 'x'.repeat(32),
};

describe('BULLETIN_SCHEDULE: the monthly bulletin schedule is on in production, off embedded, and validated', () => {
  it('defaults: on in production, off in embedded mode', () => {
    expect(loadServiceConfig('kpi', PRODUCTION, 'production').bulletinSchedule).toBe(true);
    expect(loadServiceConfig('kpi', {}, 'embedded').bulletinSchedule).toBe(false);
  });

  it('on and off are read as given, in either mode', () => {
    expect(loadServiceConfig('kpi', { ...PRODUCTION, BULLETIN_SCHEDULE: 'off' }, 'production').bulletinSchedule).toBe(false);
    expect(loadServiceConfig('kpi', { BULLETIN_SCHEDULE: 'on' }, 'embedded').bulletinSchedule).toBe(true);
  });

  it('anything else stops the service at start-up, naming the variable', () => {
    let error: unknown;
    try {
      loadServiceConfig('kpi', { ...PRODUCTION, BULLETIN_SCHEDULE: 'yes' }, 'production');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['BULLETIN_SCHEDULE must be "on" or "off"']);
  });
});
