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
 * Workflows, as the generator's case scripts say, each through the real API as the right actor: a
 * first company returns (退回) a case and the authority decides (approve: re-dispatch to the next
 * company, whose webhook starts over; reject: the company goes on); the authority re-grades a case as
 * complex; the company asks for an extension (延期) and the authority decides; a 不满意 opens a bad
 * rating (read from dispatch's bad_rating): company callback → authority classification → company
 * reconsideration (复议) → authority decision, or company rectification → sms-survey's round-2 survey,
 * answered by the resident if it goes out during the run; once everything else has settled the
 * province draws the approved reconsiderations (POST /api/v1/spot-checks/draw, all of them: the draw is
 * random) and records the generator's findings for the ones it checks.
 *
 * Input: bench/season/generator.ts (seed BENCH_SEED, BENCH_COMPLAINTS complaints, default the full
 * 189,000, plus the generator's consultations answered at intake and its repeat calls), in order of
 * receipt, sent as fast as intake answers (BENCH_IN_FLIGHT outstanding requests). Season time is not
 * simulated: deadlines, reminders and survey expiry do not happen; web ratings are not replayed (a
 * web-rated survey is answered by SMS with the same rating). sms-survey waits 30 real minutes before a
 * phone's next survey (NEXT_SURVEY_GAP_MS), so a resident's second case or round-2 survey within
 * the replay stays queued: counted, not answered.
 *
 * The run ends when everything the replay did has settled (every accepted case dispatched and
 * acknowledged by its company, every company, authority, province and resident action answered,
 * sms-survey, dispatch and kpi caught up) or nothing has moved for BENCH_STALL_S seconds. Wall time =
 * first POST → settled. Reconciliation, from the databases: complaints accepted = intake complaints =
 * dispatch cases (each once); every dispatch acknowledged once by its company (by webhook-id and
 * case); returns, extensions and re-gradings decided = dispatch's records = their webhooks; feedbacks =
 * closed cases = round-1 surveys; rectifications = later-round surveys; replies = rated surveys; bad
 * ratings per outcome; spot-check findings; kpi's unit_month rows (every counter, company / authority /
 * city × month) = bench/season/expected.ts over what the replay did.
 * Measured too: CPU per process group (bench/support/cpu.ts), peak RSS per service (VmHWM), RabbitMQ
 * (beam.smp VmHWM) and PostgreSQL (peak of the summed private memory, RssAnon, of its processes,
 * sampled each second; shared_buffers not included), throughput and latency per second.
 *
 * Phases of one run (PHASES below, each switchable, all on by default), each on its own fresh
 * databases and vhost (the services are restarted between phases): the season replay; the machine's
 * ceiling (bench/messaging-hop.ts's runMessagingHop with the season's complaint.received payloads);
 * intake saturation and a steady 500/s (bench/intake-load.ts's runIntakeLoad); intake → signed
 * webhook at 200/s (bench/dispatch-latency.ts's runDispatchLatency). The JSON holds them side by side
 * (`comparison`: the season's messages/s as a ratio of the ceiling's events/s, …) and in full (`phases`).
 *
 *   npm run bench:season                          (the full season; builds first)
 *   BENCH_COMPLAINTS=2000 npm run bench:season    (a smoke run)
 * Output: bench/results/season-replay.json and bench/results/season-replay.png (throughput and
 * latency over the replay), or BENCH_RESULT_FILE (.json; the .png beside it). BENCH_SERVICE_NODE_OPTIONS
 * sets NODE_OPTIONS for the four services only (e.g. --max-old-space-size=128). No phone numbers are
 * printed. Needs root (rabbitmqctl add_vhost); the vhost and databases are removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import { connect } from 'amqplib';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { Pool } from 'undici';
import { phoneVaultFor, queueOf, readPhoneKeys, TokenService } from '#shared';
import type { ComplaintReceivedV1, Rating, Resolution, SpotCheckFinding } from '#shared';
import { AMQP_URL, createVhost, dropDatabase, freshDatabase, PG_URL } from '../test/support/infra.js';
import { COUNTER_COLUMNS } from '../apps/kpi/src/projection/read-model-store.js';
import { ExpectedFigures } from './season/expected.js';
import { generateSeason, SEASON_DEFAULTS } from './season/generator.js';
import type { DispatchStep, HotlineComplaintBody, SeasonCase, TemperatureReading } from './season/generator.js';
import { SMS_REPLIES } from './season/texts.js';
import { cpuBreakdown, cpuSnapshot } from './support/cpu.js';
import type { CpuSnapshot } from './support/cpu.js';
import { abortOnBudgetOrSignal, assertLocalServices, procStatusKb, removeVhost, startServiceProcess, stopServiceProcess } from './support/services.js';
import type { Running, Service } from './support/services.js';
import { latencyStats, percentile, round } from './support/stats.js';
import { intEnv, REPO_ROOT as ROOT } from './support/env.js';

const SETTINGS = {
  seed: intEnv('BENCH_SEED', SEASON_DEFAULTS.seed, 0),
  complaints: intEnv('BENCH_COMPLAINTS', SEASON_DEFAULTS.complaints, 0),
  /** Consultations answered at intake; default the generator's (complaints × 531/189). */
  consultations: process.env.BENCH_CONSULTATIONS ? intEnv('BENCH_CONSULTATIONS', 0, 0) : undefined,
  /** Operator requests outstanding at once (open HTTP requests to intake). */
  inFlight: intEnv('BENCH_IN_FLIGHT', 64, 0),
  intakeConnections: 32,
  /** Connections from the companies and the authorities to dispatch. */
  dispatchConnections: 16,
  /** A company signs this long after the webhook (plus up to signJitterMs), then feeds back after feedbackMs (+ jitter). */
  signMs: 100,
  signJitterMs: 400,
  feedbackMs: intEnv('BENCH_FEEDBACK_MS', 500, 0),
  feedbackJitterMs: 1_500,
  /** Between the steps of a return, a re-grading, an extension or a bad rating (plus jitter). */
  stepMs: intEnv('BENCH_STEP_MS', 300, 0),
  stepJitterMs: 700,
  /** A resident replies this long after the survey SMS (plus jitter). */
  replyMs: intEnv('BENCH_REPLY_MS', 500, 0),
  replyJitterMs: 1_500,
  /** Replies are pushed by the provider in batches (as Aliyun's SmsUp does). */
  replyBatch: 50,
  replyFlushMs: 200,
  /** 1 company in failingEvery answers the first attempt of each delivery with 503; 1 in slowEvery answers after slowMs. */
  failingEvery: 10,
  slowEvery: 10,
  slowMs: intEnv('BENCH_SLOW_MS', 300, 0),
  /** Polling of dispatch (hand dispatches) and sms-survey (survey SMS). */
  pollMs: 500,
  /** The run ends when nothing moved for this long (something is lost or stuck). */
  stallMs: intEnv('BENCH_STALL_S', 90, 0) * 1000,
  budgetMs: intEnv('BENCH_BUDGET_S', 3_600, 0) * 1000,
  /** Targets of issue 8 on this machine. */
  targetWallS: 600,
  targetRssMiB: 250,
};

/**
 * The phases of one run, each on unless its variable is off/false/0: the season replay, then the
 * machine's ceiling (bench/messaging-hop.ts with the season's complaint.received payloads), intake
 * at saturation and at a steady 500/s (bench/intake-load.ts), intake → signed webhook at a steady
 * 200/s (bench/dispatch-latency.ts). Each phase starts its own services on fresh databases and a
 * fresh vhost, and removes them at its end.
 */
const phaseOn = (name: string) => !/^(off|false|0|no)$/i.test(process.env[name] ?? '');
const PHASES = {
  season: phaseOn('BENCH_PHASE_SEASON'),
  ceiling: phaseOn('BENCH_PHASE_CEILING'),
  intake: phaseOn('BENCH_PHASE_INTAKE'),
  endToEnd: phaseOn('BENCH_PHASE_E2E'),
};
const PHASE_ORDER = ['season', 'ceiling', 'intake', 'endToEnd'] as const;
const positive = (name: string, fallback: number) => Math.max(1, intEnv(name, fallback, 0));
/** Sizes of the phases (their scripts' own defaults, except: no warm-up skipped, no rate sweep). */
const PHASE_SETTINGS = {
  ceiling: {
    runs: positive('BENCH_CEILING_RUNS', 3),
    throughputEvents: positive('BENCH_CEILING_EVENTS', 20_000),
    latencyRate: positive('BENCH_CEILING_RATE', 500),
    latencySeconds: positive('BENCH_CEILING_SECONDS', 30),
  },
  intake: {
    runs: positive('BENCH_INTAKE_RUNS', 3),
    saturationSeconds: positive('BENCH_INTAKE_SATURATION_S', 15),
    steadySeconds: positive('BENCH_INTAKE_STEADY_S', 20),
    steadyRate: positive('BENCH_INTAKE_RATE', 500),
    warmupSeconds: positive('BENCH_INTAKE_WARMUP_S', 3),
  },
  endToEnd: {
    runs: positive('BENCH_E2E_RUNS', 3),
    rate: positive('BENCH_E2E_RATE', 200),
    seconds: positive('BENCH_E2E_SECONDS', 30),
    warmupSeconds: positive('BENCH_E2E_WARMUP_S', 10),
    sweepRates: (process.env.BENCH_E2E_SWEEP_RATES ?? 'none')
      .split(',')
      .filter((x) => x && x !== 'none')
      .map(Number),
  },
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
/** sms-survey's PhoneVault (same keys as its environment): the residents read the numbers their SMS went to. */
const SMS_VAULT = phoneVaultFor(readPhoneKeys({ ...process.env, ...SERVICE_ENV, ...SERVICE_OVERRIDES['sms-survey'] }).settings, SECRET);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallNow = () => performance.timeOrigin + performance.now();
const log = (m: string) => process.stderr.write(`[season ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// ------------------------------------------------------------------------------------------------
// what the replay keeps per case (not the generator's whole script: 189,000 of those would not fit)
// ------------------------------------------------------------------------------------------------

/** What the generator says happens to one bad rating (差评), opened by a 不满意 survey. */
interface BadRatingScript {
  /** The company's callback (回访): the resident's demand; absent: never called back. */
  callback?: string;
  classification?: 'reasonable' | 'unreasonable';
  /** 复议 applied (its reason); absent: not applied. */
  reconsideration?: string;
  approved?: boolean;
  /** The province's finding, if it spot-checks the approval. */
  finding?: SpotCheckFinding;
  /** 整改 reported (a fresh survey follows). */
  rectified: boolean;
}

interface CaseScript {
  index: number;
  category: string;
  cityCode: string;
  districtCode: string;
  /** The company the authority dispatches to by hand, if the router cannot. */
  handCompanyId: string;
  /** 退回 by the first company, and the authority's decision (toCompanyId: the company an approval re-dispatches to). */
  returnRequest: { reasonCode: string; reason: string; approved: boolean; toCompanyId?: string } | null;
  /** The authority re-grades the case as complex (7 natural days). */
  complex: boolean;
  /** 延期 asked by the final company, and the authority's decision. */
  extension: { days: number; reason: string; approved: boolean } | null;
  feedback: { resolution: Resolution; summary: string; slip?: TemperatureReading[] } | null;
  /** The resident's answer per survey round (index 0 = round 1); null: never rated. */
  replies: Array<{ rating: Rating; text: string } | null>;
  /** The bad rating opened by the 不满意 of a round, by round. */
  badRatings: Record<number, BadRatingScript>;
}

/** dispatch's bad_rating.status a replayed bad rating should end in, after the steps the replay made. */
type BadRatingStatus = 'callback_pending' | 'awaiting_classification' | 'rectifying' | 'reconsideration_pending' | 'reconsideration_review' | 'reconsideration_approved' | 'resurveyed';

interface BadRatingRecord {
  id: string;
  caseId: string;
  round: number;
  companyId: string;
  status: BadRatingStatus;
  approved?: boolean;
  /** The province's recorded finding. */
  spotChecked?: SpotCheckFinding;
}

interface CaseState {
  script: CaseScript;
  caseId: string;
  sentAt: number;
  acceptedAt: number;
  companyId?: string;
  /** Companies whose case.dispatched the replay acknowledged, in order (a second one after an approved return). */
  dispatchedTo: string[];
  /** case.dispatched webhooks acknowledged, per company. */
  acks: Record<string, number>;
  /** First acknowledged case.dispatched webhook. */
  webhookAt?: number;
  handDispatched?: boolean;
  handRefused?: string;
  returnDecision?: 'approved' | 'rejected';
  graded?: boolean;
  extensionDecision?: 'approved' | 'rejected';
  signedAt?: number;
  feedbackAt?: number;
  feedbackRefused?: string;
  surveySmsAt?: number;
  /** Survey ids by round, as the resident's phone saw them. */
  surveys: Map<string, { round: number; smsAt: number }>;
  /** Ratings the provider callback accepted, by survey. */
  ratings: Array<{ surveyId: string; round: number; rating: Rating; at: number }>;
  badRatings: BadRatingRecord[];
}

function scriptOf(c: SeasonCase): CaseScript {
  const firstDispatch = c.dispatches[0];
  const replies = c.surveys.map((s) =>
    s.ratedAt !== null && s.rating !== null ? { rating: s.rating, text: s.via === 'sms' && s.reply ? s.reply : SMS_REPLIES[s.rating][0] } : null,
  );
  const badRatings: Record<number, BadRatingScript> = {};
  for (const flow of c.badRatings) {
    const round = c.surveys.findIndex((s) => s.surveyId === flow.surveyId) + 1;
    if (round < 1) continue;
    const script: BadRatingScript = { rectified: false };
    for (const st of flow.steps) {
      if (st.step === 'called_back') script.callback = st.text ?? '要求再次上门测温';
      else if (st.step === 'classified') script.classification = st.classification;
      else if (st.step === 'reconsideration_applied') script.reconsideration = st.text ?? '诉求人要求超出供热标准';
      else if (st.step === 'reconsideration_decided') script.approved = st.approved;
      else if (st.step === 'spot_checked') script.finding = st.finding;
      else if (st.step === 'rectified') script.rectified = true;
    }
    badRatings[round] = script;
  }
  const ret = c.returnRequest;
  return {
    index: c.index,
    category: c.body.category,
    cityCode: c.body.address.cityCode,
    districtCode: c.body.address.districtCode,
    handCompanyId: firstDispatch?.method === 'manual' ? firstDispatch.companyId : c.responsibleCompanyId,
    returnRequest: ret ? { reasonCode: ret.reasonCode, reason: ret.reason, approved: ret.approved, ...(ret.approved && c.dispatches[1] ? { toCompanyId: c.dispatches[1].companyId } : {}) } : null,
    complex: c.complexity === 'complex' && c.gradedAt !== null,
    extension: c.extension ? { days: c.extension.days, reason: c.extension.reason, approved: c.extension.approved } : null,
    feedback: c.feedback ? { resolution: c.feedback.resolution, summary: c.feedback.summary, slip: c.feedback.temperatureSlip } : null,
    replies,
    badRatings,
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

interface ApiResult {
  ok: boolean;
  status: number;
  code: string;
  body: string;
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
  /** Authority decisions the county authority could not make (outside its region), made by the city authority. */
  decisionsByCity = 0;
  returnsRequested = 0;
  returnsDecided: Record<'approved' | 'rejected', number> = { approved: 0, rejected: 0 };
  /** Approvals the authority could not make (the generator's company refused), decided as rejections. */
  returnApprovalsRefused = 0;
  grades = 0;
  extensionsRequested = 0;
  extensionsDecided: Record<'approved' | 'rejected', number> = { approved: 0, rejected: 0 };
  readonly badRatings = new Map<string, BadRatingRecord>();
  /** Bad ratings opened for a survey the replay does not know (should not happen). */
  unknownBadRatings = 0;
  rectifications = 0;
  spotChecksDrawn = 0;
  spotChecksRecorded: Record<string, number> = {};
  private server?: http.Server;
  private readonly companyTokens = new Map<string, string>();
  private readonly authorityTokens = new Map<string, string>();
  private provinceToken?: string;
  private replyQueue: Array<{ phone: string; text: string; state: CaseState; surveyId: string; round: number; rating: Rating }> = [];
  private replyTimer?: NodeJS.Timeout;
  repliesSent = 0;
  dissatisfiedReplies = 0;
  replyBatchesRefused = 0;
  repliesInFlight = 0;
  private sequence = 0;
  readonly surveysSeen = new Set<string>();
  private lastSmsId = '0';
  readonly handAttempted = new Set<string>();
  /** The authority a case's district answers to (county, else city) and each city's authority. */
  readonly countyAuthority = new Map<string, string>();
  readonly cityAuthority = new Map<string, string>();
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

  /**
   * A company's duty system got a case: its first company returns it if the generator says so
   * (the authority decides; an approval re-dispatches it, and the new company's webhook starts
   * over here); the final company signs, the authority re-grades it, the company asks for an
   * extension and the authority decides, and the company feeds back.
   */
  private onDispatched(caseId: string, companyId: string, at: number): void {
    const state = this.cases.get(caseId);
    if (!state) {
      const list = this.early.get(caseId) ?? [];
      list.push({ companyId, at });
      this.early.set(caseId, list);
      return;
    }
    state.acks[companyId] = (state.acks[companyId] ?? 0) + 1;
    if (state.acks[companyId] > 1) return; // counted in the reconciliation
    state.dispatchedTo.push(companyId);
    if (state.webhookAt === undefined) state.webhookAt = at;
    state.companyId = companyId;
    const first = state.dispatchedTo.length === 1;
    const i = state.script.index;
    this.later(SETTINGS.signMs + jitter(i, state.dispatchedTo.length, SETTINGS.signJitterMs), async () => {
      if (first && state.script.returnRequest) await this.returnCase(state, companyId);
      else await this.handle(state, companyId);
    });
  }

  /** 退回, then the authority's binding decision; a rejection sends the company back to work. */
  private async returnCase(state: CaseState, companyId: string): Promise<void> {
    const rr = state.script.returnRequest!;
    const asked = await this.companyCall(companyId, state, 'return', { reasonCode: rr.reasonCode, reason: rr.reason });
    if (!asked.ok) return this.handle(state, companyId);
    this.returnsRequested++;
    await sleep(this.stepDelay(state, 11));
    const path = `/api/v1/authority/cases/${state.caseId}/return-decision`;
    let approved = rr.approved && rr.toCompanyId !== undefined && rr.toCompanyId !== companyId;
    let r = approved
      ? await this.authorityCall(state, path, { decision: 'approve', companyId: rr.toCompanyId, note: '经核实该小区由该企业供热，同意退回并改派' })
      : await this.authorityCall(state, path, { decision: 'reject', note: '经核实仍由原企业负责，驳回退回申请' });
    if (approved && !r.ok && r.status === 400) {
      this.returnApprovalsRefused++;
      this.countError(`return approval HTTP ${r.status} ${r.code} (rejected instead)`);
      approved = false;
      r = await this.authorityCall(state, path, { decision: 'reject', note: '改派企业不在辖区，驳回退回申请' });
    }
    if (!r.ok) {
      this.countError(`return decision HTTP ${r.status} ${r.code}`);
      return;
    }
    state.returnDecision = approved ? 'approved' : 'rejected';
    this.returnsDecided[state.returnDecision]++;
    // Approved: the new company's case.dispatched webhook takes it from here.
    if (!approved) await this.handle(state, companyId);
  }

  /** The final company's work: sign; re-grading; extension; feedback. */
  private async handle(state: CaseState, companyId: string): Promise<void> {
    const script = state.script;
    const i = script.index;
    if ((await this.companyCall(companyId, state, 'sign', {})).ok) {
      state.signedAt = wallNow();
      this.signsSent++;
    }
    if (script.complex) {
      await sleep(this.stepDelay(state, 12));
      const r = await this.authorityCall(state, `/api/v1/authority/cases/${state.caseId}/grade`, { complexity: 'complex', note: '涉及庭院管网改造，认定为复杂工单' });
      if (r.ok) {
        state.graded = true;
        this.grades++;
      } else this.countError(`grade HTTP ${r.status} ${r.code}`);
    }
    if (script.extension) {
      await sleep(this.stepDelay(state, 13));
      const ext = script.extension;
      if ((await this.companyCall(companyId, state, 'extension', { days: ext.days, reason: ext.reason })).ok) {
        this.extensionsRequested++;
        await sleep(this.stepDelay(state, 14));
        const decision = ext.approved ? 'approve' : 'reject';
        const r = await this.authorityCall(state, `/api/v1/authority/cases/${state.caseId}/extension-decision`, {
          decision,
          note: ext.approved ? `同意延期 ${ext.days} 天` : '理由不充分，办理时限不变',
        });
        if (r.ok) {
          state.extensionDecision = ext.approved ? 'approved' : 'rejected';
          this.extensionsDecided[state.extensionDecision]++;
        } else this.countError(`extension decision HTTP ${r.status} ${r.code}`);
      }
    }
    const fb = script.feedback;
    if (!fb) return;
    await sleep(SETTINGS.feedbackMs + jitter(i, 2, SETTINGS.feedbackJitterMs));
    const now = new Date();
    const body: Record<string, unknown> = { resolution: fb.resolution, summary: fb.summary };
    if (script.category === 'too_cold') {
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
    if ((await this.companyCall(companyId, state, 'feedback', body)).ok) {
      state.feedbackAt = wallNow();
      this.feedbacksSent++;
    }
  }

  private stepDelay(state: CaseState, salt: number): number {
    return SETTINGS.stepMs + jitter(state.script.index, salt, SETTINGS.stepJitterMs);
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
      t = await this.tokens.sign({ sub: `duty-${unitId}`, role, unitId }, 12 * 3600);
      map.set(unitId, t);
    }
    return t;
  }

  private async call(token: string, path: string, body: unknown): Promise<ApiResult> {
    const r = await this.dispatchPool.request({
      method: 'POST',
      path,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await r.body.text();
    return { ok: r.statusCode === 200, status: r.statusCode, code: /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1] ?? '', body: text };
  }

  private async companyCall(companyId: string, state: CaseState, step: 'sign' | 'feedback' | 'return' | 'extension', body: Record<string, unknown>): Promise<ApiResult> {
    const r = await this.call(await this.token(this.companyTokens, 'company', companyId), `/api/v1/cases/${state.caseId}/${step}`, body);
    if (!r.ok) {
      this.countError(`${step} HTTP ${r.status} ${r.code}`);
      if (step === 'feedback') state.feedbackRefused = `${r.status} ${r.code}`;
    }
    return r;
  }

  /**
   * An authority's decision on a case: the authority of the case's district (county, else city);
   * when that one may not act (the company or the case lies outside its region), the city's.
   */
  private async authorityCall(state: CaseState, path: string, body: unknown): Promise<ApiResult> {
    const city = this.cityAuthority.get(state.script.cityCode);
    const local = this.countyAuthority.get(state.script.districtCode) ?? city;
    if (!local) return { ok: false, status: 0, code: 'NO_AUTHORITY', body: '' };
    let r = await this.call(await this.token(this.authorityTokens, 'authority', local), path, body);
    if (!r.ok && city && city !== local && (r.status === 403 || r.code === 'COMPANY_OUTSIDE_REGION')) {
      this.decisionsByCity++;
      r = await this.call(await this.token(this.authorityTokens, 'authority', city), path, body);
    }
    return r;
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
        const attempt = async (authorityId: string) =>
          this.call(await this.token(this.authorityTokens, 'authority', authorityId), `/api/v1/authority/cases/${row.id}/dispatch`, {
            companyId: state.script.handCompanyId,
            note: '经核实地址',
          });
        let result = await attempt(row.authority_id);
        if (result.code === 'COMPANY_OUTSIDE_REGION' && row.city_authority && row.city_authority !== row.authority_id) {
          this.handByCity++;
          result = await attempt(row.city_authority);
        }
        if (result.ok) {
          state.handDispatched = true;
          this.handDispatches++;
        } else {
          state.handRefused = `${result.status} ${result.code}`;
          this.countError(`hand dispatch HTTP ${result.status} ${result.code}`);
        }
      });
    }
  }

  /**
   * 差评: the companies' lists of new bad ratings (read from dispatch's database, as the hand
   * dispatches are). Each is handled as the generator's flow for that survey round says: callback
   * (company) → classification (authority) → reconsideration (company) → decision (authority), or
   * rectification (company), which makes sms-survey ask the resident again (round 2, 3 …).
   */
  async pollBadRatings(dispatchDb: pg.Pool): Promise<void> {
    const { rows } = await dispatchDb.query<{ id: string; case_id: string; survey_id: string; company_id: string }>(
      `SELECT id, case_id, survey_id, company_id FROM bad_rating WHERE status = 'callback_pending'`,
    );
    for (const row of rows) {
      if (this.badRatings.has(row.id)) continue;
      const state = this.cases.get(row.case_id);
      const round = state?.surveys.get(row.survey_id)?.round;
      if (!state || round === undefined) {
        this.unknownBadRatings++;
        this.badRatings.set(row.id, { id: row.id, caseId: row.case_id, round: 0, companyId: row.company_id, status: 'callback_pending' });
        continue;
      }
      const rec: BadRatingRecord = { id: row.id, caseId: row.case_id, round, companyId: row.company_id, status: 'callback_pending' };
      this.badRatings.set(row.id, rec);
      state.badRatings.push(rec);
      const script = state.script.badRatings[round];
      if (!script?.callback) continue; // opened, never called back
      this.later(this.stepDelay(state, 20 + round), () => this.badRatingFlow(state, rec, script));
    }
  }

  private async badRatingFlow(state: CaseState, rec: BadRatingRecord, script: BadRatingScript): Promise<void> {
    const base = `/api/v1/bad-ratings/${rec.id}`;
    const company = async (step: string, body: unknown) => {
      const r = await this.call(await this.token(this.companyTokens, 'company', rec.companyId), `${base}/${step}`, body);
      if (!r.ok) this.countError(`bad rating ${step} HTTP ${r.status} ${r.code}`);
      return r.ok;
    };
    const authority = async (step: string, body: unknown) => {
      const r = await this.authorityCall(state, `${base}/${step}`, body);
      if (!r.ok) this.countError(`bad rating ${step} HTTP ${r.status} ${r.code}`);
      return r.ok;
    };
    const pause = (salt: number) => sleep(this.stepDelay(state, 30 + salt));
    if (!(await company('callback', { outcome: 'reached', residentDemand: script.callback!, note: '已电话回访' }))) return;
    rec.status = 'awaiting_classification';
    if (!script.classification) return;
    await pause(1);
    const reasonable = script.classification === 'reasonable';
    const note = reasonable ? '经核实室温低于 18℃ 标准，诉求合理，须整改' : '诉求超出供热标准，诉求不合理';
    if (!(await authority('classification', { classification: script.classification, note }))) return;
    rec.status = reasonable ? 'rectifying' : 'reconsideration_pending';
    if (!reasonable) {
      if (!script.reconsideration) return;
      await pause(2);
      if (!(await company('reconsideration', { reason: script.reconsideration, evidence: '入户测温记录：卧室 18.6℃、客厅 19.2℃，诉求人签字确认' }))) return;
      rec.status = 'reconsideration_review';
      if (script.approved === undefined) return;
      await pause(3);
      const decision = script.approved ? 'approve' : 'reject';
      if (!(await authority('reconsideration-decision', { decision, reason: script.approved ? '测温记录完整，诉求超出标准，复议通过' : '测温记录不完整，驳回复议，须整改' }))) return;
      rec.status = script.approved ? 'reconsideration_approved' : 'rectifying';
      rec.approved = script.approved;
      if (script.approved) return;
    }
    if (!script.rectified) return;
    await pause(4);
    if (!(await company('rectification', { summary: '已再次上门处理，复测室温达标' }))) return;
    rec.status = 'resurveyed';
    this.rectifications++;
  }

  /**
   * The province's spot checks of approved reconsiderations (the month after, in the season; here
   * once everything else has settled). dispatch draws at random, so to reach the ones the generator
   * checks the province draws every approved one of the month (200 per draw), then records the
   * generator's finding for those it checks; the others stay drawn, without a finding (no event).
   */
  async spotChecks(dispatchDb: pg.Pool): Promise<void> {
    this.provinceToken ??= await this.tokens.sign({ sub: 'bench-province', role: 'province' }, 12 * 3600);
    const { rows } = await dispatchDb.query<{ month: string }>(
      `SELECT DISTINCT to_char(b.reconsideration_decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month
         FROM bad_rating b WHERE b.status = 'reconsideration_approved' AND NOT EXISTS (SELECT 1 FROM spot_check s WHERE s.bad_rating_id = b.id)`,
    );
    for (const { month } of rows) {
      for (;;) {
        const r = await this.call(this.provinceToken, '/api/v1/spot-checks/draw', { month, size: 200 });
        if (!r.ok) {
          this.countError(`spot-check draw HTTP ${r.status} ${r.code}`);
          break;
        }
        const drawn = JSON.parse(r.body) as Array<{ id: string; badRatingId: string }>;
        if (drawn.length === 0) break;
        this.spotChecksDrawn += drawn.length;
        for (const check of drawn) {
          const rec = this.badRatings.get(check.badRatingId);
          const state = rec ? this.cases.get(rec.caseId) : undefined;
          const finding = rec && state ? state.script.badRatings[rec.round]?.finding : undefined;
          if (!rec || !finding) continue;
          const result = await this.call(this.provinceToken, `/api/v1/spot-checks/${check.id}/result`, {
            method: finding === 'confirmed' ? 'callback' : 'site_visit',
            finding,
            note: finding === 'confirmed' ? '电话回访：居民确认已处理' : '实地核查：居民反映问题仍未解决',
          });
          if (result.ok) {
            rec.spotChecked = finding;
            this.spotChecksRecorded[finding] = (this.spotChecksRecorded[finding] ?? 0) + 1;
          } else this.countError(`spot-check result HTTP ${result.status} ${result.code}`);
        }
      }
    }
  }

  /** The residents' phones: survey SMS the console gateway has "sent" since the last look. */
  async readSurveySms(smsDb: pg.Pool): Promise<void> {
    const { rows } = await smsDb.query<{ id: string; phone_enc: string; survey_id: string; case_id: string; round: number; at: Date }>(
      `SELECT m.id::text AS id, m.phone_enc, s.id AS survey_id, s.case_id, s.round, m.at
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
      const round = Number(row.round);
      const smsAt = new Date(row.at).getTime();
      state.surveys.set(row.survey_id, { round, smsAt });
      if (round === 1) state.surveySmsAt = smsAt;
      const reply = state.script.replies[round - 1];
      if (!reply) continue;
      this.repliesInFlight++;
      setTimeout(() => {
        this.replyQueue.push({ phone: SMS_VAULT.open(row.phone_enc), text: reply.text, state, surveyId: row.survey_id, round, rating: reply.rating });
      }, SETTINGS.replyMs + jitter(state.script.index, 4 + round, SETTINGS.replyJitterMs));
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
          for (const b of batch) {
            b.state.ratings.push({ surveyId: b.surveyId, round: b.round, rating: b.rating, at });
            if (b.rating === 'dissatisfied') this.dissatisfiedReplies++;
          }
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
          cp.accepted({ script, caseId: view.caseId, sentAt: t0, acceptedAt: t1, dispatchedTo: [], acks: {}, surveys: new Map(), ratings: [], badRatings: [] });
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


/** The season replay phase: services started, the season replayed, reconciled, services stopped; returns its summary (the plot is written). */
async function runSeason(): Promise<SeasonSummary> {
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
    // The authorities: a case's district answers to its county authority, else to its city's.
    for (const a of (await db.dispatch.query<{ id: string; level: string; region_code: string; city_code: string }>(`SELECT id, level, region_code, city_code FROM authority`)).rows) {
      if (a.level === 'city') cp.cityAuthority.set(a.city_code, a.id);
      else cp.countyAuthority.set(a.region_code, a.id);
    }
    const authorityOfCompany = new Map(
      (await db.dispatch.query<{ id: string; authority_id: string }>(`SELECT id, authority_id FROM company`)).rows.map((r) => [r.id, r.authority_id]),
    );

    const pids = () => ({ ...Object.fromEntries(running.map((r) => [r.service, r.child.pid])), bench: process.pid });
    const mem = new MemorySampler(pids);
    mem.start();
    const postgresBackends = new Map<number, string>();
    const noteBackends = async () => {
      const { rows } = await db.intake.query<{ pid: number; datname: string }>(`SELECT pid, datname FROM pg_stat_activity WHERE datname LIKE $1`, [`${tag}_%`]);
      for (const r of rows) postgresBackends.set(r.pid, `postgres:${r.datname.slice(tag.length + 1)}`);
    };

    // Pollers: hand dispatches (the authorities), survey SMS (the residents' phones), new bad ratings (the companies).
    let polling = true;
    const pollErrors: string[] = [];
    const poller = (async () => {
      while (polling) {
        try {
          await cp!.handDispatch(db.dispatch);
          await cp!.readSurveySms(db['sms-survey']);
          await cp!.pollBadRatings(db.dispatch);
          await noteBackends();
        } catch (e) {
          if (pollErrors.length < 10) pollErrors.push((e as Error).message);
        }
        await sleep(SETTINGS.pollMs);
      }
    })();

    const operatorToken = await tokens.sign({ sub: 'bench-operator', role: 'operator' }, 12 * 3600);
    const cpu0: CpuSnapshot = cpuSnapshot(pids());
    log('replay: sending the season as fast as intake answers');
    const load = await replayInputs(intakePool, operatorToken, cp, deadline);
    log(`load done in ${round((load.lastAnswer - load.firstSend) / 1000, 1)} s: ${JSON.stringify(load.answers)}`);

    // Wait until everything has settled, or nothing moved for stallMs. The province spot-checks the
    // approved reconsiderations once everything else has settled (the month after, in the season).
    let provinceRounds = 0;
    const progress = async () => {
      const q = async (p: pg.Pool, sql: string) => Number((await p.query(sql)).rows[0].n);
      const kpi = (
        await db.kpi.query(
          `SELECT coalesce(sum(dispatched),0)::int AS d, coalesce(sum(with_feedback),0)::int AS f, coalesce(sum(rated),0)::int AS r,
                  coalesce(sum(approved_reconsiderations),0)::int AS a, coalesce(sum(failed_spot_checks),0)::int AS s
             FROM unit_month WHERE unit_type = 'company'`,
        )
      ).rows[0] as { d: number; f: number; r: number; a: number; s: number };
      const all = [...cp!.cases.values()];
      const latestDissatisfiedApproved = all.filter((c) => {
        const last = [...c.ratings].sort((x, y) => x.round - y.round).pop();
        return last?.rating === 'dissatisfied' && c.badRatings.some((b) => b.approved);
      }).length;
      const p = {
        dispatchCases: await q(db.dispatch, `SELECT count(*)::int AS n FROM dispatch_case`),
        awaitingHand: await q(db.dispatch, `SELECT count(*)::int AS n FROM dispatch_case WHERE status = 'awaiting_manual_dispatch'`),
        webhooksAcked: all.filter((c) => c.webhookAt !== undefined).length,
        webhooksPending: await q(db.dispatch, `SELECT count(*)::int AS n FROM webhook_delivery WHERE status = 'pending'`),
        actionsInFlight: cp!.actionsInFlight,
        feedbacks: cp!.feedbacksSent,
        surveys: await q(db['sms-survey'], `SELECT count(*)::int AS n FROM survey`),
        laterRounds: await q(db['sms-survey'], `SELECT count(*)::int AS n FROM survey WHERE round > 1`),
        surveysRated: await q(db['sms-survey'], `SELECT count(*)::int AS n FROM survey WHERE status = 'rated'`),
        repliesInFlight: cp!.repliesInFlight,
        repliesSent: cp!.repliesSent,
        badRatings: await q(db.dispatch, `SELECT count(*)::int AS n FROM bad_rating`),
        badRatingsSeen: cp!.badRatings.size,
        rectifications: cp!.rectifications,
        undrawnApprovals: await q(db.dispatch, `SELECT count(*)::int AS n FROM bad_rating b WHERE status = 'reconsideration_approved' AND NOT EXISTS (SELECT 1 FROM spot_check s WHERE s.bad_rating_id = b.id)`),
        kpiDispatched: kpi.d,
        kpiWithFeedback: kpi.f,
        kpiRated: kpi.r,
        kpiApproved: kpi.a,
        kpiFailedSpotChecks: kpi.s,
      };
      const handRefused = all.filter((c) => c.handRefused).length;
      const casesRated = all.filter((c) => c.ratings.length > 0).length;
      const failedFindings = Object.entries(cp!.spotChecksRecorded).reduce((a, [f, n]) => a + (f === 'confirmed' ? 0 : n), 0);
      const dispatchesAcked = all.reduce((a, c) => a + c.dispatchedTo.length, 0);
      const beforeProvince =
        p.dispatchCases === load.casesCreated &&
        p.webhooksAcked + handRefused >= load.casesCreated &&
        p.webhooksPending === 0 &&
        p.actionsInFlight === 0 &&
        p.repliesInFlight === 0 &&
        p.surveys >= p.feedbacks &&
        p.laterRounds >= p.rectifications &&
        p.surveysRated >= p.repliesSent &&
        p.badRatings >= cp!.dissatisfiedReplies &&
        p.badRatingsSeen >= p.badRatings &&
        p.kpiDispatched >= dispatchesAcked - cp!.returnsDecided.approved &&
        p.kpiWithFeedback >= p.feedbacks &&
        p.kpiRated >= casesRated &&
        p.kpiApproved >= latestDissatisfiedApproved;
      const settled = beforeProvince && p.undrawnApprovals === 0 && p.kpiFailedSpotChecks >= failedFindings;
      return { p, beforeProvince, settled };
    };
    let last = '';
    let lastChange = Date.now();
    let settledAt = NaN;
    let stalled = false;
    for (;;) {
      const { p, beforeProvince, settled } = await progress();
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
      if (beforeProvince && p.undrawnApprovals > 0) {
        provinceRounds++;
        log(`province: spot checks of ${p.undrawnApprovals} approved reconsiderations`);
        await cp.spotChecks(db.dispatch).catch((e) => pollErrors.length < 10 && pollErrors.push(`spot checks: ${(e as Error).message}`));
        lastChange = Date.now();
        continue;
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
    const countsBy = async (p: pg.Pool, sql: string) => Object.fromEntries((await one(p, sql)).map((r) => [r.k, Number(r.n)])) as Record<string, number>;
    const intakeByType = Object.fromEntries((await one(db.intake, `SELECT type, count(*)::int AS n FROM complaint GROUP BY type`)).map((r) => [r.type, r.n]));
    const intakeCases = Object.entries(intakeByType).filter(([type]) => type !== 'consultation').reduce((a, [, n]) => a + Number(n), 0);
    const dispatchStatus = Object.fromEntries((await one(db.dispatch, `SELECT status, count(*)::int AS n FROM dispatch_case GROUP BY status`)).map((r) => [r.status, r.n]));
    const caseRows = new Map(
      (
        await one(
          db.dispatch,
          `SELECT id, city_code, complexity, (extract(epoch FROM received_at) * 1000)::float8 AS received, (extract(epoch FROM dispatched_at) * 1000)::float8 AS dispatched,
                  (extract(epoch FROM closed_at) * 1000)::float8 AS closed FROM dispatch_case`,
        )
      ).map((r) => [r.id as string, r as { id: string; city_code: string; complexity: string; received: number; dispatched: number | null; closed: number | null }]),
    );
    const dispatchCases = caseRows.size;
    const notInDispatch = cases.filter((c) => !caseRows.has(c.caseId)).length;
    // Every dispatch, as dispatch logged it: routed, by hand, re-dispatched after an approved return.
    const dispatchLog = new Map<string, Array<{ at: number; companyId: string; action: string }>>();
    for (const r of await one(
      db.dispatch,
      `SELECT case_id, action, detail->>'companyId' AS company_id, (extract(epoch FROM at) * 1000)::float8 AS at
         FROM case_action WHERE action IN ('routed', 'manual_dispatch', 'return_approved') ORDER BY id`,
    )) {
      const list = dispatchLog.get(r.case_id) ?? [];
      list.push({ at: Number(r.at), companyId: r.company_id, action: r.action });
      dispatchLog.set(r.case_id, list);
    }
    const neverAcked = cases.filter((c) => c.dispatchedTo.length === 0).length;
    const ackedMoreThanOnce = cases.filter((c) => Object.values(c.acks).some((n) => n > 1)).length;
    const dispatchesNotAcked = cases.filter((c) => (dispatchLog.get(c.caseId)?.map((d) => d.companyId).join(',') ?? '') !== c.dispatchedTo.join(',')).length;
    const dispatchedArrivals = cp.arrivals.filter((a) => a.type === 'case.dispatched');
    const ids = new Map<string, number>();
    for (const a of cp.arrivals) ids.set(a.webhookId, (ids.get(a.webhookId) ?? 0) + 1);
    const duplicateWebhookIds = [...ids.values()].filter((n) => n > 1).length;
    const arrivalsByType = cp.arrivals.reduce<Record<string, number>>((a, x) => ((a[x.type ?? '?'] = (a[x.type ?? '?'] ?? 0) + 1), a), {});
    const deliveryStatus = await countsBy(db.dispatch, `SELECT event_type || ' ' || status AS k, count(*)::int AS n FROM webhook_delivery GROUP BY 1`);
    const retriedDeliveries = Number((await one(db.dispatch, `SELECT count(DISTINCT delivery_id)::int AS n FROM webhook_attempt WHERE attempt > 1`))[0].n);
    const closed = Number(dispatchStatus.closed ?? 0);
    const requests = await countsBy(db.dispatch, `SELECT kind || ' ' || status || CASE WHEN decided_by = 'system' THEN ' by the system' ELSE '' END AS k, count(*)::int AS n FROM case_request GROUP BY 1`);
    const complexCases = Number((await one(db.dispatch, `SELECT count(*)::int AS n FROM dispatch_case WHERE complexity = 'complex'`))[0].n);
    const badRatingStatus = await countsBy(db.dispatch, `SELECT status AS k, count(*)::int AS n FROM bad_rating GROUP BY 1`);
    const spotCheckFindings = await countsBy(db.dispatch, `SELECT coalesce(finding, 'drawn, no finding') AS k, count(*)::int AS n FROM spot_check GROUP BY 1`);
    const surveyStatus = await countsBy(db['sms-survey'], `SELECT status || ' round ' || round AS k, count(*)::int AS n FROM survey GROUP BY 1`);
    const surveys = Number((await one(db['sms-survey'], `SELECT count(*)::int AS n FROM survey WHERE round = 1`))[0].n);
    const laterRoundSurveys = Number((await one(db['sms-survey'], `SELECT count(*)::int AS n FROM survey WHERE round > 1`))[0].n);
    const ratedRows = await one(db['sms-survey'], `SELECT id, case_id, round, rating, (extract(epoch FROM rated_at) * 1000)::float8 AS rated FROM survey WHERE status = 'rated'`);
    const rated = ratedRows.length;
    const ratedById = new Map(ratedRows.map((r) => [r.id as string, { rating: r.rating as Rating, at: Number(r.rated) }]));
    const surveyCasesDup = Number((await one(db['sms-survey'], `SELECT count(*)::int AS n FROM (SELECT case_id, round FROM survey GROUP BY case_id, round HAVING count(*) > 1) d`))[0].n);
    const kpiCases = Number((await one(db.kpi, `SELECT count(*)::int AS n FROM kpi_case`))[0].n);
    const kpiRows = await one(db.kpi, `SELECT unit_type, unit_id, month, ${COUNTER_COLUMNS.map((c) => `${c}::float8 AS ${c}`).join(', ')} FROM unit_month`);
    const queues: Record<string, number> = {};
    // Messages over the bus: outbox rows each service published, inbox rows each consumer handled (one hop each).
    const messages = { published: {} as Record<string, number>, handled: {} as Record<string, number>, handledPerSecond: 0, publishedPerSecond: 0 };
    for (const sv of SERVICES) {
      messages.published[sv] = Number((await one(db[sv], `SELECT count(*)::int AS n FROM outbox_message WHERE published_at IS NOT NULL`).catch(() => [{ n: 0 }]))[0].n);
      messages.handled[sv] = Number((await one(db[sv], `SELECT count(*)::int AS n FROM inbox_message`).catch(() => [{ n: 0 }]))[0].n);
    }

    // kpi's figures recomputed (bench/season/expected.ts) from what the replay did, with the times
    // the services stored (dispatch's log and closure, sms-survey's rating times).
    const expected = new ExpectedFigures();
    let ratingMismatches = 0;
    for (const c of cases) {
      const row = caseRows.get(c.caseId);
      const logged = dispatchLog.get(c.caseId) ?? [];
      if (!row || c.dispatchedTo.length === 0) continue;
      const dispatches: DispatchStep[] = c.dispatchedTo.map((companyId, k) => {
        const entry = logged.find((d) => d.companyId === companyId);
        const final = k === c.dispatchedTo.length - 1;
        return {
          at: final && row.dispatched !== null ? row.dispatched : entry?.at ?? NaN,
          companyId,
          authorityId: authorityOfCompany.get(companyId) ?? '?',
          cityCode: row.city_code,
          method: k === 0 ? (c.handDispatched ? 'manual' : 'auto') : 'manual',
          reason: '',
          dueAt: 0,
          ...(k > 0 ? { previousCompanyId: c.dispatchedTo[k - 1] } : {}),
        };
      });
      const surveysDone = c.ratings.map((r) => {
        const stored = ratedById.get(r.surveyId);
        if (!stored || stored.rating !== r.rating) ratingMismatches++;
        return { surveyId: r.surveyId, reason: 'closed' as const, sentAt: 0, ratedAt: stored?.at ?? r.at, rating: r.rating, via: 'sms' as const };
      });
      const badRatings = c.badRatings.map((b) => ({
        id: b.id,
        surveyId: '',
        steps: [
          ...(b.approved === true ? [{ step: 'reconsideration_decided' as const, at: 0, approved: true }] : []),
          ...(b.spotChecked ? [{ step: 'spot_checked' as const, at: 0, finding: b.spotChecked }] : []),
        ],
      }));
      const feedbackAt = c.feedbackAt !== undefined && row.closed !== null ? row.closed : null;
      expected.add({
        receivedAt: row.received,
        dispatches,
        feedback: feedbackAt === null ? null : { at: feedbackAt, resolution: c.script.feedback!.resolution, summary: '' },
        closedAt: feedbackAt,
        surveys: surveysDone,
        badRatings,
      } as unknown as SeasonCase);
    }
    const wantRows = new Map(expected.unitMonths().map((r) => [`${r.unit_type}|${r.unit_id}|${r.month}`, r]));
    const gotRows = new Map<string, Record<string, unknown>>(kpiRows.map((r) => [`${r.unit_type}|${r.unit_id}|${r.month}`, r]));
    let unitMismatches = 0;
    const mismatchExamples: string[] = [];
    for (const key of new Set([...wantRows.keys(), ...gotRows.keys()])) {
      const w = wantRows.get(key) as unknown as Record<string, number> | undefined;
      const g = gotRows.get(key);
      const diffs = COUNTER_COLUMNS.filter((col) => Math.round(Number(g?.[col] ?? 0)) !== Math.round(Number(w?.[col] ?? 0)));
      if (diffs.length) {
        unitMismatches++;
        if (mismatchExamples.length < 10) mismatchExamples.push(`${key}: ${diffs.map((d) => `${d} kpi ${g?.[d] ?? 0} vs replay ${w?.[d] ?? 0}`).join(', ')}`);
      }
    }
    const totalsWant = expected.totals().season as unknown as Record<string, number>;
    const sumKpi = (col: string) => kpiRows.filter((r) => r.unit_type === 'company').reduce((a, r) => a + Number(r[col]), 0);
    const kpiTotals = Object.fromEntries(COUNTER_COLUMNS.map((col) => [col, sumKpi(col)]));

    const feedbacks = cases.filter((c) => c.feedbackAt !== undefined).length;
    const replies = cases.reduce((a, c) => a + c.ratings.length, 0);
    const casesRated = cases.filter((c) => c.ratings.length > 0).length;
    const records = [...cp.badRatings.values()];
    const replayBadRatingStatus = records.reduce<Record<string, number>>((a, b) => ((a[b.status] = (a[b.status] ?? 0) + 1), a), {});
    const sameCounts = (a: Record<string, number>, b: Record<string, number>) =>
      [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => Number(a[k] ?? 0) === Number(b[k] ?? 0));
    const check = (what: string, ok: boolean, detail: string) => {
      if (!ok) problems.push(`${what}: ${detail}`);
      return { ok, detail };
    };
    const requestCount = (k: string) => Number(requests[k] ?? 0);
    const failedRecorded = Object.entries(cp.spotChecksRecorded).filter(([f]) => f !== 'confirmed').reduce((a, [, n]) => a + n, 0);
    const reconciliation = {
      complaintsAccepted: check('intake', intakeCases === load.casesCreated, `201 created ${load.casesCreated}, intake complaint rows (complaints and reports, not consultations) ${intakeCases}`),
      dispatchCases: check('dispatch cases', dispatchCases === load.casesCreated && notInDispatch === 0, `dispatch_case rows ${dispatchCases}, accepted cases missing there ${notInDispatch}`),
      dispatchedOnce: check(
        'webhooks',
        neverAcked === 0 && ackedMoreThanOnce === 0 && dispatchesNotAcked === 0 && duplicateWebhookIds === 0 && cp.badSignatures === 0,
        `cases without an acknowledged case.dispatched ${neverAcked}, a company's case.dispatched acknowledged more than once ${ackedMoreThanOnce}, ` +
          `cases whose acknowledged dispatches differ from dispatch's log ${dispatchesNotAcked}, webhook-ids acknowledged twice ${duplicateWebhookIds}, bad signatures ${cp.badSignatures}`,
      ),
      returnsDecided: check(
        'returns',
        requestCount('return approved') === cp.returnsDecided.approved &&
          requestCount('return rejected') === cp.returnsDecided.rejected &&
          requestCount('return pending') === 0 &&
          cp.returnsRequested === cp.returnsDecided.approved + cp.returnsDecided.rejected &&
          Number(arrivalsByType['case.return_decided'] ?? 0) === cp.returnsRequested &&
          Number(dispatchedArrivals.length) === cases.reduce((a, c) => a + c.dispatchedTo.length, 0),
        `requested ${cp.returnsRequested}; decided approved ${cp.returnsDecided.approved} / rejected ${cp.returnsDecided.rejected} (dispatch: ${requestCount('return approved')} / ${requestCount('return rejected')}, pending ${requestCount('return pending')}); ` +
          `case.return_decided webhooks ${arrivalsByType['case.return_decided'] ?? 0}; re-dispatches acknowledged ${cases.filter((c) => c.dispatchedTo.length > 1).length}`,
      ),
      extensionsDecided: check(
        'extensions',
        requestCount('extension approved') === cp.extensionsDecided.approved &&
          requestCount('extension rejected') === cp.extensionsDecided.rejected &&
          requestCount('extension pending') === 0 &&
          requestCount('extension rejected by the system') === 0 &&
          cp.extensionsRequested === cp.extensionsDecided.approved + cp.extensionsDecided.rejected &&
          Number(arrivalsByType['case.extension_decided'] ?? 0) === cp.extensionsRequested,
        `requested ${cp.extensionsRequested}; decided approved ${cp.extensionsDecided.approved} / rejected ${cp.extensionsDecided.rejected} (dispatch: ${requestCount('extension approved')} / ${requestCount('extension rejected')}, ` +
          `pending ${requestCount('extension pending')}, closed undecided ${requestCount('extension rejected by the system')}); case.extension_decided webhooks ${arrivalsByType['case.extension_decided'] ?? 0}`,
      ),
      complexGrades: check(
        'grades',
        complexCases === cp.grades && Number(arrivalsByType['case.regraded'] ?? 0) === cp.grades,
        `graded complex ${cp.grades}, dispatch complex cases ${complexCases}, case.regraded webhooks ${arrivalsByType['case.regraded'] ?? 0}`,
      ),
      feedbacksSurveyed: check('surveys', feedbacks === closed && surveys === feedbacks && surveyCasesDup === 0, `feedbacks accepted ${feedbacks}, dispatch closed ${closed}, round-1 surveys ${surveys}, (case, round) twice ${surveyCasesDup}`),
      rectificationsResurveyed: check('round-2 surveys', laterRoundSurveys === cp.rectifications, `rectifications accepted ${cp.rectifications}, surveys of round 2 and later ${laterRoundSurveys}`),
      ratingsCountedOnce: check(
        'ratings',
        replies === rated && ratingMismatches === 0 && kpiTotals.rated === casesRated,
        `replies accepted ${replies}, surveys rated ${rated}, rated with another rating or not at all ${ratingMismatches}; cases rated ${casesRated}, kpi rated (company rows) ${kpiTotals.rated}`,
      ),
      badRatings: check(
        'bad ratings',
        Number(Object.values(badRatingStatus).reduce((a, n) => a + n, 0)) === cp.dissatisfiedReplies && sameCounts(badRatingStatus, replayBadRatingStatus) && cp.unknownBadRatings === 0,
        `不满意 replies ${cp.dissatisfiedReplies}; by outcome, dispatch ${JSON.stringify(badRatingStatus)} vs replay ${JSON.stringify(replayBadRatingStatus)}; for a survey the replay did not send ${cp.unknownBadRatings}`,
      ),
      spotChecks: check(
        'spot checks',
        sameCounts(Object.fromEntries(Object.entries(spotCheckFindings).filter(([k]) => k !== 'drawn, no finding')), cp.spotChecksRecorded) &&
          Object.values(spotCheckFindings).reduce((a, n) => a + n, 0) === cp.spotChecksDrawn &&
          kpiTotals.failed_spot_checks === failedRecorded,
        `drawn ${cp.spotChecksDrawn}; findings recorded ${JSON.stringify(cp.spotChecksRecorded)} (dispatch ${JSON.stringify(spotCheckFindings)}); kpi failed_spot_checks ${kpiTotals.failed_spot_checks} vs recorded ${failedRecorded}`,
      ),
      kpiFigures: check(
        'kpi figures',
        unitMismatches === 0 && kpiCases === dispatchCases - Number(dispatchStatus.awaiting_manual_dispatch ?? 0),
        `unit_month rows (company, authority, city × month) whose counters differ from bench/season/expected.ts over what the replay did ${unitMismatches} of ${new Set([...wantRows.keys(), ...gotRows.keys()]).size}; kpi_case ${kpiCases}; ` +
          `approved_reconsiderations kpi ${kpiTotals.approved_reconsiderations} vs replay ${totalsWant.approved_reconsiderations}, failed_spot_checks kpi ${kpiTotals.failed_spot_checks} vs replay ${totalsWant.failed_spot_checks}`,
      ),
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

    const summary: SeasonSummary = {
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
        webhooksByType: arrivalsByType,
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
        returns: { requested: cp.returnsRequested, ...cp.returnsDecided, approvalsRefusedAndRejected: cp.returnApprovalsRefused },
        extensions: { requested: cp.extensionsRequested, ...cp.extensionsDecided },
        gradedComplex: cp.grades,
        authorityDecisionsByCityAuthority: cp.decisionsByCity,
        caseRequests: requests,
        badRatingsByOutcome: badRatingStatus,
        rectifications: cp.rectifications,
        laterRoundSurveys,
        spotChecks: { drawn: cp.spotChecksDrawn, findingsRecorded: cp.spotChecksRecorded, provinceRounds },
        kpiCompanyTotals: kpiTotals,
        counterpartErrors: cp.actionErrors,
        pollErrors,
      },
      messages: {
        ...messages,
        handledPerSecond: round(Object.values(messages.handled).reduce((a, n) => a + n, 0) / Math.max(1e-9, wallS), 1),
        publishedPerSecond: round(Object.values(messages.published).reduce((a, n) => a + n, 0) / Math.max(1e-9, wallS), 1),
        note: 'outbox rows published and inbox rows handled per service over the run; per second of wall time',
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
    log(`${problems.length === 0 ? 'reconciled' : `NOT reconciled: ${problems.join(' | ')}`}; plot ${plot}`);
    return summary;
  } finally {
    await cleanup();
    disarm();
  }
}

type SeasonSummary = Record<string, unknown> & { wallSeconds: number; reconciled: boolean; problems: string[]; timeline: unknown };

// ------------------------------------------------------------------------------------------------
// the other phases of the run: the machine's ceiling, intake, intake → webhook
// ------------------------------------------------------------------------------------------------

/**
 * The season's own complaint.received payloads (as intake publishes them: the generator's events),
 * the first `n` complaints of the season; fewer if the season has fewer (the hop then cycles them).
 */
function seasonComplaintPayloads(n: number): ComplaintReceivedV1[] {
  const season = generateSeason({ seed: SETTINGS.seed, complaints: Math.max(1, SETTINGS.complaints), consultations: 0 });
  const out: ComplaintReceivedV1[] = [];
  for (const c of season.cases()) {
    out.push(c.events[0].payload as unknown as ComplaintReceivedV1);
    if (out.length >= n) break;
  }
  return out;
}

async function ceilingPhase(): Promise<Record<string, unknown>> {
  const { runMessagingHop } = await import('./messaging-hop.js');
  const p = PHASE_SETTINGS.ceiling;
  const payloads = seasonComplaintPayloads(Math.max(p.throughputEvents, p.latencyRate * p.latencySeconds));
  log(`ceiling: bench/messaging-hop.ts with ${payloads.length.toLocaleString('en')} of the season's complaint.received payloads, ${p.runs} run(s)`);
  // A new caseId per use when the season has fewer complaints than the hop sends (kpi stores each once per message anyway).
  return runMessagingHop({
    ...p,
    payloads: (i) => (i < payloads.length ? payloads[i] : { ...payloads[i % payloads.length], caseId: randomUUID() }),
  });
}

async function intakePhase(): Promise<Record<string, unknown>> {
  const { runIntakeLoad } = await import('./intake-load.js');
  const p = PHASE_SETTINGS.intake;
  log(`intake: bench/intake-load.ts, saturation ${p.saturationSeconds} s and ${p.steadyRate}/s for ${p.steadySeconds} s, ${p.runs} run(s)`);
  return runIntakeLoad({ ...p, progress: (line) => log(`  ${line.trim()}`) });
}

async function endToEndPhase(): Promise<Record<string, unknown>> {
  const { runDispatchLatency } = await import('./dispatch-latency.js');
  const p = PHASE_SETTINGS.endToEnd;
  log(`intake → webhook: bench/dispatch-latency.ts at ${p.rate}/s for ${p.seconds} s, ${p.runs} run(s)`);
  return runDispatchLatency(p);
}

/** The phases' headline figures side by side, and the season's throughput as a ratio of the ceiling. */
function comparison(season: SeasonSummary | undefined, phases: Record<string, Record<string, unknown> | undefined>): Record<string, unknown> {
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
  const ratio = (a: number | undefined, b: number | undefined, digits = 3) => (a !== undefined && b !== undefined && b > 0 ? round(a / b, digits) : null);
  const hop = (phases.ceiling?.medians ?? {}) as Record<string, unknown>;
  const hopLat = (hop.hopLatencyMs ?? {}) as Record<string, unknown>;
  const hopPerSec = num(hop.hopEventsPerSec);
  const out: Record<string, unknown> = {
    note: 'medians of each phase\'s runs; the season is one run. Throughput ratios are x / the ceiling hop\'s events/s (outbox → RabbitMQ → inbox, the season\'s complaint.received payloads)',
    ceiling: phases.ceiling
      ? { hopEventsPerSec: hopPerSec ?? null, hopLatencyMs: { p50: hopLat.p50 ?? null, p99: hopLat.p99 ?? null }, baselineAmqpOnlyEventsPerSec: hop.baselineEventsPerSec ?? null }
      : 'not run',
  };
  if (season) {
    const counts = season.counts as Record<string, unknown>;
    const wall = season.wallSeconds;
    const handled = num((season.messages as Record<string, unknown> | undefined)?.handledPerSecond);
    out.season = {
      wallSeconds: wall,
      casesAccepted: counts.casesAccepted,
      casesPerSec: round(Number(counts.casesAccepted) / Math.max(1e-9, wall), 1),
      messagesHandledPerSec: handled ?? null,
      messagesHandledToCeiling: ratio(handled, hopPerSec),
      casesPerSecToCeiling: ratio(Number(counts.casesAccepted) / Math.max(1e-9, wall), hopPerSec),
      reconciled: season.reconciled,
    };
  } else out.season = 'not run';
  if (phases.intake) {
    const m = phases.intake.median as Record<string, number>;
    out.intake = { acceptedPerSecAtSaturation: m.acceptedPerSec, toCeiling: ratio(num(m.acceptedPerSec), hopPerSec), steadyRate: m.steadyRate, steadyP50Ms: m.steadyP50Ms, steadyP99Ms: m.steadyP99Ms };
  } else out.intake = 'not run';
  if (phases.endToEnd) {
    const lat = ((phases.endToEnd.median as Record<string, unknown>)?.latencyMs ?? {}) as Record<string, number>;
    const settings = phases.endToEnd.settings as Record<string, unknown>;
    out.endToEnd = {
      rate: settings?.rate,
      p50Ms: lat.p50,
      p99Ms: lat.p99,
      p50ToCeilingHopP50: ratio(num(lat.p50), num(hopLat.p50), 1),
      p99ToCeilingHopP99: ratio(num(lat.p99), num(hopLat.p99), 1),
    };
  } else out.endToEnd = 'not run';
  return out;
}

function writeResult(result: Record<string, unknown>): void {
  mkdirSync(dirname(RESULT_FILE), { recursive: true });
  writeFileSync(`${RESULT_FILE}.tmp`, JSON.stringify(result, null, 2) + '\n');
  renameSync(`${RESULT_FILE}.tmp`, RESULT_FILE);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  log(`phases: ${Object.entries(PHASES).map(([k, on]) => `${k} ${on ? 'on' : 'off'}`).join(', ')}`);
  let season: SeasonSummary | undefined;
  const phases: Record<string, Record<string, unknown> | undefined> = {};
  const result = (): Record<string, unknown> => ({
    ...(season ?? { benchmark: 'season replay (issue 8)', season: 'not run (BENCH_PHASE_SEASON=off)' }),
    run: { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), phases: PHASES, phaseSettings: PHASE_SETTINGS, order: PHASE_ORDER },
    comparison: comparison(season, phases),
    phases,
  });
  const failures: string[] = [];
  for (const name of PHASE_ORDER) {
    if (!PHASES[name]) continue;
    try {
      if (name === 'season') season = await runSeason();
      else if (name === 'ceiling') phases.ceiling = await ceilingPhase();
      else if (name === 'intake') phases.intake = await intakePhase();
      else phases.endToEnd = await endToEndPhase();
    } catch (e) {
      // A failed phase is recorded, and the run goes on with the next one.
      failures.push(`${name}: ${(e as Error).message}`);
      log(`phase ${name} failed: ${(e as Error).stack ?? e}`);
      if (name !== 'season') phases[name] = { error: (e as Error).message };
    }
    writeResult(result()); // after every phase, so a later failure loses nothing
  }
  const final = result();
  writeResult(final);
  const { timeline: _timeline, phases: _phases, ...short } = final;
  void _timeline;
  void _phases;
  process.stdout.write(JSON.stringify(short, null, 2) + '\n');
  log(`written ${RESULT_FILE}${failures.length ? `; failed phases: ${failures.join(' | ')}` : ''}`);
  if (season && !season.reconciled) log(`season NOT reconciled: ${season.problems.join(' | ')}`);
  if (failures.length || (season && !season.reconciled)) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    process.stderr.write(`season replay failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
