/*
 * Season replay (issue 8): a whole generated heating season through the four services as
 * production processes, on the real PostgreSQL and RabbitMQ, at full speed, with the counterparts
 * simulated outside the services; then a reconciliation from the databases.
 *
 *   bench (hotline operator) ──POST /api/v1/complaints──▶ intake ──▶ RabbitMQ ──▶ dispatch: routed
 *     (or awaiting a hand dispatch: the simulated authority dispatches it, POST /api/v1/authority/
 *     cases/{id}/dispatch, to the company the generator says serves the address)
 *   dispatch ──signed webhook (case.dispatched)──▶ companies' duty systems (node:http in this
 *     process; every request verified with the `standardwebhooks` package and the secret each
 *     company got from PUT /api/v1/companies/me/webhook). 1 company in 10 answers the first attempt
 *     of each delivery with 503 (dispatch retries after ~5 s), 1 in 10 answers after BENCH_SLOW_MS;
 *     after a short delay the company signs (签收) and, if the generator's case has a feedback,
 *     feeds back (反馈 = 办结) through dispatch's company API, with the generator's resolution,
 *     summary and temperature slip
 *   dispatch ──case.closed──▶ sms-survey: survey SMS (console gateway: kept in sms_message) ──▶
 *     residents: this process reads sms-survey's sms_message (what a phone would receive) and, for
 *     the cases the generator has rated, replies after a short delay through the Aliyun reply
 *     callback (POST /api/v1/sms/callbacks/aliyun/{token}, batches, as bench/survey-replies.ts),
 *     with the generator's reply text ──▶ survey.rated ──▶ kpi (and dispatch)
 *
 * Input: bench/season/generator.ts (seed BENCH_SEED, BENCH_COMPLAINTS complaints, default the full
 * 189,000, plus the generator's consultations answered at intake and its repeat calls), in order of
 * receipt, sent as fast as intake answers (BENCH_IN_FLIGHT outstanding requests). Season time is not
 * simulated: deadlines, reminders and survey expiry do not happen; returns (退回), bad-rating
 * handling and web ratings are not replayed (a web-rated survey is answered by SMS with the same
 * rating). sms-survey waits 30 real minutes before a phone's next survey (NEXT_SURVEY_GAP_MS), so a
 * resident's second case within the replay keeps its survey queued: counted, not answered.
 *
 * The run ends when everything the replay did has settled (every accepted case dispatched and
 * acknowledged by its company, every company action and reply answered, sms-survey and kpi caught up)
 * or nothing has moved for BENCH_STALL_S seconds. Wall time = first POST → settled.
 * Reconciliation, from the databases: complaints accepted = intake complaints = dispatch cases (each
 * once, routed or by hand); one acknowledged case.dispatched webhook per case (by webhook-id and
 * case); feedbacks = closed cases = surveys; replies = rated surveys = ratings in kpi; kpi's
 * per-company counters (summed over months) = the same counters recomputed from what the replay did.
 * Measured too: CPU per process group (bench/support/cpu.ts), peak RSS per service (VmHWM), RabbitMQ
 * (beam.smp VmHWM) and PostgreSQL (peak of the summed private memory, RssAnon, of its processes,
 * sampled each second; shared_buffers not included), throughput and latency per second.
 *
 *   npm run bench:season                          (the full season; builds first)
 *   BENCH_COMPLAINTS=2000 npm run bench:season    (a smoke run)
 * Output: bench/results/season-replay.json and bench/results/season-replay.png (throughput and
 * latency over the replay), or BENCH_RESULT_FILE (.json; the .png beside it). BENCH_SERVICE_NODE_OPTIONS
 * sets NODE_OPTIONS for the four services only (e.g. --max-old-space-size=128). No phone numbers are
 * printed. Needs root (rabbitmqctl add_vhost); the vhost and databases are removed at the end.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { connect } from 'amqplib';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { Pool } from 'undici';
import { queueOf, TokenService } from '#shared';
import type { Rating, Resolution } from '#shared';
import { AMQP_URL, createVhost, dropDatabase, freshDatabase, PG_URL } from '../test/support/infra.js';
import { generateSeason, SEASON_DEFAULTS } from './season/generator.js';
import type { HotlineComplaintBody, SeasonCase, TemperatureReading } from './season/generator.js';
import { SMS_REPLIES } from './season/texts.js';
import { cpuBreakdown, cpuSnapshot } from './support/cpu.js';
import type { CpuSnapshot } from './support/cpu.js';
import { abortOnBudgetOrSignal, assertLocalServices, procStatusKb, removeVhost, startServiceProcess, stopServiceProcess } from './support/services.js';
import type { Running, Service } from './support/services.js';
import { latencyStats, percentile, round } from './support/stats.js';

const THIS_FILE = fileURLToPath(import.meta.url);
// bench/dist/bench/season-replay.js → repository root
const ROOT = join(dirname(THIS_FILE), '..', '..', '..');

const intEnv = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
};

const SETTINGS = {
  seed: intEnv('BENCH_SEED', SEASON_DEFAULTS.seed),
  complaints: intEnv('BENCH_COMPLAINTS', SEASON_DEFAULTS.complaints),
  /** Consultations answered at intake; default the generator's (complaints × 531/189). */
  consultations: process.env.BENCH_CONSULTATIONS ? intEnv('BENCH_CONSULTATIONS', 0) : undefined,
  /** Operator requests outstanding at once (open HTTP requests to intake). */
  inFlight: intEnv('BENCH_IN_FLIGHT', 64),
  intakeConnections: 32,
  /** Connections from the companies and the authorities to dispatch. */
  dispatchConnections: 16,
  /** A company signs this long after the webhook (plus up to signJitterMs), then feeds back after feedbackMs (+ jitter). */
  signMs: 100,
  signJitterMs: 400,
  feedbackMs: intEnv('BENCH_FEEDBACK_MS', 500),
  feedbackJitterMs: 1_500,
  /** A resident replies this long after the survey SMS (plus jitter). */
  replyMs: intEnv('BENCH_REPLY_MS', 500),
  replyJitterMs: 1_500,
  /** Replies are pushed by the provider in batches (as Aliyun's SmsUp does). */
  replyBatch: 50,
  replyFlushMs: 200,
  /** 1 company in failingEvery answers the first attempt of each delivery with 503; 1 in slowEvery answers after slowMs. */
  failingEvery: 10,
  slowEvery: 10,
  slowMs: intEnv('BENCH_SLOW_MS', 300),
  /** Polling of dispatch (hand dispatches) and sms-survey (survey SMS). */
  pollMs: 500,
  /** The run ends when nothing moved for this long (something is lost or stuck). */
  stallMs: intEnv('BENCH_STALL_S', 90) * 1000,
  budgetMs: intEnv('BENCH_BUDGET_S', 3_600) * 1000,
  /** Targets of issue 8 on this machine. */
  targetWallS: 600,
  targetRssMiB: 250,
};

