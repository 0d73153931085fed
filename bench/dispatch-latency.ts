/*
 * Benchmark (issue 4): intake → company webhook latency on the real services, real PostgreSQL and
 * real RabbitMQ. Target: p99 ≤ 300 ms at a steady 200 complaints/s.
 *
 *   bench ──POST /api/v1/complaints──▶ intake (production process) ──outbox relay──▶ RabbitMQ
 *         ──heating.dispatch──▶ dispatch (production process): Inbox.once → CaseDispatcher.dispatch
 *         (route, case, case.dispatched outbox row, webhook_delivery row; one transaction)
 *         ──commit kicks WebhookDispatcher──▶ claim → signed POST ──▶ receiver in this process
 *
 * intake and dispatch run as production processes (node dist/apps/<service>/src/main.js), each on a
 * fresh database, both in one fresh RabbitMQ vhost, with production defaults (DATABASE_POOL_SIZE 10,
 * AMQP_PREFETCH 32, OUTBOX_POLL_MS 500, webhook concurrency 16 / 1 per company). dispatch loads the
 * demo registry (SEED_DEMO_DATA=true, 647 companies) and may post webhooks to 127.0.0.1
 * (WEBHOOK_ALLOW_PRIVATE_TARGETS=true). sms-survey and kpi are not started: every service declares the
 * whole topology (libs/shared/src/messaging/rmq/topology.ts), so intake alone creates their queues
 * and bindings, and their copies of the events wait there (the broker still fans out to all queues).
 * BENCH_ALL_SERVICES=true starts them too (an experiment; its result goes elsewhere, see RESULT_FILE).
 *
 * A node:http receiver in this process is the webhook endpoint of BENCH_COMPANIES (20) demo companies
 * (PUT /api/v1/companies/me/webhook with each company's token); it records the arrival time, the
 * webhook-id and data.caseId, and answers 204 at once (signatures are not checked). Complaints go to
 * the non-ambiguous communities of those companies, round robin, one distinct caller phone each.
 *
 * Each run: wait for an idle machine; BENCH_RATE (200) complaints/s for BENCH_SECONDS (30) s,
 * open loop (sends are scheduled by time, at most maxInFlight outstanding). Latency per case = webhook
 * arrival − send start (the caseId comes back in the 201). A case whose webhook has not arrived 30 s
 * after the last send counts in missingAfterGrace; the script then waits up to 2 more minutes so that
 * late webhooks still get a latency (neverArrived counts the rest). The per-case timestamps the
 * services store split the latency into segments (intake complaint.received_at, intake
 * outbox_message.published_at, dispatch inbox_message.handled_at, dispatch_case.dispatched_at,
 * webhook_delivery.created_at, webhook_attempt.at). One warm-up, then 3 runs; medians reported; then
 * one run at each BENCH_SWEEP_RATES (100, 150) to see where the knee is. A run during which
 * processes other than ours, PostgreSQL and RabbitMQ used more than 0.2 cores (from /proc) is
 * repeated, up to 3 attempts, and flagged if it stays disturbed.
 *
 * Diagnostics in the JSON (not part of the latency): per-second throughput of each stage; backlog
 * samples (heating.dispatch ready messages, unpublished intake outbox rows, pending and leased
 * webhook deliveries); what dispatch's database connections are doing (pg_stat_activity every
 * 100 ms); CPU per process group, with the PostgreSQL backends of each service's database apart;
 * the webhook dispatcher's claims and per-company turnaround, estimated from webhook_attempt rows;
 * and statements per complaint by kind with their mean round trip, plus waits for a pooled
 * connection, from a counter loaded into intake and dispatch with `node --import` (STATEMENT_COUNTER,
 * written to the temp directory at run time; BENCH_COUNT_STATEMENTS=false turns it off).
 *
 * Build and run: `npm run bench:dispatch` (= npm run build, tsc -p bench/tsconfig.json, node
 * bench/dist/bench/dispatch-latency.js). Output: JSON on stdout and bench/results/dispatch-latency.json
 * (variants and smaller runs write to the temp directory, or BENCH_RESULT_FILE). Needs root
 * (rabbitmqctl add_vhost); only 127.0.0.1 is contacted; the vhost and databases are removed at the
 * end. No production code is changed.
 *
 * runDispatchLatency(overrides) is the same measurement as a function (bench/season-replay.ts runs
 * it as one of its phases, with its own sizes); the command's output and file are as before.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { connect } from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import pg from 'pg';
import { Pool } from 'undici';
import { queueOf, TokenService } from '#shared';
import { buildDemoRegistry } from '../apps/dispatch/src/registry/demo-registry.js';
import type { DemoCommunity, DemoCompany } from '../apps/dispatch/src/registry/demo-registry.js';
import { AMQP_URL, createVhost, dropDatabase, freshDatabase, PG_URL } from '../test/support/infra.js';
import { cpuBreakdown, cpuSnapshot, waitForQuiet as waitForIdle } from './support/cpu.js';
import { latencyStats, median, medians, round } from './support/stats.js';
import type { LatencyStats } from './support/stats.js';
import { abortOnBudgetOrSignal, assertLocalServices, removeVhost as removeVhostOf, startServiceProcess as startServiceProcessIn, stopServiceProcess } from './support/services.js';
import type { Running, Service } from './support/services.js';
import { isEntryPoint } from './support/entry.js';
import { intEnv, REPO_ROOT as ROOT } from './support/env.js';

/** This benchmark reports p50 / p90 / p99. */
const latency90 = (values: number[]): LatencyStats => latencyStats(values, 90);

const ALL_SERVICES = process.env.BENCH_ALL_SERVICES === 'true';
const SETTINGS = {
  runs: intEnv('BENCH_RUNS', 3),
  rate: intEnv('BENCH_RATE', 200),
  seconds: intEnv('BENCH_SECONDS', 30),
  warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', 10),
  /** After the runs at `rate`: one run at each of these rates (where the knee is); BENCH_SWEEP_RATES=none to skip. */
  sweepRates: (process.env.BENCH_SWEEP_RATES ?? '100,150')
    .split(',')
    .filter((x) => x && x !== 'none')
    .map(Number),
  companies: intEnv('BENCH_COMPANIES', 20),
  /** Open loop: at most this many complaints outstanding; a send beyond it is late (reported as schedule lag). */
  maxInFlight: 400,
  /** HTTP connections from the benchmark to intake (keep-alive). */
  intakeConnections: 64,
  /** After the last send, how long every webhook may take to arrive before it counts as missing. */
  arrivalGraceMs: 30_000,
  /** Webhooks still missing after the grace are waited for this much longer, so their latency is known. */
  lateWaitMs: 120_000,
  /** Backlog sampling period during a run (queue depth, pending deliveries, unpublished outbox rows). */
  sampleEveryMs: 250,
  /** pg_stat_activity sampling period on dispatch's database during a run (what its connections are doing). */
  activityEveryMs: 100,
  /** Target of issue 4. */
  targetP99Ms: 300,
  budgetMs: intEnv('BENCH_BUDGET_S', 3_600) * 1000,
  quietWaitMs: intEnv('BENCH_QUIET_WAIT_S', 300) * 1000,
  /** Idle means: all CPU use on the machine below this (cores) over one second. */
  quietBelowCores: 0.25,
  /** A run during which processes other than ours, PostgreSQL and RabbitMQ used more is repeated. */
  foreignCpuLimitCores: 0.2,
  attemptsPerRun: 3,
};

