import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, shanghaiDateStamp } from '#shared';
import type { Clock } from '#shared';

/** Six digits after the date: wraps only after a million cases, far beyond a day's volume. */
const SERIAL_SPACE = 1_000_000;

/** GR-20261129-000123: the Shanghai date and a serial, easy to read out on the phone. */
export function formatCaseNumber(dateStamp: string, serial: number): string {
  return `GR-${dateStamp}-${String(serial % SERIAL_SPACE).padStart(6, '0')}`;
}

/** Serials drawn from the sequence per round trip; a restart leaves a gap of at most this many. */
const SERIAL_BLOCK = 100;

@Injectable()
export class CaseNumberService {
  private serials: number[] = [];
  private refill?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The next case number. Serials come from a sequence, not a counter row, so concurrent intakes
   * never wait on each other, and in blocks, so a case costs no round trip of its own. Gaps (a
   * restart, a rejected request) are harmless; the unique index on case_number is the backstop.
   */
  async next(): Promise<string> {
    while (this.serials.length === 0) {
      this.refill ??= this.draw().finally(() => (this.refill = undefined));
      await this.refill;
    }
    return this.format(this.serials.shift()!);
  }

  /** The case number for a serial drawn from case_number_seq. */
  format(serial: number): string {
    return formatCaseNumber(shanghaiDateStamp(this.clock.now()), serial);
  }

  private async draw(): Promise<void> {
    const rows: Array<{ serial: string }> = await this.dataSource.query(
      `SELECT nextval('case_number_seq')::bigint AS serial FROM generate_series(1, $1)`,
      [SERIAL_BLOCK],
    );
    this.serials.push(...rows.map((r) => Number(r.serial)).sort((a, b) => a - b));
  }
}
