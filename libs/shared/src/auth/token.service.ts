import { createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { ROLES } from '../contracts/enums.js';
import type { Role } from '../contracts/enums.js';
import type { Principal } from './principal.js';

const ISSUER = 'heating-express-lane';
const VERIFIED_CACHE_SIZE = 10_000;
const VERIFIED_CACHE_MS = 60_000;

/** Signs and verifies HS256 bearer tokens shared by all services (one secret, from configuration). */
export class TokenService {
  /** A KeyObject, not raw bytes: jose then uses node:crypto directly instead of importing a WebCrypto key per call. */
  private readonly key: KeyObject;

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('token secret must be at least 32 characters');
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  async sign(principal: Principal, ttlSeconds: number): Promise<string> {
    const claims: Record<string, unknown> = { role: principal.role };
    if (principal.unitId) claims.unit = principal.unitId;
    if (principal.regionCode) claims.region = principal.regionCode;
    if (principal.phone) claims.phone = principal.phone;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(principal.sub)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }

  /**
   * Tokens verified recently, by their exact text (signature included): an operator's client sends the
   * same token thousands of times a shift, and each HMAC check is a WebCrypto job. Entries end with
   * the token's own expiry, and after a minute at most.
   */
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  /** Returns the principal, or null for a token that is malformed, forged or expired. */
  async verify(token: string): Promise<Principal | null> {
    const cached = this.verified.get(token);
    if (cached && cached.until > Date.now()) return cached.principal;
    if (cached) this.verified.delete(token);
    const verified = await this.verifyUncached(token);
    return verified ? this.remember(token, verified) : null;
  }

  private remember(token: string, verified: Principal & { exp?: number }): Principal {
    const { exp, ...principal } = verified;
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, until: Math.min((exp ?? 0) * 1000, Date.now() + VERIFIED_CACHE_MS) });
    return principal;
  }

  private async verifyUncached(token: string): Promise<(Principal & { exp?: number }) | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      const role = payload.role as Role;
      if (typeof payload.sub !== 'string' || !ROLES.includes(role)) return null;
      // A resident is nobody without the phone they verified.
      if (role === 'resident' && typeof payload.phone !== 'string') return null;
      return {
        sub: payload.sub,
        role,
        unitId: typeof payload.unit === 'string' ? payload.unit : undefined,
        regionCode: typeof payload.region === 'string' ? payload.region : undefined,
        phone: typeof payload.phone === 'string' ? payload.phone : undefined,
        exp: payload.exp,
      };
    } catch {
      return null;
    }
  }
}
