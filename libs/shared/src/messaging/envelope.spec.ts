import { describe, expect, it } from '@jest/globals';
import type { ComplaintReceivedV1 } from '../contracts/events.js';
import { decodeEnvelope, newEnvelope, PoisonMessageError } from './envelope.js';

const complaint = (): ComplaintReceivedV1 => ({
  caseId: '0b8f2c64-5d7e-4c1a-9d3b-6f0e2a1b7c55',
  caseNumber: 'GR-20261129-000123',
  channel: 'hotline',
  type: 'complaint',
  category: 'too_cold',
  communityName: '幸福里小区',
  address: { cityCode: '210100', districtCode: '210102', street: '南京北街 1 号', building: '3', unit: '2', room: '501' },
  description: '卧室 15 度',
  phone: '13812341234',
  indoorTemperatureC: 15,
  receivedAt: '2026-11-29T08:00:00+08:00',
});

const envelope = (overrides: Record<string, unknown> = {}) => ({
  id: 'd7c1b1c2-7d37-4c5f-8d6a-1f6f7f0b9e11',
  type: 'complaint.received',
  version: 1,
  occurredAt: '2026-11-29T00:00:00.000Z',
  producer: 'intake',
  payload: complaint(),
  ...overrides,
});

/** Runs decodeEnvelope and returns the PoisonMessageError it throws (fails the test if it does not). */
function poisonOf(raw: string | Buffer): PoisonMessageError {
  try {
    decodeEnvelope(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonMessageError);
    return error as PoisonMessageError;
  }
  throw new Error('decodeEnvelope accepted the message');
}

describe('decodeEnvelope accepts a well-formed envelope with a valid payload', () => {
  it('a valid complaint.received envelope (string body) is returned as parsed', () => {
    const value = envelope();
    expect(decodeEnvelope(JSON.stringify(value))).toEqual(value);
  });
  it('a valid envelope given as a UTF-8 Buffer (as from AMQP) is accepted, Chinese text intact', () => {
    const decoded = decodeEnvelope(Buffer.from(JSON.stringify(envelope()), 'utf8'));
    expect((decoded.payload as ComplaintReceivedV1).communityName).toBe('幸福里小区');
  });
  it('optional payload fields may be left out', () => {
    const { indoorTemperatureC: _t, ...payload } = complaint();
    const minimal = { ...payload, address: { cityCode: '210100', districtCode: '210102', street: '南京北街' } };
    expect(() => decodeEnvelope(JSON.stringify(envelope({ payload: minimal })))).not.toThrow();
  });
});

describe('decodeEnvelope refuses a body that is not a JSON object as poison', () => {
  it('invalid JSON → reason says the body is not valid JSON', () => {
    expect(poisonOf('not json').message).toMatch(/not valid JSON/);
    expect(poisonOf('{"id": ').message).toMatch(/not valid JSON/);
  });
  it.each([['null'], ['42'], ['"text"']])('%s → reason says the body is not an object', (raw) => {
    expect(poisonOf(raw).message).toMatch(/not an object/);
  });
  it('the error is named PoisonMessageError', () => {
    expect(poisonOf('not json').name).toBe('PoisonMessageError');
  });
});

describe('decodeEnvelope refuses an envelope with a missing field, naming the field', () => {
  it.each([['id'], ['type'], ['occurredAt'], ['producer']])('missing "%s"', (field) => {
    const value: Record<string, unknown> = envelope();
    delete value[field];
    expect(poisonOf(JSON.stringify(value)).message).toContain(`"${field}"`);
  });
  it('an empty id is treated as missing', () => {
    expect(poisonOf(JSON.stringify(envelope({ id: '' }))).message).toContain('"id"');
  });
  it('a numeric id is refused as not a string', () => {
    expect(poisonOf(JSON.stringify(envelope({ id: 7 }))).message).toContain('"id"');
  });
  it('missing version', () => {
    const { version: _v, ...value } = envelope();
    expect(poisonOf(JSON.stringify(value)).message).toContain('"version"');
  });
  it('a version given as a string is refused', () => {
    expect(poisonOf(JSON.stringify(envelope({ version: '1' }))).message).toContain('"version"');
  });
});

