import { describe, expect, it } from '@jest/globals';
import { maskLogValue, maskUrl } from './logging.js';

const PHONE = '13812341234';
const MASKED = '138****1234';

/** Every string anywhere in the masked value, serialised: no full number may appear in it. */
const serialised = (value: unknown) => JSON.stringify(value);

describe('maskLogValue masks mobile numbers in every string of a log record', () => {
  it('a plain string is masked', () => {
    expect(maskLogValue(`resident ${PHONE} called`)).toBe(`resident ${MASKED} called`);
  });

  it('strings in nested objects are masked, other values and keys kept', () => {
    const record = { msg: `sms to ${PHONE}`, req: { body: { phone: PHONE, count: 3, ok: true, none: null } } };
    expect(maskLogValue(record)).toEqual({ msg: `sms to ${MASKED}`, req: { body: { phone: MASKED, count: 3, ok: true, none: null } } });
  });

  it('strings in arrays (and arrays of objects) are masked', () => {
    expect(maskLogValue(['a', PHONE, { to: [PHONE, '15900001111'] }])).toEqual(['a', MASKED, { to: [MASKED, '159****1111'] }]);
  });

  it('an Error becomes {type, message, stack} with the number masked in message and stack', () => {
    const error = new RangeError(`no case for ${PHONE}`);
    const masked = maskLogValue({ err: error }) as { err: { type: string; message: string; stack: string } };
    expect(masked.err.type).toBe('RangeError');
    expect(masked.err.message).toBe(`no case for ${MASKED}`);
    expect(masked.err.stack).toContain(MASKED);
    expect(serialised(masked)).not.toContain(PHONE);
  });

  it('an Error inside an array is masked', () => {
    expect(serialised(maskLogValue([new Error(`x ${PHONE}`)]))).not.toContain(PHONE);
  });

  it('the input record is not modified (the logger may still use it)', () => {
    const record = { phone: PHONE, nested: { phone: PHONE } };
    maskLogValue(record);
    expect(record).toEqual({ phone: PHONE, nested: { phone: PHONE } });
  });

  it('no full number survives in a deeply nested record (objects and arrays past the depth bound are cut off)', () => {
    let record: unknown = { phone: PHONE, note: `call ${PHONE}`, err: new Error(`x ${PHONE}`) };
    for (let i = 0; i < 10; i++) record = i % 2 ? { level: i, child: record } : [i, record];
    const out = serialised(maskLogValue(record));
    expect(out.includes(PHONE)).toBe(false);
    // the first levels are still there
    expect(out.startsWith('{"level":9,"child":[8,{"level":7')).toBe(true);
  });

  it('a record nested 4 levels deep is masked, not cut off', () => {
    const record = { a: { b: { c: { d: { phone: PHONE } } } } };
    expect(maskLogValue(record)).toEqual({ a: { b: { c: { d: { phone: MASKED } } } } });
  });

  it('a Date is kept as a Date (logged as its ISO time, not as {})', () => {
    const dueAt = new Date('2026-11-05T00:00:00+08:00');
    expect(serialised(maskLogValue({ dueAt }))).toBe('{"dueAt":"2026-11-04T16:00:00.000Z"}');
  });

  it('a record that refers to itself does not hang the logger and leaks no number', () => {
    const record: Record<string, unknown> = { phone: PHONE };
    record.self = record;
    const masked = maskLogValue(record) as Record<string, unknown>;
    expect(masked.phone).toBe(MASKED);
    // walk the result by hand: it may be cut off, but no string in it may hold the full number
    const seen = new Set<unknown>();
    const strings: string[] = [];
    const walk = (v: unknown) => {
      if (typeof v === 'string') strings.push(v);
      if (v === null || typeof v !== 'object' || seen.has(v)) return;
      seen.add(v);
      Object.values(v).forEach(walk);
    };
    walk(masked);
    expect(strings.some((s) => s.includes(PHONE))).toBe(false);
  });

  it('numbers, booleans, null and undefined pass through unchanged', () => {
    expect(maskLogValue(42)).toBe(42);
    expect(maskLogValue(true)).toBe(true);
    expect(maskLogValue(null)).toBeNull();
    expect(maskLogValue(undefined)).toBeUndefined();
  });
});

describe('maskUrl keeps secrets and phone numbers out of request log lines', () => {
  it('the secret token in an SMS provider callback path is hidden', () => {
    expect(maskUrl('/api/v1/sms/callbacks/aliyun/s3cr3t-token-abcdefghijklmnop')).toBe('/api/v1/sms/callbacks/aliyun/***');
    expect(maskUrl('/api/v1/sms/callbacks/tencent/s3cr3t-token-abcdefghijklmnop?x=1')).toBe('/api/v1/sms/callbacks/tencent/***?x=1');
  });

  it('a resident’s one-time rating-link token is hidden', () => {
    expect(maskUrl('/r/6WxFEZAMEv2j_io1')).toBe('/r/***');
    expect(maskUrl('/api/v1/dashboard/stream?ticket=eyJhbGciOi.abc&x=1')).toBe('/api/v1/dashboard/stream?ticket=***&x=1');
  });

  it('a phone number in a query string is masked', () => {
    expect(maskUrl('/api/v1/complaints?callerPhone=13812345678')).toBe('/api/v1/complaints?callerPhone=138****5678');
  });

  it('other paths are unchanged', () => {
    expect(maskUrl('/api/v1/cases/0d7f9c1e-0000-4000-8000-000000000001/sign')).toBe('/api/v1/cases/0d7f9c1e-0000-4000-8000-000000000001/sign');
  });
});

describe('log lines mask mobile numbers in every spelling, also inside URLs', () => {
  it.each([
    ['138 1234 1234', '138****1234'],
    ['138-1234-1234', '138****1234'],
    ['138.1234.1234', '138****1234'],
    ['+86 138 1234 1234', '138****1234'],
    ['+86-138-1234-1234', '138****1234'],
    ['0086 13812341234', '0086 138****1234'],
  ])('"%s" in a message → %s', (written, masked) => {
    expect(maskLogValue(`来电 ${written}，请回电`)).toBe(`来电 ${masked}，请回电`);
  });

  it.each([
    ['/api/v1/complaints?callerPhone=138-1234-1234', '/api/v1/complaints?callerPhone=138****1234'],
    ['/api/v1/complaints?callerPhone=138%201234%201234', '/api/v1/complaints?callerPhone=138****1234'],
    ['/api/v1/complaints?callerPhone=%2B86%2013812341234', '/api/v1/complaints?callerPhone=138****1234'],
    ['/api/v1/complaints?callerPhone=%2B86-138-1234-1234&limit=5', '/api/v1/complaints?callerPhone=138****1234&limit=5'],
    ['/api/v1/complaints?callerPhone=138+1234+1234', '/api/v1/complaints?callerPhone=138****1234'],
  ])('a request URL %s is logged as %s', (url, logged) => {
    expect(maskUrl(url)).toBe(logged);
  });

  it('timestamps, case numbers, ids and other long digit runs are left alone', () => {
    const text = 'time 1795966268962 case GR-20261129-000123 id b140a87d-7404-4190-a92b-87dd068f295d seq 700001 2026-11-29 13:45';
    expect(maskLogValue(text)).toBe(text);
  });
});
