import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { WebhookTargetRefused } from './webhook-target-guard.js';

export interface PostOptions {
  dispatcher: Dispatcher;
  /** Budget for the whole exchange: connect, send, headers and the response body. */
  timeoutMs: number;
  /** Read at most this much of a 2xx body, then hang up (the body is not needed). */
  bodyCapBytes: number;
  /** Aborts the exchange early (service shutdown); no attempt is counted then. */
  signal?: AbortSignal;
}

export interface PostOutcome {
  /** The receiver's HTTP status, when it answered. */
  statusCode: number | null;
  /** Null when delivered (2xx and the body finished or was capped); otherwise what went wrong, for the attempt log. */
  error: string | null;
  /** 410 Gone: the receiver asks us to stop sending to it. */
  gone: boolean;
  /** Aborted through `signal` (not a delivery failure). */
  aborted: boolean;
  durationMs: number;
}

const MAX_LOCATION_CHARS = 200;

/**
 * POSTs one webhook. Never throws and never hangs longer than `timeoutMs`: a receiver that does
 * not answer, or sends headers and never finishes the body, is cut off and reported. Redirects
 * are not followed (a 3xx is a failure naming where it pointed).
 */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, options: PostOptions): Promise<PostOutcome> {
  const started = performance.now();
  const controller = new AbortController();
  let timedOut = false;
  let phase: 'response' | 'body' = 'response';
  let statusCode: number | null = null;
  let responseBody: { destroy(error?: Error): unknown } | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    const error = new Error('webhook timeout');
    controller.abort(error);
    responseBody?.destroy(error);
  }, options.timeoutMs);
  const onOuterAbort = () => {
    controller.abort(new Error('aborted'));
    responseBody?.destroy(new Error('aborted'));
  };
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const done = (error: string | null, gone = false): PostOutcome => ({
    statusCode,
    error,
    gone,
    aborted: !timedOut && (options.signal?.aborted ?? false),
    durationMs: Math.round(performance.now() - started),
  });
  try {
    if (options.signal?.aborted) return done('aborted before sending');
    const res = await request(url, {
      method: 'POST',
      headers,
      body,
      dispatcher: options.dispatcher,
      signal: controller.signal,
      // The overall timer above is the budget; these only stop undici's own idle timers firing first.
      headersTimeout: options.timeoutMs + 1_000,
      bodyTimeout: options.timeoutMs + 1_000,
    });
    statusCode = res.statusCode;
    responseBody = res.body;
    // Destroying the body (cap, timeout, non-2xx) emits an error on it; the outcome already says what happened.
    res.body.on('error', () => undefined);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      res.body.destroy();
      if (res.statusCode === 410) return done('HTTP 410 Gone: the receiver asked to stop deliveries; endpoint disabled', true);
      if (res.statusCode >= 300 && res.statusCode < 400) {
        const location = headerValue(res.headers.location);
        return done(
          location
            ? `HTTP ${res.statusCode}: redirect to ${truncate(location, MAX_LOCATION_CHARS)} not followed (configure the final URL)`
            : `HTTP ${res.statusCode}: redirect not followed (configure the final URL)`,
        );
      }
      return done(`HTTP ${res.statusCode}`);
    }
    phase = 'body';
    let read = 0;
    for await (const chunk of res.body) {
      read += (chunk as Buffer).length;
      if (read >= options.bodyCapBytes) {
        res.body.destroy();
        break;
      }
    }
    return done(null);
  } catch (error) {
    if (timedOut) {
      return done(
        phase === 'body'
          ? `HTTP ${statusCode}: response body not finished within ${options.timeoutMs} ms`
          : `no response within ${options.timeoutMs} ms`,
      );
    }
    if (options.signal?.aborted) return done('aborted: the service is shutting down');
    return done(describeNetworkError(error, url));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A network failure in words a company's developer can act on. */
export function describeNetworkError(error: unknown, url: string): string {
  if (error instanceof WebhookTargetRefused) return error.message;
  const e = error as NodeJS.ErrnoException & { cause?: unknown };
  if (e?.cause instanceof WebhookTargetRefused) return e.cause.message;
  const { host } = new URL(url);
  switch (e?.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${host}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host ${new URL(url).hostname} could not be resolved (${e.code})`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `connection closed by ${host} before a complete response`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `could not connect to ${host} in time`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'no response in time';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'response body not finished in time';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${host} is unreachable (${e.code})`;
    default:
      if (typeof e?.code === 'string' && /CERT|SSL|TLS/.test(e.code)) return `TLS problem with ${host}: ${e.code}`;
      return `request failed: ${e?.message ?? String(error)}`;
  }
}
