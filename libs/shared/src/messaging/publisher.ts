import type { EventEnvelope } from './envelope.js';

/** Publishes already-recorded events; resolves only when the broker has taken them (confirms). */
export interface EventPublisher {
  publish(envelopes: EventEnvelope[]): Promise<void>;
  isReady(): boolean;
}
export const EVENT_PUBLISHER = Symbol('EVENT_PUBLISHER');

/** A message parked after its retries ran out, or refused outright. */
export interface DeadLetter {
  envelopeId?: string;
  type?: string;
  queue: string;
  reason: string;
  attempts: number;
  deadLetteredAt: string;
  body: string;
}

/** Where a service's dead letters can be read (for the ops endpoint). */
export interface DeadLetterReader {
  list(limit: number): Promise<DeadLetter[]>;
  count(): Promise<number>;
}
export const DEAD_LETTER_READER = Symbol('DEAD_LETTER_READER');
