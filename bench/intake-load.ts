/*
 * Intake under load on the real PostgreSQL and RabbitMQ (issue 3, "Measure"):
 *   1. saturation: accepted complaints per second (each committed with its outbox row);
 *   2. a steady 500 complaints/s: latency p50 / p99.
 * The intake service runs as its own production process (node dist/apps/intake/src/main.js) on a
 * fresh database and RabbitMQ vhost; autocannon drives it from this process over loopback.
 * Each request is a distinct resident (unique phone), so none is linked as a duplicate.
 *
 *   npm run bench:intake            (builds first; takes about 2 minutes)
 *
 * runIntakeLoad(options) is the same measurement as a function (bench/season-replay.ts runs it as
 * one of its phases); the command writes bench/results/intake-load.json as before.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import autocannon from 'autocannon';
import pg from 'pg';
import { TokenService } from '#shared';
import { createVhost, deleteVhost, dropDatabase, freshDatabase } from '../test/support/infra.js';
import { isEntryPoint } from './support/entry.js';
import { freePort } from './support/services.js';
import { median } from './support/stats.js';

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop';
const DEFAULTS = {
  runs: Number(process.env.BENCH_RUNS ?? 3),
  saturationSeconds: Number(process.env.BENCH_SATURATION_SECONDS ?? 15),
  steadySeconds: Number(process.env.BENCH_STEADY_SECONDS ?? 20),
  steadyRate: 500,
  warmupSeconds: 3,
  poolSize: process.env.BENCH_POOL_SIZE ?? '20',
};
/** A free port on 127.0.0.1, chosen at start (it was the fixed 3901: a second run on the machine collided). */
let PORT = 0;

let serial = 0;
function complaintBody(): string {
  serial++;
  return JSON.stringify({
    callerPhone: `139${String(serial).padStart(8, '0')}`,
    type: 'complaint',
    category: serial % 2 ? 'too_cold' : 'heating_not_started',
    communityName: '金地小区',
    address: { cityCode: '210100', districtCode: '210102', street: `南京南街 ${serial % 200} 号`, building: '3 号楼', unit: '2 单元', room: String(serial % 900) },
    description: '卧室温度只有 15 度，暖气片上热下凉',
    ...(serial % 2 ? { indoorTemperatureC: 15.5 } : { daysWithoutHeat: 2 }),
  });
}

function startIntake(databaseUrl: string, amqpUrl: string, poolSize: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/apps/intake/src/main.js'], {
    env: {
      ...process.env,
      HEATING_MODE: 'production',
      DATABASE_URL: databaseUrl,
      AMQP_URL: amqpUrl,
      AUTH_SECRET: SECRET,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: poolSize,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const poll = async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${PORT}/health/ready`);
        if (r.status === 200) return resolve(child);
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) return reject(new Error('intake did not become ready in 60 s'));
      setTimeout(poll, 200);
    };
    void poll();
  });
}

function load(token: string, options: Partial<autocannon.Options>): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${PORT}/api/v1/complaints`,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        requests: [{ setupRequest: (req: any) => ({ ...req, body: complaintBody() }) }],
        ...options,
      } as autocannon.Options,
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    void instance;
  });
}


export interface IntakeLoadOptions {
  runs: number;
  saturationSeconds: number;
  steadySeconds: number;
  steadyRate: number;
  warmupSeconds: number;
  poolSize: string;
  /** Progress lines (the command writes them to stdout, as it always did). */
  progress: (line: string) => void;
}

/** The intake measurement (saturation, then a steady rate; `runs` rounds) on its own vhost and database, removed at the end. */
export async function runIntakeLoad(options: Partial<IntakeLoadOptions> = {}) {
  const o: IntakeLoadOptions = { ...DEFAULTS, progress: (line) => void process.stdout.write(line), ...options };
  const RUNS = o.runs;
  const SATURATION_SECONDS = o.saturationSeconds;
  const STEADY_SECONDS = o.steadySeconds;
  const STEADY_RATE = o.steadyRate;
  const tag = `heating_bench_intake_${process.pid}`;
  PORT = await freePort();
  const amqpUrl = await createVhost(tag);
  const databaseUrl = await freshDatabase(tag);
  const intake = await startIntake(databaseUrl, amqpUrl, o.poolSize);
  const token = await new TokenService(SECRET).sign({ sub: 'bench-operator', role: 'operator' }, 3600);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const saturation: Array<{ acceptedPerSec: number; non2xx: number; p50: number; p99: number; committed: number; seconds: number }> = [];
  const steady: Array<{ rate: number; p50: number; p99: number; non2xx: number }> = [];
  try {
    await load(token, { connections: 20, duration: o.warmupSeconds }); // warm-up
    for (let run = 1; run <= RUNS; run++) {
      const before = Number((await db.query(`SELECT count(*) AS n FROM complaint c JOIN outbox_message o ON o.payload->>'caseId' = c.id::text`)).rows[0].n);
      const r = await load(token, { connections: 40, pipelining: 1, duration: SATURATION_SECONDS });
      const after = Number((await db.query(`SELECT count(*) AS n FROM complaint c JOIN outbox_message o ON o.payload->>'caseId' = c.id::text`)).rows[0].n);
      const accepted = r['2xx'];
      saturation.push({
        acceptedPerSec: Math.round(accepted / r.duration),
        non2xx: r.non2xx,
        p50: r.latency.p50,
        p99: r.latency.p99,
        committed: after - before,
        seconds: r.duration,
      });
      o.progress(`saturation run ${run}: ${saturation.at(-1)!.acceptedPerSec}/s accepted, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, committed ${after - before}\n`);
      const s = await load(token, { connections: 50, overallRate: STEADY_RATE, duration: STEADY_SECONDS });
      steady.push({ rate: Math.round(s['2xx'] / s.duration), p50: s.latency.p50, p99: s.latency.p99, non2xx: s.non2xx });
      o.progress(`steady run ${run}: ${steady.at(-1)!.rate}/s, p50 ${s.latency.p50} ms, p99 ${s.latency.p99} ms\n`);
    }
  } finally {
    await db.end();
    intake.kill('SIGTERM');
    await new Promise((r) => intake.once('exit', r));
    await dropDatabase(tag).catch(() => undefined);
    deleteVhost(tag);
  }
  const summary = {
    benchmark: 'intake (issue 3): hotline complaints accepted, committed with their outbox row',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    settings: { runs: RUNS, saturation: { connections: 40, seconds: SATURATION_SECONDS }, steady: { rate: STEADY_RATE, connections: 50, seconds: STEADY_SECONDS }, poolSize: o.poolSize },
    median: {
      acceptedPerSec: median(saturation.map((s) => s.acceptedPerSec)),
      saturationP50Ms: median(saturation.map((s) => s.p50)),
      saturationP99Ms: median(saturation.map((s) => s.p99)),
      steadyRate: median(steady.map((s) => s.rate)),
      steadyP50Ms: median(steady.map((s) => s.p50)),
      steadyP99Ms: median(steady.map((s) => s.p99)),
    },
    runs: { saturation, steady },
  };
  return summary;
}

async function main(): Promise<void> {
  const summary = await runIntakeLoad();
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/intake-load.json', JSON.stringify(summary, null, 2));
  process.stdout.write(`${JSON.stringify(summary.median, null, 2)}\n`);
}

if (isEntryPoint(import.meta.url)) await main();
