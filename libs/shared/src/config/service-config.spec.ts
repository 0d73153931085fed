import { describe, expect, it } from '@jest/globals';
import { ConfigError, DEFAULT_PORTS, envPrefix, loadServiceConfig } from './service-config.js';

const SECRET = 'x'.repeat(32);
const PRODUCTION = {
  HEATING_MODE: 'production',
  DATABASE_URL: 'postgres://heat:pw@db:5432/heating',
  AMQP_URL: 'amqp://mq:5672',
  AUTH_SECRET: SECRET,
};

/** Runs loadServiceConfig and returns the ConfigError it throws (fails the test if it does not). */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadServiceConfig accepted the configuration');
}

describe('embedded mode runs with nothing set: pglite under .data/<service>, default ports 3001–3004', () => {
  it.each([
    ['intake', 3001],
    ['dispatch', 3002],
    ['sms-survey', 3003],
    ['kpi', 3004],
  ] as const)('%s listens on %i with pglite in .data/%s', (service, port) => {
    const config = loadServiceConfig(service, {}, 'embedded');
    expect(config.port).toBe(port);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: `.data/${service}` });
  });
  it('the other defaults: 127.0.0.1, info logs, retries 1 s/10 s/60 s, outbox poll 500 ms, no AMQP', () => {
    const config = loadServiceConfig('intake', {}, 'embedded');
    expect(config).toMatchObject({
      service: 'intake',
      mode: 'embedded',
      host: '127.0.0.1',
      logLevel: 'info',
      retryDelaysMs: [1_000, 10_000, 60_000],
      outboxPollMs: 500,
    });
    expect(config.amqp).toBeUndefined();
    expect(config.authSecret).toBeUndefined();
  });
  it('DATA_DIR moves the pglite directory, still one per service', () => {
    expect(loadServiceConfig('kpi', { DATA_DIR: '/var/lib/heating' }, 'embedded').database).toEqual({
      kind: 'pglite',
      dataDir: '/var/lib/heating/kpi',
    });
  });
  it('DEFAULT_PORTS are 3001–3004 in service order', () => {
    expect(DEFAULT_PORTS).toEqual({ intake: 3001, dispatch: 3002, 'sms-survey': 3003, kpi: 3004 });
  });
});

describe('settings given in the environment are read and converted', () => {
  it('PORT, HOST, LOG_LEVEL, MESSAGE_RETRY_DELAYS_MS and OUTBOX_POLL_MS are taken as given', () => {
    const config = loadServiceConfig(
      'dispatch',
      { PORT: '8080', HOST: '0.0.0.0', LOG_LEVEL: 'debug', MESSAGE_RETRY_DELAYS_MS: '10,20,30', OUTBOX_POLL_MS: '50' },
      'embedded',
    );
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', logLevel: 'debug', retryDelaysMs: [10, 20, 30], outboxPollMs: 50 });
  });
  it('<SERVICE>_PORT (SMS_SURVEY_PORT) overrides PORT for that service only', () => {
    const env = { PORT: '8080', SMS_SURVEY_PORT: '9003' };
    expect(loadServiceConfig('sms-survey', env, 'embedded').port).toBe(9003);
    expect(loadServiceConfig('kpi', env, 'embedded').port).toBe(8080);
  });
  it('group commit: kpi defaults to one transaction at a time of up to 64 events, intake to 2 of up to 32, the others to 2 of up to 16; INBOX_* and <SERVICE>_INBOX_* override', () => {
    expect(loadServiceConfig('kpi', {}, 'embedded').inbox).toEqual({ maxBatch: 64, concurrency: 1 });
    expect(loadServiceConfig('intake', {}, 'embedded').inbox).toEqual({ maxBatch: 32, concurrency: 2 });
    expect(loadServiceConfig('dispatch', {}, 'embedded').inbox).toEqual({ maxBatch: 16, concurrency: 2 });
    const env = { INBOX_BATCH_SIZE: '8', INBOX_CONCURRENCY: '2', KPI_INBOX_CONCURRENCY: '1' };
    expect(loadServiceConfig('intake', env, 'embedded').inbox).toEqual({ maxBatch: 8, concurrency: 2 });
    expect(loadServiceConfig('kpi', env, 'embedded').inbox).toEqual({ maxBatch: 8, concurrency: 1 });
    expect(configErrorOf(() => loadServiceConfig('kpi', { INBOX_CONCURRENCY: '0' }, 'embedded')).problems).toEqual(['INBOX_CONCURRENCY must be between 1 and 100']);
  });
  it('envPrefix turns sms-survey into SMS_SURVEY', () => {
    expect(envPrefix('sms-survey')).toBe('SMS_SURVEY');
    expect(envPrefix('intake')).toBe('INTAKE');
  });
  it('HEATING_MODE in the environment wins over the default mode', () => {
    expect(loadServiceConfig('intake', { HEATING_MODE: 'embedded' }, 'production').mode).toBe('embedded');
    expect(loadServiceConfig('intake', PRODUCTION, 'embedded').mode).toBe('production');
  });
  it('a 32-character AUTH_SECRET is kept in embedded mode', () => {
    expect(loadServiceConfig('intake', { AUTH_SECRET: SECRET }, 'embedded').authSecret).toBe(SECRET);
  });
});

