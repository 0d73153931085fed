import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../database/data-source.js';
import { PhoneVault } from '../phone/phone-vault.js';
import { ManualClock } from '../time/clock.js';
import { SmsMessage } from './sms-message.entity.js';
import { SmsSendError } from './sms-gateway.js';
import type { SmsGateway } from './sms-gateway.js';
import { SMS_MAX_ATTEMPTS, SMS_RETRY_DELAYS_MS, SmsSender } from './sms-sender.js';
import { SmsTables1764400000050 } from './sms-tables.migration.js';
import { SmsTemplates1764400000060 } from './sms-templates.migration.js';
import { SmsPhonesAtRest1764400000070 } from './sms-phones-at-rest.migration.js';
import type { OutgoingSms } from './sms-templates.js';

/*
 * The SMS outbox on a real (PGlite) database with a scripted gateway: what is stored when an SMS
 * is queued, and what a provider's refusal, throttling or silence does to the message.
 */

const PHONE = '13812345678';
const CASE = 'GR-20261129-000123';
const vault = PhoneVault.derivedFrom('x'.repeat(40));

class ScriptedGateway implements SmsGateway {
  provider = 'scripted';
  signName = '供热直通车';
  sent: OutgoingSms[] = [];
  failWith: Error | null = null;
  async send(message: OutgoingSms): Promise<{ providerMessageId: string }> {
    if (this.failWith) throw this.failWith;
    this.sent.push(message);
    return { providerMessageId: `m-${this.sent.length}` };
  }
}

let dataDir: string;
let dataSource: DataSource;
const clock = new ManualClock('2026-11-29T02:00:00Z');
let gateway: ScriptedGateway;
let sender: SmsSender;

const rows = () => dataSource.getRepository(SmsMessage).find({ order: { id: 'ASC' } });
const queue = (content: Parameters<SmsSender['queue']>[2]) => dataSource.transaction((em) => sender.queue(em, PHONE, content, null));

beforeAll(async () => {
  Logger.overrideLogger(false); // the outbox's warnings are expected here
  dataDir = mkdtempSync(join(tmpdir(), 'sms-sender-'));
  dataSource = await openDataSource({ kind: 'pglite', dataDir }, { entities: [SmsMessage], migrations: [SmsTables1764400000050, SmsTemplates1764400000060, SmsPhonesAtRest1764400000070] });
});

afterAll(async () => {
  await dataSource?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await dataSource.query('DELETE FROM sms_message');
  gateway = new ScriptedGateway();
  sender = new SmsSender(dataSource, gateway, clock, vault);
});

describe('queueing keeps the template, its parameters and the rendered text', () => {
  it('a template message is stored pending with template, parameters and the text the resident will read', async () => {
    await queue({ template: 'rating_thanks', params: { caseNumber: CASE } });
    expect(await rows()).toEqual([
      expect.objectContaining({
        direction: 'out',
        phoneHash: vault.hash(PHONE),
        status: 'pending',
        template: 'rating_thanks',
        templateParams: { caseNumber: CASE },
        text: `【供热直通车】感谢您对工单${CASE}的评价。`,
        provider: 'scripted',
      }),
    ]);
  });

  it('the number is stored sealed with its blind index, never in clear; the gateway gets it opened', async () => {
    await queue({ template: 'rating_thanks', params: { caseNumber: CASE } });
    const [row] = await rows();
    expect(vault.open(row.phoneEnc)).toBe(PHONE);
    expect(JSON.stringify(await dataSource.query('SELECT to_jsonb(m)::text AS row FROM sms_message m'))).not.toMatch(/(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/);
    await sender.sendPending();
    expect(gateway.sent.map((m) => m.phone)).toEqual([PHONE]);
  });

  it('a number sealed with a key no longer configured is not sent: the attempt fails (retried later) without the number', async () => {
    const other = PhoneVault.derivedFrom('y'.repeat(40));
    await dataSource.query(
      `INSERT INTO sms_message (direction, phone_enc, phone_hash, text, template, template_params, status, attempts, provider, at) VALUES ('out', $1, $2, $3, 'rating_thanks', $4, 'pending', 0, 'console', now())`,
      [other.seal(PHONE).replace(/^d1\./, 'old.'), vault.hash(PHONE), `【供热直通车】感谢您对工单${CASE}的评价。`, JSON.stringify({ caseNumber: CASE })],
    );
    await sender.sendPending();
    expect(gateway.sent).toEqual([]);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'pending', attempts: 1, lastError: expect.stringContaining('PHONE_KEYS') })]);
  });

  it('a plain text an older caller queues is stored as the template it renders', async () => {
    await queue(`【供热直通车】感谢您对工单${CASE}的评价。`);
    expect(await rows()).toEqual([expect.objectContaining({ template: 'rating_thanks', templateParams: { caseNumber: CASE } })]);
  });

  it('a text no template renders is refused at once, and the caller\'s transaction rolls back', async () => {
    await expect(queue('【供热直通车】明天停水')).rejects.toThrow(/matches no template/);
    expect(await rows()).toEqual([]);
  });

  it('the gateway is handed template, parameters and text; the row becomes sent with the provider id', async () => {
    await queue({ template: 'verification_code', params: { code: '042917' } });
    await sender.sendPending();
    expect(gateway.sent).toEqual([
      { phone: PHONE, template: 'verification_code', params: { code: '042917' }, text: '【供热直通车】您的验证码是 042917，5 分钟内有效。请勿告诉他人；工作人员不会向您索要验证码。' },
    ]);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'sent', providerMessageId: 'm-1', attempts: 1, lastError: null })]);
  });

  it('the text carries the provider\'s registered signature: 【辽宁供热】 with a gateway signing so', async () => {
    gateway.signName = '辽宁供热';
    await queue(`【供热直通车】感谢您对工单${CASE}的评价。`);
    expect((await rows())[0].text).toBe(`【辽宁供热】感谢您对工单${CASE}的评价。`);
  });

  it('a row queued before templates existed (text only) is still sent, as the template its text matches', async () => {
    await dataSource.query(`INSERT INTO sms_message (direction, phone_enc, phone_hash, text, status, attempts, provider, at) VALUES ('out', $1, $2, $3, 'pending', 0, 'console', now())`, [
      vault.seal(PHONE),
      vault.hash(PHONE),
      '【供热直通车】未能识别您的回复，请回复数字：1满意 2基本满意 3不满意。',
    ]);
    await sender.sendPending();
    expect(gateway.sent.map((m) => m.template)).toEqual(['reply_not_understood']);
  });
});

