import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { TencentSmsSettings } from './sms-config.js';
import { SmsSendError } from './sms-gateway.js';
import { toOutgoingSms } from './sms-templates.js';
import { TencentSmsGateway } from './tencent-sms.gateway.js';

/*
 * The adapter against a local fake of Tencent Cloud SMS 2021-01-11: what it sends (action, +86
 * phone, SdkAppId, template ID, positional parameters, signature name, a valid TC3-HMAC-SHA256
 * signature) and how Tencent's answers map to a sent message, a refusal (no retry) or a retry.
 */

const SECRET_ID = 'AKIDFakeSecretIdForTests0000000000001';
const SECRET_KEY = 'FakeSecretKeyForTests00000000001';
const PHONE = '13812345678';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; body: string; type?: string };
const ok = (response: object, status = 200): Answer => ({ status, body: JSON.stringify({ Response: response }) });
const sent = (code = 'Ok', message = 'send success') =>
  ok({
    SendStatusSet: [{ SerialNo: code === 'Ok' ? '2433:6581813216013916873' : '', PhoneNumber: `+86${PHONE}`, Fee: 1, SessionContext: '', Code: code, Message: message, IsoCode: 'CN' }],
    RequestId: 'a0aabda6-cf91-4f3e-a81f-9198114a2279',
  });
const refused = (code: string, message: string) => ok({ Error: { Code: code, Message: message }, RequestId: 'r1' });

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
  answer = sent();
});

function settings(overrides: Partial<TencentSmsSettings> = {}): TencentSmsSettings {
  return {
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    sdkAppId: '1400787878',
    signName: '供热直通车',
    region: 'ap-guangzhou',
    endpoint: { protocol: 'http', host: `127.0.0.1:${port}` },
    ...overrides,
  };
}

const CODES = { verification_code: '2058901', outage_notice: '2058902', reply_not_understood: '2058903' };
const gateway = (s = settings()) => new TencentSmsGateway(s, CODES, { timeoutMs: 2_000 });
const verification = () => toOutgoingSms(PHONE, { template: 'verification_code', params: { code: '042917' } });

