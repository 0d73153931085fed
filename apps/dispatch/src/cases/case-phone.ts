import { normalizeMainlandMobile } from '#shared';
import type { PhoneVault } from '#shared';
import type { DispatchCase } from './dispatch-case.entity.js';

/**
 * A resident's number as dispatch stores it (`phone_enc`, `phone_hash`): sealed as received (the
 * handling company reads it back exactly), indexed by its normalised form so that spellings of one
 * number count as one resident.
 */
export function protectCasePhone(vault: PhoneVault, phone: string): Pick<DispatchCase, 'phoneEnc' | 'phoneHash'> {
  return { phoneEnc: vault.seal(phone), phoneHash: casePhoneHash(vault, phone) };
}

/** The blind index of a number as received (normalised first when it is a mainland mobile). */
export function casePhoneHash(vault: PhoneVault, phone: string): string {
  return vault.hash(normalizeMainlandMobile(phone) ?? phone);
}

/** The full number, for the handling company (API, webhooks) and the resident's SMS only. */
export function casePhone(vault: PhoneVault, c: Pick<DispatchCase, 'phoneEnc'>): string {
  return vault.open(c.phoneEnc);
}
