import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { queueOf, SERVICE_NAMES } from '#shared';
import type { Clock, ServiceName } from '#shared';
import { startEmbeddedSuite } from '../../apps/embedded/src/suite.js';
import type { EmbeddedSuite } from '../../apps/embedded/src/suite.js';
import { eventually } from './eventually.js';

/** Every service on a free port; no suspected-outage proposals from a handful of test complaints. */
export const TEST_SUITE_ENV = {
  INTAKE_PORT: '0',
  DISPATCH_PORT: '0',
  SMS_SURVEY_PORT: '0',
  KPI_PORT: '0',
  OUTAGE_SUSPECT_HOUSEHOLDS: '10000',
  // Events that cross (case.closed before complaint.received) are retried within seconds, not minutes.
  MESSAGE_RETRY_DELAYS_MS: '100,300,1000,3000',
};

export interface TestSuite extends EmbeddedSuite {
  dataDir: string;
  /** The service's own database (assertions only; embedded mode has one connection per service). */
  db(service: ServiceName): DataSource;
  /** Waits until no event is queued or unpublished and no SMS is pending anywhere in the suite. */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The embedded suite in a fresh data folder, with `env` on top of the test defaults. */
export async function startTestSuite(
  name: string,
  env: Record<string, string> = {},
  options: { clock?: Clock; logDestination?: DestinationStream } = {},
): Promise<TestSuite> {
  const dataDir = mkdtempSync(join(tmpdir(), `heating-${name}-`));
  const suite = await startEmbeddedSuite({ dataDir, env: { ...process.env, ...TEST_SUITE_ENV, ...env }, ...options });
  const db = (service: ServiceName) => suite.apps[service].get(DataSource);
  const smsTables = new Map<ServiceName, boolean>();
  const busy = async (service: ServiceName): Promise<boolean> => {
    if (suite.bus.depth(queueOf(service)) > 0) return true;
    if (!smsTables.has(service)) {
      const [row] = await db(service).query(`SELECT to_regclass('sms_message') IS NOT NULL AS present`);
      smsTables.set(service, row.present === true);
    }
    const sms = smsTables.get(service) ? `+ (SELECT count(*) FROM sms_message WHERE status = 'pending')` : '';
    const [row] = await db(service).query(`SELECT (SELECT count(*) FROM outbox_message WHERE published_at IS NULL) ${sms} AS n`);
    return Number(row.n) > 0;
  };
  const quiet = async () => {
    for (const service of SERVICE_NAMES) if (await busy(service)) return false;
    return true;
  };
  return {
    ...suite,
    dataDir,
    db,
    async settle(timeoutMs = 30_000) {
      // Two quiet passes in a row: a service may publish to one already checked during a pass.
      await eventually(async () => ((await quiet()) && (await quiet()) ? true : undefined), timeoutMs, 'the suite to settle');
    },
    async stop() {
      await suite.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
