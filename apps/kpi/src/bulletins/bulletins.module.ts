import { Module } from '@nestjs/common';
import { readKpiSettings } from '../kpi-settings.js';
import { BULLETIN_DATA_SOURCE, UnitMonthBulletinDataSource } from './bulletin-data-source.js';
import { BulletinScheduler } from './bulletin-scheduler.js';
import { BulletinsController } from './bulletins.controller.js';
import { BULLETIN_RULES } from './bulletin-snapshot.js';
import { BULLETIN_RULES_TOKEN, BulletinsService } from './bulletins.service.js';

/** Monthly bulletins (月度通报): generation, immutable versions, downloads, the monthly schedule. */
@Module({
  controllers: [BulletinsController],
  providers: [
    { provide: BULLETIN_DATA_SOURCE, useClass: UnitMonthBulletinDataSource },
    // The same eligibility threshold as kpi's rankings API (KPI_RED_BLACK_MIN_DISPATCHED, default 10).
    { provide: BULLETIN_RULES_TOKEN, useFactory: () => ({ ...BULLETIN_RULES, minDispatchedForRanking: readKpiSettings(process.env).redBlackMinDispatched }) },
    BulletinsService,
    BulletinScheduler,
  ],
  exports: [BULLETIN_DATA_SOURCE, BulletinsService],
})
export class BulletinsModule {}
