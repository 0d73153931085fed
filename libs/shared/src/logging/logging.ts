import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { LogLevel } from '../config/service-config.js';
import type { ServiceName } from '../contracts/services.js';
import { maskPhonesInText } from '../phone/phone.js';

/** Masks phone numbers in every string of a log record (bounded depth: logs are small objects). */
export function maskLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhonesInText(value);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  // Past the depth bound nothing is inspected, so nothing may pass through unmasked.
  if (depth > 5) return '[...]';
  if (value instanceof Error) {
    return { type: value.name, message: maskPhonesInText(value.message), stack: value.stack && maskPhonesInText(value.stack) };
  }
  if (Array.isArray(value)) return value.map((v) => maskLogValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskLogValue(v, depth + 1);
  return out;
}

/**
 * Structured JSON logs (pino). Phone numbers never reach a log line: fields named phone are
 * censored, and any mainland mobile number inside a string is masked as 138****1234.
 */
export function loggingParams(service: ServiceName, level: LogLevel): Params {
  return {
    pinoHttp: {
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
      serializers: {
        req: (req: IncomingMessage & { id?: unknown }) => ({ id: req.id, method: req.method, url: maskPhonesInText(req.url ?? '') }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
    },
  };
}
