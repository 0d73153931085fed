import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

/** 实名 phone verification rules (issue: intake, step 1). */
export const VERIFICATION_RULES = {
  codeTtlMs: 5 * 60_000,
  resendCooldownMs: 60_000,
  maxWrongTries: 5,
  maxCodesPerPhonePerDay: 10,
  maxCodesPerIpPerHour: 30,
  residentTokenTtlSeconds: 2 * 3600,
} as const;

export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** Only this is stored: a keyed hash bound to the verification, useless for another one or without the key. */
export function hashCode(key: Buffer, verificationId: string, code: string): string {
  return createHmac('sha256', key).update(`${verificationId}:${code}`).digest('hex');
}

/** Constant-time comparison of a candidate code with the stored hash. */
export function codeMatches(key: Buffer, verificationId: string, candidate: string, storedHash: string): boolean {
  const a = Buffer.from(hashCode(key, verificationId, candidate), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
