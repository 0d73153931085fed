import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, shanghaiDateStamp } from '#shared';
import type { Clock } from '#shared';

/** Six digits after the date: wraps only after a million cases, far beyond a day's volume. */
const SERIAL_SPACE = 1_000_000;

/** GR-20261129-000123: the Shanghai date and a serial, easy to read out on the phone. */
export function formatCaseNumber(dateStamp: string, serial: number): string {
  return `GR-${dateStamp}-${String(serial % SERIAL_SPACE).padStart(6, '0')}`;
}

@Injectable()
export class CaseNumberService {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /**
   * The next case number. A sequence, not a counter row: concurrent intakes never wait on each
   * other (gaps after a rollback are harmless); the unique index on case_number is the backstop.
   */
  async next(em: EntityManager): Promise<string> {
    const [{ serial }] = await em.query(`SELECT nextval('case_number_seq')::bigint AS serial`);
    return this.format(Number(serial));
  }

  /** The case number for a serial already drawn from case_number_seq (in a combined query). */
  format(serial: number): string {
    return formatCaseNumber(shanghaiDateStamp(this.clock.now()), serial);
  }
}
