import { afterEach, describe, expect, it } from '@jest/globals';
import { WorkLoop } from './work-loop.js';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkLoop runs work one at a time, soon after a kick, and backs off after failures', () => {
  let loop: WorkLoop | undefined;
  afterEach(() => loop?.stop());

  it('a kick while idle runs the work at once', async () => {
    let runs = 0;
    loop = new WorkLoop('test', async () => void runs++, { idleMs: 10_000, maxBackoffMs: 10_000, logger: quiet });
    loop.start();
    await sleep(20);
    expect(runs).toBe(1);
    loop.kick();
    await sleep(20);
    expect(runs).toBe(2);
  });

  it('kicks during a backoff do not cut it short (a broker outage is not hammered on every commit)', async () => {
    let runs = 0;
    loop = new WorkLoop('test', async () => {
      runs++;
      throw new Error('broker down');
    }, { idleMs: 10_000, maxBackoffMs: 10_000, logger: quiet });
    loop.start();
    await sleep(20);
    expect(runs).toBe(1);
    for (let i = 0; i < 40; i++) loop.kick();
    await sleep(100); // the first backoff is 400 ms
    expect(runs).toBe(1);
  });

  it('after recovering, kicks run at once again', async () => {
    let runs = 0;
    let fail = true;
    loop = new WorkLoop('test', async () => {
      runs++;
      if (fail) throw new Error('down');
    }, { idleMs: 10_000, maxBackoffMs: 500, logger: quiet });
    loop.start();
    await sleep(20);
    fail = false;
    await sleep(500); // backoff elapses, the run succeeds
    const after = runs;
    loop.kick();
    await sleep(20);
    expect(runs).toBe(after + 1);
  });
});
