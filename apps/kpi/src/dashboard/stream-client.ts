import type { ServerResponse } from 'node:http';

/** The latest picture of a scope as a ready-to-send Server-Sent Events message. */
export interface StreamMessage {
  /** `${epoch}-${seq}`: the SSE id (Last-Event-ID). */
  id: string;
  seq: number;
  text: string;
}

/**
 * One open stream (text/event-stream). It is only ever offered the scope's latest picture: a
 * client that has it already gets nothing, a slow client (its socket buffer full) skips the
 * pictures that went by meanwhile and gets the latest once it drains. So a flood of events costs
 * a page at most one message per push interval, and never a backlog.
 */
export class StreamClient {
  private sentSeq = 0;
  private blocked = false;
  private closed = false;
  private pending: StreamMessage | undefined;

  constructor(private readonly res: ServerResponse) {
    res.on('close', () => (this.closed = true));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Marks a picture as already held (a reconnecting page named it in Last-Event-ID). */
  alreadyHas(seq: number): void {
    this.sentSeq = Math.max(this.sentSeq, seq);
  }

  offer(message: StreamMessage | undefined): void {
    if (!message || this.closed || message.seq <= this.sentSeq) return;
    if (this.blocked) {
      this.pending = message;
      return;
    }
    this.sentSeq = message.seq;
    if (!this.res.write(message.text)) {
      this.blocked = true;
      this.res.once('drain', () => {
        this.blocked = false;
        const next = this.pending;
        this.pending = undefined;
        this.offer(next);
      });
    }
  }

  /** An SSE comment: keeps proxies from closing an idle connection. */
  heartbeat(): void {
    if (!this.closed && !this.blocked) this.res.write(': keep-alive\n\n');
  }

  /** Tells the page to fetch a new ticket (its stream reached its maximum age), then closes. */
  reauth(): void {
    if (this.closed) return;
    this.res.write('event: reauth\ndata: {}\n\n');
    this.res.end();
    this.closed = true;
  }

  end(): void {
    if (this.closed) return;
    this.res.end();
    this.closed = true;
  }
}
