import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '#shared';
import { KpiRebuilder } from './kpi-rebuilder.js';

@ApiTags('rebuild 重算')
@ApiBearerAuth()
@Controller('api/v1/kpi')
export class RebuildController {
  constructor(private readonly rebuilder: KpiRebuilder) {}

  @Post('rebuild')
  @HttpCode(200)
  @Roles('province')
  @ApiOperation({
    summary: '从事件存档（kpi_event）重算全部工单与单位月度计数',
    description: '一个事务内完成：重算期间查询仍返回重算前的数字，提交后一次切换。返回读取的事件数、工单数、单位月度行数与耗时（毫秒）。',
  })
  async rebuild() {
    return this.rebuilder.rebuild();
  }
}
