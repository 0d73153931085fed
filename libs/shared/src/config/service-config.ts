import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateIf, validateSync } from 'class-validator';
import type { ServiceName } from '../contracts/services.js';
import { readRateLimits } from '../http/rate-limit/rate-limit-config.js';
import type { RateLimits } from '../http/rate-limit/rate-limit-config.js';
import { DEFAULT_RETRY_DELAYS_MS } from '../messaging/retry-policy.js';
import { readPhoneKeys } from '../phone/phone-vault.js';
import type { PhoneKeySettings } from '../phone/phone-vault.js';
import { readSmsConfig } from '../sms/sms-config.js';
import type { SmsConfig } from '../sms/sms-config.js';

export type RunMode = 'embedded' | 'production';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_PORTS: Record<ServiceName, number> = { intake: 3001, dispatch: 3002, 'sms-survey': 3003, kpi: 3004 };

/** Environment prefix of a service: intake → INTAKE, sms-survey → SMS_SURVEY. */
export function envPrefix(service: ServiceName): string {
  return service.toUpperCase().replace(/-/g, '_');
}

/**
 * Consumer group commit per service. Two transactions at once keep the database busy while one
 * waits, and leave the groups big enough to save round trips (at 200 complaints/s, 4 at once gave
 * groups of 1–2 and a p99 of 247 ms, 2 at once 176 ms: BENCHMARKS.md, "Dispatch"). intake's step
 * is one statement, so its groups may be larger. kpi is a single writer: every event moves shared
 * aggregate rows (its city's, its authority's), so two of its transactions at once, each holding
 * several events, lock those rows in different orders and deadlock; one at a time it never waits.
 */
const INBOX_DEFAULTS: Record<ServiceName, { maxBatch: number; concurrency: number }> = {
  intake: { maxBatch: 32, concurrency: 2 },
  dispatch: { maxBatch: 16, concurrency: 2 },
  'sms-survey': { maxBatch: 16, concurrency: 2 },
  kpi: { maxBatch: 64, concurrency: 1 },
};

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** The environment as read; validated once at start-up. */
class RawEnvironment {
  @IsIn(['embedded', 'production'], { message: 'HEATING_MODE must be "embedded" or "production"' })
  HEATING_MODE: RunMode;

  @ValidateIf((e: RawEnvironment) => e.HEATING_MODE === 'production')
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL (or <SERVICE>_DATABASE_URL) must be a postgres:// URL in production mode' })
  DATABASE_URL?: string;

  @ValidateIf((e: RawEnvironment) => e.HEATING_MODE === 'production')
  @Matches(/^amqps?:\/\/.+/, { message: 'AMQP_URL must be an amqp:// or amqps:// URL in production mode' })
  AMQP_URL?: string;

  @Transform(toInt)
  @IsInt({ message: 'PORT must be an integer' })
  @Min(0, { message: 'PORT must be between 0 (any free port) and 65535' })
  @Max(65535, { message: 'PORT must be between 0 (any free port) and 65535' })
  PORT: number;

  @IsString() HOST: string;

  @ValidateIf((e: RawEnvironment) => e.HEATING_MODE === 'production' || e.AUTH_SECRET !== undefined)
  @IsString({ message: 'AUTH_SECRET must be set' })
  @MinLength(32, { message: 'AUTH_SECRET must be at least 32 characters' })
  AUTH_SECRET?: string;

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel;

  @Matches(/^\d+(,\d+)*$/, { message: 'MESSAGE_RETRY_DELAYS_MS must be a comma-separated list of milliseconds, e.g. 1000,10000,60000' })
  MESSAGE_RETRY_DELAYS_MS: string;

  @Transform(toInt)
  @IsInt({ message: 'AMQP_PREFETCH must be an integer' })
  @Min(1, { message: 'AMQP_PREFETCH must be between 1 and 1000' })
  @Max(1000, { message: 'AMQP_PREFETCH must be between 1 and 1000' })
  AMQP_PREFETCH: number;

  @Transform(toInt)
  @IsInt({ message: 'DATABASE_POOL_SIZE must be an integer' })
  @Min(1, { message: 'DATABASE_POOL_SIZE must be between 1 and 100' })
  @Max(100, { message: 'DATABASE_POOL_SIZE must be between 1 and 100' })
  DATABASE_POOL_SIZE: number;

