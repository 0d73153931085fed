import { afterEach, describe, expect, it } from '@jest/globals';
import { InProcessBus } from './in-process-bus.js';
import type { InProcessDelivery } from './in-process-bus.js';

const QUEUES = ['heating.intake', 'heating.dispatch', 'heating.sms-survey', 'heating.kpi'];

let bus: InProcessBus;
afterEach(() => bus?.close());

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function waitFor(condition: () => boolean, timeoutMs = 1_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const depths = () => Object.fromEntries(QUEUES.map((q) => [q, bus.depth(q)]));

describe('the bus declares one queue per service from SUBSCRIPTIONS and routes each event to every subscribed queue', () => {
  it('complaint.received reaches dispatch, sms-survey and kpi, not intake', () => {
    bus = new InProcessBus();
    bus.publishRaw('complaint.received', '{}');
    expect(depths()).toEqual({ 'heating.intake': 0, 'heating.dispatch': 1, 'heating.sms-survey': 1, 'heating.kpi': 1 });
  });
  it('case.closed reaches intake, sms-survey and kpi, not dispatch', () => {
    bus = new InProcessBus();
    bus.publishRaw('case.closed', '{}');
    expect(depths()).toEqual({ 'heating.intake': 1, 'heating.dispatch': 0, 'heating.sms-survey': 1, 'heating.kpi': 1 });
  });
  it('case.dispatched reaches intake and kpi only', () => {
    bus = new InProcessBus();
    bus.publishRaw('case.dispatched', '{}');
    expect(depths()).toEqual({ 'heating.intake': 1, 'heating.dispatch': 0, 'heating.sms-survey': 0, 'heating.kpi': 1 });
  });
  it('an event nobody subscribes to reaches no queue', () => {
    bus = new InProcessBus();
    bus.publishRaw('case.reopened', '{}');
    expect(depths()).toEqual({ 'heating.intake': 0, 'heating.dispatch': 0, 'heating.sms-survey': 0, 'heating.kpi': 0 });
  });
  it('an undeclared queue cannot be consumed or read', () => {
    bus = new InProcessBus();
    expect(() => bus.consume('heating.billing', 1, async () => {})).toThrow(/not declared/);
    expect(() => bus.depth('heating.billing')).toThrow(/not declared/);
  });
  it('publish() routes by the envelope type and sends it serialised', async () => {
    bus = new InProcessBus();
    const got: InProcessDelivery[] = [];
    bus.consume('heating.dispatch', 1, async (d) => void got.push(d));
    const envelope = { id: 'e-1', type: 'complaint.received', version: 1, occurredAt: 'now', producer: 'intake' as const, payload: { a: 1 } };
    bus.publish(envelope);
    envelope.payload.a = 2; // a later change by the producer must not reach the consumer
    await waitFor(() => got.length === 1);
    expect(JSON.parse(got[0].body)).toEqual({ ...envelope, payload: { a: 1 } });
    expect(got[0].attempt).toBe(1);
  });
});

describe('a message published before any consumer attaches is kept and delivered once one attaches', () => {
  it('the message waits in the queue, then is delivered exactly once', async () => {
    bus = new InProcessBus();
    bus.publishRaw('complaint.received', 'first');
    await tick();
    expect(bus.depth('heating.dispatch')).toBe(1);
    const got: string[] = [];
    bus.consume('heating.dispatch', 4, async (d) => void got.push(d.body));
    await waitFor(() => bus.depth('heating.dispatch') === 0);
    await tick();
    expect(got).toEqual(['first']);
  });
  it('messages kept for a queue arrive in publish order', async () => {
    bus = new InProcessBus();
    for (const body of ['1', '2', '3']) bus.publishRaw('complaint.received', body);
    const got: string[] = [];
    bus.consume('heating.kpi', 1, async (d) => void got.push(d.body));
    await waitFor(() => got.length === 3);
    expect(got).toEqual(['1', '2', '3']);
  });
  it('after cancel() messages are kept again until a consumer attaches', async () => {
    bus = new InProcessBus();
    const got: string[] = [];
    bus.consume('heating.dispatch', 1, async (d) => void got.push(d.body));
    bus.cancel('heating.dispatch');
    bus.publishRaw('complaint.received', 'kept');
    await tick();
    await tick();
    expect(got).toEqual([]);
    expect(bus.depth('heating.dispatch')).toBe(1);
    bus.consume('heating.dispatch', 1, async (d) => void got.push(d.body));
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['kept']);
  });
});

describe('prefetch bounds how many deliveries of a queue are handled at once', () => {
  it.each([[1], [2], [3]])('with prefetch %i never more than that many run together, and all are handled', async (prefetch) => {
    bus = new InProcessBus();
    let running = 0;
    let maxRunning = 0;
    const releases: Array<() => void> = [];
    const done: string[] = [];
    bus.consume('heating.dispatch', prefetch, async (d) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      done.push(d.body);
    });
    for (let i = 0; i < 6; i++) bus.publishRaw('complaint.received', String(i));
    await waitFor(() => running === prefetch);
    await tick();
    await tick();
    expect(running).toBe(prefetch); // the rest wait, although the consumer is free to take more
    expect(bus.depth('heating.dispatch')).toBe(6);
    for (let spins = 0; done.length < 6 && spins < 1_000; spins++) {
      releases.shift()?.();
      await tick();
    }
    expect(maxRunning).toBe(prefetch);
    expect(done.sort()).toEqual(['0', '1', '2', '3', '4', '5']);
  });
});

describe('redeliverLater puts a delivery back after the delay; dead letters are kept per queue', () => {
  it('a delivery is redelivered with its attempt number after the delay, and counts in depth meanwhile', async () => {
    bus = new InProcessBus();
    const got: InProcessDelivery[] = [];
    bus.consume('heating.kpi', 1, async (d) => void got.push(d));
    const start = performance.now();
    bus.redeliverLater('heating.kpi', { body: 'again', attempt: 2 }, 30);
    expect(bus.depth('heating.kpi')).toBe(1);
    await waitFor(() => got.length === 1);
    expect(performance.now() - start).toBeGreaterThanOrEqual(29);
    expect(got[0]).toEqual({ body: 'again', attempt: 2 });
  });
  it('dead letters are listed for their queue only, as a copy', () => {
    bus = new InProcessBus();
    const letter = { queue: 'heating.kpi', reason: 'r', attempts: 1, deadLetteredAt: 'now', body: 'b' };
    bus.deadLetter('heating.kpi', letter);
    const listed = bus.deadLetters('heating.kpi');
    expect(listed).toEqual([letter]);
    listed.pop();
    expect(bus.deadLetters('heating.kpi')).toHaveLength(1);
    expect(bus.deadLetters('heating.dispatch')).toEqual([]);
  });
  it('a closed bus refuses to publish and cancels pending redeliveries', async () => {
    bus = new InProcessBus();
    const got: string[] = [];
    bus.consume('heating.kpi', 1, async (d) => void got.push(d.body));
    bus.redeliverLater('heating.kpi', { body: 'late', attempt: 2 }, 10);
    bus.close();
    expect(() => bus.publishRaw('case.closed', '{}')).toThrow(/closed/);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(got).toEqual([]);
  });
});
