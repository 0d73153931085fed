import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { loadServiceConfig } from '#shared';
import { CallbackAuth } from './callback-auth.js';
import { INBOUND_TEXT_MAX_CHARS, MalformedCallbackBody, parseAliyunCallback, parseTencentCallback } from './provider-formats.js';

const PHONE = '13812345678';
const TOKEN = 'cb-4f9a1e7c2d8b6a3f5e0c9d7b';

describe('Aliyun SmsUp: a JSON array of {phone_number, content, send_time, dest_code, sequence_id}', () => {
  it('each message becomes a reply keyed by its sequence_id', () => {
    const parsed = parseAliyunCallback([
      { phone_number: PHONE, content: '1 谢谢', send_time: '2026-11-29 10:00:00', dest_code: '1234', sequence_id: 1234567890, sign_name: '供热直通车' },
    ]);
    expect(parsed).toEqual({
      skipped: [],
      replies: [
        {
          receiptKey: '1234567890',
          phone: PHONE,
          text: '1 谢谢',
          truncated: false,
          originalLength: 4,
          providerTime: '2026-11-29 10:00:00',
          destCode: '1234',
          signName: '供热直通车',
          problem: null,
        },
      ],
    });
  });

  it('a +86 prefix is accepted; the reply carries the 11-digit number', () => {
    expect(parseAliyunCallback([{ phone_number: `+86${PHONE}`, content: '1', sequence_id: 7 }]).replies[0].phone).toBe(PHONE);
  });

  it('a number that is not a mainland mobile is kept with its problem, not dropped', () => {
    const [reply] = parseAliyunCallback([{ phone_number: '02412345678', content: '1', sequence_id: 8 }]).replies;
    expect(reply).toMatchObject({ phone: null, problem: 'not_a_mainland_mobile', text: '1' });
  });

  it('items without sequence_id or content, and non-objects, are skipped with a reason that names no phone', () => {
    const parsed = parseAliyunCallback([{ phone_number: PHONE, content: '1' }, { phone_number: PHONE, sequence_id: 9 }, 'x', null, { phone_number: PHONE, content: '2', sequence_id: -1 }]);
    expect(parsed.replies).toEqual([]);
    expect(parsed.skipped).toEqual([
      'item 0: no sequence_id (a non-negative integer)',
      'item 1 (sequence_id 9): no content text',
      'item 2: not an object',
      'item 3: not an object',
      'item 4: no sequence_id (a non-negative integer)',
    ]);
    expect(parsed.skipped.join()).not.toContain(PHONE);
  });

  it('a body that is not an array is malformed', () => {
    for (const body of [{ phone_number: PHONE }, 'x', 1, null, undefined]) expect(() => parseAliyunCallback(body)).toThrow(MalformedCallbackBody);
  });
});

describe('Tencent reply callback: {extend, mobile, nationcode, sign, text, time}, one object or an array', () => {
  const item = { extend: '01', mobile: PHONE, nationcode: '86', sign: '供热直通车', text: '2', time: 1795950000 };

  it('one object is one reply, keyed by a hash of mobile, time and text', () => {
    const [reply] = parseTencentCallback(item).replies;
    expect(reply).toEqual({
      receiptKey: createHash('sha256').update(JSON.stringify([PHONE, '1795950000', '2'])).digest('hex'),
      phone: PHONE,
      text: '2',
      truncated: false,
      originalLength: 1,
      providerTime: '1795950000',
      destCode: '01',
      signName: '供热直通车',
      problem: null,
    });
  });

  it('an array holds several replies; the same reply twice has the same key', () => {
    const { replies } = parseTencentCallback([item, { ...item }, { ...item, time: 1795950060 }]);
    expect(replies).toHaveLength(3);
    expect(replies[0].receiptKey).toBe(replies[1].receiptKey);
    expect(replies[2].receiptKey).not.toBe(replies[0].receiptKey);
  });

  it('a reply from outside China (nationcode not 86) is kept with its problem, never handed on', () => {
    expect(parseTencentCallback({ ...item, nationcode: '1', mobile: '4155550100' }).replies[0]).toMatchObject({ phone: null, problem: 'not_from_china_86' });
    expect(parseTencentCallback({ ...item, nationcode: 852 }).replies[0]).toMatchObject({ phone: null, problem: 'not_from_china_86' });
  });

  it('items without mobile, time or text are skipped', () => {
    const { replies, skipped } = parseTencentCallback([{ ...item, mobile: undefined }, { ...item, time: null }, { ...item, text: 3 }, 7]);
    expect(replies).toEqual([]);
    expect(skipped).toEqual(['item 0: no mobile', 'item 1: no time', 'item 2: no text', 'item 3: not an object']);
  });

  it('a body that is neither an object nor an array is malformed', () => {
    for (const body of ['x', 1, null, undefined, true]) expect(() => parseTencentCallback(body)).toThrow(MalformedCallbackBody);
  });
});

