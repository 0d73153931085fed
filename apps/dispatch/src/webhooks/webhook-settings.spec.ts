import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadServiceConfig } from '#shared';
import { maskPayload } from './webhook-deliveries.service.js';
import { defaultWebhookSettings, WEBHOOK_TIMEOUT_MS } from './webhook-settings.js';

const PRODUCTION = {
  HEATING_MODE: 'production',
  DATABASE_URL: 'postgres://heat:pw@db:5432/heating',
  AMQP_URL: 'amqp://mq:5672',
  AUTH_SECRET: 'x'.repeat(32),
};

describe('WEBHOOK_ALLOW_PRIVATE_TARGETS: private webhook targets only where the demo and tests need them', () => {
  it('embedded mode allows them by default (the local demo receiver listens on 127.0.0.1)', () => {
    expect(loadServiceConfig('dispatch', {}, 'embedded').webhookAllowPrivateTargets).toBe(true);
  });

  it('production refuses them by default', () => {
    expect(loadServiceConfig('dispatch', PRODUCTION, 'production').webhookAllowPrivateTargets).toBe(false);
  });

  it('either mode takes an explicit "true" or "false"', () => {
    expect(loadServiceConfig('dispatch', { ...PRODUCTION, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }, 'production').webhookAllowPrivateTargets).toBe(true);
    expect(loadServiceConfig('dispatch', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' }, 'embedded').webhookAllowPrivateTargets).toBe(false);
  });

  it('anything else stops the start with a message naming the setting', () => {
    try {
      loadServiceConfig('dispatch', { ...PRODUCTION, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'yes' }, 'production');
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual(['WEBHOOK_ALLOW_PRIVATE_TARGETS must be "true" or "false"']);
    }
  });

  it('the delivery settings take it over, with a 15 s budget per exchange and one delivery in flight per company', () => {
    const settings = defaultWebhookSettings(loadServiceConfig('dispatch', PRODUCTION, 'production'));
    expect(settings).toMatchObject({ timeoutMs: 15_000, allowPrivateTargets: false, perCompanyConcurrency: 1 });
    expect(WEBHOOK_TIMEOUT_MS).toBe(15_000);
    expect(settings.leaseMs).toBeGreaterThan(settings.timeoutMs);
  });
});

describe('payloads shown to authorities and the province carry no full phone number', () => {
  it('fields named like phone are masked, numbers inside text too; everything else is unchanged', () => {
    const payload = {
      type: 'case.dispatched',
      timestamp: '2026-11-29T08:00:00.000Z',
      data: {
        caseNumber: 'GR-20261129-000123',
        phone: '13912345678',
        contact: { mobilePhone: '13800001111', name: '王女士' },
        description: '请回电 139 1234 5678 或 13700002222',
        history: [{ note: '已联系 13600003333' }],
        indoorTemperatureC: 15,
        signedAt: null,
      },
    };
    expect(maskPayload(payload)).toEqual({
      type: 'case.dispatched',
      timestamp: '2026-11-29T08:00:00.000Z',
      data: {
        caseNumber: 'GR-20261129-000123',
        phone: '139****5678',
        contact: { mobilePhone: '138****1111', name: '王女士' },
        description: '请回电 139****5678 或 137****2222',
        history: [{ note: '已联系 136****3333' }],
        indoorTemperatureC: 15,
        signedAt: null,
      },
    });
  });
});
