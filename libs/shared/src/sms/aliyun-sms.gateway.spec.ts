import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AliyunSmsGateway } from './aliyun-sms.gateway.js';
import type { AliyunSmsSettings } from './sms-config.js';
import { SmsSendError } from './sms-gateway.js';
import { toOutgoingSms } from './sms-templates.js';

/*
 * The adapter against a local fake of Dysmsapi: what it sends (action, phone, template code,
 * parameters, signature name, a valid ACS3-HMAC-SHA256 signature) and how Aliyun's answers map to
 * a sent message, a refusal (no retry) or a retry.
 */

const KEY_ID = 'LTAI5tFakeKeyId4Tests';
const KEY_SECRET = 'fake-secret-for-tests-0123456789';
const PHONE = '13812345678';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; body: string; type?: string };

const ok = (body: object, status = 200): Answer => ({ status, body: JSON.stringify(body) });

let server: Server;
let port: number;
let seen: Seen[] = [];
let answer: Answer;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.statusCode = answer.status;
      res.setHeader('content-type', answer.type ?? 'application/json');
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  answer = ok({ Code: 'OK', Message: 'OK', BizId: '900619746936498440^0', RequestId: 'F655A8D5-B967-440B-8683-DAD6FF8DE990' });
});

function settings(overrides: Partial<AliyunSmsSettings> = {}): AliyunSmsSettings {
  return {
    accessKeyId: KEY_ID,
    accessKeySecret: KEY_SECRET,
    signName: '供热直通车',
    endpoint: { protocol: 'http', host: `127.0.0.1:${port}` },
    ...overrides,
  };
}

const CODES = { verification_code: 'SMS_276450001', reply_not_understood: 'SMS_276450002', rating_thanks: 'SMS_276450003' };
const gateway = (s = settings()) => new AliyunSmsGateway(s, CODES, { timeoutMs: 2_000 });
const verification = () => toOutgoingSms(PHONE, { template: 'verification_code', params: { code: '042917' } });

/** Aliyun's ACS3-HMAC-SHA256, recomputed from what arrived (https://help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature). */
function acs3Signature(req: Seen, secret: string): { expected: string; given: string } {
  const auth = String(req.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1].split(';');
  const given = /Signature=([0-9a-f]+)/.exec(auth)![1];
  const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const [path, query = ''] = req.url.split('?');
  const pairs = query
    .split('&')
    .filter(Boolean)
    .map((p) => p.split('=').map((x) => decodeURIComponent(x)) as [string, string])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalQuery = pairs.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v ?? '')}`).join('&');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${String(req.headers[h]).trim()}\n`).join('');
  const canonicalRequest = [req.method, path, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), req.headers['x-acs-content-sha256']].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  return { expected: createHmac('sha256', secret).update(stringToSign).digest('hex'), given };
}

describe('SendSms carries the template, its parameters and the signature, signed with the AccessKey', () => {
  it('action SendSms (2017-05-25), the 11-digit phone, SignName, TemplateCode, TemplateParam as JSON by name', async () => {
    await gateway().send(verification());
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req.headers['x-acs-action']).toBe('SendSms');
    expect(req.headers['x-acs-version']).toBe('2017-05-25');
    const query = new URL(req.url, 'http://x').searchParams;
    expect(query.get('PhoneNumbers')).toBe(PHONE);
    expect(query.get('SignName')).toBe('供热直通车');
    expect(query.get('TemplateCode')).toBe('SMS_276450001');
    expect(JSON.parse(query.get('TemplateParam')!)).toEqual({ code: '042917' });
  });

  it('the request is signed ACS3-HMAC-SHA256 with the AccessKey ID and a signature valid for the secret', async () => {
    await gateway().send(verification());
    const [req] = seen;
    expect(req.headers.authorization).toMatch(new RegExp(`^ACS3-HMAC-SHA256 Credential=${KEY_ID},SignedHeaders=[a-z0-9;-]+,Signature=[0-9a-f]{64}$`));
    const { expected, given } = acs3Signature(req, KEY_SECRET);
    expect(given).toBe(expected);
    expect(acs3Signature(req, 'another-secret').expected).not.toBe(given);
    expect(JSON.stringify(req)).not.toContain(KEY_SECRET);
  });

  it('a template without parameters sends no TemplateParam', async () => {
    await gateway().send(toOutgoingSms(PHONE, { template: 'reply_not_understood', params: {} }));
    expect(new URL(seen[0].url, 'http://x').searchParams.has('TemplateParam')).toBe(false);
  });

  it('the configured signature is sent as SignName', async () => {
    await gateway(settings({ signName: '辽宁供热' })).send(verification());
    expect(new URL(seen[0].url, 'http://x').searchParams.get('SignName')).toBe('辽宁供热');
  });

  it("Aliyun's BizId is the provider message id", async () => {
    expect(await gateway().send(verification())).toEqual({ providerMessageId: '900619746936498440^0' });
  });
});

