import { SignJWT, jwtVerify } from 'jose';
import { ROLES } from '../contracts/enums.js';
import type { Role } from '../contracts/enums.js';
import type { Principal } from './principal.js';

const ISSUER = 'heating-express-lane';

/** Signs and verifies HS256 bearer tokens shared by all services (one secret, from configuration). */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('token secret must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
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

  /** Returns the principal, or null for a token that is malformed, forged or expired. */
  async verify(token: string): Promise<Principal | null> {
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
      };
    } catch {
      return null;
    }
  }
}
