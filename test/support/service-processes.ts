import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { maskPhonesInText, SERVICE_NAMES, TokenService } from '#shared';
import type { ServiceName } from '#shared';
import { createVhost, deleteVhost, dropDatabase, freshDatabase, TEST_SECRET } from './infra.js';
import { waitForRabbit } from './machine-services.js';

/*
 * The services as production runs them: one OS process each (`node dist/apps/<service>/src/main.js`),
 * on the machine's PostgreSQL and RabbitMQ, so a test can SIGKILL one, start replicas on the same
 * queue and database, or pull PostgreSQL and RabbitMQ from under them. Uses dist/: `npm run build`
 * first (CI builds before the infra tests). Each suite gets its own vhost and databases. Each
 * process logs (LOG_LEVEL warn) to a file in the temp directory, removed at close unless
 * KEEP_SERVICE_LOGS is set; a process that fails to start shows its last lines.
 */

const ROOT = process.cwd();

/** Settings of every process; fast retries and polling so a test does not wait on production timings. */
const BASE_ENV: Record<string, string> = {
  HEATING_MODE: 'production',
  AUTH_SECRET: TEST_SECRET,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  MESSAGE_RETRY_DELAYS_MS: '200,500,1000,2000',
  OUTBOX_POLL_MS: '100',
  DATABASE_POOL_SIZE: '5',
  AMQP_PREFETCH: '16',
  SEED_DEMO_DATA: 'true',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', // the test receivers listen on 127.0.0.1
  OUTAGE_SUSPECT_HOUSEHOLDS: '10000', // a burst into one community is not an outage here
};

export interface ServiceProcess {
  service: ServiceName;
  /** e.g. dispatch#2 */
  name: string;
  url: string;
  child: ChildProcess;
  logFile: string;
  exited: boolean;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const taken = new Set<number>();
/**
 * A free port below Linux's ephemeral range (32768–60999): a port from listen(0) can be handed to
 * another socket (an outgoing connection, another listen(0)) before the child binds it.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    if (await portIsFree(port)) {
      taken.add(port);
      return port;
    }
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed test run must not leave services consuming from the shared broker.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export interface ProcessSuite {
  tag: string;
  amqpUrl: string;
  tokens: TokenService;
  databaseUrls: Record<ServiceName, string>;
  /** Every process started so far (dead ones included). */
  processes: ServiceProcess[];
  /** The live processes of a service. */
  running(service: ServiceName): ServiceProcess[];
  /** URL of a live process of the service (replicas in turn). */
  url(service: ServiceName): string;
  /** Starts one more process of the service; waits until it is ready (database and broker) unless told not to. */
  start(service: ServiceName, options?: { waitReady?: boolean }): Promise<ServiceProcess>;
  /** Kills a process with a signal and waits until it is gone. SIGKILL: no shutdown hook runs. */
  kill(proc: ServiceProcess, signal?: NodeJS.Signals): Promise<void>;
  query<T = any>(service: ServiceName, sql: string, params?: unknown[]): Promise<T[]>;
  /** The last lines of a process's log (phone numbers masked), for failure messages. */
  logTail(proc: ServiceProcess, lines?: number): string;
  close(): Promise<void>;
}

/**
 * Creates a vhost and a database per service, then starts `replicas[service]` processes of each
 * (default one; 0 = not started). Processes of one service share its database and queue.
 */
