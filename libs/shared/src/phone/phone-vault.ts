import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

/*
 * Residents' phone numbers at rest (PIPL; DOMAIN.md §5). A stored number is two columns:
 *  - `phone_enc`: AES-256-GCM ciphertext, `<key id>.<iv>.<ciphertext+tag>` (base64url), readable
 *    only by a process holding the key — a database dump or backup shows no numbers;
 *  - `phone_hash`: a blind index, HMAC-SHA256 of the normalised number under a separate key, so
 *    equality look-ups (duplicates, one survey per phone, an SMS reply's sender) stay one indexed
 *    query without decrypting anything.
 * Keys rotate: new numbers are sealed with the first key of PHONE_KEYS, older ones are still
 * opened with the keys listed after it. The blind-index key cannot rotate without re-hashing.
 */

const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;
const AAD = Buffer.from('heating-express-lane/phone');

export interface PhoneKeySettings {
  /** Encryption keys, the first one current (seals), the others only open. */
  keys: Array<{ id: string; key: Buffer }>;
  /** The blind index key (HMAC-SHA256). */
  indexKey: Buffer;
  /** true when derived from AUTH_SECRET because PHONE_KEYS / PHONE_INDEX_KEY are not set. */
  derived: boolean;
}

/** A number as stored: the ciphertext and its blind index. */
export interface SealedPhone {
  enc: string;
  hash: string;
}

export class PhoneVault {
  private readonly byId: Map<string, Buffer>;
  private readonly current: { id: string; key: Buffer };

  constructor(private readonly settings: PhoneKeySettings) {
    if (settings.keys.length === 0) throw new Error('PhoneVault needs at least one key');
    for (const { id, key } of settings.keys) {
      if (!KEY_ID.test(id)) throw new Error(`phone key id "${id}" must be 1–16 letters, digits, _ or -`);
      if (key.length !== 32) throw new Error(`phone key "${id}" must be 32 bytes`);
    }
    if (settings.indexKey.length < 32) throw new Error('the phone index key must be at least 32 bytes');
    this.current = settings.keys[0];
    this.byId = new Map(settings.keys.map((k) => [k.id, k.key]));
  }

  /** Keys derived from one secret (HKDF-SHA256, one purpose each): the embedded default, and production without PHONE_KEYS. */
  static derivedFrom(secret: string): PhoneVault {
    const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, 'heating-express-lane', purpose, 32));
    return new PhoneVault({ keys: [{ id: 'd1', key: derive('phone-encryption') }], indexKey: derive('phone-blind-index'), derived: true });
  }

  /** Whether the keys are derived from AUTH_SECRET (production should set its own: docs/security.md). */
  get derivedKeys(): boolean {
    return this.settings.derived;
  }

  /** Encrypts a number (a fresh IV each time: the same number never gives the same ciphertext). */
  seal(phone: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(phone, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${this.current.id}.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  /** Decrypts what `seal` produced, with whichever configured key sealed it; throws if it was altered or the key is unknown. */
  open(sealed: string): string {
    const [id, ivText, bodyText, extra] = sealed.split('.');
    const key = id === undefined ? undefined : this.byId.get(id);
    if (!key || !ivText || !bodyText || extra !== undefined) throw new Error(`cannot open a phone number sealed with key "${id ?? ''}" (is it in PHONE_KEYS?)`);
    const body = Buffer.from(bodyText, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
    decipher.setAAD(AAD);
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
  }

  /** The blind index of a (normalised) number: equal numbers, equal hashes; nothing to read back. */
  hash(phone: string): string {
    return createHmac('sha256', this.settings.indexKey).update(phone, 'utf8').digest('base64url');
  }

  /** Both columns of a stored number. */
  protect(phone: string): SealedPhone {
    return { enc: this.seal(phone), hash: this.hash(phone) };
  }

  /** Whether `sealed` was sealed with a key other than the current one (for a re-encryption sweep). */
  isStale(sealed: string): boolean {
    return !sealed.startsWith(`${this.current.id}.`);
  }
}

/**
 * Reads PHONE_KEYS (`id:base64key[,id:base64key…]`, 32-byte keys, the first one current) and
 * PHONE_INDEX_KEY (base64, at least 32 bytes). Both or neither: without them the keys are derived
 * from `fallbackSecret`. Returns the problems in the operator's terms instead of throwing.
 */
export function readPhoneKeys(env: NodeJS.ProcessEnv): { settings?: Omit<PhoneKeySettings, 'derived'>; problems: string[] } {
  const keysText = env.PHONE_KEYS?.trim();
  const indexText = env.PHONE_INDEX_KEY?.trim();
  if (!keysText && !indexText) return { problems: [] };
  const problems: string[] = [];
  if (!keysText || !indexText) problems.push('PHONE_KEYS and PHONE_INDEX_KEY must be set together (or neither, to derive both from AUTH_SECRET)');
  const keys: Array<{ id: string; key: Buffer }> = [];
  for (const pair of (keysText ?? '').split(',').filter(Boolean)) {
    const [id, value, extra] = pair.trim().split(':');
    const key = value ? Buffer.from(value, 'base64') : Buffer.alloc(0);
    if (!id || !KEY_ID.test(id) || extra !== undefined) problems.push(`PHONE_KEYS: "${id ?? ''}" is not a key id (1–16 letters, digits, _ or -) followed by ":" and the key`);
    else if (key.length !== 32) problems.push(`PHONE_KEYS: key "${id}" must be 32 bytes in base64 (e.g. \`openssl rand -base64 32\`), got ${key.length}`);
    else if (keys.some((k) => k.id === id)) problems.push(`PHONE_KEYS: key id "${id}" appears twice`);
    else keys.push({ id, key });
  }
  const indexKey = indexText ? Buffer.from(indexText, 'base64') : Buffer.alloc(0);
  if (indexText && indexKey.length < 32) problems.push(`PHONE_INDEX_KEY must be at least 32 bytes in base64 (e.g. \`openssl rand -base64 32\`), got ${indexKey.length}`);
  if (problems.length > 0 || keys.length === 0) return { problems: problems.length ? problems : ['PHONE_KEYS lists no key'] };
  return { settings: { keys, indexKey }, problems: [] };
}

/** The vault for a process: configured keys if set, else keys derived from the auth secret. */
export function phoneVaultFor(settings: Omit<PhoneKeySettings, 'derived'> | undefined, authSecret: string): PhoneVault {
  return settings ? new PhoneVault({ ...settings, derived: false }) : PhoneVault.derivedFrom(authSecret);
}

/** DI token of the process's PhoneVault. */
export const PHONE_VAULT = Symbol('PHONE_VAULT');

const vaults = new WeakMap<DataSource, PhoneVault>();

/** Makes the vault available to the migrations of a data source (they encrypt numbers already stored). */
export function attachPhoneVault(dataSource: DataSource, vault: PhoneVault): void {
  vaults.set(dataSource, vault);
}

/** The vault a migration needs; a clear error when the data source was opened without one. */
export function phoneVaultOf(dataSource: DataSource): PhoneVault {
  const vault = vaults.get(dataSource);
  if (!vault) {
    throw new Error(
      'this migration encrypts the phone numbers already stored and needs the services\' phone keys (PhoneVault): start the service once (it migrates with its keys), or set PHONE_KEYS and PHONE_INDEX_KEY (or AUTH_SECRET) for this command',
    );
  }
  return vault;
}
