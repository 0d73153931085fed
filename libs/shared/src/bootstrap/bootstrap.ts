import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { DestinationStream } from 'pino';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createValidationPipe } from '../http/validation.js';
import { createServiceLogger, PinoNestLogger, requestLogger } from '../logging/logging.js';
import { InProcessTransport } from '../messaging/in-process/in-process.transport.js';
import { OutboxRelay } from '../messaging/outbox/outbox.js';
import { RmqTransport } from '../messaging/rmq/rmq.transport.js';
import type { EventTransport } from '../messaging/event-transport.js';
import type { ServiceRuntime } from './runtime.js';

export interface ServiceDescription {
  title: string;
  description: string;
}

export interface StartOptions {
  /**
   * Nest's framework logger is process-wide (a static override). One process per service (production)
   * uses the service's own; the embedded suite passes one logger for all four.
   */
  frameworkLogger?: PinoNestLogger;
  /** Where log lines go (default stdout); tests capture them. */
  logDestination?: DestinationStream;
}

export function createTransport(runtime: ServiceRuntime): EventTransport {
  const { broker, config } = runtime;
  return broker.kind === 'rmq'
    ? new RmqTransport(broker.connection, config.service)
    : new InProcessTransport(broker.bus, config.service, { delaysMs: config.retryDelaysMs }, 8);
}

/**
 * Creates one service as a hybrid Nest app: HTTP API (validated, documented at /docs) plus its
 * event consumer; starts the outbox relay; listens on the configured port.
 */
export async function startService(
  rootModule: unknown,
  runtime: ServiceRuntime,
  docs: ServiceDescription,
  options: StartOptions = {},
): Promise<NestExpressApplication> {
  const logger = createServiceLogger(runtime.config.service, runtime.config.logLevel, options.logDestination);
  const app = await NestFactory.create<NestExpressApplication>(rootModule as never, { bufferLogs: true, abortOnError: false });
  app.useLogger(options.frameworkLogger ?? new PinoNestLogger(logger));
  app.use(requestLogger(logger));
  app.useGlobalPipes(createValidationPipe());
  app.set('trust proxy', 'loopback');
  app.useBodyParser('json', { limit: '12mb' });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(docs.title)
      .setDescription(docs.description)
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  app.connectMicroservice({ strategy: createTransport(runtime) }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  app.get(OutboxRelay).start();
  await app.listen(runtime.config.port, runtime.config.host);
  return app;
}

export async function stopService(app: INestApplication): Promise<void> {
  await app.close();
}
