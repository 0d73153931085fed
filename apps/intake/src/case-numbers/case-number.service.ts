import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, shanghaiDateStamp } from '#shared';
import type { Clock } from '#shared';

/** GR-20261129-000123: the Shanghai date and a per-day sequence, easy to read out on the phone. */
export function formatCaseNumber(dateStamp: string, sequence: number): string {
  return `GR-${dateStamp}-${String(sequence).padStart(6, '0')}`;
}

@Injectable()
export class CaseNumberService {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /** Takes the next number of the day inside the caller's transaction (row lock per day). */
  async next(em: EntityManager): Promise<string> {
    const day = shanghaiDateStamp(this.clock.now());
    const rows: Array<{ last_value: number }> = await em.query(
      `INSERT INTO case_number_sequence (day, last_value) VALUES ($1, 1)
       ON CONFLICT (day) DO UPDATE SET last_value = case_number_sequence.last_value + 1
       RETURNING last_value`,
      [day],
    );
    return formatCaseNumber(day, rows[0].last_value);
  }
}
