import { Controller, DefaultValuePipe, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.guard.js';
import { parseIntQuery } from '../http/validation.js';
import { DEAD_LETTER_READER } from '../messaging/publisher.js';
import type { DeadLetterReader } from '../messaging/publisher.js';
import { OutboxRelay } from '../messaging/outbox/outbox.js';

/** What the platform team on duty needs to see: parked messages and the outbox backlog. */
@ApiTags('ops')
@ApiBearerAuth()
@Roles('province')
@Controller('ops')
export class OpsController {
  constructor(
    @Inject(DEAD_LETTER_READER) private readonly deadLetters: DeadLetterReader,
    private readonly relay: OutboxRelay,
  ) {}

  @Get('dead-letters')
  @ApiOperation({ summary: "This service's dead-lettered messages, newest first, with the reason each was parked" })
  async listDeadLetters(@Query('limit', new DefaultValuePipe(20), parseIntQuery('limit', '数量')) limit: number) {
    const capped = Math.min(Math.max(limit, 1), 100);
    return { count: await this.deadLetters.count(), items: await this.deadLetters.list(capped) };
  }

  @Get('outbox')
  @ApiOperation({ summary: 'Events recorded but not yet confirmed by the broker' })
  async outbox() {
    return { pending: await this.relay.pendingCount() };
  }
}
