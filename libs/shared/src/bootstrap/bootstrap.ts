import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** Registry import files (dispatch: POST /api/v1/registry/…/import), read as raw bytes up to 10 MB. */
const REGISTRY_FILE_TYPES = ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'];
const REGISTRY_FILE_LIMIT_BYTES = 10 * 1024 * 1024;
const ACCEPTED_BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'image/jpeg', 'image/png', 'image/webp', ...REGISTRY_FILE_TYPES];

/** An import file announced as larger than its limit is refused before it is read, naming that limit. */
function refuseOversizedRegistryFiles(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!REGISTRY_FILE_TYPES.includes(type) || Number(req.headers['content-length'] ?? 0) <= REGISTRY_FILE_LIMIT_BYTES) return next();
  res.statusCode = 413;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ code: 'PAYLOAD_TOO_LARGE', message: '导入文件过大：CSV、XLSX 文件最大 10 MB，请分成多个文件导入', field: 'file' }));
}

/** A body of a kind no endpoint reads is a 415 with the accepted types, not a confusing validation error. */
function refuseUnknownContentTypes(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const length = Number(req.headers['content-length'] ?? 0);
  const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!hasBody || ACCEPTED_BODY_TYPES.includes(type)) return next();
  res.statusCode = 415;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(
    JSON.stringify({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `不支持的请求内容类型（Content-Type: ${type || '未填写'}），可用：application/json；照片上传用 image/jpeg、image/png、image/webp；登记册导入用 text/csv 或 XLSX（${REGISTRY_FILE_TYPES[1]}）`,
      field: 'Content-Type',
    }),
  );
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
  app.set('trust proxy', runtime.config.trustProxy);
  // JSON bodies up to 1 MB; photos are uploaded as raw image bodies up to 5 MB, registry files (CSV, XLSX) up to 10 MB.
  app.useBodyParser('json', { limit: '1mb' });
  app.useBodyParser('urlencoded', { limit: '1mb', extended: true });
  app.useBodyParser('raw', { type: ['image/jpeg', 'image/png', 'image/webp'], limit: '5mb' });
  app.use(refuseOversizedRegistryFiles);
  app.useBodyParser('raw', { type: REGISTRY_FILE_TYPES, limit: REGISTRY_FILE_LIMIT_BYTES });
  app.use(refuseUnknownContentTypes);
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
