import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { ServiceName } from '../../contracts/services.js';
import { decodeEnvelope, PoisonMessageError } from '../envelope.js';
import type { EventEnvelope } from '../envelope.js';
import { EventTransport } from '../event-transport.js';
import { decideOnFailure } from '../retry-policy.js';
import { queueOf } from '../subscriptions.js';
import { DEAD_LETTER_EXCHANGE, RETRY_EXCHANGE, retryQueueOf } from './topology.js';
import type { RmqConnection } from './rmq-connection.js';

export const ATTEMPT_HEADER = 'x-attempt';
export const DEAD_REASON_HEADER = 'x-dead-letter-reason';

/**
 * Nest custom transport over amqplib: consumes the service's quorum queue with manual acks and a
 * bounded prefetch. A message is acked only after its handler (and its transaction) finished.
 * A failure is republished to a TTL retry queue (backoff) and, after the last try or at once for a
 * poison message, to the service's dead-letter queue with the reason — each copy confirmed by
 * the broker before the original is acked, so nothing is lost and the queue never blocks.
 */
export class RmqTransport extends EventTransport {
  private readonly queue: string;
  private channel?: ConfirmChannel;
  private closing = false;

  constructor(
    private readonly connection: RmqConnection,
    service: ServiceName,
  ) {
    super(service);
    this.queue = queueOf(service);
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    this.assertHandlersSubscribed();
    this.connection.onReady((model) => {
      this.startConsuming(model).catch((err: Error) => this.logger.error(`cannot consume ${this.queue}: ${err.message}`));
    });
    callback();
  }

  async close(): Promise<void> {
    this.closing = true;
    const ch = this.channel;
    this.channel = undefined;
    await ch?.close().catch(() => undefined);
  }

  unwrap<T>(): T {
    return this.connection as T;
  }

  private async startConsuming(model: ChannelModel): Promise<void> {
    if (this.closing) return;
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => this.logger.warn(`consumer channel error: ${err.message}`));
    await ch.prefetch(this.connection.settings.prefetch);
    this.channel = ch;
    await ch.consume(this.queue, (msg) => {
      if (msg) void this.handle(ch, msg);
    });
  }

  private async handle(ch: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const attempt = Number(msg.properties.headers?.[ATTEMPT_HEADER] ?? 1) || 1;
    let envelope: EventEnvelope | undefined;
    try {
      envelope = decodeEnvelope(msg.content);
      await this.dispatchEnvelope(envelope, this.queue, attempt);
      ch.ack(msg);
      return;
    } catch (error) {
      await this.settleFailure(ch, msg, attempt, envelope, error);
    }
  }

  private async settleFailure(
    ch: ConfirmChannel,
    msg: ConsumeMessage,
    attempt: number,
    envelope: EventEnvelope | undefined,
    error: unknown,
  ): Promise<void> {
    const outcome = decideOnFailure({ delaysMs: this.connection.settings.retryDelaysMs }, attempt, error, error instanceof PoisonMessageError);
    const label = `${envelope?.type ?? msg.fields.routingKey} ${envelope?.id ?? msg.properties.messageId ?? ''}`;
    // A retried message comes back through the requeue exchange: keep the event's own routing key.
    const headers = {
      ...(msg.properties.headers ?? {}),
      'x-original-routing-key': msg.properties.headers?.['x-original-routing-key'] ?? msg.fields.routingKey,
    };
    const properties = { ...copyProperties(msg), type: envelope?.type ?? msg.properties.type };
    try {
      if (outcome.action === 'retry') {
        this.logger.warn(`retrying ${label} in ${outcome.delayMs} ms (attempt ${attempt}): ${describe(error)}`);
        const retryQueue = retryQueueOf(this.queue, outcome.delayMs);
        ch.publish(RETRY_EXCHANGE, retryQueue, msg.content, {
          ...properties,
          headers: { ...headers, [ATTEMPT_HEADER]: attempt + 1 },
        });
      } else {
        this.logger.error(`dead-lettered ${label}: ${outcome.reason}`);
        ch.publish(DEAD_LETTER_EXCHANGE, this.queue, msg.content, {
          ...properties,
          headers: {
            ...headers,
            [ATTEMPT_HEADER]: attempt,
            [DEAD_REASON_HEADER]: outcome.reason.slice(0, 1000),
            'x-dead-lettered-at': new Date().toISOString(),
          },
        });
      }
      await ch.waitForConfirms();
      ch.ack(msg);
    } catch (republishError) {
      // The copy is not safely stored: leave the original with the broker to be redelivered.
      this.logger.error(`could not park ${label}, returning it to the queue: ${describe(republishError)}`);
      try {
        ch.nack(msg, false, true);
      } catch {
        // channel already gone; the broker redelivers unacked messages by itself
      }
    }
  }
}

function copyProperties(msg: ConsumeMessage) {
  return {
    persistent: true,
    messageId: msg.properties.messageId,
    type: msg.properties.type,
    contentType: msg.properties.contentType,
    timestamp: msg.properties.timestamp,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
