import { Logger } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { ConfigError, loadServiceConfig } from '../config/service-config.js';
import type { ServiceName } from '../contracts/services.js';
import { RmqConnection } from '../messaging/rmq/rmq-connection.js';
import { systemClock } from '../time/clock.js';
import { startService } from './bootstrap.js';
import type { ServiceDescription } from './bootstrap.js';
import type { ServiceRuntime } from './runtime.js';

/**
 * Entry point of one service in production: PostgreSQL + RabbitMQ from the environment.
 * A wrong setting stops the process at once with a message naming it. The service starts even
 * while RabbitMQ is unreachable (complaints are kept in the outbox; readiness reports the broker).
 */
export async function runProductionService(
  service: ServiceName,
  register: (runtime: ServiceRuntime) => DynamicModule,
  docs: ServiceDescription,
): Promise<void> {
  let runtime: ServiceRuntime;
  let connection: RmqConnection;
  try {
    const config = loadServiceConfig(service, process.env, 'production');
    connection = new RmqConnection({ url: config.amqp!.url, prefetch: config.amqp!.prefetch, retryDelaysMs: config.retryDelaysMs });
    runtime = { config, clock: systemClock, broker: { kind: 'rmq', connection }, authSecret: config.authSecret! };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  await connection.open();
  const app = await startService(register(runtime), runtime, docs);
  if (!runtime.config.phoneKeys) {
    new Logger('PhoneVault').warn('PHONE_KEYS and PHONE_INDEX_KEY are not set: phone numbers at rest are encrypted with keys derived from AUTH_SECRET, so AUTH_SECRET cannot be rotated on its own (docs/security.md)');
  }
  const shutdown = async () => {
    await app.close();
    await connection.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}
