import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { SERVICE_CONFIG } from '#shared';
import type { ServiceConfig } from '#shared';

export type CallbackAuthResult = 'ok' | 'wrong_token' | 'address_not_allowed' | 'not_configured';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Who may call the reply callbacks. Neither provider signs its reply push, so: a secret token in
 * the path (SMS_CALLBACK_TOKEN, compared in constant time) and, when set, the provider's addresses
 * (SMS_CALLBACK_ALLOWED_IPS, the client address as Express sees it behind TRUST_PROXY).
 * Without a token, callbacks are closed (embedded mode without SMS_CALLBACK_TOKEN).
 */
@Injectable()
export class CallbackAuth {
  private readonly tokenDigest?: Buffer;
  private readonly ranges: Range[];

  constructor(@Inject(SERVICE_CONFIG) config: ServiceConfig) {
    const { token, allowedIps } = config.sms.callback;
    this.tokenDigest = token ? digest(token) : undefined;
    this.ranges = allowedIps.map((entry) => (entry.includes('/') ? ipaddr.parseCIDR(entry) : toRange(ipaddr.process(entry))));
  }

  check(token: string, ip: string | undefined): CallbackAuthResult {
    if (!this.tokenDigest) return 'not_configured';
    if (this.ranges.length > 0 && !this.allows(ip)) return 'address_not_allowed';
    // Digests of equal length: the comparison reveals neither the token nor its length.
    return timingSafeEqual(digest(token), this.tokenDigest) ? 'ok' : 'wrong_token';
  }

  private allows(ip: string | undefined): boolean {
    if (!ip || !ipaddr.isValid(ip)) return false;
    const address = ipaddr.process(ip); // ::ffff:106.11.1.1 is 106.11.1.1
    return this.ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function toRange(address: ipaddr.IPv4 | ipaddr.IPv6): Range {
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}
