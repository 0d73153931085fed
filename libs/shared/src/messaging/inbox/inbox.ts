import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import type { EventEnvelope } from '../envelope.js';

/**
 * Consumer-side de-duplication: the message id is stored in the same transaction as the handler's
 * effect, so a redelivered message (after a crash before the ack) has no second effect.
 */
@Injectable()
export class Inbox {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `effect` once per message id; returns false if the message had been handled already. */
  async once(envelope: EventEnvelope, effect: (em: EntityManager) => Promise<void>): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      const inserted: unknown[] = await em.query(
        `INSERT INTO inbox_message (message_id, event_type) VALUES ($1, $2) ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
        [envelope.id, envelope.type],
      );
      if (inserted.length === 0) return false;
      await effect(em);
      return true;
    });
  }
}
