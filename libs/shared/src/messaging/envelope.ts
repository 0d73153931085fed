import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EVENT_CONTRACTS, isKnownEventType } from '../contracts/events.js';
import type { EventPayload, EventType } from '../contracts/events.js';
import type { ServiceName } from '../contracts/services.js';

/** What travels on the bus. `id` is the message id the inbox de-duplicates on. */
export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  producer: ServiceName;
  payload: T;
}

export function newEnvelope<T extends EventType>(
  producer: ServiceName,
  type: T,
  payload: EventPayload<T>,
  occurredAt: Date,
): EventEnvelope<EventPayload<T>> {
  return {
    id: randomUUID(),
    type,
    version: EVENT_CONTRACTS[type].version,
    occurredAt: occurredAt.toISOString(),
    producer,
    payload,
  };
}

/**
 * A message that can never succeed (bad JSON, wrong shape, unknown type or version).
 * Transports park it in the dead-letter queue at once instead of retrying.
 */
export class PoisonMessageError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PoisonMessageError';
  }
}

/** Parses and validates raw bytes from the bus; throws PoisonMessageError with the reason. */
export function decodeEnvelope(raw: Buffer | string): EventEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw new PoisonMessageError('body is not valid JSON');
  }
  return validateEnvelope(value);
}

export function validateEnvelope(value: unknown): EventEnvelope {
  if (typeof value !== 'object' || value === null) throw new PoisonMessageError('body is not an object');
  const env = value as Partial<EventEnvelope>;
  for (const field of ['id', 'type', 'occurredAt', 'producer'] as const) {
    if (typeof env[field] !== 'string' || env[field] === '') {
      throw new PoisonMessageError(`envelope field "${field}" is missing or not a string`);
    }
  }
  if (typeof env.version !== 'number') throw new PoisonMessageError('envelope field "version" is missing');
  if (!isKnownEventType(env.type!)) throw new PoisonMessageError(`unknown event type "${env.type}"`);
  const contract = EVENT_CONTRACTS[env.type];
  if (env.version !== contract.version) {
    throw new PoisonMessageError(`unsupported version ${env.version} of "${env.type}" (this build reads v${contract.version})`);
  }
  const body: unknown = env.payload ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    // validateSync finds nothing wrong with a number or an array, so refuse them here.
    throw new PoisonMessageError(`payload of "${env.type}" v${env.version} is invalid: not an object`);
  }
  const payload = plainToInstance(contract.payload as new () => object, body);
  const errors = validateSync(payload, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const fields = errors.map((e) => e.property).join(', ');
    throw new PoisonMessageError(`payload of "${env.type}" v${env.version} is invalid: ${fields}`);
  }
  return env as EventEnvelope;
}