  @Transform(toInt)
  @IsInt({ message: 'INBOX_BATCH_SIZE must be an integer' })
  @Min(1, { message: 'INBOX_BATCH_SIZE must be between 1 (one transaction per message) and 500' })
  @Max(500, { message: 'INBOX_BATCH_SIZE must be between 1 (one transaction per message) and 500' })
  INBOX_BATCH_SIZE: number;

  @Transform(toInt)
  @IsInt({ message: 'INBOX_CONCURRENCY must be an integer' })
  @Min(1, { message: 'INBOX_CONCURRENCY must be between 1 and 100' })
  @Max(100, { message: 'INBOX_CONCURRENCY must be between 1 and 100' })
  INBOX_CONCURRENCY: number;

  @Transform(toInt)
  @IsInt({ message: 'OUTBOX_POLL_MS must be an integer' })
  @Min(10, { message: 'OUTBOX_POLL_MS must be between 10 and 60000' })
  @Max(60_000, { message: 'OUTBOX_POLL_MS must be between 10 and 60000' })
  OUTBOX_POLL_MS: number;

  @IsOptional() @IsString() DATA_DIR?: string;

  @IsIn(['true', 'false'], { message: 'SEED_DEMO_DATA must be "true" or "false"' })
  SEED_DEMO_DATA: string;

  @Matches(/^$|^[\w.-]+:[\w.~-]{16,}(,[\w.-]+:[\w.~-]{16,})*$/, {
    message: 'OPEN311_API_KEYS must be a comma-separated list of client:key pairs, keys at least 16 characters (e.g. cityapp:3f9c…)',
  })
  OPEN311_API_KEYS: string;

  @Matches(/^(loopback|uniquelocal|linklocal|\d+|[\d.:/,a-f]+)(,(loopback|uniquelocal|linklocal|[\d.:/a-f]+))*$/i, {
    message: 'TRUST_PROXY must be "loopback", "uniquelocal", a hop count, or comma-separated proxy addresses/CIDRs',
  })
  TRUST_PROXY: string;

  @IsIn(['true', 'false'], { message: 'WEBHOOK_ALLOW_PRIVATE_TARGETS must be "true" or "false"' })
  WEBHOOK_ALLOW_PRIVATE_TARGETS: string;

  @Transform(toInt)
  @IsInt({ message: 'OUTAGE_SUSPECT_HOUSEHOLDS must be an integer' })
  @Min(2, { message: 'OUTAGE_SUSPECT_HOUSEHOLDS must be between 2 and 10000' })
  @Max(10_000, { message: 'OUTAGE_SUSPECT_HOUSEHOLDS must be between 2 and 10000' })
  OUTAGE_SUSPECT_HOUSEHOLDS: number;

  @Transform(toInt)
  @IsInt({ message: 'OUTAGE_SUSPECT_WINDOW_MINUTES must be an integer' })
  @Min(1, { message: 'OUTAGE_SUSPECT_WINDOW_MINUTES must be between 1 and 1440' })
  @Max(1440, { message: 'OUTAGE_SUSPECT_WINDOW_MINUTES must be between 1 and 1440' })
  OUTAGE_SUSPECT_WINDOW_MINUTES: number;

  @Transform(toInt)
  @IsInt({ message: 'SURVEY_WINDOW_DAYS must be an integer' })
  @Min(2, { message: 'SURVEY_WINDOW_DAYS must be between 2 and 30 (the reminder goes out 24 h before the window closes)' })
  @Max(30, { message: 'SURVEY_WINDOW_DAYS must be between 2 and 30 (the reminder goes out 24 h before the window closes)' })
  SURVEY_WINDOW_DAYS: number;

  @IsIn(['on', 'off'], { message: 'BULLETIN_SCHEDULE must be "on" or "off"' })
  BULLETIN_SCHEDULE: string;

  @ValidateIf((e: RawEnvironment) => e.PUBLIC_BASE_URL !== undefined)
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'PUBLIC_BASE_URL must be an http:// or https:// URL without query, e.g. https://gr.example.cn' })
  PUBLIC_BASE_URL?: string;
}

