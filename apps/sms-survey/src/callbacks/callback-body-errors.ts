import { Injectable, Logger } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { CallbackAuth } from './callback-auth.js';
import { refusal } from './sms-callbacks.controller.js';
import type { CallbackRefusal } from './sms-callbacks.controller.js';
import type { CallbackProvider } from './provider-formats.js';

export const CALLBACK_PATH = '/api/v1/sms/callbacks';

/**
 * A callback body Express could not read (malformed JSON, over 1 MB) never reaches the controller:
 * the body parser fails first. This error handler, mounted on the callback path ahead of Nest's
 * own, answers those in the provider's format too (after the same authentication), not as
 * `{code, message}`.
 */
@Injectable()
export class CallbackBodyErrors implements OnModuleInit {
  private readonly logger = new Logger('SmsCallbacks');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: CallbackAuth,
  ) {}

  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter?.getInstance?.() as { use?: (path: string, handler: unknown) => void } | undefined;
    // Runs after the routes are registered and before Nest adds its error handler (NestApplication.init).
    app?.use?.(CALLBACK_PATH, (error: unknown, req: Request, res: Response, next: NextFunction) => this.handle(error, req, res, next));
  }

  private handle(error: unknown, req: Request, res: Response, next: NextFunction): void {
    const match = /^\/(aliyun|tencent)\/([^/?#]*)\/?(?:[?#]|$)/.exec(req.path ?? '');
    const type = (error as { type?: string })?.type;
    if (!match || res.headersSent || (type !== 'entity.parse.failed' && type !== 'entity.too.large')) return next(error);
    const provider = match[1] as CallbackProvider;
    let token = '';
    try {
      token = decodeURIComponent(match[2]);
    } catch {
      token = match[2];
    }
    const authenticated = this.auth.check(token, req.ip);
    const why: CallbackRefusal = authenticated !== 'ok' ? authenticated : type === 'entity.too.large' ? 'too_large' : 'malformed';
    this.logger.warn(`${provider} callback refused (${why === 'malformed' ? 'malformed JSON' : why}) from ${req.ip ?? 'unknown address'}`);
    const [status, answer] = refusal(provider, why);
    res.status(status).json(answer);
  }
}
