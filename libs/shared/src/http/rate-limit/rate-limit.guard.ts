import { createHash } from 'node:crypto';
import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import ipaddr from 'ipaddr.js';
import type { Principal } from '../../auth/principal.js';
import type { ServiceConfig } from '../../config/service-config.js';
import { SERVICE_CONFIG } from '../../config/tokens.js';
import { normalizeMainlandMobile } from '../../phone/phone.js';
import { describeWaitZh, describeWindowZh, RATE_LIMIT_POLICIES } from './rate-limit-config.js';
import type { RateLimitPolicy } from './rate-limit-config.js';
import { RateLimitedError } from './rate-limited.error.js';
import type { RateLimitAnswer } from './rate-limited.error.js';
import { TokenBuckets } from './token-bucket.js';

const RATE_LIMIT_KEY = 'heating:rate-limit';

/**
 * Whom a limit counts:
 * - `ip`: the client address as Express resolves it behind TRUST_PROXY (IPv6 by its /64 network);
 * - `principal`: the bearer token's subject (`role:sub`), the address without one;
 * - `phone`: the mainland mobile number in the JSON body's `phone` (not counted when there is none).
 */
export type RateLimitSubject = 'ip' | 'principal' | 'phone';

export interface RateLimitSpec {
  policy: RateLimitPolicy;
  by: RateLimitSubject;
  answer?: RateLimitAnswer;
}

/**
 * Limits an endpoint (or every endpoint of a controller) by the named policies. Requests with a
 * valid bearer token are also counted per token (`perToken`) on every endpoint.
 */
export const RateLimit = (...specs: RateLimitSpec[]) => SetMetadata(RATE_LIMIT_KEY, specs);

type LimitedRequest = Request & { principal?: Principal };

/**
 * Global guard, registered after the AuthGuard (it reads the principal that guard attached).
 * Counts in this process's memory: with N replicas behind a balancer a client may get up to N
 * times a limit; the verification limits that must hold exactly are counted in the database too.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly buckets = new TokenBuckets();

  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<LimitedRequest>();
    const specs = this.reflector.getAllAndOverride<RateLimitSpec[] | undefined>(RATE_LIMIT_KEY, [context.getHandler(), context.getClass()]) ?? [];
    const all: RateLimitSpec[] = request.principal ? [...specs, { policy: 'perToken', by: 'principal' }] : specs;
    for (const spec of all) {
      const rule = this.config.rateLimits[spec.policy];
      if (!rule) continue;
      const subject = subjectOf(spec.by, request);
      if (subject === undefined) continue;
      const result = this.buckets.take(`${spec.policy}|${subject}`, rule);
      if (result.allowed) continue;
      const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      const { what } = RATE_LIMIT_POLICIES[spec.policy];
      throw new RateLimitedError(
        'RATE_LIMITED',
        `${what}过于频繁（${describeWindowZh(rule.windowMs)}最多 ${rule.limit} 次），请 ${describeWaitZh(seconds)}后再试`,
        seconds,
        spec.by === 'phone' ? 'phone' : undefined,
        spec.answer,
      );
    }
    return true;
  }
}

function subjectOf(by: RateLimitSubject, request: LimitedRequest): string | undefined {
  switch (by) {
    case 'ip':
      return clientAddress(request.ip);
    case 'principal':
      return request.principal ? `${request.principal.role}:${request.principal.sub}` : clientAddress(request.ip);
    case 'phone': {
      const raw = (request.body as { phone?: unknown } | undefined)?.phone;
      const phone = typeof raw === 'string' ? normalizeMainlandMobile(raw) : null;
      // Kept as a digest: the limiter's memory holds no phone numbers.
      return phone ? createHash('sha256').update(phone).digest('base64url') : undefined;
    }
  }
}

/** IPv4 (also IPv4-mapped IPv6) as is; IPv6 by its /64 network, which one subscriber usually holds whole. */
export function clientAddress(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return 'unknown';
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}
