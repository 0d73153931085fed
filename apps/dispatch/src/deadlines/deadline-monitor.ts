import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { CLOCK, Outbox, WorkLoop } from '#shared';
import type { Clock } from '#shared';
import { logAction, SYSTEM } from '../cases/case-log.js';
import { CompanyNotifier } from '../cases/company-notifier.js';
import { DispatchCase } from '../cases/dispatch-case.entity.js';
import { deadlineStepsDue, REMINDER_LEADS } from './deadline-rules.js';
import type { DeadlineStep } from './deadline-rules.js';

const BATCH = 100;
const SCAN_INTERVAL_MS = 30_000;

/**
 * Watches deadlines: reminders to the company before a case is due, the overdue mark (an event
 * for the other services, a webhook, and the authority's supervision list) at the deadline, and
 * the 2-hour dispatch limit for the manual queue. Replicas share the work (SKIP LOCKED); each step
 * happens once per case because it is recorded on the case in the same transaction.
 */
@Injectable()
export class DeadlineMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DeadlineMonitor');
  private readonly loop = new WorkLoop('deadline monitor', () => this.scan().then(() => undefined), {
    idleMs: SCAN_INTERVAL_MS,
    maxBackoffMs: 5 * 60_000,
    logger: this.logger,
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly notifier: CompanyNotifier,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): void {
    this.loop.stop();
  }

  /** Scans now, after any scan in progress (tests, after moving the clock). */
  async runNow(): Promise<void> {
    await this.loop.runNow();
  }

  async scan(): Promise<Record<DeadlineStep, number>> {
    const counts: Record<DeadlineStep, number> = { reminder_24h: 0, reminder_4h: 0, overdue: 0, dispatch_overdue: 0 };
    for (;;) {
      const n = await this.scanBatch(counts);
      if (n < BATCH) return counts;
    }
  }

  private async scanBatch(counts: Record<DeadlineStep, number>): Promise<number> {
    const now = this.clock.now();
    const horizon = new Date(now.getTime() + REMINDER_LEADS[0].leadMs);
    return this.dataSource.transaction(async (em) => {
      // Candidates: handled cases due within 24 h with a step left, and the manual queue past its limit.
      const ids: Array<{ id: string }> = await em.query(
        `SELECT id FROM dispatch_case
          WHERE (status IN ('dispatched', 'signed', 'return_requested') AND overdue_at IS NULL AND due_at <= $1
                 AND (due_at <= $2 OR reminded_24h_at IS NULL OR (reminded_4h_at IS NULL AND due_at <= $3)))
             OR (status = 'awaiting_manual_dispatch' AND dispatch_overdue_at IS NULL AND dispatch_limit_at <= $2)
          ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED`,
        [horizon, now, new Date(now.getTime() + REMINDER_LEADS[1].leadMs), BATCH],
      );
      if (ids.length === 0) return 0;
      const cases = await em.findBy(DispatchCase, { id: In(ids.map((r) => r.id)) });
      for (const c of cases) {
        for (const step of deadlineStepsDue(c, now)) {
          await this.take(em, c, step, now);
          counts[step]++;
        }
      }
      return ids.length;
    });
  }

  private async take(em: EntityManager, c: DispatchCase, step: DeadlineStep, now: Date): Promise<void> {
    switch (step) {
      case 'dispatch_overdue':
        await em.update(DispatchCase, { id: c.id }, { dispatchOverdueAt: now });
        await logAction(em, c.id, SYSTEM, now, 'dispatch_overdue', { detail: { authorityId: c.authorityId, limitAt: c.dispatchLimitAt.toISOString() } });
        return;
      case 'reminder_24h':
      case 'reminder_4h': {
        const hoursLeft = step === 'reminder_24h' ? 24 : 4;
        // The 4-hour reminder also settles the 24-hour one (a late monitor sends only the nearer).
        await em.update(DispatchCase, { id: c.id }, step === 'reminder_24h' ? { reminded24hAt: now } : { reminded4hAt: now, reminded24hAt: c.reminded24hAt ?? now });
        await logAction(em, c.id, SYSTEM, now, 'reminder', { detail: { hoursLeft, dueAt: c.dueAt!.toISOString() } });
        await this.notifier.notify(em, c.companyId!, c.id, 'case.reminder', {
          ...this.notifier.caseFor(c),
          hoursLeft,
          message: `工单 ${c.caseNumber} 距办理时限不足 ${hoursLeft} 小时，请尽快办结并反馈`,
        });
        return;
      }
      case 'overdue': {
        await em.update(DispatchCase, { id: c.id }, { overdueAt: now, updatedAt: now });
        await logAction(em, c.id, SYSTEM, now, 'overdue', { detail: { dueAt: c.dueAt!.toISOString(), authorityId: c.authorityId } });
        await this.outbox.add(em, 'case.overdue', {
          caseId: c.id,
          caseNumber: c.caseNumber,
          companyId: c.companyId!,
          authorityId: c.authorityId,
          dueAt: c.dueAt!.toISOString(),
          overdueAt: now.toISOString(),
        });
        await this.notifier.notify(em, c.companyId!, c.id, 'case.overdue', {
          ...this.notifier.caseFor(c),
          message: `工单 ${c.caseNumber} 已超过办理时限，已提请主管单位督办，请立即办理`,
        });
        this.logger.log(`case ${c.caseNumber} is overdue (company ${c.companyId}, authority ${c.authorityId})`);
        return;
      }
    }
  }
}
