import type { Channel, ChannelModel, ConfirmChannel, GetMessage } from 'amqplib';
import { Logger } from '@nestjs/common';
import type { EventEnvelope } from '../envelope.js';
import type { DeadLetter, DeadLetterReader, EventPublisher } from '../publisher.js';
import { queueOf } from '../subscriptions.js';
import type { ServiceName } from '../../contracts/services.js';
import { maskPhonesInText } from '../../phone/phone.js';
import { ATTEMPT_HEADER, DEAD_REASON_HEADER } from './rmq.transport.js';
import { deadLetterQueueOf, EVENTS_EXCHANGE } from './topology.js';
import type { RmqConnection } from './rmq-connection.js';

const CONFIRM_TIMEOUT_MS = 10_000;

/** Publishes persistent messages on a confirm channel; resolves once the broker confirmed all of them. */
export class RmqPublisher implements EventPublisher {
  private readonly logger = new Logger('RmqPublisher');
  private channel?: ConfirmChannel;

  constructor(private readonly connection: RmqConnection) {
    connection.onReady((model) => {
      this.openChannel(model).catch((err: Error) => this.logger.warn(`cannot open publisher channel: ${err.message}`));
    });
    connection.on('lost', () => (this.channel = undefined));
  }

  isReady(): boolean {
    return this.connection.isConnected() && this.channel !== undefined;
  }

  /**
   * Sends every envelope at once (in order, before the first await), then waits for the broker's
   * confirm of each of them — only these: other batches may be published and confirmed meanwhile.
   */
  async publish(envelopes: EventEnvelope[]): Promise<void> {
    const ch = this.channel;
    if (!ch || !this.connection.isConnected()) throw new Error('RabbitMQ is not connected');
    const confirmations = envelopes.map(
      (env) =>
        new Promise<void>((resolve, reject) => {
          ch.publish(
            EVENTS_EXCHANGE,
            env.type,
            Buffer.from(JSON.stringify(env)),
            {
              persistent: true,
              messageId: env.id,
              type: env.type,
              contentType: 'application/json',
              timestamp: Math.floor(Date.parse(env.occurredAt) / 1000),
              headers: { 'x-event-version': env.version, 'x-producer': env.producer },
            },
            (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
          );
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(confirmations),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('RabbitMQ did not confirm in time')), CONFIRM_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async openChannel(model: ChannelModel): Promise<void> {
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => this.logger.warn(`publisher channel error: ${err.message}`));
    ch.on('close', () => {
      if (this.channel === ch) this.channel = undefined;
    });
    this.channel = ch;
  }
}

/** Beyond this many parked messages, the count is the broker's ready count instead of the messages taken. */
const COUNT_BY_TAKING_UP_TO = 1_000;

/**
 * Reads a service's dead-letter queue without consuming it: messages are taken unacknowledged and
 * handed back with a requeueing nack. All reads share one channel, one at a time: the broker
 * applies a channel's commands in order, so a read that follows another sees the messages the
 * first one handed back (a fresh channel per read could count before the hand-back landed, and
 * report an empty queue). The count is taken the same way, for the same reason. Phone numbers in
 * what it returns (body, reason, type) are masked: the reader is the duty engineer, not the
 * handling company (PIPL; DOMAIN.md §5).
 */
export class RmqDeadLetters implements DeadLetterReader {
  private channel?: Channel;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly connection: RmqConnection,
    private readonly service: ServiceName,
  ) {}

  async count(): Promise<number> {
    return this.serially(async (ch, queue) => {
      const { messageCount } = await ch.checkQueue(queue);
      const taken = await this.takeUnacked(ch, queue, COUNT_BY_TAKING_UP_TO);
      return taken < COUNT_BY_TAKING_UP_TO ? taken : Math.max(messageCount, taken);
    });
  }

  async list(limit: number): Promise<DeadLetter[]> {
    return this.serially(async (ch, queue) => {
      const letters: DeadLetter[] = [];
      await this.takeUnacked(ch, queue, limit, (msg) => {
        const headers = msg.properties.headers ?? {};
        letters.push({
          envelopeId: msg.properties.messageId,
          type: maskOptional(msg.properties.type ?? headers['x-original-routing-key']),
          queue: queueOf(this.service),
          reason: maskPhonesInText(String(headers[DEAD_REASON_HEADER] ?? 'delivery limit reached (consumer kept failing)')),
          attempts: Number(headers[ATTEMPT_HEADER] ?? 0),
          deadLetteredAt: String(headers['x-dead-lettered-at'] ?? ''),
          body: maskPhonesInText(msg.content.toString('utf8').slice(0, 4000)),
        });
      });
      return letters;
    });
  }

  /** Gets up to `limit` messages unacknowledged, shows each to `see`, then hands them all back. */
  private async takeUnacked(ch: Channel, queue: string, limit: number, see?: (msg: GetMessage) => void): Promise<number> {
    const taken: GetMessage[] = [];
    try {
      while (taken.length < limit) {
        const msg = await ch.get(queue, { noAck: false });
        if (!msg) break;
        taken.push(msg);
        see?.(msg);
      }
      return taken.length;
    } finally {
      if (taken.length > 0) ch.nackAll(true);
    }
  }

  private serially<T>(fn: (ch: Channel, queue: string) => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      const ch = await this.openChannel();
      try {
        return await fn(ch, deadLetterQueueOf(queueOf(this.service)));
      } catch (error) {
        // A failed read (e.g. the queue is gone) closes the channel on the broker's side; start afresh next time.
        if (this.channel === ch) this.channel = undefined;
        await ch.close().catch(() => undefined);
        throw error;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async openChannel(): Promise<Channel> {
    if (this.channel) return this.channel;
    const model = this.connection.liveModel();
    if (!model) throw new Error('RabbitMQ is not connected');
    const ch = await model.createChannel();
    ch.on('error', () => undefined); // the failing call rejects; nothing else to do here
    ch.on('close', () => {
      if (this.channel === ch) this.channel = undefined;
    });
    this.channel = ch;
    return ch;
  }
}

function maskOptional(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : maskPhonesInText(String(value));
}