describe('decodeEnvelope refuses an unknown event type, naming it', () => {
  it('type "case.reopened" → unknown event type "case.reopened"', () => {
    expect(poisonOf(JSON.stringify(envelope({ type: 'case.reopened' }))).message).toBe('unknown event type "case.reopened"');
  });
  it('a type that is a property of every object ("toString") is still unknown', () => {
    expect(poisonOf(JSON.stringify(envelope({ type: 'toString' }))).message).toContain('unknown event type');
  });
});

describe('decodeEnvelope refuses a version this build does not read, naming both versions', () => {
  it('complaint.received v2 → unsupported version 2 … reads v1', () => {
    const message = poisonOf(JSON.stringify(envelope({ version: 2 }))).message;
    expect(message).toContain('unsupported version 2');
    expect(message).toContain('"complaint.received"');
    expect(message).toContain('v1');
  });
});

describe('decodeEnvelope refuses a payload that does not fit the contract, naming the fields', () => {
  it('a caseId that is not a UUID → reason names caseId', () => {
    const message = poisonOf(JSON.stringify(envelope({ payload: { ...complaint(), caseId: 'case-1' } }))).message;
    expect(message).toContain('payload of "complaint.received" v1 is invalid');
    expect(message).toContain('caseId');
  });
  it('an unknown category and an empty phone → reason names both', () => {
    const message = poisonOf(JSON.stringify(envelope({ payload: { ...complaint(), category: 'too_hot', phone: '' } }))).message;
    expect(message).toContain('category');
    expect(message).toContain('phone');
  });
  it('a nested address without cityCode → reason names address', () => {
    const { cityCode: _c, ...address } = complaint().address;
    expect(poisonOf(JSON.stringify(envelope({ payload: { ...complaint(), address } }))).message).toContain('address');
  });
  it('a missing address → reason names address', () => {
    const { address: _a, ...payload } = complaint();
    expect(poisonOf(JSON.stringify(envelope({ payload }))).message).toContain('address');
  });
  it('an indoor temperature outside −20…40 °C → reason names indoorTemperatureC', () => {
    const message = poisonOf(JSON.stringify(envelope({ payload: { ...complaint(), indoorTemperatureC: 85 } }))).message;
    expect(message).toContain('indoorTemperatureC');
  });
  it('a missing payload → reason names the required fields', () => {
    const { payload: _p, ...value } = envelope();
    const message = poisonOf(JSON.stringify(value)).message;
    expect(message).toContain('is invalid');
    expect(message).toContain('caseId');
  });
  it.each([['a string', 'hello'], ['an array', [{}]], ['a number', 7]])('a payload that is %s → reason says the payload is invalid', (_label, payload) => {
    expect(poisonOf(JSON.stringify(envelope({ payload }))).message).toContain('payload of "complaint.received" v1 is invalid');
  });
  it('a case.closed payload with resolution "resolved" → reason names resolution', () => {
    const value = envelope({
      type: 'case.closed',
      payload: {
        caseId: '0b8f2c64-5d7e-4c1a-9d3b-6f0e2a1b7c55',
        caseNumber: 'GR-20261129-000123',
        companyId: 'c-1',
        authorityId: 'a-1',
        resolution: 'resolved',
        closedAt: '2026-11-30T10:00:00+08:00',
      },
    });
    expect(poisonOf(JSON.stringify(value)).message).toContain('resolution');
  });
});

describe('newEnvelope stamps id, version and producer for a new event', () => {
  it('sets a fresh UUID id, the contract version, the producer, the type and occurredAt as ISO', () => {
    const occurredAt = new Date('2026-11-29T08:00:00+08:00');
    const payload = complaint();
    const env = newEnvelope('intake', 'complaint.received', payload, occurredAt);
    expect(env.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(env).toMatchObject({ type: 'complaint.received', version: 1, producer: 'intake', occurredAt: '2026-11-29T00:00:00.000Z' });
    expect(env.payload).toBe(payload);
  });
  it('two envelopes never share an id', () => {
    const a = newEnvelope('intake', 'complaint.received', complaint(), new Date());
    const b = newEnvelope('intake', 'complaint.received', complaint(), new Date());
    expect(a.id).not.toBe(b.id);
  });
  it('what newEnvelope builds survives a round trip through decodeEnvelope', () => {
    const env = newEnvelope('intake', 'complaint.received', complaint(), new Date('2026-11-29T00:00:00Z'));
    expect(decodeEnvelope(JSON.stringify(env))).toEqual(JSON.parse(JSON.stringify(env)));
  });
});
