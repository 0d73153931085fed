import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';

export interface WorkLoopOptions {
  /** Pause between runs when nobody kicks. */
  idleMs: number;
  /** Longest pause after repeated failures (backoff doubles from 200 ms). */
  maxBackoffMs: number;
  logger: LoggerService;
}

/**
 * A background worker: runs `work` soon after kick(), otherwise every idleMs, one run at a time;
 * after a failure it backs off and says so (first failure, every 20th, and the recovery).
 * Runs are detached from whatever request kicked them, so request-scoped context does not leak.
 */
export class WorkLoop {
  private timer?: NodeJS.Timeout;
  private readonly detached = AsyncLocalStorage.snapshot();
  private started = false;
  private running?: Promise<void>;
  private rerun = false;
  private failures = 0;

  constructor(
    private readonly name: string,
    private readonly work: () => Promise<void>,
    private readonly options: WorkLoopOptions,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  stop(): void {
    this.started = false;
    clearTimeout(this.timer);
  }

  /** Run soon: new work was committed. While backing off after a failure, the backoff stands. */
  kick(): void {
    if (!this.started || this.failures > 0) return;
    if (this.running) this.rerun = true;
    else this.schedule(0);
  }

  /** Waits for a run in progress, then does the work once more (tests, shutdown). */
  async runNow(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    await this.work();
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.detached(() => void this.tick()), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (!this.started || this.running) return;
    this.rerun = false;
    let next = this.options.idleMs;
    this.running = this.work();
    try {
      await this.running;
      if (this.failures > 0) this.options.logger.log(`${this.name} recovered after ${this.failures} failed attempts`);
      this.failures = 0;
    } catch (error) {
      this.failures++;
      next = Math.min(this.options.maxBackoffMs, 200 * 2 ** Math.min(this.failures, 10));
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.options.logger.warn(`${this.name} failed (attempt ${this.failures}), retrying in ${next} ms: ${(error as Error).message}`);
      }
    } finally {
      this.running = undefined;
    }
    if (this.started) this.schedule(this.rerun && this.failures === 0 ? 0 : next);
  }
}
