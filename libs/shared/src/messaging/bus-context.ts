import { BaseRpcContext } from '@nestjs/microservices';
import type { EventEnvelope } from './envelope.js';

export interface DeliveryInfo {
  queue: string;
  /** 1 on the first delivery, then one more per retry. */
  attempt: number;
}

/** What an @EventPattern handler can read besides the envelope (`@Ctx() ctx: BusContext`). */
export class BusContext extends BaseRpcContext<[EventEnvelope, DeliveryInfo]> {
  getEnvelope(): EventEnvelope {
    return this.args[0];
  }
  getDelivery(): DeliveryInfo {
    return this.args[1];
  }
}
