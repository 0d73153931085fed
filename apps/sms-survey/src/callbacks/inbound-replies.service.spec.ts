import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { ManualClock, openDataSource, PhoneVault } from '#shared';
import type { SmsSender } from '#shared';
import type { SurveysService } from '../surveys/surveys.service.js';
import { SmsSurveySchema1764400000300 } from '../migrations/1764400000300-sms-survey-schema.js';
import { SmsInbound1764400000310 } from '../migrations/1764400000310-sms-inbound.js';
import { SurveyReplies1764400000320 } from '../migrations/1764400000320-survey-replies.js';
import { SurveyRounds1764400000330 } from '../migrations/1764400000330-survey-rounds.js';
import { PhonesAtRest1764400000340 } from '../migrations/1764400000340-phones-at-rest.js';
import { InboundRepliesService, InboundUnavailable } from './inbound-replies.service.js';
import type { InboundReply } from './provider-formats.js';
import { SmsInboundReceipt } from './sms-inbound-receipt.entity.js';

/*
 * Receipt and handling in one transaction, on a real (PGlite) database with a stand-in survey:
 * a reply is handled once, a redelivery changes nothing, a failure of the database stores nothing
 * (the provider delivers again), a failure of the handling keeps the reply as `failed`.
 */

const PHONE = '13812345678';
const vault = PhoneVault.derivedFrom('x'.repeat(40));

type OnReply = (phone: string, text: string, em: EntityManager) => Promise<string>;

let dataDir: string;
let dataSource: DataSource;
let onReply: OnReply;
let calls: Array<[string, string]>;
let kicks: number;
let service: InboundRepliesService;

const reply = (receiptKey: string, overrides: Partial<InboundReply> = {}): InboundReply => ({
  receiptKey,
  phone: PHONE,
  text: '1',
  truncated: false,
  originalLength: 1,
  providerTime: '2026-11-29 10:00:00',
  destCode: null,
  signName: '供热直通车',
  problem: null,
  ...overrides,
});
const receipts = () => dataSource.getRepository(SmsInboundReceipt).find({ order: { id: 'ASC' } });
const marks = async () => Number((await dataSource.query('SELECT count(*)::int AS n FROM handled_mark'))[0].n);

beforeAll(async () => {
  Logger.overrideLogger(false); // the failures below are logged on purpose
  dataDir = mkdtempSync(join(tmpdir(), 'sms-inbound-'));
  dataSource = await openDataSource({ kind: 'pglite', dataDir }, {
    entities: [SmsInboundReceipt],
    migrations: [SmsSurveySchema1764400000300, SmsInbound1764400000310, SurveyReplies1764400000320, SurveyRounds1764400000330, PhonesAtRest1764400000340],
  });
  // What the survey writes when it handles a reply (stands in for survey and sms_message rows).
  await dataSource.query('CREATE TABLE handled_mark (text text NOT NULL)');
});

afterAll(async () => {
  await dataSource?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await dataSource.query('DELETE FROM sms_inbound_receipt');
  await dataSource.query('DELETE FROM handled_mark');
  calls = [];
  kicks = 0;
  onReply = async (phone, text, em) => {
    await em.query('INSERT INTO handled_mark (text) VALUES ($1)', [text]);
    return 'rated';
  };
  const surveys = { onReply: (phone: string, text: string, em: EntityManager) => (calls.push([phone, text]), onReply(phone, text, em)) };
  const sms = { kick: () => void kicks++ };
  service = new InboundRepliesService(dataSource, surveys as unknown as SurveysService, sms as unknown as SmsSender, new ManualClock('2026-11-29T02:00:00Z'), vault);
});

