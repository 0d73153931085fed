import { describe, expect, it } from '@jest/globals';
import { ManualClock, systemClock } from './clock.js';

describe('ManualClock starts where it is told and moves only when told', () => {
  it('now() returns the start instant, given as a string or a Date', () => {
    expect(new ManualClock('2026-11-29T08:00:00+08:00').now().toISOString()).toBe('2026-11-29T00:00:00.000Z');
    expect(new ManualClock(new Date('2026-11-29T00:00:00Z')).now().toISOString()).toBe('2026-11-29T00:00:00.000Z');
  });

  it('time does not pass by itself', async () => {
    const clock = new ManualClock('2026-11-29T00:00:00Z');
    const first = clock.now().getTime();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now().getTime()).toBe(first);
  });

  it('advance(ms) moves it forward by exactly that much, and repeatedly', () => {
    const clock = new ManualClock('2026-11-29T00:00:00Z');
    clock.advance(90 * 60_000);
    expect(clock.now().toISOString()).toBe('2026-11-29T01:30:00.000Z');
    clock.advance(3 * 24 * 3_600_000);
    expect(clock.now().toISOString()).toBe('2026-12-02T01:30:00.000Z');
  });

  it('set() jumps to any instant, also backwards', () => {
    const clock = new ManualClock('2026-11-29T00:00:00Z');
    clock.set('2026-11-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-11-01T00:00:00.000Z');
    clock.set(new Date('2027-01-01T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('a Date handed out cannot move the clock when the caller mutates it', () => {
    const clock = new ManualClock('2026-11-29T00:00:00Z');
    clock.now().setUTCFullYear(2000);
    expect(clock.now().toISOString()).toBe('2026-11-29T00:00:00.000Z');
  });
});

describe('systemClock reads the real time', () => {
  it('now() is within the instants read around it', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    const after = Date.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  });
});
