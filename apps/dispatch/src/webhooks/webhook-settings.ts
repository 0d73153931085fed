import type { Provider } from '@nestjs/common';
import { SERVICE_CONFIG } from '#shared';
import type { ServiceConfig } from '#shared';
import type { RandomSource } from './webhook-schedule.js';

/** DI token of the delivery settings (tests change them on the live object: it is read per attempt). */
export const WEBHOOK_SETTINGS = Symbol('WEBHOOK_SETTINGS');

export interface WebhookDeliverySettings {
  /** Budget for one whole exchange incl. the response body (15 s). */
  timeoutMs: number;
  /** Loopback/private/link-local targets allowed (embedded demo, tests); checked per request. */
  allowPrivateTargets: boolean;
  /** Deliveries in flight at once in this process, all companies together. */
  concurrency: number;
  /** Deliveries in flight at once for one company (1: a company's messages go out one at a time, oldest first). */
  perCompanyConcurrency: number;
  /** How long a claimed delivery is reserved for this process; must outlast timeoutMs. */
  leaseMs: number;
  /** How often to look for due retries when nobody kicks. */
  pollIdleMs: number;
  /** Read at most this much of a receiver's 2xx body. */
  responseBodyCapBytes: number;
  /** Jitter source for retry delays. */
  random: RandomSource;
}

export const WEBHOOK_TIMEOUT_MS = 15_000;

export function defaultWebhookSettings(config: Pick<ServiceConfig, 'webhookAllowPrivateTargets'>): WebhookDeliverySettings {
  return {
    timeoutMs: WEBHOOK_TIMEOUT_MS,
    allowPrivateTargets: config.webhookAllowPrivateTargets,
    concurrency: 16,
    perCompanyConcurrency: 1,
    leaseMs: 60_000,
    pollIdleMs: 1_000,
    responseBodyCapBytes: 16 * 1024,
    random: Math.random,
  };
}

export const webhookSettingsProvider: Provider = {
  provide: WEBHOOK_SETTINGS,
  useFactory: (config: ServiceConfig) => defaultWebhookSettings(config),
  inject: [SERVICE_CONFIG],
};
