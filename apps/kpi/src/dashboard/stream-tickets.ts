import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ROLES } from '#shared';
import type { Principal, Role } from '#shared';

/**
 * Stream tickets (连接票据). A browser's EventSource cannot send an Authorization header, and a
 * bearer token does not belong in a URL (proxies and access logs keep URLs). So the page trades
 * its token for a ticket (POST /api/v1/dashboard/tickets) and opens the stream with it: signed
 * (HMAC-SHA256, a key derived for this purpose only), valid for seconds, good for one stream.
 */
export class StreamTickets {
  /** Nonces of tickets already used → when they expire (then they are refused anyway). */
  private readonly used = new Map<string, number>();

  constructor(
    private readonly key: Buffer,
    private readonly ttlSeconds: number,
  ) {}

  issue(principal: Principal, now: number): { ticket: string; expiresAt: string } {
    const exp = now + this.ttlSeconds * 1000;
    const claims = { sub: principal.sub, role: principal.role, unit: principal.unitId, region: principal.regionCode, exp, nonce: randomBytes(12).toString('base64url') };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { ticket: `${body}.${this.sign(body)}`, expiresAt: new Date(exp).toISOString() };
  }

  /** The principal of a valid, unexpired, unused ticket (and marks it used); null otherwise. */
  redeem(ticket: string | undefined, now: number): Principal | null {
    if (!ticket || ticket.length > 2048) return null;
    const [body, mac, extra] = ticket.split('.');
    if (!body || !mac || extra !== undefined) return null;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    let claims: { sub?: unknown; role?: unknown; unit?: unknown; region?: unknown; exp?: unknown; nonce?: unknown };
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (typeof claims.exp !== 'number' || claims.exp <= now || typeof claims.nonce !== 'string') return null;
    if (typeof claims.sub !== 'string' || !ROLES.includes(claims.role as Role)) return null;
    this.forgetExpired(now);
    if (this.used.has(claims.nonce)) return null;
    this.used.set(claims.nonce, claims.exp);
    return {
      sub: claims.sub,
      role: claims.role as Role,
      unitId: typeof claims.unit === 'string' ? claims.unit : undefined,
      regionCode: typeof claims.region === 'string' ? claims.region : undefined,
    };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  private forgetExpired(now: number): void {
    for (const [nonce, exp] of this.used) if (exp <= now) this.used.delete(nonce);
  }
}