describe("Aliyun's answers: a refusal fails the message with Aliyun's reason, throttling and outages are retried", () => {
  async function errorOf(a: Answer): Promise<SmsSendError> {
    answer = a;
    const error = await gateway().send(verification()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmsSendError);
    return error as SmsSendError;
  }

  it('isv.SMS_TEMPLATE_ILLEGAL (HTTP 200, Code not OK) is a refusal carrying the provider message, not retried', async () => {
    const e = await errorOf(ok({ Code: 'isv.SMS_TEMPLATE_ILLEGAL', Message: '该账号下找不到对应模板', RequestId: 'r1' }));
    expect(e).toMatchObject({ provider: 'aliyun', code: 'isv.SMS_TEMPLATE_ILLEGAL', retryable: false });
    expect(e.message).toContain('该账号下找不到对应模板');
  });

  it('isv.MOBILE_NUMBER_ILLEGAL is not retried', async () => {
    expect((await errorOf(ok({ Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: '非法手机号', RequestId: 'r' }))).retryable).toBe(false);
  });

  it('isv.BUSINESS_LIMIT_CONTROL (per-phone frequency limit) is retried', async () => {
    const e = await errorOf(ok({ Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发小时级流控Permits:5', RequestId: 'r' }));
    expect(e).toMatchObject({ code: 'isv.BUSINESS_LIMIT_CONTROL', retryable: true });
  });

  it('Throttling.User (HTTP 400 from the API gateway) is retried', async () => {
    const e = await errorOf(ok({ Code: 'Throttling.User', Message: 'Request was denied due to user flow control.', RequestId: 'r' }, 400));
    expect(e).toMatchObject({ code: 'Throttling.User', retryable: true });
    expect(e.message).toContain('user flow control');
  });

  it('an HTTP 4xx error such as InvalidAccessKeyId.NotFound is a refusal, not retried', async () => {
    const e = await errorOf(ok({ Code: 'InvalidAccessKeyId.NotFound', Message: 'Specified access key is not found.', RequestId: 'r' }, 404));
    expect(e).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', retryable: false });
  });

  it('isp.SYSTEM_ERROR and HTTP 5xx are retried', async () => {
    expect((await errorOf(ok({ Code: 'isp.SYSTEM_ERROR', Message: 'isp.SYSTEM_ERROR', RequestId: 'r' }))).retryable).toBe(true);
    expect((await errorOf(ok({ Code: 'ServiceUnavailable', Message: 'The request has failed due to a temporary failure of the server.', RequestId: 'r' }, 503))).retryable).toBe(true);
  });

  it('a gateway page instead of JSON is retried, and the error names no phone and no parameter', async () => {
    const e = await errorOf({ status: 502, body: '<html>502 Bad Gateway</html>', type: 'text/html' });
    expect(e).toMatchObject({ code: 'NETWORK', retryable: true });
    expect(e.message).not.toContain(PHONE);
  });

  it('no answer at all (connection refused) is retried; the message names neither the phone, the code nor the key', async () => {
    const e = await gateway(settings({ endpoint: { protocol: 'http', host: '127.0.0.1:1' } })).send(verification()).then(
      () => undefined,
      (err: unknown) => err as SmsSendError,
    );
    expect(e).toMatchObject({ code: 'NETWORK', retryable: true });
    for (const secret of [PHONE, '042917', KEY_ID, KEY_SECRET]) expect(e!.message).not.toContain(secret);
  });

  it("a provider message quoting a phone number or the AccessKey ID is masked before it is passed on", async () => {
    const e = await errorOf(ok({ Code: 'isv.INVALID_PARAMETERS', Message: `号码 ${PHONE} 参数异常，AccessKeyId ${KEY_ID}`, RequestId: 'r' }));
    expect(e.message).not.toContain(PHONE);
    expect(e.message).toContain('138****5678');
    expect(e.message).not.toContain(KEY_ID);
  });

  it('a template with no configured code is refused before any request', async () => {
    const e = await gateway().send(toOutgoingSms(PHONE, { template: 'unsubscribed', params: {} })).then(
      () => undefined,
      (err: unknown) => err as SmsSendError,
    );
    expect(e).toMatchObject({ code: 'NO_TEMPLATE_CODE', retryable: false });
    expect(e!.message).toContain('SMS_TEMPLATE_UNSUBSCRIBED');
    expect(seen).toHaveLength(0);
  });
});
