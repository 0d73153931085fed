import type { ChannelModel, ConfirmChannel } from 'amqplib';
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

  async publish(envelopes: EventEnvelope[]): Promise<void> {
    const ch = this.channel;
    if (!ch || !this.connection.isConnected()) throw new Error('RabbitMQ is not connected');
    for (const env of envelopes) {
      ch.publish(EVENTS_EXCHANGE, env.type, Buffer.from(JSON.stringify(env)), {
        persistent: true,
        messageId: env.id,
        type: env.type,
        contentType: 'application/json',
        timestamp: Math.floor(Date.parse(env.occurredAt) / 1000),
        headers: { 'x-event-version': env.version, 'x-producer': env.producer },
      });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ch.waitForConfirms(),
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

/**
 * Reads a service's dead-letter queue without consuming it (get, then return unacked). Phone
 * numbers in what it returns (body, reason, type) are masked: the reader is the duty engineer,
 * not the handling company (PIPL; DOMAIN.md §5).
 */
export class RmqDeadLetters implements DeadLetterReader {
  constructor(
    private readonly connection: RmqConnection,
    private readonly service: ServiceName,
  ) {}

  async count(): Promise<number> {
    return this.withChannel(async (ch) => (await ch.checkQueue(deadLetterQueueOf(queueOf(this.service)))).messageCount);
  }

  async list(limit: number): Promise<DeadLetter[]> {
    const queue = deadLetterQueueOf(queueOf(this.service));
    return this.withChannel(async (ch) => {
      const letters: DeadLetter[] = [];
      for (let i = 0; i < limit; i++) {
        const msg = await ch.get(queue, { noAck: false });
        if (!msg) break;
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
      }
      return letters; // closing the channel returns every unacked message to the queue
    });
  }

  private async withChannel<T>(fn: (ch: import('amqplib').Channel) => Promise<T>): Promise<T> {
    const model = await this.currentModel();
    const ch = await model.createChannel();
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  private async currentModel(): Promise<ChannelModel> {
    const model = this.connection.liveModel();
    if (!model) throw new Error('RabbitMQ is not connected');
    return model;
  }
}

function maskOptional(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : maskPhonesInText(String(value));
}
