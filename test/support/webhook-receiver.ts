import { createServer } from 'node:http';
import type { IncomingHttpHeaders, ServerResponse, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  payload: any;
  /** When it was accepted and answered 204 (Date.now()). */
  at: number;
}

/** Every request as it arrived, verified or not. */
export interface RawWebhookRequest {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request arrived (Date.now()). */
  at: number;
}

/**
 * How the receiver answers a request:
 * - 'ok': verify the signature, 204 (400 when it does not verify);
 * - { status }: answer that status (e.g. 500, 410);
 * - { redirect }: 302 to that location;
 * - 'hang': hold the request without answering until release() (then as 'ok');
 * - 'hang-body': send 200 headers and part of a body, never finish;
 * - { delayMs }: a slow receiver: answer as 'ok' after that long.
 */
export type ReceiverBehaviour = 'ok' | 'hang' | 'hang-body' | { status: number } | { redirect: string } | { delayMs: number };

/**
 * A company's duty endpoint for tests: verifies the Standard Webhooks signature with the
 * `standardwebhooks` package and records what it accepted. Can be told to fail in various ways.
 */
export class WebhookReceiver {
  secret?: string;
  /** Answer the next n requests with 503 (kept for older tests; see `then`). */
  failNext = 0;
  /** What every request gets when no one-shot behaviour is queued. */
  behaviour: ReceiverBehaviour = 'ok';
  readonly received: ReceivedWebhook[] = [];
  readonly rejected: string[] = [];
  readonly requests: RawWebhookRequest[] = [];
  private readonly queued: ReceiverBehaviour[] = [];
  private readonly held: Array<() => void> = [];
  private server?: Server;

  /** Queues one-shot behaviours for the next requests, in order. */
  then(...behaviours: ReceiverBehaviour[]): this {
    this.queued.push(...behaviours);
    return this;
  }

  /** Requests currently held by 'hang'. */
  get holding(): number {
    return this.held.length;
  }

  /** Answers every held request as 'ok'. */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  /** Listens on `port` (default: any free one; pass the old port to come back after `stop`). */
  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.requests.push({ id: String(req.headers['webhook-id']), headers: req.headers, body, at: Date.now() });
        if (this.failNext > 0) {
          this.failNext--;
          res.writeHead(503).end();
          return;
        }
        const behaviour = this.queued.shift() ?? this.behaviour;
        if (behaviour === 'hang') {
          const answer = () => this.accept(body, req.headers, res);
          this.held.push(answer);
          // A sender that hung up is no longer held: nothing can be answered to it.
          res.on('close', () => {
            const i = this.held.indexOf(answer);
            if (i >= 0) this.held.splice(i, 1);
          });
        } else if (behaviour === 'hang-body') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('received, still writing…');
        } else if (typeof behaviour === 'object' && 'status' in behaviour) {
          res.writeHead(behaviour.status).end();
        } else if (typeof behaviour === 'object' && 'redirect' in behaviour) {
          res.writeHead(302, { location: behaviour.redirect }).end();
        } else if (typeof behaviour === 'object' && 'delayMs' in behaviour) {
          setTimeout(() => this.accept(body, req.headers, res), behaviour.delayMs);
        } else {
          this.accept(body, req.headers, res);
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hooks/cases`;
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server?.listening ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(body: string, headers: IncomingHttpHeaders, res: ServerResponse): void {
    if (res.destroyed) return;
    try {
      const payload = new Webhook(this.secret!).verify(body, headers as Record<string, string>);
      this.received.push({ id: String(headers['webhook-id']), payload, at: Date.now() });
      res.writeHead(204).end();
    } catch (error) {
      this.rejected.push((error as Error).message);
      res.writeHead(400).end();
    }
  }
}
