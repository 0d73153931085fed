import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, Param, Post, UseFilters } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AuthGuard, Public } from '../../auth/auth.guard.js';
import { TokenService } from '../../auth/token.service.js';
import { ConfigError, loadServiceConfig } from '../../config/service-config.js';
import { SERVICE_CONFIG } from '../../config/tokens.js';
import { ErrorFilter } from '../error.filter.js';
import { HtmlRefusalFilter } from '../html-refusal.filter.js';
import { createValidationPipe } from '../validation.js';
import { describeWaitZh, describeWindowZh, parseRateRule, readRateLimits } from './rate-limit-config.js';
import type { RateLimits } from './rate-limit-config.js';
import { clientAddress, RateLimit, RateLimitGuard } from './rate-limit.guard.js';
import { TokenBuckets } from './token-bucket.js';

describe('a token bucket lets a client use its whole allowance at once, then refills evenly', () => {
  const rule = { limit: 3, windowMs: 60_000 };

  it('3 per minute: three requests pass, the fourth is refused with the time until one more is allowed (20 s)', () => {
    let now = 1_000_000;
    const buckets = new TokenBuckets({ now: () => now });
    expect([1, 2, 3].map(() => buckets.take('k', rule).allowed)).toEqual([true, true, true]);
    expect(buckets.take('k', rule)).toEqual({ allowed: false, retryAfterMs: 20_000 });
    now += 19_999;
    expect(buckets.take('k', rule).allowed).toBe(false);
    now += 1;
    expect(buckets.take('k', rule).allowed).toBe(true);
    expect(buckets.take('k', rule).allowed).toBe(false);
  });

  it('a full window later the whole allowance is back, never more than the limit', () => {
    let now = 0;
    const buckets = new TokenBuckets({ now: () => now });
    for (let i = 0; i < 3; i++) buckets.take('k', rule);
    now += 10 * 60_000;
    expect([1, 2, 3, 4].map(() => buckets.take('k', rule).allowed)).toEqual([true, true, true, false]);
  });

  it('each key has its own bucket', () => {
    const buckets = new TokenBuckets({ now: () => 0 });
    for (let i = 0; i < 3; i++) buckets.take('a', rule);
    expect(buckets.take('a', rule).allowed).toBe(false);
    expect(buckets.take('b', rule).allowed).toBe(true);
  });

  it('refilled buckets are dropped at the next sweep (memory holds only clients still being limited)', () => {
    let now = 0;
    const buckets = new TokenBuckets({ now: () => now, sweepEveryMs: 1_000 });
    buckets.take('idle', rule);
    for (let i = 0; i < 4; i++) buckets.take('busy', { limit: 3, windowMs: 3_600_000 });
    now += 61_000;
    buckets.take('other', rule);
    expect(buckets.size).toBe(2); // busy (still draining) and other; idle refilled and dropped
  });

  it('a flood of distinct clients never holds more than maxKeys buckets', () => {
    const buckets = new TokenBuckets({ now: () => 0, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) buckets.take(`client-${i}`, { limit: 1, windowMs: 3_600_000 });
    expect(buckets.size).toBeLessThanOrEqual(100);
  });
});

describe('limits are read from RATE_LIMIT_* settings: "<count>/<window>" or "off"', () => {
  it.each([
    ['60/10m', { limit: 60, windowMs: 600_000 }],
    ['5000/1s', { limit: 5000, windowMs: 1_000 }],
    ['20/h', { limit: 20, windowMs: 3_600_000 }],
    [' 3/30S ', { limit: 3, windowMs: 30_000 }],
    ['off', null],
  ])('%j → %j', (text, rule) => {
    expect(parseRateRule(text)).toEqual(rule);
  });

  it.each([['0/1m'], ['10'], ['10/1d'], ['-1/1m'], ['ten/1m'], ['10/0s'], ['']])('%j is not a setting', (text) => {
    expect(parseRateRule(text)).toBeUndefined();
  });

  it('unset settings take the documented defaults', () => {
    expect(readRateLimits({})).toEqual({
      problems: [],
      limits: {
        verificationSendIp: { limit: 60, windowMs: 600_000 },
        verificationSendPhone: { limit: 20, windowMs: 3_600_000 },
        verificationConfirmIp: { limit: 120, windowMs: 600_000 },
        publicIp: { limit: 300, windowMs: 60_000 },
        smsCallbackIp: { limit: 3000, windowMs: 60_000 },
        perToken: { limit: 5000, windowMs: 1_000 },
      },
    });
  });

  it('a wrong setting stops the service with a message naming it', () => {
    expect(() => loadServiceConfig('intake', { RATE_LIMIT_PUBLIC_IP: 'lots' }, 'embedded')).toThrow(ConfigError);
    expect(() => loadServiceConfig('intake', { RATE_LIMIT_PUBLIC_IP: 'lots' }, 'embedded')).toThrow(/RATE_LIMIT_PUBLIC_IP/);
    expect(loadServiceConfig('intake', { RATE_LIMIT_PER_TOKEN: 'off' }, 'embedded').rateLimits.perToken).toBeNull();
  });
});

describe('Chinese wording of windows and waits', () => {
  it.each([
    [1_000, '每秒'],
    [60_000, '每分钟'],
    [600_000, '每 10 分钟'],
    [3_600_000, '每小时'],
    [30_000, '每 30 秒'],
  ])('%d ms → %s', (ms, text) => expect(describeWindowZh(ms)).toBe(text));
  it('waits under two minutes in seconds, longer ones in minutes rounded up', () => {
    expect(describeWaitZh(7)).toBe('7 秒');
    expect(describeWaitZh(121)).toBe('3 分钟');
  });
});

describe('client addresses: IPv4 as is, IPv6 by its /64', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:bbbb::9', '2001:db8:1:2::/64'],
    [undefined, 'unknown'],
    ['not-an-ip', 'unknown'],
  ])('%s → %s', (ip, key) => expect(clientAddress(ip)).toBe(key));
});