export type DatabaseConfig = { kind: 'postgres'; url: string; poolSize: number } | { kind: 'pglite'; dataDir: string };

export interface ServiceConfig {
  service: ServiceName;
  mode: RunMode;
  host: string;
  port: number;
  database: DatabaseConfig;
  amqp?: { url: string; prefetch: number };
  authSecret?: string;
  logLevel: LogLevel;
  retryDelaysMs: number[];
  outboxPollMs: number;
  /** Consumers: most messages per transaction (group commit) and transactions at once (docs/guarantees.md). */
  inbox: { maxBatch: number; concurrency: number };
  /** Load the deterministic Liaoning demo registry into an empty database (embedded default). */
  seedDemoData: boolean;
  /** Which reverse proxies may set X-Forwarded-For (client address for per-IP limits), as Express's `trust proxy`. */
  trustProxy: string | number;
  /** Open311 clients: api_key → client name (intake). */
  open311ApiKeys: Map<string, string>;
  /** Company webhooks may target loopback/private/link-local addresses (embedded demo and tests only). */
  webhookAllowPrivateTargets: boolean;
  /** A suspected outage (大面积停供) is proposed when this many households under one station complain within the window. */
  outageSuspect: { households: number; windowMinutes: number };
  /** sms-survey: days a survey waits for the resident's rating before it expires unrated. */
  surveyWindowDays: number;
  /** Where residents reach the public web pages (sms-survey's rating links), no trailing slash; unset: no links in SMS. */
  publicBaseUrl?: string;
  /** SMS provider (console, aliyun, tencent), template codes and reply-callback authentication (docs/sms.md). */
  sms: SmsConfig;
  /** kpi: publish the previous month's bulletin on the 1st at 06:00 Asia/Shanghai (docs/bulletins.md). */
  bulletinSchedule: boolean;
  /** Request limits per client address, phone or token (`RATE_LIMIT_*`, docs/security.md); null = off. */
  rateLimits: RateLimits;
  /** PHONE_KEYS / PHONE_INDEX_KEY: keys for phone numbers at rest; unset = derived from the auth secret (docs/security.md). */
  phoneKeys?: Omit<PhoneKeySettings, 'derived'>;
}