describe('texts are stored as received, within limits', () => {
  it(`a reply longer than ${INBOUND_TEXT_MAX_CHARS} characters is cut to ${INBOUND_TEXT_MAX_CHARS} and flagged, counting emoji as one character`, () => {
    const long = `3，${'还是不热😡'.repeat(200)}`;
    const [reply] = parseAliyunCallback([{ phone_number: PHONE, content: long, sequence_id: 1 }]).replies;
    expect(reply.truncated).toBe(true);
    expect(reply.originalLength).toBe(Array.from(long).length);
    expect(Array.from(reply.text)).toHaveLength(INBOUND_TEXT_MAX_CHARS);
    expect(long.startsWith(reply.text)).toBe(true);
  });

  it('a NUL character (which PostgreSQL text cannot hold) becomes U+FFFD', () => {
    expect(parseTencentCallback({ mobile: PHONE, nationcode: '86', text: '1\u0000', time: '1' }).replies[0].text).toBe('1\uFFFD');
  });

  it('the other fields are cut to 64 characters', () => {
    const [reply] = parseAliyunCallback([{ phone_number: PHONE, content: '1', sequence_id: 1, dest_code: 'x'.repeat(1000), send_time: { at: 1 } }]).replies;
    expect(reply.destCode).toHaveLength(64);
    expect(reply.providerTime).toBeNull();
  });
});

describe('callback authentication: the path token, then the address allow-list', () => {
  const auth = (env: NodeJS.ProcessEnv) => new CallbackAuth(loadServiceConfig('sms-survey', env, 'embedded'));

  it('the configured token is accepted; any other is wrong, also a prefix or a longer one', () => {
    const a = auth({ SMS_CALLBACK_TOKEN: TOKEN });
    expect(a.check(TOKEN, '106.11.1.1')).toBe('ok');
    for (const wrong of ['', 'x', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase()]) expect(a.check(wrong, '106.11.1.1')).toBe('wrong_token');
  });

  it('without SMS_CALLBACK_TOKEN, callbacks are closed whatever is sent', () => {
    expect(auth({}).check('', '127.0.0.1')).toBe('not_configured');
    expect(auth({}).check(TOKEN, '127.0.0.1')).toBe('not_configured');
  });

  it('with an allow-list, only its addresses and ranges pass (an IPv4-mapped IPv6 address is its IPv4)', () => {
    const a = auth({ SMS_CALLBACK_TOKEN: TOKEN, SMS_CALLBACK_ALLOWED_IPS: '106.11.0.0/16,47.96.1.2,2408:4000::/32' });
    expect(a.check(TOKEN, '106.11.200.3')).toBe('ok');
    expect(a.check(TOKEN, '::ffff:106.11.200.3')).toBe('ok');
    expect(a.check(TOKEN, '47.96.1.2')).toBe('ok');
    expect(a.check(TOKEN, '2408:4000::1')).toBe('ok');
    expect(a.check(TOKEN, '47.96.1.3')).toBe('address_not_allowed');
    expect(a.check(TOKEN, '2409::1')).toBe('address_not_allowed');
    expect(a.check(TOKEN, undefined)).toBe('address_not_allowed');
  });

  it('an address outside the allow-list is refused before the token is looked at', () => {
    const a = auth({ SMS_CALLBACK_TOKEN: TOKEN, SMS_CALLBACK_ALLOWED_IPS: '106.11.0.0/16' });
    expect(a.check('wrong', '8.8.8.8')).toBe('address_not_allowed');
    expect(a.check('wrong', '106.11.0.1')).toBe('wrong_token');
  });
});
