import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { createServiceLogger, InProcessBus, loadServiceConfig, PinoNestLogger, SERVICE_NAMES, startService, systemClock, TokenService } from '#shared';
import type { Clock, ServiceDescription, ServiceName, ServiceRuntime, StartOptions } from '#shared';
import { DISPATCH_DOCS, DispatchModule } from '../../dispatch/src/dispatch.module.js';
import { INTAKE_DOCS, IntakeModule } from '../../intake/src/intake.module.js';
import { KPI_DOCS, KpiModule } from '../../kpi/src/kpi.module.js';
import { SMS_SURVEY_DOCS, SmsSurveyModule } from '../../sms-survey/src/sms-survey.module.js';

/*
 * The embedded suite: the four services in one process, each on its own port and its own PGlite
 * data folder, meeting over the in-process bus. This file is the only place that knows all four
 * (a composition root); the services still never import each other.
 */

const SERVICES: Record<ServiceName, { register: (r: ServiceRuntime) => DynamicModule; docs: ServiceDescription }> = {
  intake: { register: (r) => IntakeModule.register(r), docs: INTAKE_DOCS },
  dispatch: { register: (r) => DispatchModule.register(r), docs: DISPATCH_DOCS },
  'sms-survey': { register: (r) => SmsSurveyModule.register(r), docs: SMS_SURVEY_DOCS },
  kpi: { register: (r) => KpiModule.register(r), docs: KPI_DOCS },
};

export interface EmbeddedOptions {
  dataDir: string;
  /** Start from empty: delete the data folder first. */
  reset?: boolean;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Where log lines go (default stdout). */
  logDestination?: DestinationStream;
}

export interface EmbeddedSuite {
  apps: Record<ServiceName, INestApplication>;
  urls: Record<ServiceName, string>;
  bus: InProcessBus;
  tokens: TokenService;
  close(): Promise<void>;
}

/** The signing secret: AUTH_SECRET if set, else one generated once and kept in the data folder. */
function embeddedSecret(dataDir: string, env: NodeJS.ProcessEnv): string {
  if (env.AUTH_SECRET) return env.AUTH_SECRET;
  const file = join(dataDir, 'auth-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** Starts the four services, one runtime each; closes what started if one fails. */
export async function startServices(
  runtimeFor: (service: ServiceName) => ServiceRuntime,
  options: StartOptions = {},
): Promise<{ apps: Record<ServiceName, INestApplication>; urls: Record<ServiceName, string> }> {
  const apps = {} as Record<ServiceName, INestApplication>;
  const urls = {} as Record<ServiceName, string>;
  try {
    for (const service of SERVICE_NAMES) {
      const runtime = runtimeFor(service);
      const { register, docs } = SERVICES[service];
      const app = await startService(register(runtime), runtime, docs, options);
      apps[service] = app;
      const { port } = app.getHttpServer().address() as AddressInfo;
      urls[service] = `http://${runtime.config.host}:${port}`;
    }
  } catch (error) {
    for (const app of Object.values(apps)) await app.close().catch(() => undefined);
    throw error;
  }
  return { apps, urls };
}

export async function startEmbeddedSuite(options: EmbeddedOptions): Promise<EmbeddedSuite> {
  const env = { ...(options.env ?? process.env), HEATING_MODE: 'embedded', DATA_DIR: options.dataDir };
  if (options.reset) rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  const authSecret = embeddedSecret(options.dataDir, env);
  const bus = new InProcessBus();
  const clock = options.clock ?? systemClock;
  let started;
  try {
    const configs = SERVICE_NAMES.map((service) => loadServiceConfig(service, env, 'embedded'));
    // Framework and background logs of the four services share one process-wide logger.
    const frameworkLogger = new PinoNestLogger(createServiceLogger('embedded', configs[0].logLevel, options.logDestination));
    started = await startServices(
      (service) => ({ config: configs[SERVICE_NAMES.indexOf(service)], clock, broker: { kind: 'in-process', bus }, authSecret }),
      { frameworkLogger, logDestination: options.logDestination },
    );
  } catch (error) {
    bus.close();
    throw error;
  }
  const { apps, urls } = started;
  return {
    apps,
    urls,
    bus,
    tokens: new TokenService(authSecret),
    async close() {
      for (const app of Object.values(apps)) await app.close();
      bus.close();
    },
  };
}
