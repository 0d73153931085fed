import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { nextAttemptDelay, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_MS, WEBHOOK_RETRY_JITTER } from './webhook-schedule.js';

/*
 * A company's webhook endpoint may be down; the delivery is retried with growing, jittered gaps
 * for about a day, then marked failed (the company still has the case through the pull API).
 */
const HOUR = 3_600_000;

/** Every delay the schedule hands out with a fixed random source, from the first failed try until it says stop. */
function fullSchedule(random: () => number): number[] {
  const delays: number[] = [];
  for (let failed = 1; ; failed++) {
    const delay = nextAttemptDelay(failed, random);
    if (delay === null) return delays;
    delays.push(delay);
    if (failed > 1000) throw new Error('the retry schedule never ends');
  }
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('webhook retries span about a day, whatever the jitter', () => {
  it('the nominal gaps (random = 0.5) add up to between 20 and 30 hours', () => {
    expect(sum(fullSchedule(() => 0.5))).toBeGreaterThanOrEqual(20 * HOUR);
    expect(sum(fullSchedule(() => 0.5))).toBeLessThanOrEqual(30 * HOUR);
  });

  it('with the shortest jitter everywhere the retries still span more than 18 hours, with the longest less than 30', () => {
    expect(sum(fullSchedule(() => 0))).toBeGreaterThanOrEqual(18 * HOUR);
    expect(sum(fullSchedule(() => 0.999_999))).toBeLessThanOrEqual(30 * HOUR);
  });

  it('the first retry comes within seconds, and no gap is longer than 10 hours', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (r) => {
        const delays = fullSchedule(() => r);
        expect(delays[0]).toBeLessThanOrEqual(6_000);
        for (const d of delays) expect(d).toBeLessThanOrEqual(10 * HOUR);
      }),
    );
  });

  it('every delay lies within ±20 % of its nominal gap and is a positive whole number of milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: WEBHOOK_RETRY_DELAYS_MS.length }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        const d = nextAttemptDelay(n, () => r)!;
        const nominal = WEBHOOK_RETRY_DELAYS_MS[n - 1];
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThan(0);
        expect(d).toBeGreaterThanOrEqual(Math.floor(nominal * (1 - WEBHOOK_RETRY_JITTER)));
        expect(d).toBeLessThanOrEqual(Math.ceil(nominal * (1 + WEBHOOK_RETRY_JITTER)));
      }),
    );
  });

  it('the nominal gaps back off: each is at least the one before (do not hammer a struggling endpoint)', () => {
    for (let i = 1; i < WEBHOOK_RETRY_DELAYS_MS.length; i++) expect(WEBHOOK_RETRY_DELAYS_MS[i]).toBeGreaterThanOrEqual(WEBHOOK_RETRY_DELAYS_MS[i - 1]);
  });
});

describe('the jitter is deterministic given the random source, and really spreads retries', () => {
  it('the same random numbers give the same delays', () => {
    expect(fullSchedule(() => 0.25)).toEqual(fullSchedule(() => 0.25));
  });

  it('random 0 gives nominal × 0.8, random 0.5 the nominal gap, random near 1 nominal × 1.2', () => {
    expect(nextAttemptDelay(1, () => 0)).toBe(4_000);
    expect(nextAttemptDelay(1, () => 0.5)).toBe(5_000);
    expect(nextAttemptDelay(3, () => 0.5)).toBe(120_000);
    expect(nextAttemptDelay(1, () => 0.999_999)).toBe(6_000);
  });

  it('a hundred deliveries failing together come back at many different times, not all at once', () => {
    let seed = 42;
    const lcg = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const firstRetries = new Set(Array.from({ length: 100 }, () => nextAttemptDelay(2, lcg)));
    expect(firstRetries.size).toBeGreaterThan(50);
  });

  it('a random source outside [0, 1) is clamped, never producing a negative or runaway delay', () => {
    expect(nextAttemptDelay(1, () => -5)).toBe(4_000);
    expect(nextAttemptDelay(1, () => 7)).toBe(6_000);
  });
});

describe('the retry schedule ends: after the last gap there is no next attempt', () => {
  it('after as many failed tries as there are gaps, the next call says stop (null)', () => {
    const n = WEBHOOK_RETRY_DELAYS_MS.length;
    expect(nextAttemptDelay(n, () => 0.5)).not.toBeNull();
    expect(nextAttemptDelay(n + 1, () => 0.5)).toBeNull();
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(n + 1);
  });

  it('the schedule handed out at random = 0.5 is the published one, each gap once', () => {
    expect(fullSchedule(() => 0.5)).toEqual(WEBHOOK_RETRY_DELAYS_MS);
  });

  it('well past the end, and for nonsense counts, it says stop', () => {
    expect(nextAttemptDelay(WEBHOOK_RETRY_DELAYS_MS.length + 5)).toBeNull();
    expect(nextAttemptDelay(1000)).toBeNull();
    expect(nextAttemptDelay(0)).toBeNull();
    expect(nextAttemptDelay(-1)).toBeNull();
    expect(nextAttemptDelay(1.5)).toBeNull();
  });
});
