import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Agent } from 'undici';
import { postWebhook } from './webhook-http.js';
import { createGuardedAgent } from './webhook-target-guard.js';
import type { LookupAll } from './webhook-target-guard.js';

/*
 * One webhook exchange against real sockets on 127.0.0.1: whatever the receiver does (errors,
 * silence, a body that never ends, redirects), postWebhook answers within its budget with an
 * error a company's developer can act on, and never throws.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const TIMEOUT_MS = 300;
const HEADERS = { 'content-type': 'application/json', 'webhook-id': 'msg_test' };
const BODY = JSON.stringify({ type: 'case.dispatched', timestamp: '2026-11-29T08:00:00.000Z', data: {} });

let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.writeHead(204).end();
let hits = 0;
let allowed: Agent;
let guarded: Agent;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  allowed = createGuardedAgent({ allowPrivate: true });
  guarded = createGuardedAgent({ allowPrivate: false });
});

afterEach(() => {
  hits = 0;
  handler = (_req, res) => res.writeHead(204).end();
  server.closeAllConnections();
});

afterAll(async () => {
  await allowed.destroy();
  await guarded.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const post = (url: string, agent: Agent = allowed, extra: { signal?: AbortSignal; bodyCapBytes?: number } = {}) =>
  postWebhook(url, HEADERS, BODY, { dispatcher: agent, timeoutMs: TIMEOUT_MS, bodyCapBytes: extra.bodyCapBytes ?? 1024, signal: extra.signal });

describe('a receiver that answers', () => {
  it('2xx with a body is delivered (status kept, no error)', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    expect(await post(`${base}/hook`)).toMatchObject({ statusCode: 200, error: null, gone: false, aborted: false });
  });

  it('500 is a failure "HTTP 500"', async () => {
    handler = (_req, res) => res.writeHead(500).end('boom');
    expect(await post(`${base}/hook`)).toMatchObject({ statusCode: 500, error: 'HTTP 500', gone: false });
  });

  it('410 Gone is a failure flagged gone (the endpoint gets disabled)', async () => {
    handler = (_req, res) => res.writeHead(410).end();
    const outcome = await post(`${base}/hook`);
    expect(outcome).toMatchObject({ statusCode: 410, gone: true });
    expect(outcome.error).toMatch(/^HTTP 410 Gone/);
  });

  it('a redirect is not followed: a failure naming where it pointed, and nothing is sent there', async () => {
    let elsewhereHits = 0;
    handler = (req, res) => {
      if (req.url === '/elsewhere') elsewhereHits++;
      res.writeHead(302, { location: `${base}/elsewhere` }).end();
    };
    const outcome = await post(`${base}/hook`);
    expect(outcome.statusCode).toBe(302);
    expect(outcome.error).toBe(`HTTP 302: redirect to ${base}/elsewhere not followed (configure the final URL)`);
    expect(hits).toBe(1);
    expect(elsewhereHits).toBe(0);
  });

  it('a 307 without a Location header is still a failure, not a crash', async () => {
    handler = (_req, res) => res.writeHead(307).end();
    expect((await post(`${base}/hook`)).error).toBe('HTTP 307: redirect not followed (configure the final URL)');
  });
});

describe('a receiver that never finishes is cut off within the budget', () => {
  it('no response at all: "no response within 300 ms", after about the budget', async () => {
    handler = () => undefined; // holds the request open
    const outcome = await post(`${base}/hook`);
    expect(outcome).toMatchObject({ statusCode: null, error: `no response within ${TIMEOUT_MS} ms`, aborted: false });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(outcome.durationMs).toBeLessThan(TIMEOUT_MS + 2_000);
  });

  it('headers sent, body never finished: a failure even with status 200', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial…');
    };
    const outcome = await post(`${base}/hook`);
    expect(outcome).toMatchObject({ statusCode: 200, error: `HTTP 200: response body not finished within ${TIMEOUT_MS} ms` });
    expect(outcome.durationMs).toBeLessThan(TIMEOUT_MS + 2_000);
  });

  it('an endless body that keeps streaming is read only up to the cap, then the connection is dropped', async () => {
    let timer: NodeJS.Timeout | undefined;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      timer = setInterval(() => res.write(Buffer.alloc(512, 1)), 5);
      res.on('close', () => clearInterval(timer));
    };
    const outcome = await post(`${base}/hook`, allowed, { bodyCapBytes: 2048 });
    clearInterval(timer);
    expect(outcome).toMatchObject({ statusCode: 200, error: null });
    expect(outcome.durationMs).toBeLessThan(TIMEOUT_MS);
  });

  it('a connection dropped mid-response is a clear failure', async () => {
    handler = (req) => req.socket.destroy();
    expect((await post(`${base}/hook`)).error).toMatch(/^connection closed by 127\.0\.0\.1:\d+ before a complete response$/);
  });

  it('nobody listening: "connection refused"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect((await post(`http://127.0.0.1:${port}/hook`)).error).toBe(`connection refused by 127.0.0.1:${port}`);
  });

  it('a shutdown abort ends the exchange at once and is flagged aborted (no attempt is counted)', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const outcome = await post(`${base}/hook`, allowed, { signal: controller.signal });
    expect(outcome.aborted).toBe(true);
    expect(outcome.durationMs).toBeLessThan(TIMEOUT_MS);
  });
});

describe('the connect-time guard refuses private targets before any byte is sent', () => {
  it.each(['http://127.0.0.1', 'http://localhost'])('%s:<port> is refused and the receiver sees nothing', async (origin) => {
    const url = `${origin}:${new URL(base).port}/hook`;
    const outcome = await post(url, guarded);
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toMatch(/is a loopback address; private targets are not allowed/);
    expect(hits).toBe(0);
  });

  it('[::1] is refused before connecting', async () => {
    const outcome = await post('http://[::1]:9/hook', guarded);
    expect(outcome.error).toBe('target ::1 is a loopback address; private targets are not allowed (WEBHOOK_ALLOW_PRIVATE_TARGETS=false)');
  });

  it('a name that resolved publicly when set but now resolves to loopback (DNS rebinding) is refused at connect', async () => {
    const rebinding: LookupAll = (_hostname, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);
    const strict = createGuardedAgent({ allowPrivate: false, resolveAll: rebinding });
    const lenient = createGuardedAgent({ allowPrivate: true, resolveAll: rebinding });
    try {
      const url = `http://hooks.example-heating.cn:${new URL(base).port}/hook`;
      expect((await post(url, strict)).error).toMatch(/^target hooks\.example-heating\.cn \(127\.0\.0\.1\) is a loopback address/);
      expect(hits).toBe(0);
      // The same resolver with private targets allowed reaches the test server: the guard is what refused.
      expect(await post(url, lenient)).toMatchObject({ statusCode: 204, error: null });
      expect(hits).toBe(1);
    } finally {
      await strict.destroy();
      await lenient.destroy();
    }
  });
});