const VARIANT = [
  ALL_SERVICES ? 'all-services' : '',
  process.env.BENCH_DATABASE_POOL_SIZE ? `pool-${process.env.BENCH_DATABASE_POOL_SIZE}` : '',
  process.env.BENCH_AMQP_PREFETCH ? `prefetch-${process.env.BENCH_AMQP_PREFETCH}` : '',
  ['BENCH_RUNS', 'BENCH_RATE', 'BENCH_SECONDS', 'BENCH_WARMUP_SECONDS', 'BENCH_COMPANIES'].some((k) => process.env[k]) ? 'custom-size' : '',
  process.env.BENCH_PROFILE_DIR ? 'profiled' : '',
]
  .filter(Boolean)
  .join('.');
/** The reference run writes bench/results/; variants and smaller runs write to the temp directory (or BENCH_RESULT_FILE). */
const RESULT_FILE =
  process.env.BENCH_RESULT_FILE ||
  (VARIANT ? join(os.tmpdir(), `dispatch-latency.${VARIANT}.json`) : join(ROOT, 'bench', 'results', 'dispatch-latency.json'));
/** BENCH_DUMP_DIR=dir: also write each run's per-case timestamps (CSV), for diagnosis. */
const DUMP_DIR = process.env.BENCH_DUMP_DIR;
/** BENCH_PROFILE_DIR=dir: run intake and dispatch with --cpu-prof (profiles written there when they stop). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** BENCH_COUNT_STATEMENTS=false: run the services without the statement counter (see STATEMENT_COUNTER). */
const COUNT_STATEMENTS = process.env.BENCH_COUNT_STATEMENTS !== 'false';

