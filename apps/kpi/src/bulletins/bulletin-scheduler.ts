import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, SERVICE_CONFIG, WorkLoop } from '#shared';
import type { Clock, ServiceConfig } from '#shared';
import { SCHEDULE_PUBLISHER } from './bulletin-document.js';
import { dueBulletinMonth, FIRST_BULLETIN_MONTH } from './bulletin-month.js';
import { BulletinsService } from './bulletins.service.js';

const CHECK_INTERVAL_MS = 5 * 60_000;

export type ScheduleOutcome = { month: string; outcome: 'published' | 'already_published' | 'no_cases' | 'too_early' };

/**
 * On the 1st of each month at 06:00 Asia/Shanghai (by the injected clock), publishes the previous
 * month's bulletin, version 1. It checks every 5 minutes whether that is due, so a service that was
 * down at 06:00 catches up when it starts. Replicas checking together publish once: publishing
 * takes a per-month transaction lock and, for the schedule, never goes beyond version 1.
 * A month without any dispatched case (outside the heating season) gets no scheduled bulletin.
 * BULLETIN_SCHEDULE=off (embedded default) leaves publishing to POST /api/v1/bulletins.
 */
@Injectable()
export class BulletinScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BulletinScheduler');
  private readonly loop = new WorkLoop('bulletin schedule', () => this.check().then(() => undefined), {
    idleMs: CHECK_INTERVAL_MS,
    maxBackoffMs: CHECK_INTERVAL_MS,
    logger: this.logger,
  });

  constructor(
    private readonly bulletins: BulletinsService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.bulletinSchedule) this.loop.start();
  }

  onApplicationShutdown(): void {
    this.loop.stop();
  }

  /** One check now, after any check in progress (tests move a ManualClock, then call this). */
  async runNow(): Promise<void> {
    await this.loop.runNow();
  }

  async check(): Promise<ScheduleOutcome> {
    const month = dueBulletinMonth(this.clock.now());
    if (month < FIRST_BULLETIN_MONTH) return { month, outcome: 'too_early' };
    if (await this.bulletins.hasAny(month)) return { month, outcome: 'already_published' };
    const snapshot = await this.bulletins.snapshot(month);
    if (snapshot.province.counts.dispatched === 0) return { month, outcome: 'no_cases' };
    const result = await this.bulletins.publish(month, SCHEDULE_PUBLISHER, { onlyFirst: true });
    return { month, outcome: result.created ? 'published' : 'already_published' };
  }
}