describe('a reply is handed to the survey once, in the transaction that records it', () => {
  it('the reply is handled, its outcome recorded, and the SMS outbox woken for the answer', async () => {
    expect(await service.receive('aliyun', [reply('1001')])).toEqual({ handled: 1, duplicate: 0, rejected: 0, failed: 0 });
    expect(calls).toEqual([[PHONE, '1']]);
    expect(await receipts()).toEqual([expect.objectContaining({ provider: 'aliyun', receiptKey: '1001', status: 'handled', outcome: 'rated', phoneHash: vault.hash(PHONE) })]);
    expect(kicks).toBe(1);
  });

  it('the sender\'s number is stored sealed with its blind index; no column holds it in clear, nor a plain hash of it', async () => {
    const tencentKey = 'a'.repeat(64); // a SHA-256 of mobile, time and text (provider-formats)
    await service.receive('tencent', [reply(tencentKey)]);
    const [row] = await receipts();
    expect(vault.open(row.phoneEnc!)).toBe(PHONE);
    expect(row.receiptKey).toBe(vault.hash(`tencent-receipt:${tencentKey}`));
    const rows = (await dataSource.query('SELECT to_jsonb(r)::text AS row FROM sms_inbound_receipt r')) as Array<{ row: string }>;
    expect(rows.filter((r) => /(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/.test(r.row) || r.row.includes(tencentKey))).toEqual([]);
    // The redelivery is still recognised.
    expect((await service.receive('tencent', [reply(tencentKey)])).duplicate).toBe(1);
  });

  it('a redelivery, also inside a batch, is recognised: not handed on again', async () => {
    await service.receive('aliyun', [reply('1001')]);
    expect(await service.receive('aliyun', [reply('1001'), reply('1002'), reply('1001')])).toEqual({ handled: 1, duplicate: 2, rejected: 0, failed: 0 });
    expect(calls).toHaveLength(2);
    expect(await marks()).toBe(2);
  });

  it('the same key from the other provider is another message', async () => {
    await service.receive('aliyun', [reply('1001')]);
    expect((await service.receive('tencent', [reply('1001')])).handled).toBe(1);
  });

  it('a reply with a problem (not a mainland mobile) is kept as rejected and never handed on', async () => {
    expect((await service.receive('tencent', [reply('k1', { phone: null, problem: 'not_from_china_86' })])).rejected).toBe(1);
    expect(calls).toEqual([]);
    expect(await receipts()).toEqual([expect.objectContaining({ status: 'rejected', problem: 'not_from_china_86', outcome: null, phoneEnc: null, phoneHash: null })]);
  });
});

describe('failures: nothing is lost, nothing is applied twice', () => {
  it('the database failing during the handling stores nothing at all (receipt included): the provider is answered 503 and delivers again', async () => {
    onReply = async (_p, text, em) => {
      await em.query('INSERT INTO handled_mark (text) VALUES ($1)', [text]);
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    };
    await expect(service.receive('aliyun', [reply('2001')])).rejects.toThrow(InboundUnavailable);
    expect(await receipts()).toEqual([]);
    expect(await marks()).toBe(0);
    // The redelivery, once the database is back, is handled.
    onReply = async () => 'rated';
    expect((await service.receive('aliyun', [reply('2001')])).handled).toBe(1);
  });

  it('a deadlock or serialization failure is also redelivered (503), not kept as failed', async () => {
    onReply = async () => {
      throw Object.assign(new Error('could not serialize access'), { code: '40001' });
    };
    await expect(service.receive('tencent', [reply('h1')])).rejects.toThrow(InboundUnavailable);
    expect(await receipts()).toEqual([]);
  });

  it('the handling breaking on a reply rolls its effects back and keeps the reply as failed, with the error (phones masked)', async () => {
    onReply = async (_p, text, em) => {
      await em.query('INSERT INTO handled_mark (text) VALUES ($1)', [text]);
      throw new Error(`cannot read rating for ${PHONE}`);
    };
    expect(await service.receive('aliyun', [reply('3001'), reply('3002')])).toEqual({ handled: 0, duplicate: 0, rejected: 0, failed: 2 });
    expect(await marks()).toBe(0);
    const kept = await receipts();
    expect(kept.map((r) => [r.receiptKey, r.status, r.problem])).toEqual([
      ['3001', 'failed', 'cannot read rating for 138****5678'],
      ['3002', 'failed', 'cannot read rating for 138****5678'],
    ]);
    // Its redelivery is recognised, not retried into the same failure forever.
    expect((await service.receive('aliyun', [reply('3001')])).duplicate).toBe(1);
  });
});
