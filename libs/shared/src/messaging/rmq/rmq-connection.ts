import { EventEmitter } from 'node:events';
import { connect } from 'amqplib';
import type { ChannelModel, RecoveringChannelModel } from 'amqplib';
import { Logger } from '@nestjs/common';
import { declareTopology } from './topology.js';

export interface RmqSettings {
  url: string;
  retryDelaysMs: number[];
  prefetch: number;
}

/**
 * One AMQP connection per service process, with amqplib's built-in recovery.
 * The whole topology is declared on every (re)connect; then 'ready' is emitted with the model
 * so the transport and the publisher open their channels on the new connection.
 */
export class RmqConnection extends EventEmitter {
  private readonly logger = new Logger('RmqConnection');
  private model?: RecoveringChannelModel;
  private connected = false;
  private current?: ChannelModel;

  constructor(readonly settings: RmqSettings) {
    super();
  }

  async open(): Promise<void> {
    if (this.model) return;
    this.model = await connect(this.settings.url, {
      recovery: {
        initialDelay: 200,
        maxDelay: 5_000,
        maxRetries: Infinity,
        waitForConnect: false,
        setup: async (model: ChannelModel) => {
          const ch = await model.createChannel();
          try {
            await declareTopology(ch, this.settings.retryDelaysMs);
          } finally {
            await ch.close().catch(() => undefined);
          }
        },
      },
    });
    this.model.on('connect', (model: ChannelModel) => {
      this.connected = true;
      this.current = model;
      this.logger.log('connected to RabbitMQ, topology declared');
      this.emit('ready', model);
    });
    this.model.on('disconnect', (err: Error) => {
      this.connected = false;
      this.current = undefined;
      this.logger.warn(`RabbitMQ connection lost: ${err?.message ?? 'closed'}`);
      this.emit('lost');
    });
    this.model.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) => {
      if (attempt === 1 || attempt % 10 === 0) this.logger.warn(`RabbitMQ unreachable, retry ${attempt} in ${delay} ms`);
    });
    this.model.on('error', (err: Error) => this.logger.warn(`RabbitMQ connection error: ${err.message}`));
    this.model.on('handler-error', (err: Error) => this.logger.error(`RabbitMQ listener failed: ${err.message}`));
  }

  /** Waits for the first connection (with its topology), up to timeoutMs. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.connected) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('ready', onReady);
        reject(new Error(`RabbitMQ not reachable at ${redactUrl(this.settings.url)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('ready', onReady);
    });
  }

  /** Calls `listener` with the live connection now (if up) and after every reconnect. */
  onReady(listener: (model: ChannelModel) => void): void {
    this.on('ready', listener);
    if (this.current) listener(this.current);
  }

  liveModel(): ChannelModel | undefined {
    return this.current;
  }

  isConnected(): boolean {
    return this.connected;
  }

  async close(): Promise<void> {
    const model = this.model;
    this.model = undefined;
    this.connected = false;
    await model?.close().catch(() => undefined);
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}