describe('production mode uses postgres and RabbitMQ from the environment', () => {
  it('a complete production environment gives postgres (pool 10), amqp (prefetch 32) and the secret', () => {
    const config = loadServiceConfig('intake', PRODUCTION, 'production');
    expect(config.database).toEqual({ kind: 'postgres', url: PRODUCTION.DATABASE_URL, poolSize: 10 });
    expect(config.amqp).toEqual({ url: 'amqp://mq:5672', prefetch: 32 });
    expect(config.authSecret).toBe(SECRET);
    expect(config.host).toBe('0.0.0.0');
  });
  it('DATABASE_POOL_SIZE and AMQP_PREFETCH are read', () => {
    const config = loadServiceConfig('kpi', { ...PRODUCTION, DATABASE_POOL_SIZE: '4', AMQP_PREFETCH: '8' }, 'production');
    expect(config.database).toMatchObject({ poolSize: 4 });
    expect(config.amqp?.prefetch).toBe(8);
  });
  it('SMS_SURVEY_DATABASE_URL overrides DATABASE_URL for sms-survey only', () => {
    const env = { ...PRODUCTION, SMS_SURVEY_DATABASE_URL: 'postgresql://sms@db:5432/sms' };
    expect(loadServiceConfig('sms-survey', env, 'production').database).toMatchObject({ url: 'postgresql://sms@db:5432/sms' });
    expect(loadServiceConfig('dispatch', env, 'production').database).toMatchObject({ url: PRODUCTION.DATABASE_URL });
  });
  it('<SERVICE>_DATABASE_URL alone is enough when DATABASE_URL is not set', () => {
    const { DATABASE_URL: _d, ...env } = PRODUCTION;
    expect(loadServiceConfig('kpi', { ...env, KPI_DATABASE_URL: 'postgres://kpi@db/kpi' }, 'production').database).toMatchObject({
      url: 'postgres://kpi@db/kpi',
    });
  });
});

describe('production mode refuses to start without its database, broker and a strong secret', () => {
  it('missing DATABASE_URL → ConfigError naming DATABASE_URL', () => {
    const { DATABASE_URL: _d, ...env } = PRODUCTION;
    expect(configErrorOf(() => loadServiceConfig('intake', env, 'production')).message).toContain('DATABASE_URL');
  });
  it('a DATABASE_URL that is not postgres:// → ConfigError naming DATABASE_URL', () => {
    const env = { ...PRODUCTION, DATABASE_URL: 'mysql://db/heating' };
    expect(configErrorOf(() => loadServiceConfig('intake', env, 'production')).message).toContain('DATABASE_URL');
  });
  it('missing AMQP_URL → ConfigError naming AMQP_URL', () => {
    const { AMQP_URL: _a, ...env } = PRODUCTION;
    expect(configErrorOf(() => loadServiceConfig('intake', env, 'production')).message).toContain('AMQP_URL');
  });
  it('missing AUTH_SECRET → ConfigError naming AUTH_SECRET', () => {
    const { AUTH_SECRET: _s, ...env } = PRODUCTION;
    expect(configErrorOf(() => loadServiceConfig('intake', env, 'production')).message).toContain('AUTH_SECRET');
  });
  it('a 31-character AUTH_SECRET → ConfigError saying it needs 32 characters', () => {
    const env = { ...PRODUCTION, AUTH_SECRET: 'x'.repeat(31) };
    const error = configErrorOf(() => loadServiceConfig('intake', env, 'production'));
    expect(error.message).toContain('AUTH_SECRET');
    expect(error.message).toContain('32');
  });
  it('every problem is named at once, not only the first', () => {
    const error = configErrorOf(() => loadServiceConfig('intake', { HEATING_MODE: 'production' }, 'embedded'));
    const all = error.problems.join('\n');
    expect(all).toContain('DATABASE_URL');
    expect(all).toContain('AMQP_URL');
    expect(all).toContain('AUTH_SECRET');
  });
  it('the same settings are not required in embedded mode', () => {
    expect(() => loadServiceConfig('intake', {}, 'embedded')).not.toThrow();
  });
});

describe('a wrong setting throws ConfigError whose message names the variable', () => {
  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '-1' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '30.5' }],
    ['PORT', { INTAKE_PORT: 'x' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['MESSAGE_RETRY_DELAYS_MS', { MESSAGE_RETRY_DELAYS_MS: '1s' }],
    ['MESSAGE_RETRY_DELAYS_MS', { MESSAGE_RETRY_DELAYS_MS: '1000,,2000' }],
    ['MESSAGE_RETRY_DELAYS_MS', { MESSAGE_RETRY_DELAYS_MS: '' }],
    ['HEATING_MODE', { HEATING_MODE: 'prod' }],
    ['OUTBOX_POLL_MS', { OUTBOX_POLL_MS: '5' }],
    ['AMQP_PREFETCH', { AMQP_PREFETCH: '0' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: 'many' }],
    ['AUTH_SECRET', { AUTH_SECRET: 'short' }],
  ])('%s in %j', (variable, env) => {
    const error = configErrorOf(() => loadServiceConfig('intake', env, 'embedded'));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(variable);
  });
});

describe('TRUST_PROXY names which proxies may report the client address (per-IP limits)', () => {
  it('defaults to loopback, and accepts a hop count or CIDRs', () => {
    expect(loadServiceConfig('intake', {}, 'embedded').trustProxy).toBe('loopback');
    expect(loadServiceConfig('intake', { TRUST_PROXY: '1' }, 'embedded').trustProxy).toBe(1);
    expect(loadServiceConfig('intake', { TRUST_PROXY: '10.0.0.0/8,172.16.0.0/12' }, 'embedded').trustProxy).toBe('10.0.0.0/8,172.16.0.0/12');
  });
  it('refuses anything else, naming the variable', () => {
    expect(() => loadServiceConfig('intake', { TRUST_PROXY: 'everyone!' }, 'embedded')).toThrow(/TRUST_PROXY/);
  });
});