/** Tencent's TC3-HMAC-SHA256, recomputed from what arrived (https://cloud.tencent.com/document/api/382/52071). */
function tc3Signature(req: Seen, secretKey: string): { expected: string; given: string } {
  const auth = String(req.headers.authorization);
  const [, date, service] = /Credential=[^/]+\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/tc3_request/.exec(auth)!;
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1].split(';');
  const given = /Signature=([0-9a-f]+)/.exec(auth)![1];
  const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
  const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
  // The SDK signs the host name without the port (real endpoints have none: sms.tencentcloudapi.com).
  const headerValue = (h: string) => (h === 'host' ? new URL(`http://${req.headers.host}`).hostname : String(req.headers[h]).trim().toLowerCase());
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${headerValue(h)}\n`).join('');
  const canonicalRequest = [req.method, '/', '', canonicalHeaders, signedHeaders.join(';'), sha256(req.body)].join('\n');
  const timestamp = String(req.headers['x-tc-timestamp']);
  const stringToSign = ['TC3-HMAC-SHA256', timestamp, `${date}/${service}/tc3_request`, sha256(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(`TC3${secretKey}`, date), service), 'tc3_request');
  expect(new Date(Number(timestamp) * 1000).toISOString().slice(0, 10)).toBe(date);
  return { expected: createHmac('sha256', signingKey).update(stringToSign).digest('hex'), given };
}

describe('SendSms carries the template, its parameters and the signature, signed with the SecretKey', () => {
  it('action SendSms (2021-01-11) in the configured region, the phone as +86…, SdkAppId, SignName, TemplateId', async () => {
    await gateway().send(verification());
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req.headers['x-tc-action']).toBe('SendSms');
    expect(req.headers['x-tc-version']).toBe('2021-01-11');
    expect(req.headers['x-tc-region']).toBe('ap-guangzhou');
    expect(JSON.parse(req.body)).toEqual({
      PhoneNumberSet: [`+86${PHONE}`],
      SmsSdkAppId: '1400787878',
      SignName: '供热直通车',
      TemplateId: '2058901',
      TemplateParamSet: ['042917'],
    });
  });

  it('the parameters are positional, in the catalogue order ({1} … {4})', async () => {
    const content = { template: 'outage_notice', params: { caseNumber: 'GR-20261129-000123', communityName: '金地小区', cause: '管线抢修', restoreAt: '11/30 18:00' } } as const;
    await gateway().send(toOutgoingSms(PHONE, content));
    expect(JSON.parse(seen[0].body).TemplateParamSet).toEqual(['GR-20261129-000123', '金地小区', '管线抢修', '11/30 18:00']);
  });

  it('a template without parameters sends an empty TemplateParamSet', async () => {
    await gateway().send(toOutgoingSms(PHONE, { template: 'reply_not_understood', params: {} }));
    expect(JSON.parse(seen[0].body).TemplateParamSet).toEqual([]);
  });

  it('the request is signed TC3-HMAC-SHA256 with the SecretId and a signature valid for the SecretKey', async () => {
    await gateway().send(verification());
    const [req] = seen;
    expect(req.headers.authorization).toMatch(new RegExp(`^TC3-HMAC-SHA256 Credential=${SECRET_ID}/\\d{4}-\\d{2}-\\d{2}/[^/]+/tc3_request, SignedHeaders=[a-z;-]+, Signature=[0-9a-f]{64}$`));
    const { expected, given } = tc3Signature(req, SECRET_KEY);
    expect(given).toBe(expected);
    expect(tc3Signature(req, 'AnotherSecretKey').expected).not.toBe(given);
    expect(JSON.stringify(req)).not.toContain(SECRET_KEY);
  });

  it("Tencent's SerialNo is the provider message id", async () => {
    expect(await gateway().send(verification())).toEqual({ providerMessageId: '2433:6581813216013916873' });
  });
});

describe("Tencent's answers: a refusal fails the message with Tencent's reason, frequency limits and outages are retried", () => {
  async function errorOf(a: Answer): Promise<SmsSendError> {
    answer = a;
    const error = await gateway().send(verification()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmsSendError);
    return error as SmsSendError;
  }

  it('FailedOperation.SignatureIncorrectOrUnapproved is a refusal carrying the provider message, not retried', async () => {
    const e = await errorOf(refused('FailedOperation.SignatureIncorrectOrUnapproved', '签名未审批或格式错误'));
    expect(e).toMatchObject({ provider: 'tencent', code: 'FailedOperation.SignatureIncorrectOrUnapproved', retryable: false });
    expect(e.message).toContain('签名未审批或格式错误');
  });

  it('AuthFailure.SignatureFailure (wrong SecretKey) is not retried', async () => {
    expect((await errorOf(refused('AuthFailure.SignatureFailure', 'The provided credentials could not be validated.'))).retryable).toBe(false);
  });

  it('RequestLimitExceeded (API rate limit) is retried', async () => {
    expect(await errorOf(refused('RequestLimitExceeded', '请求的次数超过了频率限制'))).toMatchObject({ code: 'RequestLimitExceeded', retryable: true });
  });

  it("a per-number status LimitExceeded.PhoneNumberDailyLimit is retried, with Tencent's message", async () => {
    const e = await errorOf(sent('LimitExceeded.PhoneNumberDailyLimit', '单个手机号日下发短信条数超过设定的上限'));
    expect(e).toMatchObject({ code: 'LimitExceeded.PhoneNumberDailyLimit', retryable: true });
    expect(e.message).toContain('单个手机号日下发短信条数超过设定的上限');
  });

  it('a per-number status InvalidParameterValue.IncorrectPhoneNumber is not retried', async () => {
    expect((await errorOf(sent('InvalidParameterValue.IncorrectPhoneNumber', '手机号格式错误'))).retryable).toBe(false);
  });

  it('InternalError.Timeout is retried', async () => {
    expect((await errorOf(refused('InternalError.Timeout', '请求下发短信超时'))).retryable).toBe(true);
  });

  it('an HTTP 502 page is retried, naming no phone', async () => {
    const e = await errorOf({ status: 502, body: '<html>502 Bad Gateway</html>', type: 'text/html' });
    expect(e).toMatchObject({ code: 'NETWORK', retryable: true });
    expect(e.message).not.toContain(PHONE);
  });

  it('no answer at all (connection refused) is retried; the message names neither the phone, the code nor the keys', async () => {
    const e = await gateway(settings({ endpoint: { protocol: 'http', host: '127.0.0.1:1' } })).send(verification()).then(
      () => undefined,
      (err: unknown) => err as SmsSendError,
    );
    expect(e).toMatchObject({ code: 'NETWORK', retryable: true });
    for (const secret of [PHONE, '042917', SECRET_ID, SECRET_KEY]) expect(e!.message).not.toContain(secret);
  });

  it('a template with no configured ID is refused before any request', async () => {
    const e = await gateway().send(toOutgoingSms(PHONE, { template: 'resubscribed', params: {} })).then(
      () => undefined,
      (err: unknown) => err as SmsSendError,
    );
    expect(e).toMatchObject({ code: 'NO_TEMPLATE_CODE', retryable: false });
    expect(e!.message).toContain('SMS_TEMPLATE_RESUBSCRIBED');
    expect(seen).toHaveLength(0);
  });
});
