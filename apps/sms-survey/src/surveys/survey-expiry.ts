import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SurveysService } from './surveys.service.js';

/** Once a minute: surveys past their window expire and the phone's next queued survey goes out. */
@Injectable()
export class SurveyExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SurveyExpiry');
  private timer?: NodeJS.Timeout;

  constructor(private readonly surveys: SurveysService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.surveys.expireOverdue().catch((e: Error) => this.logger.warn(`expiry sweep failed: ${e.message}`));
    }, 60_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
