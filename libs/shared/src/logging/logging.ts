import type { IncomingMessage } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { LogLevel } from '../config/service-config.js';
import type { ServiceName } from '../contracts/services.js';
import { maskPhonesInText } from '../phone/phone.js';

/** A separator people and URLs put inside a number: space, dot, dash, plus, underscore, or their %-encodings. */
const SEPARATOR = String.raw`(?:[\s.\-+_]|%20|%2[BbDd])`;
/** 137 1234 5678, 137-1234-5678, +86 137…, and the same percent-encoded in a URL (137%201234%205678, %2B86…). */
const SPELLED_MOBILE = new RegExp(
  String.raw`(?:(?<!\d)|(?<=%2[0BbDd]))(?:(?:\+|%2[Bb]|00)?86${SEPARATOR}{0,2})?(1[3-9]\d)${SEPARATOR}?(\d{4})${SEPARATOR}?(\d{4})(?!\d)`,
  'g',
);

/**
 * Masks mainland mobile numbers for a log line in every spelling, not only as 11 digits in a row:
 * operators type them with spaces or dashes, and URLs carry them percent-encoded.
 */
export function maskPhonesForLogs(text: string): string {
  return maskPhonesInText(text).replace(SPELLED_MOBILE, (_m, head: string, _middle: string, tail: string) => `${head}****${tail}`);
}

/** Masks phone numbers in every string of a log record (bounded depth: logs are small objects). */
export function maskLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhonesForLogs(value);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  // Past the depth bound nothing is inspected, so nothing may pass through unmasked.
  if (depth > 5) return '[...]';
  if (value instanceof Error) {
    return { type: value.name, message: maskPhonesForLogs(value.message), stack: value.stack && maskPhonesForLogs(value.stack) };
  }
  if (Array.isArray(value)) return value.map((v) => maskLogValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskLogValue(v, depth + 1);
  return out;
}

/**
 * Structured JSON logs (pino), one logger per service. Phone numbers never reach a log line:
 * fields named phone are censored, and any mainland mobile number inside a string is masked.
 */
export function createServiceLogger(service: ServiceName | 'embedded', level: LogLevel, destination?: DestinationStream): PinoLogger {
  return pino(
    {
      level,
      base: { service },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'phone', '*.phone', '*.*.phone', 'callerPhone', '*.callerPhone'],
        censor: '[masked]',
      },
      formatters: { log: (record) => maskLogValue(record) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => maskLogValue(a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** Request logging for one service's HTTP API (health checks are not logged). */
export function requestLogger(logger: PinoLogger) {
  return pinoHttp({
    logger,
    // Our serializers read the raw request/response themselves.
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage & { id?: unknown }) => ({ id: req.id, method: req.method, url: maskUrl(req.url ?? '') }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
  });
}

/** Nest's LoggerService on pino: `new Logger('OutboxRelay').warn(…)` becomes a JSON line with its context. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: PinoLogger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    // Nest passes the context last (a string); an error's stack may come before it.
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      this.logger[level]({ context, ...(message as object) });
    } else if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else {
      const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
      this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}

/**
 * A request URL fit for the logs: phone numbers masked; the secret token of SMS provider callbacks
 * and residents' one-time rating-link tokens hidden.
 */
export function maskUrl(url: string): string {
  return maskPhonesForLogs(url)
    .replace(/(\/api\/v1\/sms\/callbacks\/[^/]+\/)[^/?#]+/, '$1***')
    .replace(/^(\/r\/)[^/?#]+/, '$1***')
    .replace(/([?&]ticket=)[^&#]+/, '$1***');
}
