import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import type { Principal } from './principal.js';
import { TokenService } from './token.service.js';

const SECRET = 'a-test-secret-that-is-32-chars-!';
const OTHER_SECRET = 'another-secret-also-32-chars-ok!';
const tokens = new TokenService(SECRET);

const resident: Principal = { sub: 'resident-7', role: 'resident', phone: '13812341234' };
const company: Principal = { sub: 'staff-3', role: 'company', unitId: 'company-42', regionCode: '210100' };

/** Rewrites the claims (here: promotes the caller to province) and keeps the original signature. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const altered = Buffer.from(JSON.stringify({ ...claims, role: 'province' })).toString('base64url');
  return [header, altered, signature].join('.');
}

describe('a signed token verifies back to the same principal', () => {
  it('a resident token keeps sub, role and phone', async () => {
    expect(await tokens.verify(await tokens.sign(resident, 3600))).toEqual({ ...resident, unitId: undefined, regionCode: undefined });
  });
  it('a company token keeps sub, role, unit and region', async () => {
    expect(await tokens.verify(await tokens.sign(company, 3600))).toEqual({ ...company, phone: undefined });
  });
  it('another TokenService with the same secret accepts it (one secret shared by all services)', async () => {
    const token = await tokens.sign(company, 60);
    expect(await new TokenService(SECRET).verify(token)).toMatchObject(company);
  });
});

describe('a token that is forged, altered or expired is refused (null), never thrown', () => {
  it('a token signed with another secret → null', async () => {
    const forged = await new TokenService(OTHER_SECRET).sign(company, 3600);
    expect(await tokens.verify(forged)).toBeNull();
  });
  it('a token whose claims were rewritten (role → province) → null', async () => {
    const token = await tokens.sign(company, 3600);
    expect(await tokens.verify(token)).not.toBeNull();
    expect(await tokens.verify(tamper(token))).toBeNull();
  });
  it('an expired token (ttl −10 s) → null', async () => {
    expect(await tokens.verify(await tokens.sign(company, -10))).toBeNull();
  });
  it.each([[''], ['not-a-token'], ['a.b.c']])('a malformed token %j → null', async (token) => {
    expect(await tokens.verify(token)).toBeNull();
  });
  it('an unsigned token (alg "none") → null', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ sub: 'x', role: 'province', iss: 'heating-express-lane', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url');
    expect(await tokens.verify(`${header}.${body}.`)).toBeNull();
  });
});

describe('a correctly signed token is still refused when its claims are not ours', () => {
  const key = new TextEncoder().encode(SECRET);
  const signed = (claims: Record<string, unknown>, issuer = 'heating-express-lane') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('u-1').setIssuer(issuer).setExpirationTime('1h').sign(key);

  it('a role that does not exist → null', async () => {
    expect(await tokens.verify(await signed({ role: 'admin' }))).toBeNull();
  });
  it('another issuer → null', async () => {
    expect(await tokens.verify(await signed({ role: 'province' }, 'someone-else'))).toBeNull();
  });
  it('the same claims from our issuer are accepted (the two refusals above are about the claim)', async () => {
    expect(await tokens.verify(await signed({ role: 'province' }))).toEqual({
      sub: 'u-1',
      role: 'province',
      unitId: undefined,
      regionCode: undefined,
      phone: undefined,
    });
  });
});

describe('the signing secret must be at least 32 characters', () => {
  it('a 31-character secret throws', () => {
    expect(() => new TokenService('x'.repeat(31))).toThrow(/32/);
  });
  it('a 32-character secret is accepted', () => {
    expect(() => new TokenService('x'.repeat(32))).not.toThrow();
  });
});

describe('a resident token must carry the verified phone', () => {
  it('a resident token without a phone is refused', async () => {
    const tokens = new TokenService('a-secret-of-at-least-thirty-two-characters!!');
    const token = await tokens.sign({ sub: 'resident-x', role: 'resident' }, 60);
    await expect(tokens.verify(token)).resolves.toBeNull();
  });
});

describe('recently verified tokens are remembered, but never past their expiry', () => {
  it('a token verified once is still refused once it has expired', async () => {
    const tokens = new TokenService('a-secret-of-at-least-thirty-two-characters!!');
    const token = await tokens.sign({ sub: 'op-1', role: 'operator' }, 1);
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: 'op-1', role: 'operator' });
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: 'op-1' });
    await new Promise((r) => setTimeout(r, 2_100));
    await expect(tokens.verify(token)).resolves.toBeNull();
  });

  it('the remembered principal carries no expiry field of its own', async () => {
    const tokens = new TokenService('a-secret-of-at-least-thirty-two-characters!!');
    const token = await tokens.sign({ sub: 'op-2', role: 'operator' }, 60);
    await tokens.verify(token);
    expect(await tokens.verify(token)).toEqual({ sub: 'op-2', role: 'operator', unitId: undefined, regionCode: undefined, phone: undefined });
  });
});
