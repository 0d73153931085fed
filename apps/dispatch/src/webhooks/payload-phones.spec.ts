import { describe, expect, it } from '@jest/globals';
import { PhoneVault } from '#shared';
import { openPayloadPhones, payloadHasSealed, payloadHoldsPhones, sealPayloadPhones } from './payload-phones.js';

describe('webhook payloads at rest: numbers sealed in place, opened back exactly', () => {
  const vault = PhoneVault.derivedFrom('x'.repeat(40));
  const payload = {
    type: 'case.dispatched',
    timestamp: '2026-11-30T02:00:00.000Z',
    data: {
      caseId: 'b3c0a1e2-0000-4000-8000-000000000001',
      phone: '13912345678',
      contact: { mobilePhone: '13800001111', name: '王女士' },
      description: '卧室 15 度，另一个号码 +86 137 1234 5678',
      note: '约定下午 2 点入户',
      dueAt: null,
      temperatures: [15.5, 19],
      lines: ['无号码', '回电 13600001111'],
    },
  };

  it('every string that is or holds a number becomes {"$sealed": …}; everything else, and the order of keys, stays', () => {
    const stored = sealPayloadPhones(vault, payload) as any;
    expect(Object.keys(stored.data)).toEqual(Object.keys(payload.data));
    expect(stored.data.phone).toEqual({ $sealed: expect.any(String) });
    expect(stored.data.contact).toEqual({ mobilePhone: { $sealed: expect.any(String) }, name: '王女士' });
    expect(stored.data.description).toEqual({ $sealed: expect.any(String) });
    expect(stored.data.lines).toEqual(['无号码', { $sealed: expect.any(String) }]);
    expect(stored.data.note).toBe('约定下午 2 点入户');
    expect(stored.data.caseId).toBe(payload.data.caseId);
    expect(stored.data.temperatures).toEqual([15.5, 19]);
    expect(JSON.stringify(stored)).not.toMatch(/(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])|137 1234 5678/);
    expect(payload.data.phone).toBe('13912345678'); // the argument is not changed
  });

  it('opening gives back the same JSON, byte for byte', () => {
    const stored = JSON.parse(JSON.stringify(sealPayloadPhones(vault, payload)));
    expect(JSON.stringify(openPayloadPhones(vault, stored))).toBe(JSON.stringify(payload));
  });

  it('a payload without numbers is left as it is, and the checks the migration asks say so', () => {
    const plain = { type: 'case.reminder', timestamp: 't', data: { caseId: 'x', hoursLeft: 4, dueAt: '2026-12-02T16:00:00.000Z' } };
    expect(payloadHoldsPhones(plain)).toBe(false);
    expect(sealPayloadPhones(vault, plain)).toEqual(plain);
    expect(payloadHoldsPhones(payload)).toBe(true);
    expect(payloadHasSealed(payload)).toBe(false);
    expect(payloadHasSealed(sealPayloadPhones(vault, payload))).toBe(true);
  });
});
