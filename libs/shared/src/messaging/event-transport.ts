import { Server } from '@nestjs/microservices';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { ServiceName } from '../contracts/services.js';
import { BusContext } from './bus-context.js';
import { PoisonMessageError } from './envelope.js';
import type { EventEnvelope } from './envelope.js';
import { SUBSCRIPTIONS } from './subscriptions.js';

/**
 * Common ground of the RabbitMQ and in-process transports: handlers are ordinary
 * `@EventPattern('complaint.received')` methods; a delivery is settled only after the handler
 * (and so its transaction) has finished.
 */
export abstract class EventTransport extends Server implements CustomTransportStrategy {
  protected constructor(protected readonly service: ServiceName) {
    super();
    this.initializeSerializer({});
    this.initializeDeserializer({});
  }

  /**
   * Refuses to start when handlers and the topology disagree: a handler for an event not routed
   * here would never run, and an event routed here without a handler would be dead-lettered.
   */
  protected assertHandlersSubscribed(): void {
    const routed = new Set<string>(SUBSCRIPTIONS[this.service]);
    const handled = new Set(this.messageHandlers.keys());
    const extra = [...handled].filter((p) => !routed.has(p));
    const missing = [...routed].filter((p) => !handled.has(p));
    if (extra.length > 0 || missing.length > 0) {
      throw new Error(
        `${this.service}: @EventPattern handlers and SUBSCRIPTIONS disagree` +
          (extra.length ? `; handled but not routed here: ${extra.join(', ')}` : '') +
          (missing.length ? `; routed here but not handled: ${missing.join(', ')}` : ''),
      );
    }
  }

  /** Runs the handler for one envelope to completion; throws if it failed. */
  protected async dispatchEnvelope(envelope: EventEnvelope, queue: string, attempt: number): Promise<void> {
    const handler = this.getHandlerByPattern(envelope.type);
    if (!handler) throw new PoisonMessageError(`no handler for "${envelope.type}" in ${this.service}`);
    const ctx = new BusContext([envelope, { queue, attempt }]);
    const result = await handler(envelope, ctx);
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  on(): void {
    // No transport-level events to expose.
  }
}
