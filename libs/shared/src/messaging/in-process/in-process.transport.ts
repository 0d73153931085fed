import type { ServiceName } from '../../contracts/services.js';
import { maskPhonesInText } from '../../phone/phone.js';
import { decodeEnvelope, PoisonMessageError } from '../envelope.js';
import { EventTransport } from '../event-transport.js';
import type { DeadLetter, DeadLetterReader, EventPublisher } from '../publisher.js';
import type { EventEnvelope } from '../envelope.js';
import { decideOnFailure } from '../retry-policy.js';
import type { RetryPolicy } from '../retry-policy.js';
import { queueOf } from '../subscriptions.js';
import type { InProcessBus, InProcessDelivery } from './in-process-bus.js';

/** Nest custom transport over the in-process bus (embedded mode). Same semantics as the RabbitMQ one. */
export class InProcessTransport extends EventTransport {
  private readonly queue: string;

  constructor(
    private readonly bus: InProcessBus,
    service: ServiceName,
    private readonly retry: RetryPolicy,
    private readonly prefetch: number,
  ) {
    super(service);
    this.queue = queueOf(service);
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    this.assertHandlersSubscribed();
    this.bus.consume(this.queue, this.prefetch, (d) => this.handle(d));
    callback();
  }

  close(): void {
    this.bus.cancel(this.queue);
  }

  unwrap<T>(): T {
    return this.bus as T;
  }

  private async handle(delivery: InProcessDelivery): Promise<void> {
    let envelope: EventEnvelope | undefined;
    try {
      envelope = decodeEnvelope(delivery.body);
      await this.dispatchEnvelope(envelope, this.queue, delivery.attempt);
    } catch (error) {
      const outcome = decideOnFailure(this.retry, delivery.attempt, error, error instanceof PoisonMessageError);
      if (outcome.action === 'retry') {
        this.logger.warn(`retrying ${envelope?.type ?? 'message'} ${envelope?.id ?? ''} in ${outcome.delayMs} ms: ${String(error)}`);
        this.bus.redeliverLater(this.queue, { body: delivery.body, attempt: delivery.attempt + 1 }, outcome.delayMs);
      } else {
        this.logger.error(`dead-lettered ${envelope?.type ?? 'message'} ${envelope?.id ?? ''}: ${outcome.reason}`);
        this.bus.deadLetter(this.queue, {
          envelopeId: envelope?.id,
          type: envelope?.type,
          queue: this.queue,
          reason: outcome.reason,
          attempts: delivery.attempt,
          deadLetteredAt: new Date().toISOString(),
          body: delivery.body,
        });
      }
    }
  }
}

export class InProcessPublisher implements EventPublisher {
  constructor(private readonly bus: InProcessBus) {}
  async publish(envelopes: EventEnvelope[]): Promise<void> {
    for (const envelope of envelopes) this.bus.publish(envelope);
  }
  isReady(): boolean {
    return true;
  }
}

export class InProcessDeadLetters implements DeadLetterReader {
  constructor(
    private readonly bus: InProcessBus,
    private readonly service: ServiceName,
  ) {}
  /** Newest first; phone numbers masked, as the RabbitMQ reader does. */
  async list(limit: number): Promise<DeadLetter[]> {
    return this.bus
      .deadLetters(queueOf(this.service))
      .slice(-limit)
      .reverse()
      .map((l) => ({ ...l, type: l.type === undefined ? undefined : maskPhonesInText(l.type), reason: maskPhonesInText(l.reason), body: maskPhonesInText(l.body) }));
  }
  async count(): Promise<number> {
    return this.bus.deadLetters(queueOf(this.service)).length;
  }
}