// ─────────────────────────────────────────────────────────────── the guard in a Nest app

@Public()
@Controller('public')
class PublicController {
  @Get('page')
  @RateLimit({ policy: 'publicIp', by: 'ip', answer: 'html' })
  page() {
    return 'ok';
  }

  @Post('codes')
  @RateLimit({ policy: 'verificationSendIp', by: 'ip' }, { policy: 'verificationSendPhone', by: 'phone' })
  codes(@Body() body: unknown) {
    return { received: body !== undefined };
  }

  @Post('callback')
  @RateLimit({ policy: 'smsCallbackIp', by: 'ip', answer: (r) => ({ code: 429, msg: r.message }) })
  callback() {
    return { code: 0 };
  }

  @Get('unlimited')
  unlimited() {
    return 'ok';
  }
}

@Public()
@RateLimit({ policy: 'verificationConfirmIp', by: 'ip', answer: 'html' })
@UseFilters(HtmlRefusalFilter)
@Controller('pages')
class ResidentPagesController {
  @Get(':token')
  page(@Param('token') token: string) {
    return `page ${token.length}`;
  }
}

@Controller('operators')
class OperatorController {
  @Get()
  list() {
    return [];
  }
}

const SECRET = 'rate-limit-spec-secret-0123456789-abcdef';
const LIMITS: RateLimits = {
  verificationSendIp: { limit: 3, windowMs: 600_000 },
  verificationSendPhone: { limit: 2, windowMs: 3_600_000 },
  verificationConfirmIp: { limit: 3, windowMs: 600_000 },
  publicIp: { limit: 2, windowMs: 60_000 },
  smsCallbackIp: { limit: 1, windowMs: 60_000 },
  perToken: { limit: 4, windowMs: 1_000 },
};

