import type { ServiceConfig } from '../config/service-config.js';
import type { InProcessBus } from '../messaging/in-process/in-process-bus.js';
import type { RmqConnection } from '../messaging/rmq/rmq-connection.js';
import type { Clock } from '../time/clock.js';

export type BrokerRuntime = { kind: 'rmq'; connection: RmqConnection } | { kind: 'in-process'; bus: InProcessBus };

/** Everything a service needs from the process that hosts it (production main, embedded launcher, tests). */
export interface ServiceRuntime {
  config: ServiceConfig;
  clock: Clock;
  broker: BrokerRuntime;
  authSecret: string;
}
