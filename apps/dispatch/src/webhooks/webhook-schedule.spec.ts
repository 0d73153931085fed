import { describe, expect, it } from '@jest/globals';
import { nextAttemptDelay, WEBHOOK_RETRY_DELAYS_MS } from './webhook-schedule.js';

/*
 * A company's webhook endpoint may be down; the case is retried with growing gaps for about a
 * day, then the delivery is marked failed (the company still has the case through the pull API).
 */
const HOUR = 3_600_000;

/** Every delay the schedule hands out, from the first failed try until it says stop. */
function fullSchedule(): number[] {
  const delays: number[] = [];
  for (let attempts = 1; ; attempts++) {
    const delay = nextAttemptDelay(attempts);
    if (delay === null) return delays;
    delays.push(delay);
    if (attempts > 1000) throw new Error('the retry schedule never ends');
  }
}

describe('webhook retries span roughly a day', () => {
  it('the delays add up to between 20 and 30 hours', () => {
    const total = fullSchedule().reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(20 * HOUR);
    expect(total).toBeLessThanOrEqual(30 * HOUR);
  });

  it('the first retry comes within seconds, and no gap is longer than 8 hours', () => {
    const delays = fullSchedule();
    expect(delays[0]).toBeLessThanOrEqual(10_000);
    for (const d of delays) expect(d).toBeLessThanOrEqual(8 * HOUR);
  });

  it('the gaps never shrink (back off, do not hammer a struggling endpoint)', () => {
    const delays = fullSchedule();
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
  });

  it('every delay is a positive number of milliseconds', () => {
    for (const d of fullSchedule()) expect(d).toBeGreaterThan(0);
  });
});

describe('the retry schedule ends: after the last delay there is no next attempt', () => {
  it('after as many failed tries as there are delays, the next call says stop (null)', () => {
    const n = WEBHOOK_RETRY_DELAYS_MS.length;
    expect(nextAttemptDelay(n)).not.toBeNull();
    expect(nextAttemptDelay(n + 1)).toBeNull();
  });

  it('the schedule handed out is the published one, each delay once', () => {
    expect(fullSchedule()).toEqual(WEBHOOK_RETRY_DELAYS_MS);
  });

  it('well past the end it stays null', () => {
    expect(nextAttemptDelay(WEBHOOK_RETRY_DELAYS_MS.length + 5)).toBeNull();
    expect(nextAttemptDelay(1000)).toBeNull();
  });
});
