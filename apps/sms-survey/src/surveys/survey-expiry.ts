import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SurveyLifecycle } from './survey-lifecycle.js';
import { SurveysService } from './surveys.service.js';

/**
 * Once a minute, by the injected clock (tests move a ManualClock and call `sweep()`):
 *   1. the one reminder for surveys whose window closes within 24 h;
 *   2. surveys past their window expire, unrated (never counted as satisfied);
 *   3. a phone with nothing out gets its next queued survey (after the gap, docs/surveys.md).
 * Every step is a conditional update per survey, so replicas sweeping together do each thing once.
 */
@Injectable()
export class SurveyExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SurveyExpiry');
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepResult>;

  constructor(
    private readonly surveys: SurveysService,
    private readonly lifecycle: SurveyLifecycle,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((e: Error) => this.logger.warn(`survey sweep failed: ${e.message}`));
    }, 60_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One pass, after any pass already running (passes never overlap; each reads the clock afresh). */
  async sweep(): Promise<SweepResult> {
    while (this.running) await this.running.catch(() => undefined);
    const pass = this.pass().finally(() => (this.running = undefined));
    this.running = pass;
    return pass;
  }

  private async pass(): Promise<SweepResult> {
    const reminded = await this.lifecycle.remindDue();
    const expired = await this.surveys.expireOverdue();
    const sent = await this.lifecycle.sendDueQueued();
    return { reminded, expired, sent };
  }
}

export interface SweepResult {
  reminded: number;
  expired: number;
  sent: number;
}
