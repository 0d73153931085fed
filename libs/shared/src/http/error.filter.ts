import { Catch, HttpException, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { AppError } from './app-error.js';
import type { ErrorBody } from './app-error.js';
import { RateLimitedError, rateLimitedPage } from './rate-limit/rate-limited.error.js';

const DB_UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006', '3D000']);

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code ?? (error as { driverError?: { code?: string } }).driverError?.code;
  if (code && DB_UNAVAILABLE_CODES.has(code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection|not currently accepting connections|Connection terminated unexpectedly/i.test(
    error.message,
  );
}

/** Maps every failure of an HTTP request to `{code, message, field?}`; a client's mistake is never a 500. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof RateLimitedError) return sendRateLimited(response, exception);
    const [status, body] = this.toResponse(exception);
    if (status >= 500) this.logger.error({ err: exception, code: body.code }, 'request failed');
    response.status(status).json(body);
  }

  /** The status and body any failure maps to (also used by filters that answer in another format). */
  toResponse(exception: unknown): [number, ErrorBody] {
    if (exception instanceof AppError) {
      return [exception.status, { code: exception.code, message: exception.message, ...(exception.field ? { field: exception.field } : {}) }];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const cause = exception.cause as { type?: string } | undefined;
      if (exception.cause instanceof SyntaxError || cause?.type === 'entity.parse.failed') {
        return [400, { code: 'MALFORMED_JSON', message: '请求体不是有效的 JSON，请检查括号、引号和逗号' }];
      }
      if (status === 404) return [404, { code: 'NOT_FOUND', message: '请求的地址不存在，请查看 /docs 中的接口说明' }];
      if (status === 413) return [413, { code: 'PAYLOAD_TOO_LARGE', message: '请求内容过大：JSON 请求最大 1 MB，照片最大 5 MB' }];
      if (status === 415) return [415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: '不支持的内容类型，请使用 application/json' }];
      if (status === 400) return [400, { code: 'BAD_REQUEST', message: `请求参数不正确：${exception.message}` }];
      return [status, { code: `HTTP_${status}`, message: exception.message }];
    }
    const parseError = exception as { type?: string; status?: number };
    if (parseError?.type === 'entity.parse.failed') {
      return [400, { code: 'MALFORMED_JSON', message: '请求体不是有效的 JSON，请检查括号、引号和逗号' }];
    }
    if (parseError?.type === 'entity.too.large') return [413, { code: 'PAYLOAD_TOO_LARGE', message: '请求内容过大：JSON 请求最大 1 MB，照片最大 5 MB' }];
    if (isDatabaseUnavailable(exception)) {
      return [503, { code: 'SERVICE_UNAVAILABLE', message: '系统暂时无法处理请求（数据库不可用），本次请求未保存，请稍后重试' }];
    }
    return [500, { code: 'INTERNAL_ERROR', message: '系统内部错误，请稍后重试；如持续出现请联系平台运维' }];
  }
}

/** A 429 with `Retry-After`, in the answer format the limit asked for (platform JSON by default). */
export function sendRateLimited(response: Response, refusal: RateLimitedError): void {
  response.status(429).setHeader('Retry-After', String(refusal.retryAfterSeconds));
  if (refusal.answer === 'html') {
    response.setHeader('cache-control', 'no-store');
    response.type('text/html; charset=utf-8').send(rateLimitedPage(refusal.message));
  } else if (typeof refusal.answer === 'function') {
    response.json(refusal.answer(refusal));
  } else {
    response.json({ code: refusal.code, message: refusal.message, ...(refusal.field ? { field: refusal.field } : {}) });
  }
}
