import { Module } from '@nestjs/common';
import { BulletinsModule } from '../bulletins/bulletins.module.js';
import { BenchmarkController } from './benchmark.controller.js';
import { BenchmarkService } from './benchmark.service.js';

/** 标杆企业 (benchmark enterprise) rating; reads the figures through the bulletins' data source. */
@Module({
  imports: [BulletinsModule],
  controllers: [BenchmarkController],
  providers: [BenchmarkService],
})
export class BenchmarkModule {}
