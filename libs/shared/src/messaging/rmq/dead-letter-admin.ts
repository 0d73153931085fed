import type { Channel, ConfirmChannel, GetMessage, Message, XDeath } from 'amqplib';
import { SERVICE_NAMES } from '../../contracts/services.js';
import { maskPhonesInText } from '../../phone/phone.js';
import { queueOf } from '../subscriptions.js';
import { ATTEMPT_HEADER, DEAD_REASON_HEADER } from './rmq.transport.js';
import { deadLetterQueueOf, REQUEUE_EXCHANGE } from './topology.js';

/*
 * The operator's side of the dead-letter queues (`npm run dlq`): list what is parked, and move
 * chosen messages back onto their service's queue once the cause is fixed. Reading never consumes:
 * messages are taken unacknowledged and handed back. A replayed copy is confirmed by the broker
 * before its dead-letter copy is removed, so a failure midway leaves the message parked, never lost
 * (at worst it is both replayed and still parked, and the consumer's inbox makes the second run a no-op).
 */

/** Header counting how often a message was replayed from its dead-letter queue. */
export const REPLAY_COUNT_HEADER = 'x-replay-count';

/** Broker and dead-letter bookkeeping that must not travel with a replayed message. */
const DROPPED_ON_REPLAY = [
  DEAD_REASON_HEADER,
  'x-dead-lettered-at',
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
  'x-delivery-count',
];

export interface ParkedMessage {
  /** The service queue it was parked from (heating.dispatch). */
  queue: string;
  /** AMQP message id = the envelope id (what the consumer's inbox de-duplicates on). */
  messageId: string | null;
  type: string | null;
  reason: string;
  /** ISO time it was parked, when known. */
  deadLetteredAt: string | null;
  /** Tries before it was parked. */
  attempts: number;
  /** Times it was replayed before. */
  replays: number;
}

/** The service queues of the suite. */
export const SERVICE_QUEUES: readonly string[] = SERVICE_NAMES.map((s) => queueOf(s));

/** `dispatch`, `heating.dispatch` or `heating.dispatch.dead-letter` → `heating.dispatch`; undefined if it names no service queue. */
export function serviceQueueNamed(name: string): string | undefined {
  const queue = name.replace(/\.dead-letter$/, '');
  if (SERVICE_QUEUES.includes(queue)) return queue;
  const prefixed = `heating.${queue}`;
  return SERVICE_QUEUES.includes(prefixed) ? prefixed : undefined;
}

function headerTime(value: unknown): string | null {
  if (typeof value === 'string' && value) return value;
  // amqplib reads AMQP timestamps as seconds (a number), older versions as {'!': 'timestamp', value}.
  const seconds = typeof value === 'number' ? value : typeof value === 'object' && value !== null && 'value' in value ? Number((value as { value: unknown }).value) : NaN;
  return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null;
}

/** What an operator may see of a parked message: never its body, and any phone number in the reason masked. */
export function describeParked(queue: string, msg: Message): ParkedMessage {
  const headers = msg.properties.headers ?? {};
  const death: Partial<XDeath> | undefined = Array.isArray(headers['x-death']) ? headers['x-death'][0] : undefined;
  const brokerReason = death ? `${String(death.reason ?? 'dead-lettered by the broker')} (delivery limit reached: the consumer kept failing or crashing)` : undefined;
  return {
    queue,
    messageId: msg.properties.messageId ?? null,
    type: msg.properties.type ?? (headers['x-original-routing-key'] as string | undefined) ?? null,
    reason: maskPhonesInText(String(headers[DEAD_REASON_HEADER] ?? brokerReason ?? 'unknown')),
    deadLetteredAt: headerTime(headers['x-dead-lettered-at']) ?? headerTime(death?.time),
    attempts: Number(headers[ATTEMPT_HEADER] ?? death?.count ?? 0) || 0,
    replays: Number(headers[REPLAY_COUNT_HEADER] ?? 0) || 0,
  };
}

