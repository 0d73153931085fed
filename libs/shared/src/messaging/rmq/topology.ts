import type { Channel } from 'amqplib';
import { SERVICE_NAMES } from '../../contracts/services.js';
import { queueOf, SUBSCRIPTIONS } from '../subscriptions.js';

/** Domain events: one durable topic exchange, routing key = event type. */
export const EVENTS_EXCHANGE = 'heating.events';
/** Delayed retries: a copy goes to a TTL queue per delay, which dead-letters it back to `heating.requeue`. */
export const RETRY_EXCHANGE = 'heating.retry';
/** Direct exchange that puts a retried message back on exactly one service's queue. */
export const REQUEUE_EXCHANGE = 'heating.requeue';
/** Parked messages, one dead-letter queue per service. */
export const DEAD_LETTER_EXCHANGE = 'heating.dead';

/** Redeliveries beyond this (consumer crashes mid-message) park the message instead of looping. */
export const QUORUM_DELIVERY_LIMIT = 20;

export function retryQueueOf(queue: string, delayMs: number): string {
  return `${queue}.retry.${delayMs}ms`;
}
export function deadLetterQueueOf(queue: string): string {
  return `${queue}.dead-letter`;
}

/**
 * Declares every exchange, queue and binding of the suite (all four services), idempotently.
 * Each service runs it on every (re)connect before it consumes or publishes.
 */
export async function declareTopology(ch: Channel, retryDelaysMs: number[]): Promise<void> {
  await ch.assertExchange(EVENTS_EXCHANGE, 'topic', { durable: true });
  await ch.assertExchange(RETRY_EXCHANGE, 'direct', { durable: true });
  await ch.assertExchange(REQUEUE_EXCHANGE, 'direct', { durable: true });
  await ch.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
  for (const service of SERVICE_NAMES) {
    const queue = queueOf(service);
    const dlq = deadLetterQueueOf(queue);
    await ch.assertQueue(dlq, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.bindQueue(dlq, DEAD_LETTER_EXCHANGE, queue);
    await ch.assertQueue(queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': QUORUM_DELIVERY_LIMIT,
        'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
        'x-dead-letter-routing-key': queue,
      },
    });
    await ch.bindQueue(queue, REQUEUE_EXCHANGE, queue);
    for (const eventType of SUBSCRIPTIONS[service]) await ch.bindQueue(queue, EVENTS_EXCHANGE, eventType);
    for (const delay of retryDelaysMs) {
      const retryQueue = retryQueueOf(queue, delay);
      await ch.assertQueue(retryQueue, {
        durable: true,
        arguments: {
          'x-message-ttl': delay,
          'x-dead-letter-exchange': REQUEUE_EXCHANGE,
          'x-dead-letter-routing-key': queue,
        },
      });
      await ch.bindQueue(retryQueue, RETRY_EXCHANGE, retryQueue);
    }
  }
}
