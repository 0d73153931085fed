/*
 * Survey replies end to end on the real PostgreSQL and RabbitMQ (issue 5, "Measure"):
 *   provider callback (Aliyun SmsUp push, batches) → receipt + reply parsed + survey rated + survey.rated
 *   outbox row + thanks SMS queued (one transaction per reply) → outbox relay → RabbitMQ → a test queue.
 *
 * sms-survey runs as its own production process (node dist/apps/sms-survey/src/main.js) on a fresh
 * database and RabbitMQ vhost (the approach of bench/intake-load.ts), production defaults
 * (DATABASE_POOL_SIZE 10, OUTBOX_POLL_MS 500), SMS_PROVIDER=console (the thanks SMS are "sent" by the
 * console gateway: rows updated, nothing leaves the machine).
 *
 * Each run seeds BENCH_REPLIES surveys awaiting a reply (one per phone, inserted directly), then
 * BENCH_SENDERS concurrent senders POST the replies in batches of BENCH_BATCH to
 * /api/v1/sms/callbacks/aliyun/{token}, as fast as the service answers. Replies are real-looking
 * (「1」「３，还是不热」「不太满意」…), every one a rating. A test queue bound to heating.events
 * with routing key survey.rated counts the events.
 *   replies/s end to end = replies / (first POST sent → last survey.rated received from RabbitMQ)
 * Also reported: the HTTP side alone (first POST → last answer), and when the thanks SMS were all sent.
 *
 * The machine is shared: before each run the script waits for it to be idle (as bench/messaging-hop.ts
 * does) and repeats a run (up to 3 attempts) when processes other than ours, PostgreSQL and RabbitMQ
 * used more than 0.2 cores during it; a run kept after 3 disturbed attempts is flagged.
 *
 *   npm run bench:replies       (builds first; a few minutes)
 * Output: JSON on stdout and bench/results/survey-replies.json (custom sizes: survey-replies.custom-size.json).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connect } from 'amqplib';
import pg from 'pg';
import { phoneVaultFor, readPhoneKeys } from '#shared';
import { createVhost, deleteVhost, dropDatabase, freshDatabase } from '../test/support/infra.js';
import { cpuSnapshot, cpuUsage, waitForQuiet as waitForIdle } from './support/cpu.js';
import { median } from './support/stats.js';
import { intEnv } from './support/env.js';

const SETTINGS = {
  runs: intEnv('BENCH_RUNS', 3),
  replies: intEnv('BENCH_REPLIES', 6_000),
  batch: intEnv('BENCH_BATCH', 50),
  senders: intEnv('BENCH_SENDERS', 16),
  warmupReplies: 500,
  quietWaitMs: intEnv('BENCH_QUIET_WAIT_S', 300) * 1000,
  quietBelowCores: 0.25,
  foreignCpuLimitCores: 0.2,
  attemptsPerRun: 3,
  drainTimeoutMs: 180_000,
};
const CUSTOM = ['BENCH_RUNS', 'BENCH_REPLIES', 'BENCH_BATCH', 'BENCH_SENDERS'].some((k) => process.env[k]);
const RESULT_FILE = `bench/results/${CUSTOM ? 'survey-replies.custom-size.json' : 'survey-replies.json'}`;

const PORT = 3903;
const SECRET = 'bench-secret-0123456789-abcdefghijklmnop';
const CALLBACK_TOKEN = 'bench-callback-token-0123456789abcdef';
const SERVICE_ENV = {
  HEATING_MODE: 'production',
  AUTH_SECRET: SECRET,
  PORT: String(PORT),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  DATABASE_POOL_SIZE: '10',
  OUTBOX_POLL_MS: '500',
  AMQP_PREFETCH: '32',
  SMS_PROVIDER: 'console',
  SMS_CALLBACK_TOKEN: CALLBACK_TOKEN,
  PUBLIC_BASE_URL: 'https://gr.example.cn',
};

/** What residents send (every one a rating): digits, full-width, words, comments, emoji. */
const REPLY_TEXTS = ['1', '３，还是不热', '满意', '2 还行吧', '不太满意', '1 谢谢师傅', '  3\n暖气还是凉的', '😊1', '基本满意', '非常满意！'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// ------------------------------------------------------------------------------------------------
// the service
// ------------------------------------------------------------------------------------------------

function startSmsSurvey(databaseUrl: string, amqpUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/apps/sms-survey/src/main.js'], {
    env: { ...process.env, ...SERVICE_ENV, DATABASE_URL: databaseUrl, AMQP_URL: amqpUrl },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    child.once('exit', (code) => reject(new Error(`sms-survey exited with ${code} before it was ready`)));
    const poll = async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${PORT}/health/ready`);
        if (r.status === 200) return resolve(child);
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) return reject(new Error('sms-survey did not become ready in 60 s'));
      setTimeout(poll, 200);
    };
    void poll();
  });
}

/** The service's PhoneVault: the same keys (PHONE_KEYS of its environment, else derived from AUTH_SECRET). */
const vault = phoneVaultFor(readPhoneKeys({ ...process.env, ...SERVICE_ENV }).settings, SECRET);

/** Surveys awaiting a reply, one per phone, as sendNextFor leaves them (inserted in one statement; numbers sealed as the service stores them). */
async function seed(db: pg.Client, run: number, n: number): Promise<string[]> {
  const phones = Array.from({ length: n }, (_, i) => `15${String(run).padStart(2, '0')}${String(i).padStart(7, '0')}`);
  await db.query(
    `INSERT INTO survey (id, case_id, case_number, company_id, authority_id, phone_enc, phone_hash, status, created_at, sent_at, expires_at)
     SELECT gen_random_uuid(), gen_random_uuid(), 'GR-20261201-' || lpad(i::text, 6, '0'), 'HC0001', 'AU210100', e, h,
            'awaiting_reply', now(), now(), now() + interval '7 days'
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(e, h, i)`,
    [phones.map((p) => vault.seal(p)), phones.map((p) => vault.hash(p))],
  );
  return phones;
}

let sequence = 0;

/** Posts all replies in batches from `senders` concurrent loops; returns when every batch was answered. */
async function sendReplies(phones: string[]): Promise<{ httpMs: number; batchMs: number[]; refused: number }> {
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < phones.length; i += SETTINGS.batch) {
    batches.push(
      phones.slice(i, i + SETTINGS.batch).map((phone, j) => ({
        phone_number: phone,
        content: REPLY_TEXTS[(i + j) % REPLY_TEXTS.length],
        send_time: '2026-12-01 10:00:00',
        dest_code: '1234',
        sequence_id: ++sequence,
        sign_name: '供热直通车',
      })),
    );
  }
  const url = `http://127.0.0.1:${PORT}/api/v1/sms/callbacks/aliyun/${CALLBACK_TOKEN}`;
  const batchMs: number[] = [];
  let refused = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: SETTINGS.senders }, async () => {
      while (next < batches.length) {
        const body = JSON.stringify(batches[next++]);
        const t = performance.now();
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const answer = (await r.json()) as { code?: number };
        batchMs.push(performance.now() - t);
        if (r.status !== 200 || answer.code !== 0) refused++;
      }
    }),
  );
  return { httpMs: performance.now() - start, batchMs, refused };
}

