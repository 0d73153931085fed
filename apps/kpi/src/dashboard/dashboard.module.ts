import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { KeyRing } from '#shared';
import { COMMITTED_EVENT_LISTENER } from '../events/kpi-events.consumer.js';
import { DASHBOARD_SETTINGS } from '../kpi-settings.js';
import type { DashboardSettings } from '../kpi-settings.js';
import { WarningsService } from '../warnings/warnings.service.js';
import { DashboardController } from './dashboard.controller.js';
import { DashboardHub } from './dashboard-hub.js';
import { StreamTickets } from './stream-tickets.js';

/** 监测预警 live monitoring: the live board, the early warnings, the page and its stream (docs/dashboard.md). */
@Module({})
export class DashboardModule {
  static register(settings: DashboardSettings): DynamicModule {
    return {
      module: DashboardModule,
      controllers: [DashboardController],
      providers: [
        { provide: DASHBOARD_SETTINGS, useValue: settings },
        WarningsService,
        DashboardHub,
        { provide: COMMITTED_EVENT_LISTENER, useExisting: DashboardHub },
        { provide: StreamTickets, useFactory: (keys: KeyRing) => new StreamTickets(keys.derive('dashboard-stream-ticket'), settings.ticketTtlSeconds), inject: [KeyRing] },
      ],
      exports: [COMMITTED_EVENT_LISTENER, DashboardHub, WarningsService],
    };
  }
}
