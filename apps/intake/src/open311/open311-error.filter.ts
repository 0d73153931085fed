import { Catch, HttpException } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppError, ErrorFilter, RateLimitedError } from '#shared';
import { renderOpen311 } from './open311-format.js';

/**
 * GeoReport v2 errors: `[{code, description}]` (JSON) or `<errors><error>…` (XML), in the format
 * the client asked for. Anything not a client error falls back to the suite's error filter.
 */
@Catch()
export class Open311ErrorFilter implements ExceptionFilter {
  private readonly fallback = new ErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const status = exception instanceof AppError ? exception.status : exception instanceof HttpException ? exception.getStatus() : 0;
    if (status < 400 || status >= 500) return this.fallback.catch(exception, host);
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof RateLimitedError) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    const message = exception instanceof Error ? exception.message : String(exception);
    const field = exception instanceof AppError && exception.field ? `（${exception.field}）` : '';
    const description = message.includes(field.slice(1, -1)) || !field ? message : `${message}${field}`;
    const { type, body } = renderOpen311(req.path.endsWith('.xml') ? 'xml' : 'json', 'errors', 'error', [{ code: status, description }]);
    res.status(status).type(type).send(body);
  }
}
