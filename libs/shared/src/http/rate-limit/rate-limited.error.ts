import { AppError } from '../app-error.js';

/**
 * How a refused request is answered: the platform's `{code, message, field?}` (json), a small
 * Chinese page for residents' browsers (html), or a body of the caller's own format (an SMS
 * provider's `{code, msg}`). Every answer is a 429 with `Retry-After`.
 */
export type RateLimitAnswer = 'json' | 'html' | ((refusal: RateLimitedError) => object);

/** 429: too many requests; says what was limited and, in `Retry-After`, when to try again. */
export class RateLimitedError extends AppError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
    field?: string,
    readonly answer: RateLimitAnswer = 'json',
  ) {
    super(code, message, 429, field);
    this.name = 'RateLimitedError';
  }
}

const escapeHtml = (value: string) => value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page a resident's browser shows instead of a JSON body when a request is refused. */
export function refusalPage(title: string, message: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><title>${escapeHtml(title)} · 供热直通车</title>
<style>body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f6f8;color:#1f2933}
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem}.card{background:#fff;border-radius:12px;padding:1.25rem}</style></head>
<body><main><div class="card"><h1>${escapeHtml(title)}</h1><p role="alert">${escapeHtml(message)}</p></div></main></body></html>`;
}

export const rateLimitedPage = (message: string): string => refusalPage('请稍后再试', message);
