import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  id: string;
  payload: any;
}

/**
 * A company's duty endpoint for tests: verifies the Standard Webhooks signature with the
 * `standardwebhooks` package and records what it accepted. Can be told to fail.
 */
export class WebhookReceiver {
  secret?: string;
  failNext = 0;
  readonly received: ReceivedWebhook[] = [];
  readonly rejected: string[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (this.failNext > 0) {
          this.failNext--;
          res.writeHead(503).end();
          return;
        }
        try {
          const payload = new Webhook(this.secret!).verify(body, req.headers as Record<string, string>);
          this.received.push({ id: String(req.headers['webhook-id']), payload });
          res.writeHead(204).end();
        } catch (error) {
          this.rejected.push((error as Error).message);
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/cases`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