export async function startProcessSuite(
  name: string,
  options: { replicas?: Partial<Record<ServiceName, number>>; env?: Record<string, string> } = {},
): Promise<ProcessSuite> {
  for (const service of SERVICE_NAMES) {
    const main = join(ROOT, 'dist', 'apps', service, 'src', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` before the infra tests (they start the built services)`);
  }
  killAllOnExit();
  const tag = `heating_${name}_${process.pid}`;
  const amqpUrl = await createVhost(tag);
  const databaseUrls = {} as Record<ServiceName, string>;
  const databaseName = (service: ServiceName) => `${tag}_${service.replace('-', '_')}`;
  for (const service of SERVICE_NAMES) databaseUrls[service] = await freshDatabase(databaseName(service));
  const logDir = join(tmpdir(), `heating-processes-${tag}`);
  mkdirSync(logDir, { recursive: true });
  const processes: ServiceProcess[] = [];
  const pools = new Map<ServiceName, pg.Pool>();
  const counters: Partial<Record<ServiceName, number>> = {};
  const turn = new Map<ServiceName, number>();

  const logTail = (proc: ServiceProcess, lines = 30) => {
    try {
      return maskPhonesInText(readFileSync(proc.logFile, 'utf8').split('\n').slice(-lines).join('\n'));
    } catch {
      return '(no log)';
    }
  };

  async function start(service: ServiceName, startOptions: { waitReady?: boolean } = {}): Promise<ServiceProcess> {
    const port = await freePort();
    const n = (counters[service] = (counters[service] ?? 0) + 1);
    const logFile = join(logDir, `${service}-${n}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [join('dist', 'apps', service, 'src', 'main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...BASE_ENV, ...options.env, AMQP_URL: amqpUrl, DATABASE_URL: databaseUrls[service], PORT: String(port) },
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const proc: ServiceProcess = { service, name: `${service}#${n}`, url: `http://127.0.0.1:${port}`, child, logFile, exited: false };
    live.add(child);
    child.once('exit', () => {
      proc.exited = true;
      live.delete(child);
    });
    processes.push(proc);
    const ready = startOptions.waitReady ?? true;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await fetch(`${proc.url}/health/${ready ? 'ready' : 'live'}`).catch(() => undefined);
      // The answer must come from our child: check it is still alive after the answer.
      if (proc.exited) {
        const log = logTail(proc);
        if (/EADDRINUSE/.test(log)) return start(service, startOptions); // lost a race for the port: another one
        throw new Error(`${proc.name} exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready; log:\n${log}`);
      }
      if (r && (!ready || r.status === 200)) break;
      if (Date.now() > deadline) {
        await kill(proc);
        throw new Error(`${proc.name} was not ${ready ? 'ready' : 'listening'} within 60 s; log:\n${logTail(proc)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return proc;
  }

  async function kill(proc: ServiceProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (proc.exited) return;
    const gone = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
    proc.child.kill(signal);
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(timer);
  }

  const suite: ProcessSuite = {
    tag,
    amqpUrl,
    tokens: new TokenService(TEST_SECRET),
    databaseUrls,
    processes,
    running: (service) => processes.filter((p) => p.service === service && !p.exited),
    url(service) {
      const running = suite.running(service);
      if (running.length === 0) throw new Error(`no ${service} process is running`);
      turn.set(service, (turn.get(service) ?? 0) + 1);
      return running[turn.get(service)! % running.length].url;
    },
    start,
    kill,
    async query(service, sql, params) {
      let pool = pools.get(service);
      if (!pool) {
        pool = new pg.Pool({ connectionString: databaseUrls[service], max: 2 });
        pool.on('error', () => undefined); // a test that restarts PostgreSQL cuts these too
        pools.set(service, pool);
      }
      return (await pool.query(sql, params as unknown[])).rows;
    },
    logTail,
    async close() {
      await Promise.all(processes.map((p) => kill(p, 'SIGTERM')));
      for (const pool of pools.values()) await pool.end().catch(() => undefined);
      await Promise.all(SERVICE_NAMES.map((service) => dropDatabase(databaseName(service)).catch(() => undefined)));
      await waitForRabbit(60_000).catch(() => undefined);
      deleteVhost(tag);
      if (!process.env.KEEP_SERVICE_LOGS) rmSync(logDir, { recursive: true, force: true });
    },
  };

  try {
    // One of each service at once (each migrates its own database; every process declares the
    // whole topology, so the order does not matter), then the replicas: dispatch seeds the demo
    // registry check-then-insert, outside the migration lock, so two first starts would race.
    const startAll = async (count: (service: ServiceName) => number) => {
      const starting: Array<Promise<ServiceProcess>> = [];
      for (const service of SERVICE_NAMES) for (let i = 0; i < count(service); i++) starting.push(start(service));
      const settled = await Promise.allSettled(starting);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    };
    const replicas = (service: ServiceName) => options.replicas?.[service] ?? 1;
    await startAll((service) => Math.min(1, replicas(service)));
    await startAll((service) => Math.max(0, replicas(service) - 1));
  } catch (error) {
    await suite.close();
    throw error;
  }
  return suite;
}