const SECRET = 'bench-dispatch-secret-0123456789-abcdefghij';
/** Production defaults, spelled out (libs/shared/src/config/service-config.ts). */
const SERVICE_ENV: Record<string, string> = {
  HEATING_MODE: 'production',
  AUTH_SECRET: SECRET,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  MESSAGE_RETRY_DELAYS_MS: '1000,10000,60000',
  AMQP_PREFETCH: process.env.BENCH_AMQP_PREFETCH || '32',
  DATABASE_POOL_SIZE: process.env.BENCH_DATABASE_POOL_SIZE || '10',
  OUTBOX_POLL_MS: '500',
  SEED_DEMO_DATA: 'false',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false',
};
const SERVICE_OVERRIDES: Record<string, Record<string, string>> = {
  dispatch: { SEED_DEMO_DATA: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wall-clock milliseconds with sub-millisecond resolution (comparable with PostgreSQL timestamps: same host clock). */
const wallNow = () => performance.timeOrigin + performance.now();
const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// ------------------------------------------------------------------------------------------------
// statistics (as in bench/messaging-hop.ts, plus p90)
// ------------------------------------------------------------------------------------------------

function checkDeadline(deadline: number, what: string): void {
  if (Date.now() > deadline) throw new Error(`time budget exceeded during ${what}`);
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, intervalMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ------------------------------------------------------------------------------------------------
// services as production processes
// ------------------------------------------------------------------------------------------------

/**
 * Diagnostics loaded into intake and dispatch with `node --import` (written to the temp directory at
 * run time; no production code is changed): wraps pg's Client.prototype.query and Pool.prototype.connect
 * (the driver TypeORM uses) to count statements by kind with their round-trip time (call → result,
 * as TypeORM awaits it), and to time waits for a pooled connection. Every 250 ms it writes the totals
 * to BENCH_STATEMENTS_FILE; the benchmark takes the difference over a run.
 */
const STATEMENT_COUNTER = `
import { createRequire } from 'node:module';
import { writeFileSync, renameSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
const require = createRequire(process.cwd() + '/package.json');
const pg = require('pg');
const file = process.env.BENCH_STATEMENTS_FILE;
const statements = {};
const poolWait = { count: 0, sumMs: 0, maxMs: 0, buckets: {} };
function kind(sql) {
  const t = String(sql).replace(/\\s+/g, ' ').trim();
  let m;
  if ((m = /^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK)/i.exec(t))) return m[1].toUpperCase();
  if ((m = /^WITH (\\w+)/i.exec(t))) {
    const dml = /(INSERT INTO|UPDATE(?! OF)|DELETE FROM) "?(\\w+)/i.exec(t);
    return 'WITH ' + m[1] + (dml ? ' … ' + dml[1].split(' ')[0].toUpperCase() + ' ' + dml[2] : '');
  }
  if ((m = /^INSERT INTO "?(\\w+)/i.exec(t))) return 'INSERT ' + m[1];
  if ((m = /^UPDATE "?(\\w+)"? SET "?(\\w+)/i.exec(t))) return 'UPDATE ' + m[1] + ' SET ' + m[2];
  if ((m = /^DELETE FROM "?(\\w+)/i.exec(t))) return 'DELETE ' + m[1];
  if ((m = /^SELECT (pg_advisory\\w+|nextval)/i.exec(t))) return 'SELECT ' + m[1];
  if ((m = /^SELECT .*? FROM "?(\\w+)"?/i.exec(t))) return 'SELECT ' + m[1] + (/FOR UPDATE/i.test(t) ? ' FOR UPDATE' : '');
  return t.slice(0, 40);
}
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const k = kind(typeof config === 'string' ? config : config && config.text);
  const s = (statements[k] ??= { count: 0, sumMs: 0 });
  s.count++;
  const t0 = performance.now();
  const result = query.call(this, config, values, callback);
  if (result && typeof result.then === 'function') result.then(() => (s.sumMs += performance.now() - t0), () => (s.sumMs += performance.now() - t0));
  return result;
};
const connect = pg.Pool.prototype.connect;
pg.Pool.prototype.connect = function (callback) {
  const t0 = performance.now();
  const done = () => {
    const ms = performance.now() - t0;
    poolWait.count++;
    poolWait.sumMs += ms;
    poolWait.maxMs = Math.max(poolWait.maxMs, ms);
    const b = ms < 1 ? 0 : Math.ceil(Math.log2(ms));
    poolWait.buckets[b] = (poolWait.buckets[b] ?? 0) + 1;
  };
  if (typeof callback === 'function') return connect.call(this, (...args) => { done(); callback(...args); });
  const p = connect.call(this);
  p.then(done, done);
  return p;
};
setInterval(() => {
  writeFileSync(file + '.tmp', JSON.stringify({ statements, poolWait }));
  renameSync(file + '.tmp', file);
}, 250).unref();
`;

interface StatementTotals {
  statements: Record<string, { count: number; sumMs: number }>;
  poolWait: { count: number; sumMs: number; maxMs: number; buckets: Record<string, number> };
}

function readStatementTotals(r: Running): StatementTotals | undefined {
  if (!r.statementsFile) return undefined;
  try {
    return JSON.parse(readFileSync(r.statementsFile, 'utf8')) as StatementTotals;
  } catch {
    return undefined;
  }
}

/** Per complaint: statements by kind (count and mean round trip), and the waits for a pooled connection. */
function statementDelta(a: StatementTotals | undefined, b: StatementTotals | undefined, cases: number): Record<string, unknown> | undefined {
  if (!a || !b) return undefined;
  const kinds: Array<[string, number, number]> = [];
  let total = 0;
  for (const [k, v] of Object.entries(b.statements)) {
    const count = v.count - (a.statements[k]?.count ?? 0);
    if (count <= 0) continue;
    total += count;
    kinds.push([k, count, (v.sumMs - (a.statements[k]?.sumMs ?? 0)) / count]);
  }
  kinds.sort((x, y) => y[1] - x[1]);
  const waits = b.poolWait.count - a.poolWait.count;
  const buckets: Array<[number, number]> = Object.entries(b.poolWait.buckets)
    .map(([k, v]) => [Number(k), v - (a.poolWait.buckets[k] ?? 0)] as [number, number])
    .sort((x, y) => x[0] - y[0]);
  const bucketPercentile = (p: number) => {
    let seen = 0;
    for (const [k, v] of buckets) {
      seen += v;
      if (seen >= (p / 100) * waits) return k === 0 ? 1 : 2 ** k;
    }
    return NaN;
  };
  return {
    statementsPerComplaint: round(total / cases, 1),
    byKind: Object.fromEntries(kinds.map(([k, count, mean]) => [k, { perComplaint: round(count / cases, 2), meanRoundTripMs: round(mean) }])),
    poolConnectWait: {
      perComplaint: round(waits / cases, 2),
      meanMs: round((b.poolWait.sumMs - a.poolWait.sumMs) / Math.max(1, waits)),
      p50AtMostMs: bucketPercentile(50),
      p90AtMostMs: bucketPercentile(90),
      p99AtMostMs: bucketPercentile(99),
    },
  };
}

async function startServiceProcess(service: Service, amqpUrl: string, databaseName: string, databaseUrl: string): Promise<Running> {
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${service}.${Date.now()}.cpuprofile`] : [];
  let counter: string[] = [];
  let statementsFile: string | undefined;
  if (COUNT_STATEMENTS && (service === 'intake' || service === 'dispatch')) {
    const preload = join(os.tmpdir(), `bench-dispatch-latency-counter-${process.pid}.mjs`);
    writeFileSync(preload, STATEMENT_COUNTER);
    statementsFile = join(os.tmpdir(), `bench-dispatch-latency-${process.pid}-${service}.json`);
    counter = ['--import', pathToFileURL(preload).href];
  }
  return startServiceProcessIn(service, {
    root: ROOT,
    amqpUrl,
    databaseName,
    databaseUrl,
    env: { ...SERVICE_ENV, ...(SERVICE_OVERRIDES[service] ?? {}), ...(statementsFile ? { BENCH_STATEMENTS_FILE: statementsFile } : {}) },
    nodeArgs: [...profile, ...counter],
    statementsFile,
  });
}

/** Deletes the vhost; if RabbitMQ is briefly stopped (another test's stop_app), waits up to 2 min for it. */
const removeVhost = (vhost: string) => removeVhostOf(vhost, log);

// ------------------------------------------------------------------------------------------------
// the webhook receiver (the companies' duty systems)
// ------------------------------------------------------------------------------------------------

interface Arrival {
  at: number;
  webhookId: string;
  caseId: string | undefined;
  type: string | undefined;
}

class Receiver {
  arrivals: Arrival[] = [];
  malformed = 0;
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = wallNow();
        res.writeHead(204).end();
        const webhookId = String(req.headers['webhook-id'] ?? '');
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type?: string; data?: { caseId?: string } };
          this.arrivals.push({ at, webhookId, caseId: body.data?.caseId, type: body.type });
        } catch {
          this.malformed++;
        }
      });
    });
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

// ------------------------------------------------------------------------------------------------
// the load
// ------------------------------------------------------------------------------------------------

interface Target {
  company: DemoCompany;
  community: DemoCommunity;
}

/** BENCH_COMPANIES companies spread over the registry (all cities), and their communities with a clear owner. */
function pickTargets(): { companies: DemoCompany[]; targets: Target[] } {
  const registry = buildDemoRegistry();
  const step = registry.companies.length / SETTINGS.companies;
  const companies = Array.from({ length: SETTINGS.companies }, (_, k) => registry.companies[Math.floor(k * step)]);
  const targets: Target[] = [];
  // Interleave companies so consecutive complaints go to different companies.
  for (let m = 0; m < 3; m++) {
    for (const company of companies) {
      const community = registry.communities.filter((c) => c.companyId === company.id)[m];
      if (community && !community.unclearOwner) targets.push({ company, community });
    }
  }
  return { companies, targets };
}

let serial = 0;
function complaintBody(target: Target): string {
  serial++;
  return JSON.stringify({
    callerPhone: `139${String(serial).padStart(8, '0')}`,
    type: 'complaint',
    category: serial % 2 ? 'too_cold' : 'heating_not_started',
    communityName: target.community.name,
    address: {
      cityCode: target.company.cityCode,
      districtCode: target.community.districtCode,
      street: `中山路 ${serial % 200} 号`,
      building: '3 号楼',
      unit: '2 单元',
      room: String(100 + (serial % 900)),
    },
    description: '卧室温度只有 15 度，暖气片上热下凉',
    ...(serial % 2 ? { indoorTemperatureC: 15.5 } : { daysWithoutHeat: 2 }),
  });
}

interface Sent {
  i: number;
  sentAt: number;
  respondedAt: number;
  status: number;
  caseId?: string;
}

interface Bench {
  deadline: number;
  intake: Running;
  dispatch: Running;
  others: Running[];
  pool: Pool;
  operatorToken: string;
  targets: Target[];
  receiver: Receiver;
  intakeDb: pg.Pool;
  dispatchDb: pg.Pool;
  adminCh: Channel;
}

/** Sends `n` complaints at `rate`/s on a fixed schedule (complaint i is due at start + i/rate). */
async function steadyLoad(b: Bench, n: number, rate: number): Promise<{ sent: Sent[]; maxScheduleLagMs: number; issueSeconds: number; firstSend: number; lastSend: number }> {
  const interval = 1000 / rate;
  const sent: Sent[] = [];
  const settled: Promise<void>[] = [];
  const start = wallNow();
  let issued = 0;
  let inFlight = 0;
  let maxLagMs = 0;
  while (issued < n) {
    checkDeadline(b.deadline, 'steady load');
    const due = Math.min(n, Math.floor((wallNow() - start) / interval) + 1);
    while (issued < due && inFlight < SETTINGS.maxInFlight) {
      const i = issued++;
      const body = complaintBody(b.targets[i % b.targets.length]);
      const record: Sent = { i, sentAt: wallNow(), respondedAt: NaN, status: 0 };
      maxLagMs = Math.max(maxLagMs, record.sentAt - (start + i * interval));
      sent.push(record);
      inFlight++;
      settled.push(
        b.pool
          .request({
            path: '/api/v1/complaints',
            method: 'POST',
            headers: { authorization: `Bearer ${b.operatorToken}`, 'content-type': 'application/json' },
            body,
          })
          .then(async (res) => {
            const json = (await res.body.json()) as { caseId?: string };
            record.respondedAt = wallNow();
            record.status = res.statusCode;
            record.caseId = json.caseId;
          })
          .catch(() => {
            record.respondedAt = wallNow();
            record.status = -1;
          })
          .finally(() => void inFlight--),
      );
    }
    await sleep(1);
  }
  await Promise.all(settled);
  return {
    sent,
    maxScheduleLagMs: round(maxLagMs, 1),
    issueSeconds: round((sent[sent.length - 1].sentAt - start) / 1000, 3),
    firstSend: sent[0].sentAt,
    lastSend: sent[sent.length - 1].sentAt,
  };
}

/** Backlog along the path, sampled during a run. */
async function sampleBacklog(b: Bench): Promise<{ dispatchQueueReady: number; intakeOutboxPending: number; webhookPending: number; webhookLeased: number }> {
  const [q, outbox, hooks] = await Promise.all([
    b.adminCh.checkQueue(queueOf('dispatch')),
    b.intakeDb.query(`SELECT count(*)::int AS n FROM outbox_message WHERE published_at IS NULL`),
    b.dispatchDb.query(
      `SELECT count(*)::int AS pending, count(*) FILTER (WHERE leased_until IS NOT NULL)::int AS leased FROM webhook_delivery WHERE status = 'pending'`,
    ),
  ]);
  return {
    dispatchQueueReady: q.messageCount,
    intakeOutboxPending: outbox.rows[0].n,
    webhookPending: hooks.rows[0].pending,
    webhookLeased: hooks.rows[0].leased,
  };
}

/** Waits until nothing is in transit: intake outbox published, dispatch queue empty, no pending webhook. */
async function drain(b: Bench): Promise<void> {
  await waitFor('the path to drain', 120_000, async () => {
    const s = await sampleBacklog(b);
    return s.dispatchQueueReady === 0 && s.intakeOutboxPending === 0 && s.webhookPending === 0;
  });
}

/**
 * What dispatch's database connections are doing, by statement class (diagnostics). The statements
 * are recognised by their text in apps/dispatch/src (webhook-dispatcher.ts, inbox.ts, outbox.ts, …).
 */
const STATEMENT_CLASSES: Array<[string, RegExp]> = [
  ['webhookClaim', /WITH leased AS|SET leased_until = \$1 WHERE id = ANY|FROM webhook_delivery d LEFT JOIN company/],
  ['webhookRecord', /SELECT status, attempts, schedule_start FROM webhook_delivery|"webhook_attempt"|UPDATE webhook_delivery SET attempts/],
  ['inboxInsert', /INSERT INTO inbox_message/],
  ['outboxRelay', /FROM outbox_message\s+WHERE published_at IS NULL|UPDATE outbox_message SET published_at/],
  ['incidentLock', /pg_advisory_xact_lock/],
  ['beginCommit', /^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK)/i],
];

function classifyStatement(query: string): string {
  for (const [name, re] of STATEMENT_CLASSES) if (re.test(query)) return name;
  return 'otherDispatchStatements';
}

interface ActivityTally {
  samples: number;
  /** Sum over samples of connections in each state (divide by samples: mean connections). */
  busyConnections: number;
  active: Record<string, number>;
  idleInTransactionAfter: Record<string, number>;
  waitingOnLock: number;
  /** Samples in which every pooled connection (DATABASE_POOL_SIZE) was busy. */
  poolFull: number;
}

async function sampleActivity(db: pg.Pool, tally: ActivityTally, poolSize: number): Promise<void> {
  const { rows } = await db.query(
    `SELECT state, wait_event_type, query FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND application_name NOT LIKE 'bench%'`,
  );
  tally.samples++;
  let busy = 0;
  for (const r of rows as Array<{ state: string; wait_event_type: string | null; query: string }>) {
    const cls = classifyStatement(r.query ?? '');
    if (r.state === 'active') {
      busy++;
      tally.active[cls] = (tally.active[cls] ?? 0) + 1;
      if (r.wait_event_type === 'Lock') tally.waitingOnLock++;
    } else if (r.state?.startsWith('idle in transaction')) {
      busy++;
      tally.idleInTransactionAfter[cls] = (tally.idleInTransactionAfter[cls] ?? 0) + 1;
    }
  }
  tally.busyConnections += busy;
  if (busy >= poolSize) tally.poolFull++;
}

function summariseActivity(t: ActivityTally): Record<string, unknown> {
  const per = (x: Record<string, number>) =>
    Object.fromEntries(Object.entries(x).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / Math.max(1, t.samples))]));
  return {
    samples: t.samples,
    meanBusyConnections: round(t.busyConnections / Math.max(1, t.samples)),
    poolFullShare: round(t.poolFull / Math.max(1, t.samples), 3),
    meanActiveByStatement: per(t.active),
    meanIdleInTransactionByLastStatement: per(t.idleInTransactionAfter),
    meanWaitingOnLock: round(t.waitingOnLock / Math.max(1, t.samples)),
  };
}

/**
 * The webhook dispatcher as seen from its stored attempts: deliveries launched by one claim share
 * (within a millisecond) their webhook_attempt.at, so runs of attempts ≤ 1 ms apart estimate claims.
 * Per company (at most one delivery in flight), the gap from the end of one POST to the start of the
 * next one, when the next delivery was already waiting, is the dispatcher's turnaround: record the
 * attempt, wait for the claim loop, claim.
 */
function dispatcherShape(rows: Array<{ company_id: string; at: number; duration_ms: number; queued: number }>, seconds: number): Record<string, unknown> {
  const byTime = [...rows].sort((a, b) => a.at - b.at);
  const batches: number[] = [];
  let size = 0;
  let prev = -Infinity;
  for (const r of byTime) {
    if (r.at - prev <= 1) size++;
    else {
      if (size) batches.push(size);
      size = 1;
    }
    prev = r.at;
  }
  if (size) batches.push(size);
  const byCompany = new Map<string, typeof rows>();
  for (const r of rows) {
    const list = byCompany.get(r.company_id);
    if (list) list.push(r);
    else byCompany.set(r.company_id, [r]);
  }
  const backloggedGaps: number[] = [];
  const perCompanyRate: number[] = [];
  for (const list of byCompany.values()) {
    list.sort((a, b) => a.at - b.at);
    perCompanyRate.push(list.length / seconds);
    for (let k = 1; k < list.length; k++) {
      const end = list[k - 1].at + list[k - 1].duration_ms;
      if (list[k].queued <= end) backloggedGaps.push(list[k].at - end);
    }
  }
  return {
    estimatedClaims: batches.length,
    estimatedClaimsPerSec: round(batches.length / seconds, 1),
    meanDeliveriesPerClaim: round(rows.length / Math.max(1, batches.length), 2),
    companyTurnaroundWhenBackloggedMs: latency90(backloggedGaps),
    deliveriesPerCompanyPerSec: round(median(perCompanyRate), 2),
  };
}

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

interface CaseTimes {
  caseId: string;
  sent: number;
  responded: number;
  received?: number;
  published?: number;
  handled?: number;
  dispatched?: number;
  queued?: number;
  attemptAt?: number;
  attemptMs?: number;
  arrived?: number;
}

const SEGMENTS: Array<[string, keyof CaseTimes, keyof CaseTimes]> = [
  ['sendToIntakeReceived', 'sent', 'received'],
  ['intakeReceivedToOutboxPublished', 'received', 'published'],
  ['outboxPublishedToDispatchInbox', 'published', 'handled'],
  ['dispatchInboxToDispatchedAt', 'handled', 'dispatched'],
  ['dispatchedAtToWebhookAttempt', 'dispatched', 'attemptAt'],
  ['webhookAttemptToArrival', 'attemptAt', 'arrived'],
];

async function measureRun(b: Bench, seconds: number, rate = SETTINGS.rate): Promise<Record<string, unknown>> {
  const n = rate * seconds;
  b.receiver.arrivals = [];
  const pids: Record<string, number | undefined> = { 'node-bench': process.pid, 'node-intake': b.intake.child.pid, 'node-dispatch': b.dispatch.child.pid };
  for (const o of b.others) pids[`node-${o.service}`] = o.child.pid;
  const samples: Array<Awaited<ReturnType<typeof sampleBacklog>>> = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(await sampleBacklog(b).catch(() => ({ dispatchQueueReady: NaN, intakeOutboxPending: NaN, webhookPending: NaN, webhookLeased: NaN })));
      await sleep(SETTINGS.sampleEveryMs);
    }
  })();
  const activity: ActivityTally = { samples: 0, busyConnections: 0, active: {}, idleInTransactionAfter: {}, waitingOnLock: 0, poolFull: 0 };
  const poolSize = Number(SERVICE_ENV.DATABASE_POOL_SIZE);
  const activitySampler = (async () => {
    while (sampling) {
      await sampleActivity(b.dispatchDb, activity, poolSize).catch(() => undefined);
      await sleep(SETTINGS.activityEveryMs);
    }
  })();
  // PostgreSQL backends serving each service's database get their own group (the rest stays `postgres`).
  const postgresBackends = new Map<number, string>();
  const findBackends = async () => {
    const { rows } = await b.intakeDb.query(
      `SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1) AND backend_type = 'client backend' AND application_name NOT LIKE 'bench%'`,
      [[b.intake.databaseName, b.dispatch.databaseName]],
    );
    for (const r of rows) postgresBackends.set(r.pid, r.datname === b.intake.databaseName ? 'postgres-intake-db' : 'postgres-dispatch-db');
  };
  await findBackends();
  const backendFinder = (async () => {
    while (sampling) {
      await findBackends().catch(() => undefined);
      await sleep(500);
    }
  })();
  const statements0 = { intake: readStatementTotals(b.intake), dispatch: readStatementTotals(b.dispatch) };
  const cpu0 = cpuSnapshot(pids);
  const load = await steadyLoad(b, n, rate);
  const cpu1 = cpuSnapshot(pids);
  const created = load.sent.filter((s) => s.status === 201 && s.caseId);
  const wanted = new Set(created.map((s) => s.caseId!));
  const allArrived = () => {
    const got = new Set(b.receiver.arrivals.map((a) => a.caseId));
    return [...wanted].filter((id) => !got.has(id)).length;
  };
  const graceEnd = load.lastSend + SETTINGS.arrivalGraceMs;
  while (wallNow() < graceEnd && allArrived() > 0) await sleep(200);
  const missingAfterGrace = allArrived();
  // Late ones are waited for too (their latency counts), up to lateWaitMs more.
  const lateEnd = wallNow() + SETTINGS.lateWaitMs;
  while (wallNow() < lateEnd && allArrived() > 0) await sleep(500);
  const lastArrivalWaitedS = round((Math.max(...b.receiver.arrivals.map((a) => a.at)) - load.lastSend) / 1000, 1);
  // Every delivery settled (recorded as delivered), so a second POST of one would have shown by now.
  await waitFor('pending webhook deliveries to settle', 30_000, async () => (await sampleBacklog(b)).webhookPending === 0).catch(() => undefined);
  sampling = false;
  await sampler;
  await activitySampler;
  await backendFinder;
  await sleep(600); // the counters are written every 250 ms
  const statements1 = { intake: readStatementTotals(b.intake), dispatch: readStatementTotals(b.dispatch) };
  const cpuDrained = cpuSnapshot(pids);

  // arrivals: first per case, duplicates by webhook-id and by case
  const firstArrival = new Map<string, number>();
  const byWebhookId = new Map<string, number>();
  let foreignCases = 0;
  for (const a of b.receiver.arrivals) {
    byWebhookId.set(a.webhookId, (byWebhookId.get(a.webhookId) ?? 0) + 1);
    if (!a.caseId || !wanted.has(a.caseId)) {
      foreignCases++;
      continue;
    }
    const prev = firstArrival.get(a.caseId);
    if (prev === undefined || a.at < prev) firstArrival.set(a.caseId, a.at);
  }
  const duplicateWebhookIds = [...byWebhookId.values()].filter((c) => c > 1).length;
  const casesArrivedMoreThanOnce = b.receiver.arrivals.filter((a) => a.caseId && wanted.has(a.caseId)).length - firstArrival.size;

  // service-side timestamps of the run's cases
  const ids = created.map((s) => s.caseId!);
  const { rows: intakeRows } = await b.intakeDb.query(
    `SELECT c.id::text AS id, ${ms('c.received_at')} AS received, ${ms('o.published_at')} AS published, o.message_id::text AS message_id
       FROM complaint c JOIN outbox_message o ON o.event_type = 'complaint.received' AND o.payload->>'caseId' = c.id::text
      WHERE c.id = ANY($1::uuid[])`,
    [ids],
  );
  const { rows: caseRows } = await b.dispatchDb.query(
    `SELECT d.id::text AS id, d.status, ${ms('d.dispatched_at')} AS dispatched FROM dispatch_case d WHERE d.id = ANY($1::uuid[])`,
    [ids],
  );
  const { rows: inboxRows } = await b.dispatchDb.query(
    `SELECT message_id::text AS message_id, ${ms('handled_at')} AS handled FROM inbox_message WHERE message_id = ANY($1::uuid[])`,
    [intakeRows.map((r) => r.message_id)],
  );
  const { rows: hookRows } = await b.dispatchDb.query(
    `SELECT w.case_id::text AS id, w.company_id, w.status, w.attempts, ${ms('w.created_at')} AS queued, ${ms('a.at')} AS attempt_at, a.duration_ms
       FROM webhook_delivery w LEFT JOIN webhook_attempt a ON a.delivery_id = w.id AND a.attempt = 1
      WHERE w.case_id = ANY($1::uuid[]) AND w.event_type = 'case.dispatched'`,
    [ids],
  );
  const handledByMessage = new Map(inboxRows.map((r) => [r.message_id as string, r.handled as number]));
  const times = new Map<string, CaseTimes>();
  for (const s of created) times.set(s.caseId!, { caseId: s.caseId!, sent: s.sentAt, responded: s.respondedAt, arrived: firstArrival.get(s.caseId!) });
  for (const r of intakeRows) {
    const t = times.get(r.id)!;
    t.received = r.received;
    t.published = r.published ?? undefined;
    t.handled = handledByMessage.get(r.message_id);
  }
  const statusCounts: Record<string, number> = {};
  for (const r of caseRows) {
    times.get(r.id)!.dispatched = r.dispatched ?? undefined;
    statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
  }
  const deliveryStatus: Record<string, number> = {};
  let retried = 0;
  for (const r of hookRows) {
    const t = times.get(r.id)!;
    t.queued = r.queued;
    t.attemptAt = r.attempt_at ?? undefined;
    t.attemptMs = r.duration_ms ?? undefined;
    deliveryStatus[r.status] = (deliveryStatus[r.status] ?? 0) + 1;
    if (r.attempts > 1) retried++;
  }

  const all = [...times.values()];
  const arrived = all.filter((t) => t.arrived !== undefined);
  const latencies = arrived.map((t) => t.arrived! - t.sent);
  const segment = (from: keyof CaseTimes, to: keyof CaseTimes) =>
    latency90(all.filter((t) => t[from] !== undefined && t[to] !== undefined).map((t) => (t[to] as number) - (t[from] as number)));
  const segmentsMs: Record<string, LatencyStats> = {};
  for (const [name, from, to] of SEGMENTS) segmentsMs[name] = segment(from, to);
  segmentsMs.dispatchedAtToDeliveryQueued = segment('dispatched', 'queued');
  segmentsMs.deliveryQueuedToWebhookAttempt = segment('queued', 'attemptAt');
  segmentsMs.intakeHttpResponse = segment('sent', 'responded');
  segmentsMs.webhookAttemptDurationMs = latency90(all.filter((t) => t.attemptMs !== undefined).map((t) => t.attemptMs!));

  // The slowest 1 %: mean of each segment, to see what the tail is made of.
  const complete = arrived.filter((t) => SEGMENTS.every(([, from, to]) => t[from] !== undefined && t[to] !== undefined));
  complete.sort((x, y) => y.arrived! - y.sent - (x.arrived! - x.sent));
  const tail = complete.slice(0, Math.max(1, Math.ceil(complete.length / 100)));
  const tailMeanMs: Record<string, number> = { total: round(tail.reduce((a, t) => a + t.arrived! - t.sent, 0) / tail.length) };
  for (const [name, from, to] of SEGMENTS) tailMeanMs[name] = round(tail.reduce((a, t) => a + (t[to] as number) - (t[from] as number), 0) / tail.length);
  const bodyMeanMs: Record<string, number> = {};
  for (const [name, from, to] of SEGMENTS) bodyMeanMs[name] = round(complete.reduce((a, t) => a + (t[to] as number) - (t[from] as number), 0) / Math.max(1, complete.length));
  // When in the run the slow cases were sent (seconds from the first send), to tell a steady tail from bursts.
  const tailSentAtS = tail.map((t) => round((t.sent - load.firstSend) / 1000, 1)).sort((x, y) => x - y);

  // Throughput of each stage per second of the run (bins from the first send): where the work piles up.
  const perSecond: Record<string, number[]> = { sent: [], intakePublished: [], dispatchHandled: [], webhookAttempted: [], webhookArrived: [] };
  const stageOf: Array<[string, keyof CaseTimes]> = [
    ['sent', 'sent'],
    ['intakePublished', 'published'],
    ['dispatchHandled', 'handled'],
    ['webhookAttempted', 'attemptAt'],
    ['webhookArrived', 'arrived'],
  ];
  for (const t of all) {
    for (const [series, field] of stageOf) {
      const v = t[field] as number | undefined;
      if (v === undefined) continue;
      const bin = Math.max(0, Math.floor((v - load.firstSend) / 1000));
      const arr = perSecond[series];
      while (arr.length <= bin) arr.push(0);
      arr[bin]++;
    }
  }
  const meanOver = (arr: number[], from: number, to: number) => round(arr.slice(from, to).reduce((a, x) => a + x, 0) / Math.max(1, to - from), 1);
  const stageRatesPerSec = Object.fromEntries(
    Object.entries(perSecond).map(([k, arr]) => [k, { duringLoad: meanOver(arr, 1, seconds), afterLoad: meanOver(arr, seconds + 1, arr.length - 1) }]),
  );

  const backlog: Record<string, { p50: number; max: number }> = {};
  for (const key of ['dispatchQueueReady', 'intakeOutboxPending', 'webhookPending', 'webhookLeased'] as const) {
    const v = samples.map((s) => s[key]).filter((x) => Number.isFinite(x));
    backlog[key] = { p50: median(v), max: Math.max(...v) };
  }

  if (DUMP_DIR) {
    mkdirSync(DUMP_DIR, { recursive: true });
    const cols: Array<keyof CaseTimes> = ['caseId', 'sent', 'responded', 'received', 'published', 'handled', 'dispatched', 'queued', 'attemptAt', 'attemptMs', 'arrived'];
    const lines = all.map((t) => cols.map((c) => t[c] ?? '').join(','));
    writeFileSync(join(DUMP_DIR, `dispatch-latency-${Date.now()}.csv`), `${cols.join(',')}\n${lines.join('\n')}\n`);
  }

  const cpu = cpuBreakdown(cpu0, cpu1, postgresBackends);
  return {
    rate,
    complaintsSent: n,
    created201: created.length,
    non201: load.sent.length - created.length,
    achievedRatePerSec: round((load.sent.length - 1) / ((load.lastSend - load.firstSend) / 1000), 1),
    maxScheduleLagMs: load.maxScheduleLagMs,
    issueSeconds: load.issueSeconds,
    latencyMs: latency90(latencies),
    webhooksArrived: arrived.length,
    missingAfterGrace,
    neverArrived: created.length - arrived.length,
    secondsFromLastSendToLastArrival: lastArrivalWaitedS,
    duplicateWebhookIds,
    casesArrivedMoreThanOnce,
    unexpectedArrivals: foreignCases,
    malformedArrivals: b.receiver.malformed,
    dispatchCaseStatus: statusCounts,
    webhookDeliveryStatus: deliveryStatus,
    deliveriesRetried: retried,
    segmentsMs,
    slowest1PercentMeanMs: tailMeanMs,
    allCasesMeanMs: bodyMeanMs,
    slowest1PercentSentAtS: tailSentAtS,
    backlog,
    stageRatesPerSec,
    stagesPerSecond: perSecond,
    dispatchDbConnections: summariseActivity(activity),
    databaseStatements: {
      intake: statementDelta(statements0.intake, statements1.intake, created.length),
      dispatch: statementDelta(statements0.dispatch, statements1.dispatch, created.length),
    },
    webhookDispatcher: dispatcherShape(
      hookRows.filter((r) => r.attempt_at !== null).map((r) => ({ company_id: r.company_id, at: r.attempt_at, duration_ms: r.duration_ms, queued: r.queued })),
      (Math.max(...hookRows.filter((r) => r.attempt_at !== null).map((r) => r.attempt_at as number)) - load.firstSend) / 1000,
    ),
    cpuCores: cpu.cores,
    cpuCoresUntilLastWebhook: cpuBreakdown(cpu0, cpuDrained, postgresBackends).cores,
    topForeignProcessesCores: cpu.topForeign,
  };
}

// ------------------------------------------------------------------------------------------------
// main
// ------------------------------------------------------------------------------------------------

/** The sizes and limits of a measurement (SETTINGS); a caller of runDispatchLatency may change them. */
export type DispatchLatencySettings = typeof SETTINGS;

/**
 * The measurement as a function, with the command's settings except `overrides` (e.g. fewer runs,
 * no sweep): its own vhost and databases, removed at the end; returns the summary the command writes.
 */
export async function runDispatchLatency(overrides: Partial<DispatchLatencySettings> = {}): Promise<Record<string, unknown>> {
  const saved = { ...SETTINGS };
  Object.assign(SETTINGS, overrides);
  try {
    return await measure();
  } finally {
    Object.assign(SETTINGS, saved);
  }
}

async function main(): Promise<void> {
  const summary = await measure();
  const json = JSON.stringify(summary, null, 2);
  mkdirSync(dirname(RESULT_FILE), { recursive: true });
  writeFileSync(`${RESULT_FILE}.tmp`, json + '\n');
  renameSync(`${RESULT_FILE}.tmp`, RESULT_FILE);
  process.stdout.write(json + '\n');
  const medLatency = (summary.median as Record<string, unknown>).latencyMs as LatencyStats;
  log(`median: p50 ${medLatency.p50} ms, p90 ${medLatency.p90} ms, p99 ${medLatency.p99} ms, max ${medLatency.max} ms; written ${RESULT_FILE}`);
}

async function measure() {
  const startedAt = new Date();
  const deadline = Date.now() + SETTINGS.budgetMs;
  const tag = `heating_bench_dispatch_${process.pid}`;
  const services: Service[] = ALL_SERVICES ? ['intake', 'dispatch', 'sms-survey', 'kpi'] : ['intake', 'dispatch'];
  const running: Running[] = [];
  const receiver = new Receiver();
  const pools: pg.Pool[] = [];
  let httpPool: Pool | undefined;
  let admin: ChannelModel | undefined;
  let vhostCreated = false;
  let cleaned = false;

  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    log('cleaning up (services, vhost, databases)');
    await httpPool?.close().catch(() => undefined);
    for (const r of [...running].reverse()) await stopServiceProcess(r);
    await receiver.stop().catch(() => undefined);
    await admin?.close().catch(() => undefined);
    for (const p of pools) await p.end().catch(() => undefined);
    for (const s of services) {
      const name = `${tag}_${s.replace('-', '_')}`;
      await dropDatabase(name).catch((e) => log(`could not drop ${name}: ${(e as Error).message}`));
    }
    if (vhostCreated) await removeVhost(tag);
    for (const f of [`bench-dispatch-latency-counter-${process.pid}.mjs`, ...services.map((sv) => `bench-dispatch-latency-${process.pid}-${sv}.json`)]) {
      rmSync(join(os.tmpdir(), f), { force: true });
    }
  };
  const disarm = abortOnBudgetOrSignal(SETTINGS.budgetMs, cleanup, log);

  try {
    assertLocalServices([PG_URL, AMQP_URL]);
    log(`vhost and databases ${tag}`);
    const amqpUrl = await createVhost(tag);
    vhostCreated = true;
    for (const s of services) {
      const name = `${tag}_${s.replace('-', '_')}`;
      const url = await freshDatabase(name);
      log(`starting ${s}`);
      running.push(await startServiceProcess(s, amqpUrl, name, url));
    }
    const intake = running.find((r) => r.service === 'intake')!;
    const dispatch = running.find((r) => r.service === 'dispatch')!;
    log(`services ready: ${running.map((r) => `${r.service} pid ${r.child.pid}`).join(', ')}`);

    const tokens = new TokenService(SECRET);
    const { companies, targets } = pickTargets();
    const receiverUrl = await receiver.start();
    for (const company of companies) {
      const token = await tokens.sign({ sub: `duty-${company.id}`, role: 'company', unitId: company.id }, 3600);
      const r = await fetch(`${dispatch.url}/api/v1/companies/me/webhook`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${receiverUrl}/hooks/${company.id}` }),
      });
      if (r.status !== 200) throw new Error(`setting the webhook of ${company.id} failed: HTTP ${r.status} ${await r.text()}`);
    }
    log(`webhook receiver ${receiverUrl} registered for ${companies.length} companies (${targets.length} communities)`);

    const intakeDb = new pg.Pool({ connectionString: intake.databaseUrl, max: 2, application_name: 'bench-dispatch-latency' });
    const dispatchDb = new pg.Pool({ connectionString: dispatch.databaseUrl, max: 2, application_name: 'bench-dispatch-latency' });
    // DROP DATABASE ... WITH (FORCE) at clean-up must not crash us through an idle client.
    for (const p of [intakeDb, dispatchDb]) p.on('error', () => undefined);
    pools.push(intakeDb, dispatchDb);
    admin = await connect(amqpUrl);
    const adminCh = await admin.createChannel();
    const pgVersion = (await intakeDb.query('SHOW server_version')).rows[0].server_version as string;
    const rabbitVersion = String(admin.connection.serverProperties.version ?? 'unknown');
    const registered = (await dispatchDb.query(`SELECT count(*)::int AS n FROM company`)).rows[0].n as number;

    httpPool = new Pool(intake.url, { connections: SETTINGS.intakeConnections, pipelining: 1 });
    const b: Bench = {
      deadline,
      intake,
      dispatch,
      others: running.filter((r) => r !== intake && r !== dispatch),
      pool: httpPool,
      operatorToken: await tokens.sign({ sub: 'bench-operator', role: 'operator' }, 3600),
      targets,
      receiver,
      intakeDb,
      dispatchDb,
      adminCh,
    };

    // Warm-up (JIT, pools, connections, the routing index; the outage detector proposes its
    // incidents for the stations involved, as it would on a cold day), not reported.
    log(`warm-up: ${SETTINGS.warmupSeconds} s at ${SETTINGS.rate}/s`);
    const warm = await measureRun(b, SETTINGS.warmupSeconds);
    log(`  warm-up: p50 ${(warm.latencyMs as LatencyStats).p50} ms, p99 ${(warm.latencyMs as LatencyStats).p99} ms, missing ${warm.missingAfterGrace}`);
    await drain(b);

    const runs: Array<Record<string, unknown>> = [];
    const discarded: Array<Record<string, unknown>> = [];
    for (let r = 1; r <= SETTINGS.runs; r++) {
      let result: Record<string, unknown> = {};
      for (let attempt = 1; attempt <= SETTINGS.attemptsPerRun; attempt++) {
        await drain(b);
        const waitedForIdleS = await waitForIdle({ waitMs: SETTINGS.quietWaitMs, belowCores: SETTINGS.quietBelowCores, log, check: () => checkDeadline(deadline, 'waiting for an idle machine') });
        log(`run ${r}/${SETTINGS.runs}${attempt > 1 ? ` (attempt ${attempt})` : ''}: ${SETTINGS.rate}/s for ${SETTINGS.seconds} s`);
        const startedRunAt = new Date().toISOString();
        result = { run: r, attempt, startedAt: startedRunAt, waitedForIdleS, ...(await measureRun(b, SETTINGS.seconds)) };
        const foreign = (result.cpuCores as Record<string, number>).other;
        result.foreignCpuCores = foreign;
        result.disturbed = foreign > SETTINGS.foreignCpuLimitCores || waitedForIdleS < 0;
        const lat = result.latencyMs as LatencyStats;
        log(
          `  ${result.achievedRatePerSec}/s, p50 ${lat.p50} ms, p90 ${lat.p90} ms, p99 ${lat.p99} ms, max ${lat.max} ms; ` +
            `missing ${result.missingAfterGrace}, duplicate webhook-ids ${result.duplicateWebhookIds}; cpu ${JSON.stringify(result.cpuCores)}` +
            (result.disturbed ? `  (disturbed: ${foreign} cores used by other processes: ${JSON.stringify(result.topForeignProcessesCores)})` : ''),
        );
        if (!result.disturbed) break;
        if (attempt < SETTINGS.attemptsPerRun) discarded.push(result);
      }
      runs.push(result);
    }
    const sweep: Array<Record<string, unknown>> = [];
    for (const rate of SETTINGS.sweepRates) {
      await drain(b);
      const waitedForIdleS = await waitForIdle({ waitMs: SETTINGS.quietWaitMs, belowCores: SETTINGS.quietBelowCores, log, check: () => checkDeadline(deadline, 'waiting for an idle machine') });
      log(`sweep: ${rate}/s for ${SETTINGS.seconds} s`);
      const result: Record<string, unknown> = { waitedForIdleS, ...(await measureRun(b, SETTINGS.seconds, rate)) };
      const foreign = (result.cpuCores as Record<string, number>).other;
      result.foreignCpuCores = foreign;
      result.disturbed = foreign > SETTINGS.foreignCpuLimitCores || waitedForIdleS < 0;
      const lat = result.latencyMs as LatencyStats;
      log(`  ${result.achievedRatePerSec}/s, p50 ${lat.p50} ms, p99 ${lat.p99} ms, max ${lat.max} ms${result.disturbed ? ` (disturbed: ${foreign} cores used by other processes)` : ''}`);
      sweep.push(result);
    }
    await drain(b).catch((e) => log(`final drain: ${(e as Error).message}`));
    const otherQueues: Record<string, number> = {};
    for (const s of ['intake', 'sms-survey', 'kpi', 'dispatch'] as const) {
      otherQueues[queueOf(s)] = (await adminCh.checkQueue(queueOf(s))).messageCount;
      otherQueues[`${queueOf(s)}.dead-letter`] = (await adminCh.checkQueue(`${queueOf(s)}.dead-letter`)).messageCount;
    }

    const med = medians(runs);
    const medLatency = med.latencyMs as LatencyStats;
    const summary = {
      benchmark: 'dispatch latency (issue 4): hotline complaint POSTed to intake → case.dispatched webhook received by the company',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        nproc: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: round(os.totalmem() / 2 ** 30, 1),
        node: process.version,
        postgres: pgVersion,
        rabbitmq: rabbitVersion,
        os: `${os.type()} ${os.release()}`,
      },
      settings: {
        ...SETTINGS,
        variant: VARIANT || 'production defaults',
        servicesStarted: services,
        servicesNotStarted: ALL_SERVICES
          ? []
          : ['sms-survey', 'kpi (their queues exist: intake declares the whole topology; their messages wait there)'],
        serviceEnv: SERVICE_ENV,
        statementCounter: COUNT_STATEMENTS
          ? 'intake and dispatch run with --import of a counter around pg Client.query / Pool.connect (diagnostics: databaseStatements)'
          : 'off',
        serviceOverrides: SERVICE_OVERRIDES,
        webhookSettings: 'production defaults: concurrency 16, perCompanyConcurrency 1, pollIdleMs 1000, timeout 15 s',
        registryCompanies: registered,
        companies: companies.map((c) => c.id),
        communities: targets.length,
        latency:
          'webhook arrival at the receiver (request body read) − send start of the POST /api/v1/complaints (first arrival per case); ' +
          'includes webhooks that arrived after the 30 s grace (missingAfterGrace counts them)',
      },
      target: { rate: SETTINGS.rate, p99Ms: SETTINGS.targetP99Ms, met: medLatency.p99 <= SETTINGS.targetP99Ms && runs.every((r) => r.missingAfterGrace === 0) },
      median: med,
      disturbedRunsKept: runs.filter((r) => r.disturbed).length,
      runs,
      discardedRuns: discarded,
      rateSweep: sweep,
      warmup: warm,
      queuesAtEnd: otherQueues,
    };
    return summary;
  } finally {
    await cleanup();
    disarm();
  }
}

if (isEntryPoint(import.meta.url)) main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`dispatch benchmark failed: ${(error as Error).stack ?? error}\n`);
    if (/Channel closed|Connection closed|ECONNREFUSED|CONNECTION_FORCED|not connected/i.test(String((error as Error).message))) {
      process.stderr.write('RabbitMQ or PostgreSQL went away during the run (restarted by another test run?): run the benchmark again.\n');
    }
    process.exit(1);
  },
);