interface RunResult {
  replies: number;
  repliesPerSec: number;
  httpRepliesPerSec: number;
  seconds: number;
  lastEventAfterLastAnswerMs: number;
  thanksSmsSentAfterMs: number;
  batchP50Ms: number;
  batchP99Ms: number;
  refusedBatches: number;
  rated: number;
  events: number;
  brokerRestarted: boolean;
  cpu: Record<string, number>;
  quietWaitS: number;
  disturbed: boolean;
  attempts: number;
}

async function main(): Promise<void> {
  const tag = `heating_bench_replies_${process.pid}`;
  const amqpUrl = await createVhost(tag);
  const databaseUrl = await freshDatabase(tag);
  let service: ChildProcess | undefined;
  const db = new pg.Client({ connectionString: databaseUrl });
  const results: RunResult[] = [];
  const received = new Map<string, number>();
  /*
   * The test queue's consumer. Other test suites on this machine restart RabbitMQ: the consumer then
   * reconnects, and the attempt that saw the restart counts as disturbed (and is repeated).
   */
  let brokerRestarts = 0;
  let closing = false;
  let amqp: Awaited<ReturnType<typeof connect>> | undefined;
  const openConsumer = async (): Promise<void> => {
    for (;;) {
      try {
        const conn = await connect(amqpUrl);
        conn.on('error', () => undefined);
        conn.on('close', () => {
          if (closing) return;
          brokerRestarts++;
          void sleep(1_000).then(openConsumer);
        });
        const ch = await conn.createChannel();
        await ch.assertExchange('heating.events', 'topic', { durable: true });
        const { queue } = await ch.assertQueue('', { exclusive: true, durable: false });
        await ch.bindQueue(queue, 'heating.events', 'survey.rated');
        await ch.consume(queue, (msg) => {
          if (!msg) return;
          const env = JSON.parse(msg.content.toString()) as { payload: { surveyId: string } };
          received.set(env.payload.surveyId, performance.now());
        }, { noAck: true });
        amqp = conn;
        return;
      } catch {
        if (closing) return;
        await sleep(1_000);
      }
    }
  };
  try {
    service = await startSmsSurvey(databaseUrl, amqpUrl);
    await db.connect();
    await openConsumer();

    const runOnce = async (run: number, n: number): Promise<Omit<RunResult, 'quietWaitS' | 'disturbed' | 'attempts'>> => {
      await db.query('TRUNCATE survey_link, survey, sms_message, sms_inbound_receipt, outbox_message');
      received.clear();
      const phones = await seed(db, run, n);
      const surveyIds = new Set<string>(
        (await db.query<{ id: string }>(`SELECT id FROM survey`)).rows.map((r) => r.id),
      );
      const cpuBefore = cpuSnapshot({ bench: process.pid, 'sms-survey': service!.pid });
      const restartsBefore = brokerRestarts;
      const start = performance.now();
      const http = await sendReplies(phones);
      const deadline = Date.now() + SETTINGS.drainTimeoutMs;
      while (received.size < n && Date.now() < deadline && brokerRestarts === restartsBefore) await sleep(5);
      const brokerRestarted = brokerRestarts !== restartsBefore;
      const events = [...received.entries()].filter(([id]) => surveyIds.has(id));
      const lastEvent = events.length ? Math.max(...events.map(([, t]) => t)) : NaN;
      const cpu = cpuUsage(cpuBefore, cpuSnapshot({ bench: process.pid, 'sms-survey': service!.pid }));
      let smsDrained = NaN;
      while (Date.now() < deadline) {
        const pending = Number((await db.query(`SELECT count(*) AS n FROM sms_message WHERE status = 'pending'`)).rows[0].n);
        if (pending === 0) {
          smsDrained = performance.now() - start;
          break;
        }
        await sleep(20);
      }
      const rated = Number((await db.query(`SELECT count(*) AS n FROM survey WHERE status = 'rated'`)).rows[0].n);
      const sorted = [...http.batchMs].sort((a, b) => a - b);
      const seconds = (lastEvent - start) / 1000;
      return {
        replies: n,
        repliesPerSec: Math.round(n / seconds),
        httpRepliesPerSec: Math.round(n / (http.httpMs / 1000)),
        seconds: round(seconds, 2),
        lastEventAfterLastAnswerMs: Math.round(lastEvent - start - http.httpMs),
        thanksSmsSentAfterMs: Math.round(smsDrained),
        batchP50Ms: Math.round(sorted[Math.floor(sorted.length * 0.5)]),
        batchP99Ms: Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]),
        refusedBatches: http.refused,
        rated,
        events: events.length,
        brokerRestarted,
        cpu,
      };
    };

    await runOnce(99, SETTINGS.warmupReplies);
    for (let run = 1; run <= SETTINGS.runs; run++) {
      let kept: RunResult | undefined;
      for (let attempt = 1; attempt <= SETTINGS.attemptsPerRun; attempt++) {
        const quietWaitS = await waitForIdle({ waitMs: SETTINGS.quietWaitMs, belowCores: SETTINGS.quietBelowCores, log: (m) => process.stderr.write(`${m}\n`) });
        const r = await runOnce(run * 10 + attempt, SETTINGS.replies);
        const disturbed = quietWaitS < 0 || r.cpu.other > SETTINGS.foreignCpuLimitCores || r.brokerRestarted;
        kept = { ...r, quietWaitS, disturbed, attempts: attempt };
        process.stdout.write(
          `run ${run} attempt ${attempt}: ${r.repliesPerSec} replies/s end to end (${r.httpRepliesPerSec}/s answered), ` +
            `${r.rated} rated, ${r.events} events, other CPU ${r.cpu.other}${r.brokerRestarted ? ', RabbitMQ restarted meanwhile' : ''}${disturbed ? ' (disturbed)' : ''}\n`,
        );
        if (!r.brokerRestarted && (r.rated !== r.replies || r.events !== r.replies || r.refusedBatches > 0)) {
          throw new Error(`run ${run}: not every reply was rated and published`);
        }
        if (!disturbed) break;
      }
      if (kept!.brokerRestarted) throw new Error(`run ${run}: RabbitMQ restarted during all ${SETTINGS.attemptsPerRun} attempts`);
      results.push(kept!);
    }
  } finally {
    closing = true;
    await db.end().catch(() => undefined);
    await amqp?.close().catch(() => undefined);
    if (service && service.exitCode === null) {
      service.kill('SIGTERM');
      await new Promise((r) => service!.once('exit', r));
    }
    await dropDatabase(tag).catch(() => undefined);
    deleteVhost(tag);
  }
  const summary = {
    benchmark: 'survey replies (issue 5): Aliyun reply callback → rating stored → survey.rated published to RabbitMQ',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    settings: { ...SETTINGS, replyTexts: REPLY_TEXTS, service: SERVICE_ENV },
    median: {
      repliesPerSec: median(results.map((r) => r.repliesPerSec)),
      httpRepliesPerSec: median(results.map((r) => r.httpRepliesPerSec)),
      lastEventAfterLastAnswerMs: median(results.map((r) => r.lastEventAfterLastAnswerMs)),
      thanksSmsSentAfterMs: median(results.map((r) => r.thanksSmsSentAfterMs)),
      batchP50Ms: median(results.map((r) => r.batchP50Ms)),
      batchP99Ms: median(results.map((r) => r.batchP99Ms)),
    },
    disturbedRuns: results.filter((r) => r.disturbed).length,
    runs: results,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(RESULT_FILE, JSON.stringify(summary, null, 2));
  process.stdout.write(`${JSON.stringify(summary.median, null, 2)}\n`);
}

await main();
