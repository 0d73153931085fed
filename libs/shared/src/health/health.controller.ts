import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.guard.js';
import { EVENT_PUBLISHER } from '../messaging/publisher.js';
import type { EventPublisher } from '../messaging/publisher.js';

const DB_CHECK_TIMEOUT_MS = 2_000;

/** Liveness (the process answers) and readiness (database and broker answer). */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
  ) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database and message broker reachable' })
  @ApiOkResponse({ schema: { example: { status: 'ok', checks: { database: 'ok', broker: 'ok' } } } })
  @ApiServiceUnavailableResponse({ schema: { example: { status: 'error', checks: { database: 'ok', broker: 'down' } } } })
  async ready(@Res({ passthrough: true }) res: Response) {
    const database = await this.checkDatabase();
    const broker = this.publisher.isReady() ? 'ok' : 'down';
    const ok = database === 'ok' && broker === 'ok';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'error', checks: { database, broker } };
  }

  private async checkDatabase(): Promise<'ok' | 'down'> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), DB_CHECK_TIMEOUT_MS))),
      ]);
      return 'ok';
    } catch {
      return 'down';
    } finally {
      clearTimeout(timer);
    }
  }
}