function runModeOf(env: NodeJS.ProcessEnv, defaultMode: RunMode): string {
  return env.HEATING_MODE ?? defaultMode;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads a service's settings from the environment. `<SERVICE>_PORT` and `<SERVICE>_DATABASE_URL`
 * (e.g. SMS_SURVEY_DATABASE_URL) override PORT and DATABASE_URL, so one environment can describe
 * the whole suite. Throws ConfigError naming every wrong setting.
 */
export function loadServiceConfig(service: ServiceName, env: NodeJS.ProcessEnv, defaultMode: RunMode): ServiceConfig {
  const prefix = envPrefix(service);
  const raw = plainToInstance(RawEnvironment, {
    HEATING_MODE: env.HEATING_MODE ?? defaultMode,
    DATABASE_URL: env[`${prefix}_DATABASE_URL`] ?? env.DATABASE_URL,
    AMQP_URL: env.AMQP_URL,
    PORT: env[`${prefix}_PORT`] ?? env.PORT ?? String(DEFAULT_PORTS[service]),
    HOST: env.HOST ?? (defaultMode === 'embedded' ? '127.0.0.1' : '0.0.0.0'),
    AUTH_SECRET: env.AUTH_SECRET,
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    MESSAGE_RETRY_DELAYS_MS: env.MESSAGE_RETRY_DELAYS_MS ?? DEFAULT_RETRY_DELAYS_MS.join(','),
    AMQP_PREFETCH: env.AMQP_PREFETCH ?? '32',
    DATABASE_POOL_SIZE: env.DATABASE_POOL_SIZE ?? '10',
    OUTBOX_POLL_MS: env.OUTBOX_POLL_MS ?? '500',
    INBOX_BATCH_SIZE: env[`${prefix}_INBOX_BATCH_SIZE`] ?? env.INBOX_BATCH_SIZE ?? String(INBOX_DEFAULTS[service].maxBatch),
    INBOX_CONCURRENCY: env[`${prefix}_INBOX_CONCURRENCY`] ?? env.INBOX_CONCURRENCY ?? String(INBOX_DEFAULTS[service].concurrency),
    DATA_DIR: env.DATA_DIR,
    SEED_DEMO_DATA: env.SEED_DEMO_DATA ?? (defaultMode === 'embedded' ? 'true' : 'false'),
    TRUST_PROXY: env.TRUST_PROXY ?? 'loopback',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: env.WEBHOOK_ALLOW_PRIVATE_TARGETS ?? (runModeOf(env, defaultMode) === 'embedded' ? 'true' : 'false'),
    OUTAGE_SUSPECT_HOUSEHOLDS: env.OUTAGE_SUSPECT_HOUSEHOLDS ?? '5',
    OUTAGE_SUSPECT_WINDOW_MINUTES: env.OUTAGE_SUSPECT_WINDOW_MINUTES ?? '30',
    SURVEY_WINDOW_DAYS: env.SURVEY_WINDOW_DAYS ?? '7',
    BULLETIN_SCHEDULE: env.BULLETIN_SCHEDULE ?? (runModeOf(env, defaultMode) === 'production' ? 'on' : 'off'),
    PUBLIC_BASE_URL: env.PUBLIC_BASE_URL || (runModeOf(env, defaultMode) === 'embedded' ? 'http://127.0.0.1:3003' : undefined),
    OPEN311_API_KEYS: env.OPEN311_API_KEYS ?? (runModeOf(env, defaultMode) === 'embedded' ? 'demo:open311-demo-key-0001' : ''),
  });
  const errors = validateSync(raw, { stopAtFirstError: true });
  const sms = readSmsConfig(env, service, { PUBLIC_BASE_URL: raw.PUBLIC_BASE_URL });
  const rateLimits = readRateLimits(env);
  const phoneKeys = readPhoneKeys(env);
  if (errors.length > 0 || sms.problems.length > 0 || rateLimits.problems.length > 0 || phoneKeys.problems.length > 0) {
    throw new ConfigError([
      ...errors.flatMap((e) => Object.values(e.constraints ?? { invalid: `${e.property} is invalid` })),
      ...sms.problems,
      ...rateLimits.problems,
      ...phoneKeys.problems,
    ]);
  }
  const mode = raw.HEATING_MODE;
  return {
    service,
    mode,
    host: raw.HOST,
    port: raw.PORT,
    database:
      mode === 'production'
        ? { kind: 'postgres', url: raw.DATABASE_URL!, poolSize: raw.DATABASE_POOL_SIZE }
        : { kind: 'pglite', dataDir: `${raw.DATA_DIR ?? '.data'}/${service}` },
    amqp: mode === 'production' ? { url: raw.AMQP_URL!, prefetch: raw.AMQP_PREFETCH } : undefined,
    authSecret: raw.AUTH_SECRET,
    logLevel: raw.LOG_LEVEL,
    retryDelaysMs: raw.MESSAGE_RETRY_DELAYS_MS.split(',').map(Number),
    outboxPollMs: raw.OUTBOX_POLL_MS,
    inbox: { maxBatch: raw.INBOX_BATCH_SIZE, concurrency: raw.INBOX_CONCURRENCY },
    seedDemoData: raw.SEED_DEMO_DATA === 'true',
    trustProxy: /^\d+$/.test(raw.TRUST_PROXY) ? Number(raw.TRUST_PROXY) : raw.TRUST_PROXY,
    webhookAllowPrivateTargets: raw.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true',
    outageSuspect: { households: raw.OUTAGE_SUSPECT_HOUSEHOLDS, windowMinutes: raw.OUTAGE_SUSPECT_WINDOW_MINUTES },
    sms: sms.config,
    surveyWindowDays: raw.SURVEY_WINDOW_DAYS,
    bulletinSchedule: raw.BULLETIN_SCHEDULE === 'on',
    rateLimits: rateLimits.limits,
    phoneKeys: phoneKeys.settings,
    publicBaseUrl: raw.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    open311ApiKeys: new Map(
      raw.OPEN311_API_KEYS.split(',')
        .filter(Boolean)
        .map((pair) => {
          const [client, key] = pair.split(':');
          return [key, client] as [string, string];
        }),
    ),
  };
}
