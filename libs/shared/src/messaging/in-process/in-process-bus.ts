import { AsyncLocalStorage } from 'node:async_hooks';
import { SERVICE_NAMES } from '../../contracts/services.js';
import type { EventEnvelope } from '../envelope.js';
import type { DeadLetter } from '../publisher.js';
import { queueOf, SUBSCRIPTIONS } from '../subscriptions.js';
import { topicMatches } from '../topic.js';

export interface InProcessDelivery {
  body: string;
  attempt: number;
}

type Consumer = (delivery: InProcessDelivery) => Promise<void>;

interface InProcessQueue {
  name: string;
  patterns: readonly string[];
  ready: InProcessDelivery[];
  inFlight: number;
  prefetch: number;
  consumer?: Consumer;
  deadLetters: DeadLetter[];
  timers: Set<NodeJS.Timeout>;
}

/**
 * The embedded stand-in for RabbitMQ: one topic exchange, one queue per service declared up front
 * from SUBSCRIPTIONS, bounded concurrency per queue, delayed redelivery and dead letters.
 * Messages are serialised on publish so consumers never share objects with producers.
 * It lives in memory: what is queued but not yet consumed is lost if the process dies, while
 * the outbox keeps everything not yet published (see docs/messaging.md).
 */
export class InProcessBus {
  private readonly queues = new Map<string, InProcessQueue>();
  private closed = false;
  /** Consumers run outside the publisher's async context (its request-scoped logger, for one). */
  private readonly detached = AsyncLocalStorage.snapshot();

  constructor() {
    for (const service of SERVICE_NAMES) this.declareQueue(queueOf(service), SUBSCRIPTIONS[service]);
  }

  declareQueue(name: string, patterns: readonly string[]): void {
    if (this.queues.has(name)) return;
    this.queues.set(name, { name, patterns, ready: [], inFlight: 0, prefetch: 1, deadLetters: [], timers: new Set() });
  }

  publish(envelope: EventEnvelope): void {
    this.publishRaw(envelope.type, JSON.stringify(envelope));
  }

  /** Routes a raw body by routing key, as a broker would (also used by tests to inject bad messages). */
  publishRaw(routingKey: string, body: string): void {
    if (this.closed) throw new Error('in-process bus is closed');
    for (const queue of this.queues.values()) {
      if (queue.patterns.some((p) => topicMatches(p, routingKey))) {
        queue.ready.push({ body, attempt: 1 });
        this.pump(queue);
      }
    }
  }

  consume(queueName: string, prefetch: number, consumer: Consumer): void {
    const queue = this.mustGet(queueName);
    queue.consumer = consumer;
    queue.prefetch = Math.max(1, prefetch);
    this.pump(queue);
  }

  cancel(queueName: string): void {
    const queue = this.queues.get(queueName);
    if (queue) queue.consumer = undefined;
  }

  redeliverLater(queueName: string, delivery: InProcessDelivery, delayMs: number): void {
    const queue = this.mustGet(queueName);
    const timer = setTimeout(() => {
      queue.timers.delete(timer);
      queue.ready.push(delivery);
      this.pump(queue);
    }, delayMs);
    timer.unref();
    queue.timers.add(timer);
  }

  deadLetter(queueName: string, letter: DeadLetter): void {
    this.mustGet(queueName).deadLetters.push(letter);
  }

  deadLetters(queueName: string): DeadLetter[] {
    return [...this.mustGet(queueName).deadLetters];
  }

  /** Messages waiting or being handled in a queue (tests wait for zero). */
  depth(queueName: string): number {
    const q = this.mustGet(queueName);
    return q.ready.length + q.inFlight + q.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const q of this.queues.values()) {
      for (const t of q.timers) clearTimeout(t);
      q.timers.clear();
      q.consumer = undefined;
    }
  }

  private pump(queue: InProcessQueue): void {
    while (queue.consumer && queue.inFlight < queue.prefetch && queue.ready.length > 0) {
      const delivery = queue.ready.shift()!;
      const consumer = queue.consumer;
      queue.inFlight++;
      // The consumer settles every delivery itself (ack, retry or dead-letter); it never throws.
      setImmediate(() =>
        this.detached(() =>
          consumer(delivery).finally(() => {
            queue.inFlight--;
            this.pump(queue);
          }),
        ),
      );
    }
  }

  private mustGet(name: string): InProcessQueue {
    const q = this.queues.get(name);
    if (!q) throw new Error(`in-process queue ${name} is not declared`);
    return q;
  }
}