/** Takes every message of the queue unacknowledged (up to `limit`); the caller settles them. */
async function takeAll(ch: Channel, queue: string, limit = Infinity): Promise<GetMessage[]> {
  const taken: GetMessage[] = [];
  while (taken.length < limit) {
    const msg = await ch.get(queue, { noAck: false });
    if (!msg) break;
    taken.push(msg);
  }
  return taken;
}

/** Lists up to `limit` parked messages of a service queue's dead-letter queue, oldest first, without consuming them. */
export async function listDeadLetters(ch: Channel, serviceQueue: string, limit = 100): Promise<{ total: number; items: ParkedMessage[] }> {
  const dlq = deadLetterQueueOf(serviceQueue);
  const { messageCount } = await ch.checkQueue(dlq);
  const taken = await takeAll(ch, dlq, limit);
  try {
    return { total: Math.max(messageCount, taken.length), items: taken.map((m) => describeParked(serviceQueue, m)) };
  } finally {
    for (const m of taken) ch.nack(m, false, true);
  }
}

export interface ReplayResult {
  replayed: ParkedMessage[];
  /** Chosen but not replayed (the broker did not confirm or could not route the copy): still parked. */
  failed: Array<{ message: ParkedMessage; error: string }>;
  /** Parked messages not chosen, left where they are. */
  kept: number;
}

/**
 * Moves the parked messages `choose` picks from the service queue's dead-letter queue back onto
 * that queue only (through `heating.requeue`, so the other services do not see it again), with a
 * fresh retry budget (`x-attempt` 1) and `x-replay-count` + 1. Each copy is confirmed (and routed)
 * before its dead-letter copy is acked.
 */
export async function replayDeadLetters(ch: ConfirmChannel, serviceQueue: string, choose: (m: ParkedMessage) => boolean): Promise<ReplayResult> {
  const dlq = deadLetterQueueOf(serviceQueue);
  await ch.checkQueue(serviceQueue); // refuse to replay into a queue that does not exist
  const returned = new Set<string>();
  const onReturn = (msg: Message) => returned.add(String(msg.properties.headers?.['x-replay-token'] ?? ''));
  ch.on('return', onReturn);
  const taken = await takeAll(ch, dlq);
  const result: ReplayResult = { replayed: [], failed: [], kept: 0 };
  // Settling a delivery twice is a channel error: remember which ones are settled.
  const settled = new Set<GetMessage>();
  try {
    for (const [i, msg] of taken.entries()) {
      const parked = describeParked(serviceQueue, msg);
      if (!choose(parked)) {
        result.kept++;
        continue;
      }
      const headers: Record<string, unknown> = { ...(msg.properties.headers ?? {}) };
      const death: Partial<XDeath> | undefined = Array.isArray(headers['x-death']) ? headers['x-death'][0] : undefined;
      headers['x-original-routing-key'] ??= death?.['routing-keys']?.[0] ?? parked.type;
      for (const h of DROPPED_ON_REPLAY) delete headers[h];
      const token = `${Date.now()}-${i}`;
      Object.assign(headers, { [ATTEMPT_HEADER]: 1, [REPLAY_COUNT_HEADER]: parked.replays + 1, 'x-replayed-at': new Date().toISOString(), 'x-replay-token': token });
      try {
        ch.publish(REQUEUE_EXCHANGE, serviceQueue, msg.content, {
          persistent: true,
          mandatory: true,
          messageId: msg.properties.messageId,
          type: msg.properties.type,
          contentType: msg.properties.contentType,
          timestamp: msg.properties.timestamp,
          headers,
        });
        await ch.waitForConfirms();
        if (returned.has(token)) throw new Error(`the broker could not route it to ${serviceQueue} (is the queue bound to ${REQUEUE_EXCHANGE}?)`);
        ch.ack(msg);
        settled.add(msg);
        result.replayed.push(parked);
      } catch (error) {
        ch.nack(msg, false, true);
        settled.add(msg);
        result.failed.push({ message: parked, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    // Hand back everything not settled above (the messages that were not chosen).
    for (const msg of taken) if (!settled.has(msg)) ch.nack(msg, false, true);
    ch.off('return', onReturn);
  }
  return result;
}