describe("a provider's answer decides: refusal fails at once, throttling and outages wait and retry", () => {
  it('a refusal (retryable: false) fails the message at once with the provider\'s reason', async () => {
    await queue({ template: 'rating_thanks', params: { caseNumber: CASE } });
    gateway.failWith = new SmsSendError('aliyun', 'isv.SMS_TEMPLATE_ILLEGAL', 'Aliyun SMS refused: isv.SMS_TEMPLATE_ILLEGAL: 该账号下找不到对应模板', false);
    await sender.sendPending();
    expect(await rows()).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 1, lastError: 'Aliyun SMS refused: isv.SMS_TEMPLATE_ILLEGAL: 该账号下找不到对应模板', nextAttemptAt: null }),
    ]);
  });

  it('throttling stays pending and is not tried again before its delay; then it is sent', async () => {
    await queue({ template: 'rating_thanks', params: { caseNumber: CASE } });
    gateway.failWith = new SmsSendError('tencent', 'LimitExceeded.PhoneNumberThirtySecondLimit', 'Tencent Cloud SMS refused: LimitExceeded…', true);
    await sender.sendPending();
    const [waiting] = await rows();
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, lastError: 'Tencent Cloud SMS refused: LimitExceeded…' });
    expect(waiting.nextAttemptAt!.getTime()).toBe(clock.now().getTime() + SMS_RETRY_DELAYS_MS[0]);
    gateway.failWith = null;
    await sender.sendPending();
    expect(gateway.sent).toHaveLength(0); // too early
    clock.advance(SMS_RETRY_DELAYS_MS[0]);
    await sender.sendPending();
    expect(gateway.sent).toHaveLength(1);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'sent', attempts: 2, lastError: null, nextAttemptAt: null })]);
  });

  it(`a provider that keeps failing is given up after ${SMS_MAX_ATTEMPTS} attempts, the waits growing`, async () => {
    await queue({ template: 'rating_thanks', params: { caseNumber: CASE } });
    gateway.failWith = new Error('socket hang up');
    const waits: number[] = [];
    for (let attempt = 1; attempt <= SMS_MAX_ATTEMPTS; attempt++) {
      await sender.sendPending();
      const [row] = await rows();
      expect(row.attempts).toBe(attempt);
      if (row.nextAttemptAt) {
        waits.push(row.nextAttemptAt.getTime() - clock.now().getTime());
        clock.set(row.nextAttemptAt);
      }
    }
    expect(waits).toEqual([...SMS_RETRY_DELAYS_MS]);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'failed', attempts: SMS_MAX_ATTEMPTS, lastError: 'socket hang up' })]);
  });

  it('a failure reason quoting a phone number is stored masked', async () => {
    await queue({ template: 'rating_thanks', params: { caseNumber: CASE } });
    gateway.failWith = new SmsSendError('aliyun', 'isv.MOBILE_NUMBER_ILLEGAL', `号码 ${PHONE} 非法`, false);
    await sender.sendPending();
    expect((await rows())[0].lastError).toBe('号码 138****5678 非法');
  });
});