const RESULT_FILE = process.env.BENCH_RESULT_FILE || join(ROOT, 'bench', 'results', 'season-replay.json');
const PLOT_FILE = RESULT_FILE.replace(/\.json$/, '') + '.png';

/** BENCH_SERVICE_NODE_OPTIONS: NODE_OPTIONS for the four services only (e.g. --max-old-space-size=160, to tell retained memory from a lazy heap). */
const SERVICE_NODE_OPTIONS = process.env.BENCH_SERVICE_NODE_OPTIONS ?? '';

const SECRET = 'bench-season-secret-0123456789-abcdefghij';
const CALLBACK_TOKEN = 'bench-season-callback-token-0123456789ab';
/** Production defaults, spelled out (libs/shared/src/config/service-config.ts), as bench/dispatch-latency.ts. */
const SERVICE_ENV: Record<string, string> = {
  HEATING_MODE: 'production',
  AUTH_SECRET: SECRET,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  MESSAGE_RETRY_DELAYS_MS: '1000,10000,60000',
  AMQP_PREFETCH: '32',
  DATABASE_POOL_SIZE: '10',
  OUTBOX_POLL_MS: '500',
  SEED_DEMO_DATA: 'false',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false',
};
const SERVICE_OVERRIDES: Record<Service, Record<string, string>> = {
  intake: {},
  dispatch: { SEED_DEMO_DATA: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
  'sms-survey': { SMS_PROVIDER: 'console', SMS_CALLBACK_TOKEN: CALLBACK_TOKEN, PUBLIC_BASE_URL: 'https://gr.example.cn' },
  kpi: {},
};
const SERVICES: Service[] = ['intake', 'dispatch', 'sms-survey', 'kpi'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallNow = () => performance.timeOrigin + performance.now();
const log = (m: string) => process.stderr.write(`[season ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// ------------------------------------------------------------------------------------------------
// what the replay keeps per case (not the generator's whole script: 189,000 of those would not fit)
// ------------------------------------------------------------------------------------------------

interface CaseScript {
  index: number;
  category: string;
  /** The company the authority dispatches to by hand, if the router cannot. */
  handCompanyId: string;
  feedback: { resolution: Resolution; summary: string; slip?: TemperatureReading[] } | null;
  /** The first survey's rating and the resident's SMS (null: never rated). */
  reply: { rating: Rating; text: string } | null;
}

interface CaseState {
  script: CaseScript;
  caseId: string;
  sentAt: number;
  acceptedAt: number;
  companyId?: string;
  /** First acknowledged case.dispatched webhook. */
  webhookAt?: number;
  acks: number;
  handDispatched?: boolean;
  handRefused?: string;
  signedAt?: number;
  feedbackAt?: number;
  feedbackRefused?: string;
  surveySmsAt?: number;
  repliedAt?: number;
}

function scriptOf(c: SeasonCase): CaseScript {
  const hand = c.dispatches.find((d) => d.method === 'manual');
  const rated = c.surveys.find((s) => s.ratedAt !== null && s.rating !== null);
  return {
    index: c.index,
    category: c.body.category,
    handCompanyId: hand?.companyId ?? c.responsibleCompanyId,
    feedback: c.feedback ? { resolution: c.feedback.resolution, summary: c.feedback.summary, slip: c.feedback.temperatureSlip } : null,
    reply: rated ? { rating: rated.rating!, text: rated.via === 'sms' && rated.reply ? rated.reply : SMS_REPLIES[rated.rating!][0] } : null,
  };
}

/** Deterministic spread of the counterparts' delays. */
const jitter = (index: number, salt: number, span: number) => (Math.imul(index + 1, 2654435761 ^ salt) >>> 0) % Math.max(1, span);

// ------------------------------------------------------------------------------------------------
// the counterparts
// ------------------------------------------------------------------------------------------------

interface Arrival {
  at: number;
  companyId: string;
  webhookId: string;
  caseId?: string;
  type?: string;
  answered: number;
}

class Counterparts {
  readonly cases = new Map<string, CaseState>();
  /** case.dispatched acknowledged before intake's 201 reached us. */
  private readonly early = new Map<string, Array<{ companyId: string; at: number }>>();
  readonly arrivals: Arrival[] = [];
  readonly secrets = new Map<string, Webhook>();
  readonly behaviour = new Map<string, 'normal' | 'failing' | 'slow'>();
  private readonly firstAttemptSeen = new Set<string>();
  badSignatures = 0;
  malformed = 0;
  actionsInFlight = 0;
  actionErrors: Record<string, number> = {};
  feedbacksSent = 0;
  signsSent = 0;
  handDispatches = 0;
  /** Hand dispatches the county authority could not make (company outside its region), made by the city authority. */
  handByCity = 0;
  private server?: http.Server;
  private readonly companyTokens = new Map<string, string>();
  private readonly authorityTokens = new Map<string, string>();
  private replyQueue: Array<{ phone: string; text: string; state: CaseState }> = [];
  private replyTimer?: NodeJS.Timeout;
  repliesSent = 0;
  replyBatchesRefused = 0;
  repliesInFlight = 0;
  private sequence = 0;
  readonly surveysSeen = new Set<string>();
  private lastSmsId = '0';
  readonly handAttempted = new Set<string>();
  closing = false;

  constructor(
    private readonly tokens: TokenService,
    private readonly dispatchPool: Pool,
    private readonly smsSurveyUrl: string,
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.onWebhook(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.replyTimer = setInterval(() => this.flushReplies(), SETTINGS.replyFlushMs);
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.closing = true;
    clearInterval(this.replyTimer);
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async onWebhook(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const companyId = /^\/hooks\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
    const wh = this.secrets.get(companyId);
    const headers = {
      'webhook-id': String(req.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
    };
    let body: { type?: string; data?: { caseId?: string } };
    try {
      if (!wh) throw new Error('unknown company');
      body = wh.verify(raw, headers) as typeof body;
    } catch {
      this.badSignatures++;
      res.writeHead(401).end();
      return;
    }
    const webhookId = headers['webhook-id'];
    const behaviour = this.behaviour.get(companyId) ?? 'normal';
    if (behaviour === 'failing' && !this.firstAttemptSeen.has(webhookId)) {
      this.firstAttemptSeen.add(webhookId);
      res.writeHead(503).end();
      return;
    }
    if (behaviour === 'slow') await sleep(SETTINGS.slowMs);
    res.writeHead(204).end();
    const at = wallNow();
    const caseId = body.data?.caseId;
    this.arrivals.push({ at, companyId, webhookId, caseId, type: body.type, answered: 204 });
    if (body.type === 'case.dispatched' && caseId) this.onDispatched(caseId, companyId, at);
  }

  /** Called when intake answered 201 for a new case. */
  accepted(state: CaseState): void {
    this.cases.set(state.caseId, state);
    const early = this.early.get(state.caseId);
    if (early) {
      this.early.delete(state.caseId);
      for (const e of early) this.onDispatched(state.caseId, e.companyId, e.at);
    }
  }

  private onDispatched(caseId: string, companyId: string, at: number): void {
    const state = this.cases.get(caseId);
    if (!state) {
      const list = this.early.get(caseId) ?? [];
      list.push({ companyId, at });
      this.early.set(caseId, list);
      return;
    }
    state.acks++;
    if (state.acks > 1) return; // counted in the reconciliation
    state.webhookAt = at;
    state.companyId = companyId;
    const i = state.script.index;
    this.later(SETTINGS.signMs + jitter(i, 1, SETTINGS.signJitterMs), async () => {
      await this.companyCall(companyId, state, 'sign', {});
      state.signedAt = wallNow();
      this.signsSent++;
      const fb = state.script.feedback;
      if (!fb) return;
      await sleep(SETTINGS.feedbackMs + jitter(i, 2, SETTINGS.feedbackJitterMs));
      const now = new Date();
      const body: Record<string, unknown> = { resolution: fb.resolution, summary: fb.summary };
      if (state.script.category === 'too_cold') {
        const readings = fb.slip?.length ? fb.slip : [{ room: '主卧', roomType: 'bedroom', temperatureC: 18.5 }];
        body.temperatureSlip = {
          readings,
          measuredAt: now.toISOString(),
          measuringPoint: '房间中央，距地面 1.2 米，门窗关闭 30 分钟以上',
          instrument: '数字温度计 TES-1310',
          measurer: '张师傅',
          residentAcknowledged: true,
        };
      }
      if (await this.companyCall(companyId, state, 'feedback', body)) {
        state.feedbackAt = wallNow();
        this.feedbacksSent++;
      }
    });
  }

  private later(ms: number, action: () => Promise<void>): void {
    this.actionsInFlight++;
    setTimeout(() => {
      action()
        .catch((e) => this.countError(`exception: ${(e as Error).message.slice(0, 80)}`))
        .finally(() => this.actionsInFlight--);
    }, ms);
  }

  private countError(key: string): void {
    this.actionErrors[key] = (this.actionErrors[key] ?? 0) + 1;
  }

  private async token(map: Map<string, string>, role: 'company' | 'authority', unitId: string): Promise<string> {
    let t = map.get(unitId);
    if (!t) {
      t = await this.tokens.sign({ sub: `duty-${unitId}`, role, unitId }, 4 * 3600);
      map.set(unitId, t);
    }
    return t;
  }

  private async companyCall(companyId: string, state: CaseState, step: 'sign' | 'feedback', body: Record<string, unknown>): Promise<boolean> {
    const token = await this.token(this.companyTokens, 'company', companyId);
    const r = await this.dispatchPool.request({
      method: 'POST',
      path: `/api/v1/cases/${state.caseId}/${step}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await r.body.text();
    if (r.statusCode === 200) return true;
    const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1] ?? '';
    this.countError(`${step} HTTP ${r.statusCode} ${code}`);
    if (step === 'feedback') state.feedbackRefused = `${r.statusCode} ${code}`;
    return false;
  }

  /**
   * The authority dispatches by hand the cases the router left to it. When the company the generator
   * names is outside the county authority's region (the resident named the wrong district), the
   * city authority of the case's city dispatches it instead.
   */
  async handDispatch(dispatchDb: pg.Pool): Promise<void> {
    const { rows } = await dispatchDb.query<{ id: string; authority_id: string; city_authority: string | null }>(
      `SELECT c.id, c.authority_id, (SELECT a.id FROM authority a WHERE a.level = 'city' AND a.city_code = c.city_code LIMIT 1) AS city_authority
         FROM dispatch_case c WHERE c.status = 'awaiting_manual_dispatch'`,
    );
    for (const row of rows) {
      if (this.handAttempted.has(row.id)) continue;
      const state = this.cases.get(row.id);
      if (!state) continue; // intake's 201 not seen yet
      this.handAttempted.add(row.id);
      this.later(jitter(state.script.index, 3, 500), async () => {
        const attempt = async (authorityId: string) => {
          const token = await this.token(this.authorityTokens, 'authority', authorityId);
          const r = await this.dispatchPool.request({
            method: 'POST',
            path: `/api/v1/authority/cases/${row.id}/dispatch`,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ companyId: state.script.handCompanyId, note: '经核实地址' }),
          });
          const text = await r.body.text();
          return { status: r.statusCode, code: /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1] ?? '' };
        };
        let result = await attempt(row.authority_id);
        if (result.code === 'COMPANY_OUTSIDE_REGION' && row.city_authority && row.city_authority !== row.authority_id) {
          this.handByCity++;
          result = await attempt(row.city_authority);
        }
        if (result.status === 200) {
          state.handDispatched = true;
          this.handDispatches++;
        } else {
          state.handRefused = `${result.status} ${result.code}`;
          this.countError(`hand dispatch HTTP ${result.status} ${result.code}`);
        }
      });
    }
  }

  /** The residents' phones: survey SMS the console gateway has "sent" since the last look. */
  async readSurveySms(smsDb: pg.Pool): Promise<void> {
    const { rows } = await smsDb.query<{ id: string; phone: string; survey_id: string; case_id: string; at: Date }>(
      `SELECT m.id::text AS id, m.phone, s.id AS survey_id, s.case_id, m.at
         FROM sms_message m JOIN survey s ON s.id = m.survey_id
        WHERE m.direction = 'out' AND m.status = 'sent' AND m.id > $1::bigint AND s.status = 'awaiting_reply'
        ORDER BY m.id LIMIT 5000`,
      [this.lastSmsId],
    );
    // Rows are "sent" out of id order (the sender works in batches): the mark never passes a pending one.
    const [{ pending }] = (await smsDb.query<{ pending: string | null }>(`SELECT min(id)::text AS pending FROM sms_message WHERE direction = 'out' AND status = 'pending'`)).rows;
    let mark = BigInt(this.lastSmsId);
    for (const row of rows) if (BigInt(row.id) > mark) mark = BigInt(row.id);
    if (pending !== null && BigInt(pending) - 1n < mark) mark = BigInt(pending) - 1n;
    if (mark > BigInt(this.lastSmsId)) this.lastSmsId = mark.toString();
    for (const row of rows) {
      if (this.surveysSeen.has(row.survey_id)) continue;
      this.surveysSeen.add(row.survey_id);
      const state = this.cases.get(row.case_id);
      if (!state) {
        this.countError('survey SMS for a case the replay does not know');
        continue;
      }
      state.surveySmsAt = new Date(row.at).getTime();
      const reply = state.script.reply;
      if (!reply) continue;
      this.repliesInFlight++;
      setTimeout(() => {
        this.replyQueue.push({ phone: row.phone, text: reply.text, state });
      }, SETTINGS.replyMs + jitter(state.script.index, 4, SETTINGS.replyJitterMs));
    }
  }

  private flushReplies(): void {
    while (this.replyQueue.length > 0) {
      const batch = this.replyQueue.splice(0, SETTINGS.replyBatch);
      const sendTime = new Date(Date.now() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
      const body = batch.map((r) => ({
        phone_number: r.phone,
        content: r.text,
        send_time: sendTime,
        dest_code: '1234',
        sequence_id: ++this.sequence,
        sign_name: '供热直通车',
      }));
      void fetch(`${this.smsSurveyUrl}/api/v1/sms/callbacks/aliyun/${CALLBACK_TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
        .then(async (r) => {
          const answer = (await r.json()) as { code?: number };
          if (r.status !== 200 || answer.code !== 0) throw new Error(`HTTP ${r.status} code ${answer.code}`);
          const at = wallNow();
          for (const b of batch) b.state.repliedAt = at;
          this.repliesSent += batch.length;
        })
        .catch((e) => {
          this.replyBatchesRefused++;
          this.countError(`reply batch: ${(e as Error).message.slice(0, 60)}`);
        })
        .finally(() => (this.repliesInFlight -= batch.length));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// the operator's load
// ------------------------------------------------------------------------------------------------

interface LoadResult {
  firstSend: number;
  lastAnswer: number;
  sent: Record<string, number>;
  answers: Record<string, number>;
  /** Per request: [sent at, answered at] of new complaints (for the plot). */
  responseMs: number[];
  acceptedAt: number[];
  casesCreated: number;
  consultationsCreated: number;
  repeatsLinked: number;
}

async function replayInputs(pool: Pool, operatorToken: string, cp: Counterparts, deadline: number): Promise<LoadResult> {
  const season = generateSeason({ seed: SETTINGS.seed, complaints: SETTINGS.complaints, ...(SETTINGS.consultations !== undefined ? { consultations: SETTINGS.consultations } : {}) });
  const sent: Record<string, number> = {};
  const answers: Record<string, number> = {};
  const responseMs: number[] = [];
  const acceptedAt: number[] = [];
  let casesCreated = 0;
  let consultationsCreated = 0;
  let repeatsLinked = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const repeats: Array<{ key: string; body: HotlineComplaintBody }> = [];
  const firstSend = wallNow();
  let lastAnswer = firstSend;
  let n = 0;

  const post = (kind: 'complaint' | 'repeat' | 'consultation', key: string, body: HotlineComplaintBody, c?: SeasonCase) => {
    inFlight++;
    sent[kind] = (sent[kind] ?? 0) + 1;
    const script = c ? scriptOf(c) : undefined;
    const repeatCalls = c?.repeatCalls.map((r, k) => ({ key: `season-${c.caseNumber}-r${k + 1}`, body: r.body })) ?? [];
    const t0 = wallNow();
    pool
      .request({
        method: 'POST',
        path: '/api/v1/complaints',
        headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      })
      .then(async (r) => {
        const text = await r.body.text();
        const t1 = wallNow();
        lastAnswer = t1;
        const view = r.statusCode < 300 ? (JSON.parse(text) as { caseId: string; outcome?: string }) : undefined;
        const outcome = `${kind} ${r.statusCode}${view?.outcome ? ` ${view.outcome}` : ''}`;
        answers[outcome] = (answers[outcome] ?? 0) + 1;
        if (kind === 'complaint' && r.statusCode === 201 && view && script) {
          casesCreated++;
          responseMs.push(t1 - t0);
          acceptedAt.push(t1);
          cp.accepted({ script, caseId: view.caseId, sentAt: t0, acceptedAt: t1, acks: 0 });
          repeats.push(...repeatCalls);
        } else if (kind === 'consultation' && r.statusCode === 201) consultationsCreated++;
        else if (kind === 'repeat' && r.statusCode === 200) repeatsLinked++;
      })
      .catch((e) => {
        answers[`${kind} error ${(e as Error).message.slice(0, 40)}`] = (answers[`${kind} error ${(e as Error).message.slice(0, 40)}`] ?? 0) + 1;
      })
      .finally(() => {
        inFlight--;
        wake?.();
      });
  };
  const room = async () => {
    while (inFlight >= SETTINGS.inFlight) await new Promise<void>((r) => (wake = r));
  };

  for (const a of season.arrivals()) {
    if (++n % 5000 === 0) {
      if (Date.now() > deadline) throw new Error('time budget exceeded during the load');
      log(`  ${n.toLocaleString('en')} arrivals sent, ${casesCreated.toLocaleString('en')} cases accepted, ${cp.arrivals.length.toLocaleString('en')} webhooks`);
    }
    while (repeats.length > 0) {
      await room();
      const r = repeats.shift()!;
      post('repeat', r.key, r.body);
    }
    await room();
    if (a.kind === 'case') post('complaint', `season-${a.case.caseNumber}`, a.case.body, a.case);
    else post('consultation', `season-${a.consultation.caseNumber}`, a.consultation.body);
  }
  while (inFlight > 0 || repeats.length > 0) {
    if (repeats.length > 0) {
      await room();
      const r = repeats.shift()!;
      post('repeat', r.key, r.body);
    } else await new Promise<void>((r) => (wake = r));
  }
  return { firstSend, lastAnswer, sent, answers, responseMs, acceptedAt, casesCreated, consultationsCreated, repeatsLinked };
}

// ------------------------------------------------------------------------------------------------
// memory sampling
// ------------------------------------------------------------------------------------------------

class MemorySampler {
  peakKb: Record<string, number> = {};
  private timer?: NodeJS.Timeout;

  constructor(private readonly pids: () => Record<string, number | undefined>) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), 1000);
    this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const snap = cpuSnapshot(this.pids());
    const sums: Record<string, number> = {};
    for (const [pid, { group }] of snap.perPid) {
      if (group === 'postgres') sums.postgresAnon = (sums.postgresAnon ?? 0) + (procStatusKb(pid, 'RssAnon') || 0);
      else if (group === 'rabbitmq') sums.rabbitmq = (sums.rabbitmq ?? 0) + (procStatusKb(pid, 'VmRSS') || 0);
      else if (!group.startsWith('foreign:')) sums[group] = (sums[group] ?? 0) + (procStatusKb(pid, 'VmRSS') || 0);
    }
    for (const [k, v] of Object.entries(sums)) this.peakKb[k] = Math.max(this.peakKb[k] ?? 0, v);
  }
}

// ------------------------------------------------------------------------------------------------
// the plot
// ------------------------------------------------------------------------------------------------

function renderPlot(series: Record<string, number[]>, latency: { p50: number[]; p99: number[] }, binS: number, title: string): Buffer {
  const width = 1200;
  const height = 800;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  const xs = (arr: number[], step: number) => arr.map((v, i) => [i * step, v]);
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'Noto Sans SC' },
    title: { text: title, left: 'center', textStyle: { fontSize: 16 } },
    legend: [
      { data: Object.keys(series), top: 36 },
      { data: ['accepted → webhook p50', 'accepted → webhook p99'], top: 420 },
    ],
    grid: [
      { left: 70, right: 30, top: 80, height: 290 },
      { left: 70, right: 30, top: 460, height: 290 },
    ],
    xAxis: [
      { type: 'value', gridIndex: 0, name: 's since first request', nameLocation: 'middle', nameGap: 25 },
      { type: 'value', gridIndex: 1, name: 's since first request (by acceptance time)', nameLocation: 'middle', nameGap: 25 },
    ],
    yAxis: [
      { type: 'value', gridIndex: 0, name: 'per second' },
      { type: 'log', gridIndex: 1, name: 'latency, ms (log)', logBase: 10 },
    ],
    series: [
      ...Object.entries(series).map(([name, arr]) => ({ name, type: 'line', xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, data: xs(arr, 1), lineStyle: { width: 1.2 } })),
      { name: 'accepted → webhook p50', type: 'line', xAxisIndex: 1, yAxisIndex: 1, showSymbol: false, data: xs(latency.p50, binS).filter(([, v]) => v > 0) },
      { name: 'accepted → webhook p99', type: 'line', xAxisIndex: 1, yAxisIndex: 1, showSymbol: false, data: xs(latency.p99, binS).filter(([, v]) => v > 0) },
    ],
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  const require = createRequire(import.meta.url);
  const font = require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf');
  const png = new Resvg(svg, { font: { fontFiles: [font], loadSystemFonts: false, defaultFontFamily: 'Noto Sans SC' }, fitTo: { mode: 'width', value: width } }).render().asPng();
  return Buffer.from(png);
}

/** Counts per 1-s bin from `start`. */
function perSecond(times: number[], start: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0);
  for (const t of times) {
    const b = Math.floor((t - start) / 1000);
    if (b >= 0 && b < bins) out[b]++;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// main
// ------------------------------------------------------------------------------------------------

const COUNTERS = ['dispatched', 'on_time_dispatched', 'with_feedback', 'closed', 'rated', 'satisfied', 'basically_satisfied', 'dissatisfied'] as const;

async function main(): Promise<void> {
  const startedAt = new Date();
  const deadline = Date.now() + SETTINGS.budgetMs;
  const tag = `heating_bench_season_${process.pid}`;
  const running: Running[] = [];
  const pools: pg.Pool[] = [];
  const httpPools: Pool[] = [];
  let cp: Counterparts | undefined;
  let vhostCreated = false;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    log('cleaning up (services, vhost, databases)');
    for (const p of httpPools) await p.close().catch(() => undefined);
    for (const r of [...running].reverse()) await stopServiceProcess(r);
    await cp?.stop().catch(() => undefined);
    for (const p of pools) await p.end().catch(() => undefined);
    for (const s of SERVICES) {
      const name = `${tag}_${s.replace('-', '_')}`;
      await dropDatabase(name).catch((e) => log(`could not drop ${name}: ${(e as Error).message}`));
    }
    if (vhostCreated) await removeVhost(tag, log);
  };
  const disarm = abortOnBudgetOrSignal(SETTINGS.budgetMs, cleanup, log);

  try {
    assertLocalServices([PG_URL, AMQP_URL]);
    log(`vhost and databases ${tag}; season seed ${SETTINGS.seed}, ${SETTINGS.complaints.toLocaleString('en')} complaints`);
    const amqpUrl = await createVhost(tag);
    vhostCreated = true;
    for (const s of SERVICES) {
      const name = `${tag}_${s.replace('-', '_')}`;
      const url = await freshDatabase(name);
      log(`starting ${s}`);
      const nodeOptions: Record<string, string> = SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: SERVICE_NODE_OPTIONS } : {};
      running.push(await startServiceProcess(s, { root: ROOT, amqpUrl, databaseName: name, databaseUrl: url, env: { ...SERVICE_ENV, ...SERVICE_OVERRIDES[s], ...nodeOptions } }));
    }
    const svc = Object.fromEntries(running.map((r) => [r.service, r])) as Record<Service, Running>;
    log(`services ready: ${running.map((r) => `${r.service} pid ${r.child.pid}`).join(', ')}`);
    const db = {} as Record<Service, pg.Pool>;
    for (const r of running) {
      const p = new pg.Pool({ connectionString: r.databaseUrl, max: 2, application_name: 'bench-season-replay' });
      p.on('error', () => undefined);
      pools.push(p);
      db[r.service] = p;
    }

    const tokens = new TokenService(SECRET);
    const intakePool = new Pool(svc.intake.url, { connections: SETTINGS.intakeConnections, pipelining: 1 });
    const dispatchPool = new Pool(svc.dispatch.url, { connections: SETTINGS.dispatchConnections, pipelining: 1 });
    httpPools.push(intakePool, dispatchPool);
    cp = new Counterparts(tokens, dispatchPool, svc['sms-survey'].url);
    const receiverUrl = await cp.start();

    // Every company of the registry gets a webhook endpoint here, and keeps its signing secret.
    const companies = (await db.dispatch.query<{ id: string }>(`SELECT id FROM company ORDER BY id`)).rows.map((r) => r.id);
    let k = 0;
    for (const id of companies) {
      const token = await tokens.sign({ sub: `duty-${id}`, role: 'company', unitId: id }, 4 * 3600);
      const r = await fetch(`${svc.dispatch.url}/api/v1/companies/me/webhook`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${receiverUrl}/hooks/${id}` }),
      });
      if (r.status !== 200) throw new Error(`setting the webhook of ${id} failed: HTTP ${r.status} ${await r.text()}`);
      const { secret } = (await r.json()) as { secret: string };
      cp.secrets.set(id, new Webhook(secret));
      cp.behaviour.set(id, k % SETTINGS.failingEvery === 3 ? 'failing' : k % SETTINGS.slowEvery === 7 ? 'slow' : 'normal');
      k++;
    }
    log(`webhook endpoints set for ${companies.length} companies (${[...cp.behaviour.values()].filter((b) => b === 'failing').length} failing first attempts, ${[...cp.behaviour.values()].filter((b) => b === 'slow').length} slow)`);

    const pids = () => ({ ...Object.fromEntries(running.map((r) => [r.service, r.child.pid])), bench: process.pid });
    const mem = new MemorySampler(pids);
    mem.start();
    const postgresBackends = new Map<number, string>();
    const noteBackends = async () => {
      const { rows } = await db.intake.query<{ pid: number; datname: string }>(`SELECT pid, datname FROM pg_stat_activity WHERE datname LIKE $1`, [`${tag}_%`]);
      for (const r of rows) postgresBackends.set(r.pid, `postgres:${r.datname.slice(tag.length + 1)}`);
    };

    // Pollers: hand dispatches (the authorities), survey SMS (the residents' phones).
    let polling = true;
    const pollErrors: string[] = [];
    const poller = (async () => {
      while (polling) {
        try {
          await cp!.handDispatch(db.dispatch);
          await cp!.readSurveySms(db['sms-survey']);
          await noteBackends();
        } catch (e) {
          if (pollErrors.length < 10) pollErrors.push((e as Error).message);
        }
        await sleep(SETTINGS.pollMs);
      }
    })();

    const operatorToken = await tokens.sign({ sub: 'bench-operator', role: 'operator' }, 4 * 3600);
    const cpu0: CpuSnapshot = cpuSnapshot(pids());
    log('replay: sending the season as fast as intake answers');
    const load = await replayInputs(intakePool, operatorToken, cp, deadline);
    log(`load done in ${round((load.lastAnswer - load.firstSend) / 1000, 1)} s: ${JSON.stringify(load.answers)}`);

    // Wait until everything has settled, or nothing moved for stallMs.
    const progress = async () => {
      const q = async (p: pg.Pool, sql: string) => Number((await p.query(sql)).rows[0].n);
      const kpi = (await db.kpi.query(`SELECT coalesce(sum(dispatched),0)::int AS d, coalesce(sum(with_feedback),0)::int AS f, coalesce(sum(rated),0)::int AS r FROM unit_month WHERE unit_type = 'company'`)).rows[0] as { d: number; f: number; r: number };
      const p = {
        dispatchCases: await q(db.dispatch, `SELECT count(*)::int AS n FROM dispatch_case`),
        awaitingHand: await q(db.dispatch, `SELECT count(*)::int AS n FROM dispatch_case WHERE status = 'awaiting_manual_dispatch'`),
        webhooksAcked: [...cp!.cases.values()].filter((c) => c.webhookAt !== undefined).length,
        actionsInFlight: cp!.actionsInFlight,
        feedbacks: cp!.feedbacksSent,
        surveys: await q(db['sms-survey'], `SELECT count(*)::int AS n FROM survey`),
        surveysRated: await q(db['sms-survey'], `SELECT count(*)::int AS n FROM survey WHERE status = 'rated'`),
        repliesInFlight: cp!.repliesInFlight,
        repliesSent: cp!.repliesSent,
        kpiDispatched: kpi.d,
        kpiWithFeedback: kpi.f,
        kpiRated: kpi.r,
      };
      const handRefused = [...cp!.cases.values()].filter((c) => c.handRefused).length;
      const settled =
        p.dispatchCases === load.casesCreated &&
        p.webhooksAcked + handRefused >= load.casesCreated &&
        p.actionsInFlight === 0 &&
        p.repliesInFlight === 0 &&
        p.surveys >= p.feedbacks &&
        p.surveysRated >= p.repliesSent &&
        p.kpiDispatched >= p.webhooksAcked &&
        p.kpiWithFeedback >= p.feedbacks &&
        p.kpiRated >= p.repliesSent;
      return { p, settled };
    };
    let last = '';
    let lastChange = Date.now();
    let settledAt = NaN;
    let stalled = false;
    for (;;) {
      const { p, settled } = await progress();
      const sig = JSON.stringify(p);
      if (sig !== last) {
        last = sig;
        lastChange = Date.now();
        log(`  ${sig}`);
      }
      if (settled) {
        settledAt = wallNow();
        break;
      }
      if (Date.now() - lastChange > SETTINGS.stallMs || Date.now() > deadline) {
        stalled = true;
        settledAt = wallNow();
        log(`nothing moved for ${SETTINGS.stallMs / 1000} s: stopping, not settled`);
        break;
      }
      await sleep(1000);
    }
    const cpu1 = cpuSnapshot(pids());
    polling = false;
    await poller;
    mem.stop();
    const wallS = round((settledAt - load.firstSend) / 1000, 1);
    log(`${stalled ? 'stopped' : 'settled'} after ${wallS} s`);

    // ---------------------------------------------------------------------------- reconciliation
    const cases = [...cp.cases.values()];
    const problems: string[] = [];
    const one = async (p: pg.Pool, sql: string) => (await p.query(sql)).rows;
    const intakeByType = Object.fromEntries((await one(db.intake, `SELECT type, count(*)::int AS n FROM complaint GROUP BY type`)).map((r) => [r.type, r.n]));
    const intakeCases = Object.entries(intakeByType).filter(([type]) => type !== 'consultation').reduce((a, [, n]) => a + Number(n), 0);
    const dispatchStatus = Object.fromEntries((await one(db.dispatch, `SELECT status, count(*)::int AS n FROM dispatch_case GROUP BY status`)).map((r) => [r.status, r.n]));
    const dispatchIds = new Set((await one(db.dispatch, `SELECT id FROM dispatch_case`)).map((r) => r.id as string));
    const dispatchCases = dispatchIds.size;
    const notInDispatch = cases.filter((c) => !dispatchIds.has(c.caseId)).length;
    const neverAcked = cases.filter((c) => c.acks === 0).length;
    const ackedMoreThanOnce = cases.filter((c) => c.acks > 1).length;
    const dispatchedArrivals = cp.arrivals.filter((a) => a.type === 'case.dispatched');
    const ids = new Map<string, number>();
    for (const a of dispatchedArrivals) ids.set(a.webhookId, (ids.get(a.webhookId) ?? 0) + 1);
    const duplicateWebhookIds = [...ids.values()].filter((n) => n > 1).length;
    const deliveryStatus = Object.fromEntries(
      (await one(db.dispatch, `SELECT event_type || ' ' || status AS k, count(*)::int AS n FROM webhook_delivery GROUP BY 1`)).map((r) => [r.k, r.n]),
    );
    const retriedDeliveries = Number((await one(db.dispatch, `SELECT count(DISTINCT delivery_id)::int AS n FROM webhook_attempt WHERE attempt > 1`))[0].n);
    const closed = Number(dispatchStatus.closed ?? 0);
    const surveyStatus = Object.fromEntries((await one(db['sms-survey'], `SELECT status || ' round ' || round AS k, count(*)::int AS n FROM survey GROUP BY 1`)).map((r) => [r.k, r.n]));
    const surveys = Number((await one(db['sms-survey'], `SELECT count(*)::int AS n FROM survey WHERE round = 1`))[0].n);
    const rated = Number((await one(db['sms-survey'], `SELECT count(*)::int AS n FROM survey WHERE status = 'rated'`))[0].n);
    const surveyCasesDup = Number((await one(db['sms-survey'], `SELECT count(*)::int AS n FROM (SELECT case_id FROM survey WHERE round = 1 GROUP BY case_id HAVING count(*) > 1) d`))[0].n);
    const kpiCases = Number((await one(db.kpi, `SELECT count(*)::int AS n FROM kpi_case`))[0].n);
    const kpiRows = await one(db.kpi, `SELECT unit_id, ${COUNTERS.map((c) => `sum(${c})::int AS ${c}`).join(', ')} FROM unit_month WHERE unit_type = 'company' GROUP BY unit_id`);
    const queues: Record<string, number> = {};
    // recomputed from what the replay did
    const want = new Map<string, Record<(typeof COUNTERS)[number], number>>();
    for (const c of cases) {
      if (!c.companyId) continue;
      let row = want.get(c.companyId);
      if (!row) {
        row = Object.fromEntries(COUNTERS.map((k) => [k, 0])) as Record<(typeof COUNTERS)[number], number>;
        want.set(c.companyId, row);
      }
      row.dispatched++;
      // Every dispatch of the replay happens within minutes of intake: all on time (the 2 h limit).
      row.on_time_dispatched++;
      if (c.feedbackAt !== undefined) {
        row.with_feedback++;
        row.closed++;
      }
      if (c.repliedAt !== undefined && c.script.reply) {
        row.rated++;
        row[c.script.reply.rating]++;
      }
    }
    let companyMismatches = 0;
    const mismatchExamples: string[] = [];
    const got = new Map(kpiRows.map((r) => [r.unit_id as string, r]));
    for (const id of new Set([...want.keys(), ...got.keys()])) {
      const w = want.get(id);
      const g = got.get(id);
      const diffs = COUNTERS.filter((c) => Number(g?.[c] ?? 0) !== Number(w?.[c] ?? 0));
      if (diffs.length) {
        companyMismatches++;
        if (mismatchExamples.length < 10) mismatchExamples.push(`${id}: ${diffs.map((d) => `${d} kpi ${g?.[d] ?? 0} vs replay ${w?.[d] ?? 0}`).join(', ')}`);
      }
    }
    const feedbacks = cases.filter((c) => c.feedbackAt !== undefined).length;
    const replies = cases.filter((c) => c.repliedAt !== undefined).length;
    const sumKpi = (c: (typeof COUNTERS)[number]) => kpiRows.reduce((a, r) => a + Number(r[c]), 0);
    const check = (what: string, ok: boolean, detail: string) => {
      if (!ok) problems.push(`${what}: ${detail}`);
      return { ok, detail };
    };
    const reconciliation = {
      complaintsAccepted: check('intake', intakeCases === load.casesCreated, `201 created ${load.casesCreated}, intake complaint rows (complaints and reports, not consultations) ${intakeCases}`),
      dispatchCases: check('dispatch cases', dispatchCases === load.casesCreated && notInDispatch === 0, `dispatch_case rows ${dispatchCases}, accepted cases missing there ${notInDispatch}`),
      dispatchedOnce: check(
        'webhooks',
        neverAcked === 0 && ackedMoreThanOnce === 0 && duplicateWebhookIds === 0 && cp.badSignatures === 0,
        `cases without an acknowledged case.dispatched ${neverAcked}, acknowledged more than once ${ackedMoreThanOnce}, webhook-ids acknowledged twice ${duplicateWebhookIds}, bad signatures ${cp.badSignatures}`,
      ),
      feedbacksSurveyed: check('surveys', feedbacks === closed && surveys === feedbacks && surveyCasesDup === 0, `feedbacks accepted ${feedbacks}, dispatch closed ${closed}, round-1 surveys ${surveys}, cases with 2 round-1 surveys ${surveyCasesDup}`),
      ratingsCountedOnce: check('ratings', replies === rated && sumKpi('rated') === rated, `replies accepted ${replies}, surveys rated ${rated}, kpi rated (company rows) ${sumKpi('rated')}`),
      kpiPerCompany: check('kpi per company', companyMismatches === 0 && kpiCases === dispatchCases - Number(dispatchStatus.awaiting_manual_dispatch ?? 0), `companies whose kpi counters differ from the replay's ${companyMismatches}; kpi_case ${kpiCases}`),
    };
    if (mismatchExamples.length) log(`kpi mismatches, e.g. ${mismatchExamples.join('; ')}`);

    // ---------------------------------------------------------------------------- resources
    const cpu = cpuBreakdown(cpu0, cpu1, postgresBackends);
    const peakRssMiB: Record<string, number> = {};
    for (const r of running) peakRssMiB[r.service] = round(procStatusKb(r.child.pid, 'VmHWM') / 1024, 1);
    peakRssMiB.bench = round(procStatusKb(process.pid, 'VmHWM') / 1024, 1);
    const beam = [...cpu1.perPid.entries()].filter(([, v]) => v.group === 'rabbitmq').map(([pid]) => pid);
    peakRssMiB['rabbitmq (VmHWM since the broker started)'] = round(beam.reduce((a, pid) => a + (procStatusKb(pid, 'VmHWM') || 0), 0) / 1024, 1);
    const sampledPeakMiB = Object.fromEntries(Object.entries(mem.peakKb).map(([k, v]) => [k === 'postgresAnon' ? 'postgres (sum of RssAnon)' : k, round(v / 1024, 1)]));
    const sharedBuffers = String((await one(db.intake, 'SHOW shared_buffers'))[0].shared_buffers);

    // ---------------------------------------------------------------------------- timeline and plot
    const bins = Math.max(1, Math.ceil((settledAt - load.firstSend) / 1000));
    const dispatchedAt = (await one(db.dispatch, `SELECT extract(epoch FROM dispatched_at) * 1000 AS t FROM dispatch_case WHERE dispatched_at IS NOT NULL`)).map((r) => Number(r.t));
    const ratedAt = (await one(db['sms-survey'], `SELECT extract(epoch FROM rated_at) * 1000 AS t FROM survey WHERE rated_at IS NOT NULL`)).map((r) => Number(r.t));
    const series = {
      'accepted/s': perSecond(load.acceptedAt, load.firstSend, bins),
      'dispatched/s': perSecond(dispatchedAt, load.firstSend, bins),
      'webhooks/s': perSecond(dispatchedArrivals.map((a) => a.at), load.firstSend, bins),
      'feedbacks/s': perSecond(cases.filter((c) => c.feedbackAt).map((c) => c.feedbackAt!), load.firstSend, bins),
      'ratings/s': perSecond(ratedAt, load.firstSend, bins),
    };
    const binS = Math.max(1, Math.ceil(bins / 120));
    const latBins: number[][] = Array.from({ length: Math.ceil(bins / binS) }, () => []);
    const latencies: number[] = [];
    for (const c of cases) {
      if (c.webhookAt === undefined) continue;
      const l = c.webhookAt - c.acceptedAt;
      latencies.push(l);
      const b = Math.floor((c.acceptedAt - load.firstSend) / 1000 / binS);
      if (b >= 0 && b < latBins.length) latBins[b].push(l);
    }
    const pOf = (arr: number[], p: number) => (arr.length ? round(percentile(Float64Array.from(arr).sort(), p)) : 0);
    const latency = { p50: latBins.map((a) => pOf(a, 50)), p99: latBins.map((a) => pOf(a, 99)) };
    const surveyLatency = cases.filter((c) => c.feedbackAt && c.surveySmsAt).map((c) => c.surveySmsAt! - c.feedbackAt!);
    const loadS = (load.lastAnswer - load.firstSend) / 1000;
    {
      const conn = await connect(amqpUrl);
      try {
        const ch = await conn.createChannel();
        for (const s of SERVICES) {
          queues[queueOf(s)] = (await ch.checkQueue(queueOf(s))).messageCount;
          queues[`${queueOf(s)}.dead-letter`] = (await ch.checkQueue(`${queueOf(s)}.dead-letter`)).messageCount;
        }
      } finally {
        await conn.close().catch(() => undefined);
      }
    }
    if (Object.entries(queues).some(([q, n]) => q.endsWith('.dead-letter') && n > 0)) problems.push(`dead-lettered messages: ${JSON.stringify(queues)}`);

    let plot = 'not written';
    try {
      const png = renderPlot(series, latency, binS, `Season replay: ${SETTINGS.complaints.toLocaleString('en')} complaints (seed ${SETTINGS.seed}), ${wallS} s`);
      mkdirSync(dirname(PLOT_FILE), { recursive: true });
      writeFileSync(PLOT_FILE, png);
      plot = PLOT_FILE;
    } catch (e) {
      log(`plot failed: ${(e as Error).message}`);
    }

    const summary = {
      benchmark: 'season replay (issue 8): a generated heating season through intake, dispatch, sms-survey and kpi with simulated companies, authorities and residents',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { nproc: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: round(os.totalmem() / 2 ** 30, 1), node: process.version },
      settings: { ...SETTINGS, serviceNodeOptions: SERVICE_NODE_OPTIONS || 'none', serviceEnv: SERVICE_ENV, serviceOverrides: SERVICE_OVERRIDES, companies: companies.length, sharedBuffers },
      settled: !stalled,
      wallSeconds: wallS,
      loadSeconds: round(loadS, 1),
      requests: { sent: load.sent, answers: load.answers, acceptedPerSecDuringLoad: round(load.casesCreated / loadS, 1), requestsPerSecDuringLoad: round(Object.values(load.sent).reduce((a, b) => a + b, 0) / loadS, 1) },
      counts: {
        casesAccepted: load.casesCreated,
        consultationsAnswered: load.consultationsCreated,
        repeatCallsLinked: load.repeatsLinked,
        handDispatches: cp.handDispatches,
        handDispatchesByCityAuthority: cp.handByCity,
        webhooksAcknowledged: cp.arrivals.length,
        webhooksByType: cp.arrivals.reduce<Record<string, number>>((a, x) => ((a[x.type ?? '?'] = (a[x.type ?? '?'] ?? 0) + 1), a), {}),
        webhookDeliveries: deliveryStatus,
        deliveriesRetried: retriedDeliveries,
        signs: cp.signsSent,
        feedbacks,
        surveySmsSeen: cp.surveysSeen.size,
        repliesAccepted: replies,
        replyBatchesRefused: cp.replyBatchesRefused,
        intakeByType,
        dispatchStatus,
        surveyStatus,
        counterpartErrors: cp.actionErrors,
        pollErrors,
      },
      reconciliation,
      reconciled: problems.length === 0,
      problems,
      kpiMismatchExamples: mismatchExamples,
      latencyMs: {
        intakeAnswer: latencyStats(load.responseMs, 95),
        acceptedToWebhook: latencyStats(latencies, 95),
        feedbackToSurveySms: latencyStats(surveyLatency, 95),
      },
      cpuCores: cpu.cores,
      cpuCoreSeconds: Object.fromEntries(Object.entries(cpu.cores).map(([k, v]) => [k, round(v * wallS, 1)])),
      topForeignProcessesCores: cpu.topForeign,
      peakRssMiB,
      sampledPeakRssMiB: sampledPeakMiB,
      targets: {
        wallSecondsAtMost: SETTINGS.targetWallS,
        serviceRssMiBAtMost: SETTINGS.targetRssMiB,
        met:
          SETTINGS.complaints === SEASON_DEFAULTS.complaints &&
          !stalled &&
          problems.length === 0 &&
          wallS <= SETTINGS.targetWallS &&
          SERVICES.every((s) => peakRssMiB[s] <= SETTINGS.targetRssMiB),
        note: SETTINGS.complaints === SEASON_DEFAULTS.complaints ? 'full season' : `reduced size (${SETTINGS.complaints} complaints): the targets are for the full season and are not judged here`,
      },
      timeline: { binSeconds: 1, perSecond: series, latencyBinSeconds: binS, acceptedToWebhookMs: latency },
      queuesAtEnd: queues,
      plot,
    };
    const json = JSON.stringify(summary, null, 2);
    mkdirSync(dirname(RESULT_FILE), { recursive: true });
    writeFileSync(`${RESULT_FILE}.tmp`, json + '\n');
    renameSync(`${RESULT_FILE}.tmp`, RESULT_FILE);
    const { timeline: _timeline, ...short } = summary;
    void _timeline;
    process.stdout.write(JSON.stringify(short, null, 2) + '\n');
    log(`${problems.length === 0 ? 'reconciled' : `NOT reconciled: ${problems.join(' | ')}`}; written ${RESULT_FILE} and ${plot}`);
  } finally {
    await cleanup();
    disarm();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`season replay failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
