import { describe, expect, it } from '@jest/globals';
import { PhoneVault, readPhoneKeys } from './phone-vault.js';

const key = (byte: number) => Buffer.alloc(32, byte);

describe('PhoneVault', () => {
  const vault = new PhoneVault({ keys: [{ id: 'k2', key: key(2) }, { id: 'k1', key: key(1) }], indexKey: key(9), derived: false });

  it('seals a number so that the stored text does not contain it and opens it back', () => {
    const sealed = vault.seal('13812345678');
    expect(sealed).not.toContain('13812345678');
    expect(sealed.startsWith('k2.')).toBe(true);
    expect(vault.open(sealed)).toBe('13812345678');
  });

  it('gives a fresh ciphertext each time, so equal numbers cannot be matched by their ciphertext', () => {
    expect(vault.seal('13812345678')).not.toBe(vault.seal('13812345678'));
  });

  it('gives equal numbers equal blind indexes and different numbers different ones', () => {
    expect(vault.hash('13812345678')).toBe(vault.hash('13812345678'));
    expect(vault.hash('13812345678')).not.toBe(vault.hash('13812345679'));
    expect(vault.hash('13812345678')).not.toContain('1381234');
  });

  it('opens numbers sealed with an older key that is still listed (rotation), and says which are stale', () => {
    const old = new PhoneVault({ keys: [{ id: 'k1', key: key(1) }], indexKey: key(9), derived: false });
    const sealedBefore = old.seal('13900001111');
    expect(vault.open(sealedBefore)).toBe('13900001111');
    expect(vault.isStale(sealedBefore)).toBe(true);
    expect(vault.isStale(vault.seal('13900001111'))).toBe(false);
  });

  it('refuses a ciphertext that was altered or sealed with a key it does not hold', () => {
    const sealed = vault.seal('13812345678');
    const [id, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(() => vault.open(`${id}.${iv}.${flipped.toString('base64url')}`)).toThrow();
    const stranger = new PhoneVault({ keys: [{ id: 'x9', key: key(7) }], indexKey: key(9), derived: false });
    expect(() => vault.open(stranger.seal('13812345678'))).toThrow(/key "x9"/);
  });

  it('derives distinct encryption and index keys from one secret, the same for every process with that secret', () => {
    const a = PhoneVault.derivedFrom('s'.repeat(40));
    const b = PhoneVault.derivedFrom('s'.repeat(40));
    expect(a.derivedKeys).toBe(true);
    expect(b.open(a.seal('13812345678'))).toBe('13812345678');
    expect(a.hash('13812345678')).toBe(b.hash('13812345678'));
    expect(PhoneVault.derivedFrom('t'.repeat(40)).hash('13812345678')).not.toBe(a.hash('13812345678'));
  });
});

describe('readPhoneKeys (PHONE_KEYS, PHONE_INDEX_KEY)', () => {
  const b64 = (byte: number, length = 32) => Buffer.alloc(length, byte).toString('base64');

  it('accepts id:key pairs, the first one current, with an index key of 32 bytes or more', () => {
    const { settings, problems } = readPhoneKeys({ PHONE_KEYS: `k2:${b64(2)},k1:${b64(1)}`, PHONE_INDEX_KEY: b64(3, 48) });
    expect(problems).toEqual([]);
    expect(settings!.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(settings!.indexKey).toHaveLength(48);
  });

  it('means "derive from AUTH_SECRET" when neither is set', () => {
    expect(readPhoneKeys({})).toEqual({ problems: [] });
  });

  it.each([
    [{ PHONE_KEYS: `k1:${b64(1)}` }, /must be set together/],
    [{ PHONE_KEYS: `k1:${b64(1, 16)}`, PHONE_INDEX_KEY: b64(3) }, /key "k1" must be 32 bytes/],
    [{ PHONE_KEYS: `bad id!:${b64(1)}`, PHONE_INDEX_KEY: b64(3) }, /is not a key id/],
    [{ PHONE_KEYS: `k1:${b64(1)},k1:${b64(2)}`, PHONE_INDEX_KEY: b64(3) }, /appears twice/],
    [{ PHONE_KEYS: `k1:${b64(1)}`, PHONE_INDEX_KEY: b64(3, 8) }, /PHONE_INDEX_KEY must be at least 32 bytes/],
  ])('names the wrong setting: %j', (env, message) => {
    const { settings, problems } = readPhoneKeys(env);
    expect(settings).toBeUndefined();
    expect(problems.join('\n')).toMatch(message);
  });
});
