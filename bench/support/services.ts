import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { deleteVhost, rabbitmqctl } from '../../test/support/infra.js';

/*
 * The services as production processes (node dist/apps/<service>/src/main.js), for the benchmarks
 * that drive the real suite (bench/dispatch-latency.ts, bench/season-replay.ts): start on a free port
 * and wait for /health/ready, stop with SIGTERM (SIGKILL after 15 s), remove a vhost even while
 * RabbitMQ is briefly down, read a process's peak RSS.
 */

export type Service = 'intake' | 'dispatch' | 'sms-survey' | 'kpi';

export interface Running {
  service: Service;
  child: ChildProcess;
  url: string;
  databaseUrl: string;
  databaseName: string;
  statementsFile?: string;
}

export interface StartOptions {
  /** Repository root (the process's cwd). */
  root: string;
  amqpUrl: string;
  databaseName: string;
  databaseUrl: string;
  /** Environment on top of process.env (AMQP_URL, DATABASE_URL and PORT are set here). */
  env: Record<string, string>;
  /** node options before the script (--import, --cpu-prof …). */
  nodeArgs?: string[];
  /** Written into Running.statementsFile (the caller's diagnostics). */
  statementsFile?: string;
  /** How long the service may take to be ready (dispatch seeds the demo registry on first start). */
  readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts one service as a production process and waits until GET /health/ready answers 200. */
export async function startServiceProcess(service: Service, o: StartOptions): Promise<Running> {
  const port = await freePort();
  const readyTimeoutMs = o.readyTimeoutMs ?? 120_000;
  // The children's stdout (pino logs) goes to our stderr: stdout is kept for the JSON summary.
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), `dist/apps/${service}/src/main.js`], {
    cwd: o.root,
    env: { ...process.env, ...o.env, AMQP_URL: o.amqpUrl, DATABASE_URL: o.databaseUrl, PORT: String(port) },
    stdio: ['ignore', 2, 2],
  });
  const url = `http://127.0.0.1:${port}`;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`${service} exited with code ${exited} before it was ready`);
    try {
      const r = await fetch(`${url}/health/ready`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${service} did not become ready within ${readyTimeoutMs / 1000} s`);
    }
    await sleep(200);
  }
  return { service, child, url, databaseUrl: o.databaseUrl, databaseName: o.databaseName, statementsFile: o.statementsFile };
}

export async function stopServiceProcess(r: Running | undefined): Promise<void> {
  const child = r?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Deletes the vhost; if RabbitMQ is briefly stopped (another test's stop_app), waits up to 2 min for it. */
export async function removeVhost(vhost: string, log: (m: string) => void): Promise<void> {
  const end = Date.now() + 120_000;
  for (let attempt = 1; ; attempt++) {
    deleteVhost(vhost); // ignores "not found" and "not running"
    try {
      if (!rabbitmqctl('list_vhosts', '--quiet', '--no-table-headers').split('\n').includes(vhost)) return;
    } catch {
      // rabbit app not running right now
    }
    if (Date.now() > end) {
      log(`could not delete vhost ${vhost}; remove it with: rabbitmqctl delete_vhost ${vhost}`);
      return;
    }
    if (attempt === 1) log('RabbitMQ is not answering; waiting to delete the vhost');
    await sleep(2_000);
  }
}

/** A /proc/<pid>/status field in kB (VmHWM = peak RSS, VmRSS, RssAnon …), or NaN if the process is gone. */
export function procStatusKb(pid: number | undefined, field: string): number {
  if (!pid) return NaN;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Guards a benchmark run: cleans up and exits (code 2) when the time budget is exceeded by a
 * minute, and cleans up on SIGINT/SIGTERM (code 130). Returns what disarms the budget watchdog.
 */
export function abortOnBudgetOrSignal(budgetMs: number, cleanup: () => Promise<void>, log: (m: string) => void): () => void {
  const watchdog = setTimeout(() => {
    log(`time budget of ${budgetMs / 1000} s exceeded, aborting`);
    void cleanup().finally(() => process.exit(2));
  }, budgetMs + 60_000);
  watchdog.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: aborting`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  return () => clearTimeout(watchdog);
}

/** The benchmarks create and drop databases and vhosts: they only talk to this machine's services. */
export function assertLocalServices(urls: string[]): void {
  for (const url of urls) {
    const host = new URL(url).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`the benchmark only talks to 127.0.0.1, not ${host}`);
  }
}
