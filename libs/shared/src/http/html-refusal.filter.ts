import { Catch } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ErrorFilter } from './error.filter.js';
import { RateLimitedError, refusalPage } from './rate-limit/rate-limited.error.js';

/**
 * For pages residents open in a browser (the web rating link): a refused request — a malformed
 * link, too many requests — is a short Chinese HTML page with the same status, never JSON.
 * Server failures fall back to the platform's error filter.
 */
@Catch()
export class HtmlRefusalFilter implements ExceptionFilter {
  private readonly platform = new ErrorFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const [status, body] = this.platform.toResponse(exception);
    if (host.getType() !== 'http' || status >= 500) return this.platform.catch(exception, host);
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof RateLimitedError) response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    response.setHeader('cache-control', 'no-store');
    response.status(status).type('text/html; charset=utf-8').send(refusalPage(status === 429 ? '请稍后再试' : '链接无法打开', body.message));
  }
}
