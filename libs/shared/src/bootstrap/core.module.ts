import { Global, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AuthGuard } from '../auth/auth.guard.js';
import { KeyRing } from '../auth/key-ring.js';
import { TokenService } from '../auth/token.service.js';
import { SERVICE_CONFIG, SERVICE_NAME } from '../config/tokens.js';
import { openDataSource } from '../database/data-source.js';
import type { SchemaDefinition } from '../database/data-source.js';
import { HealthController } from '../health/health.controller.js';
import { OpsController } from '../health/ops.controller.js';
import { ErrorFilter } from '../http/error.filter.js';
import { RateLimitGuard } from '../http/rate-limit/rate-limit.guard.js';
import { MessagingHousekeeping } from '../messaging/housekeeping.js';
import { Inbox, INBOX_SETTINGS } from '../messaging/inbox/inbox.js';
import { InProcessDeadLetters, InProcessPublisher } from '../messaging/in-process/in-process.transport.js';
import { Outbox, OutboxRelay, RELAY_SETTINGS } from '../messaging/outbox/outbox.js';
import { DEAD_LETTER_READER, EVENT_PUBLISHER } from '../messaging/publisher.js';
import { RmqDeadLetters, RmqPublisher } from '../messaging/rmq/rmq.publisher.js';
import { PHONE_VAULT, phoneVaultFor } from '../phone/phone-vault.js';
import { CLOCK } from '../time/clock.js';
import type { ServiceRuntime } from './runtime.js';

class DatabaseCloser implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * What every service stands on: its database (migrated), outbox/inbox, publisher, clock, auth,
 * the error shape, structured logs, health and ops endpoints.
 */
@Global()
@Module({})
export class CoreModule {
  static forService(runtime: ServiceRuntime, schema: SchemaDefinition): DynamicModule {
    const { config, broker } = runtime;
    const phoneVault = phoneVaultFor(config.phoneKeys, runtime.authSecret);
    return {
      module: CoreModule,
      controllers: [HealthController, OpsController],
      providers: [
        { provide: SERVICE_NAME, useValue: config.service },
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: CLOCK, useValue: runtime.clock },
        { provide: PHONE_VAULT, useValue: phoneVault },
        { provide: DataSource, useFactory: () => openDataSource(config.database, schema, { phoneVault }) },
        { provide: DatabaseCloser, useFactory: (ds: DataSource) => new DatabaseCloser(ds), inject: [DataSource] },
        {
          provide: EVENT_PUBLISHER,
          useFactory: () => (broker.kind === 'rmq' ? new RmqPublisher(broker.connection) : new InProcessPublisher(broker.bus)),
        },
        {
          provide: DEAD_LETTER_READER,
          useFactory: () =>
            broker.kind === 'rmq' ? new RmqDeadLetters(broker.connection, config.service) : new InProcessDeadLetters(broker.bus, config.service),
        },
        { provide: RELAY_SETTINGS, useValue: { batchSize: 200, pollIntervalMs: config.outboxPollMs, maxBackoffMs: 10_000 } },
        Outbox,
        OutboxRelay,
        { provide: INBOX_SETTINGS, useValue: config.inbox },
        Inbox,
        MessagingHousekeeping,
        { provide: TokenService, useValue: new TokenService(runtime.authSecret) },
        { provide: KeyRing, useValue: new KeyRing(runtime.authSecret) },
        { provide: APP_GUARD, useClass: AuthGuard },
        // After AuthGuard: global guards run in the order they are provided, and this one counts per token.
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
      exports: [SERVICE_NAME, SERVICE_CONFIG, CLOCK, PHONE_VAULT, DataSource, EVENT_PUBLISHER, Outbox, OutboxRelay, Inbox, TokenService, KeyRing],
    };
  }
}