describe('the rate-limit guard answers 429 with Retry-After, what was limited and when to retry', () => {
  let app: INestApplication;
  const tokens = new TokenService(SECRET);
  const server = () => app.getHttpServer();

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [PublicController, ResidentPagesController, OperatorController],
      providers: [
        { provide: TokenService, useValue: tokens },
        { provide: SERVICE_CONFIG, useValue: { rateLimits: LIMITS } },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    }).compile();
    const express = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    express.set('trust proxy', 'loopback');
    express.useGlobalPipes(createValidationPipe());
    app = await express.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('per address: the 4th code request from one address is a 429 RATE_LIMITED in the platform shape, with Retry-After', async () => {
    const from = (phone: string) => request(server()).post('/public/codes').set('x-forwarded-for', '198.51.100.1').send({ phone });
    for (const phone of ['13800000001', '13800000002', '13800000003']) expect((await from(phone)).status).toBe(201);
    const refused = await from('13800000004');
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('200');
    expect(refused.body).toEqual({ code: 'RATE_LIMITED', message: '当前网络获取验证码过于频繁（每 10 分钟最多 3 次），请 4 分钟后再试' });
    expect((await request(server()).post('/public/codes').set('x-forwarded-for', '198.51.100.2').send({ phone: '13800000004' })).status).toBe(201);
  });

  it('per phone, whatever the address (spaces and +86 count as the same number): the 3rd request is refused naming the phone', async () => {
    const ask = (ip: string, phone: string) => request(server()).post('/public/codes').set('x-forwarded-for', ip).send({ phone });
    expect((await ask('198.51.100.10', '13911112222')).status).toBe(201);
    expect((await ask('198.51.100.11', '+86 139 1111 2222')).status).toBe(201);
    const refused = await ask('198.51.100.12', '139-1111-2222');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', field: 'phone', message: expect.stringMatching(/^该手机号获取验证码过于频繁（每小时最多 2 次），请 30 分钟后再试$/) });
    expect(Number(refused.headers['retry-after'])).toBe(1800);
  });

  it('a body without a valid phone is counted by address only', async () => {
    const ask = (ip: string) => request(server()).post('/public/codes').set('x-forwarded-for', ip).send({ phone: 'none' });
    for (const ip of ['198.51.100.20', '198.51.100.21', '198.51.100.22']) expect((await ask(ip)).status).toBe(201);
  });

  it('a page for residents is refused with a Chinese HTML page (no JSON), Retry-After and no caching', async () => {
    const get = () => request(server()).get('/public/page').set('x-forwarded-for', '198.51.100.30');
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.text).toContain('当前网络访问公开页面和接口过于频繁（每分钟最多 2 次），请 30 秒后再试');
  });

  it("a provider callback is refused in the provider's own format", async () => {
    const post = () => request(server()).post('/public/callback').set('x-forwarded-for', '198.51.100.40').send([]);
    expect((await post()).status).toBe(201);
    const refused = await post();
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ code: 429, msg: '该地址推送短信回调过于频繁（每分钟最多 1 次），请 60 秒后再试' });
    expect(refused.headers['retry-after']).toBe('60');
  });

  it('an endpoint without a limit is never refused', async () => {
    for (let i = 0; i < 20; i++) expect((await request(server()).get('/public/unlimited')).status).toBe(200);
  });

  it('per token: every authenticated endpoint counts requests per token subject, not per address', async () => {
    const a = await tokens.sign({ sub: 'op-a', role: 'operator' }, 60);
    const b = await tokens.sign({ sub: 'op-b', role: 'operator' }, 60);
    const get = (token: string, ip: string) => request(server()).get('/operators').set('authorization', `Bearer ${token}`).set('x-forwarded-for', ip);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(a, `198.51.100.${50 + i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await get(b, '198.51.100.50')).status).toBe(200);
    const refused = await get(a, '198.51.100.60');
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/^该令牌的请求过于频繁（每秒最多 4 次），请 1 秒后再试$/) });
    expect(refused.headers['retry-after']).toBe('1');
  });

  it('a page for residents refuses a malformed link (%00) and too many requests as Chinese HTML, never JSON', async () => {
    const get = (path: string) => request(server()).get(path).set('x-forwarded-for', '198.51.100.70');
    const bad = await get('/pages/a%00b');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^text\/html/);
    expect(bad.text).toContain('参数 token 含有空字符');
    expect((await get('/pages/fine')).status).toBe(200);
    expect((await get('/pages/fine')).status).toBe(200);
    const limited = await get('/pages/fine');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^text\/html/);
    expect(limited.headers['retry-after']).toBe('200');
    expect(limited.text).toContain('当前网络提交验证码过于频繁');
  });

  it('a request without a valid token is refused 401 before it is counted', async () => {
    for (let i = 0; i < 6; i++) expect((await request(server()).get('/operators').set('authorization', 'Bearer forged')).status).toBe(401);
  });
});
