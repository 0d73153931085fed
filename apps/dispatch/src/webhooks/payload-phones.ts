import { maskPhonesForLogs } from '#shared';
import type { PhoneVault } from '#shared';

/**
 * Webhook payloads at rest (`webhook_delivery.payload`): a company's webhook carries the resident's
 * number (the company calls them), but the stored copy must not. Before it is stored, every string
 * of the payload that is or holds a mobile number (a field named like `phone`/`mobile`, or free
 * text quoting a number) is replaced in place by `{"$sealed": "<PhoneVault.seal(value)>"}`; at send
 * time, and when the push log is shown, `openPayloadPhones` puts the strings back. The key stays
 * where it was, so the body built from a stored payload is byte for byte the one built before
 * (jsonb orders keys by name, whatever their values), and the signature covers exactly what is sent.
 */
export const SEALED_KEY = '$sealed';

const PHONE_FIELD = /phone|mobile/i;
/** Cheap pre-check before the thorough masker: no run of 11 digits (allowing separators) means no number. */
const MAYBE_NUMBER = /1[\s.\-+_%0-9A-Fa-f]{10,}/;

function holdsNumber(key: string, text: string): boolean {
  if (text.length === 0) return false;
  if (PHONE_FIELD.test(key)) return true;
  return MAYBE_NUMBER.test(text) && maskPhonesForLogs(text) !== text;
}

/** The payload as stored: numbers sealed in place (a new object; the argument is not changed). */
export function sealPayloadPhones<T>(vault: PhoneVault, value: T, key = ''): T {
  if (typeof value === 'string') return (holdsNumber(key, value) ? { [SEALED_KEY]: vault.seal(value) } : value) as T;
  if (Array.isArray(value)) return value.map((v) => sealPayloadPhones(vault, v, key)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sealPayloadPhones(vault, v, k)])) as T;
  }
  return value;
}

function sealedText(value: object): string | undefined {
  const keys = Object.keys(value);
  const text = (value as Record<string, unknown>)[SEALED_KEY];
  return keys.length === 1 && typeof text === 'string' ? text : undefined;
}

/** The payload as it was queued: sealed strings opened (throws if one cannot be opened). */
export function openPayloadPhones<T>(vault: PhoneVault, value: T): T {
  if (Array.isArray(value)) return value.map((v) => openPayloadPhones(vault, v)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const sealed = sealedText(value);
    if (sealed !== undefined) return vault.open(sealed) as T;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, openPayloadPhones(vault, v)])) as T;
  }
  return value;
}

/** Whether storing `value` would seal anything (a migration asks before it needs a vault). */
export function payloadHoldsPhones(value: unknown, key = ''): boolean {
  if (typeof value === 'string') return holdsNumber(key, value);
  if (Array.isArray(value)) return value.some((v) => payloadHoldsPhones(v, key));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.entries(value).some(([k, v]) => payloadHoldsPhones(v, k));
  }
  return false;
}

/** Whether a stored payload has sealed strings (a migration's down() asks before it needs a vault). */
export function payloadHasSealed(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(payloadHasSealed);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return sealedText(value) !== undefined || Object.values(value).some(payloadHasSealed);
  }
  return false;
}
