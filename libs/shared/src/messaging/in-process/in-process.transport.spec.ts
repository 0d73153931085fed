import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ConsoleLogger, Logger } from '@nestjs/common';
import type { BusContext } from '../bus-context.js';
import { newEnvelope } from '../envelope.js';
import type { EventEnvelope } from '../envelope.js';
import { SUBSCRIPTIONS } from '../subscriptions.js';
import { InProcessBus } from './in-process-bus.js';
import { InProcessDeadLetters, InProcessPublisher, InProcessTransport } from './in-process.transport.js';
import type { CaseClosedV1 } from '../../contracts/events.js';

const QUEUE = 'heating.sms-survey';
const DELAYS = [10, 20];

// The transport logs every retry and dead letter; keep the test output clean.
beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

let bus: InProcessBus;
let transport: InProcessTransport | undefined;
afterEach(() => {
  transport?.close();
  transport = undefined;
  bus?.close();
});

let seq = 0;
function caseClosed(caseNumber = `GR-20261130-${String(++seq).padStart(6, '0')}`): EventEnvelope<CaseClosedV1> {
  return newEnvelope(
    'intake',
    'case.closed',
    {
      caseId: '0b8f2c64-5d7e-4c1a-9d3b-6f0e2a1b7c55',
      caseNumber,
      companyId: 'company-42',
      authorityId: 'authority-2101',
      resolution: 'fixed',
      closedAt: '2026-11-30T10:00:00+08:00',
    },
    new Date('2026-11-30T02:00:00Z'),
  );
}

type Handler = (data: EventEnvelope<CaseClosedV1>, ctx: BusContext) => Promise<unknown>;

function startSmsSurvey(handlers: Record<string, Handler>, prefetch = 1): InProcessTransport {
  bus = new InProcessBus();
  transport = new InProcessTransport(bus, 'sms-survey', { delaysMs: DELAYS }, prefetch);
  // Every event routed to sms-survey needs a handler (listen() checks); the test's own replace no-ops.
  const all: Record<string, Handler> = Object.fromEntries(SUBSCRIPTIONS['sms-survey'].map((p) => [p, async () => undefined]));
  for (const [pattern, handler] of Object.entries({ ...all, ...handlers })) {
    transport.addHandler(pattern, handler as (data: unknown, ctx: unknown) => Promise<unknown>, true);
  }
  transport.listen(() => {});
  return transport;
}

async function waitFor(condition: () => boolean, timeoutMs = 1_500): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('a valid envelope reaches its @EventPattern handler with the envelope and the delivery context', () => {
  it('the handler gets the envelope, the queue and attempt 1; the queue is then empty', async () => {
    const seen: Array<{ envelope: EventEnvelope<CaseClosedV1>; queue: string; attempt: number; sameEnvelope: boolean }> = [];
    startSmsSurvey({
      'case.closed': async (envelope, ctx) => {
        const { queue, attempt } = ctx.getDelivery();
        seen.push({ envelope, queue, attempt, sameEnvelope: ctx.getEnvelope() === envelope });
      },
    });
    const sent = caseClosed();
    bus.publish(sent);
    await waitFor(() => seen.length === 1 && bus.depth(QUEUE) === 0);
    expect(seen[0]).toEqual({ envelope: JSON.parse(JSON.stringify(sent)), queue: QUEUE, attempt: 1, sameEnvelope: true });
    expect(bus.deadLetters(QUEUE)).toEqual([]);
  });
  it('InProcessPublisher publishes through the same bus', async () => {
    const seen: string[] = [];
    startSmsSurvey({ 'case.closed': async (envelope) => void seen.push(envelope.payload.caseNumber) });
    await new InProcessPublisher(bus).publish([caseClosed('GR-A'), caseClosed('GR-B')]);
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual(['GR-A', 'GR-B']);
  });
});

describe('a failing handler is retried after the configured delays, in order', () => {
  it('a handler that fails twice then succeeds is called 3 times (attempts 1,2,3), waits 10 ms then 20 ms, no dead letter', async () => {
    const attempts: Array<{ attempt: number; at: number }> = [];
    startSmsSurvey({
      'case.closed': async (_envelope, ctx) => {
        const { attempt } = ctx.getDelivery();
        attempts.push({ attempt, at: performance.now() });
        if (attempt < 3) throw new Error(`SMS gateway down (try ${attempt})`);
      },
    });
    const redeliver = jest.spyOn(bus, 'redeliverLater');
    bus.publish(caseClosed());
    await waitFor(() => attempts.length === 3 && bus.depth(QUEUE) === 0);
    await new Promise((resolve) => setTimeout(resolve, 40)); // room for a (wrong) fourth delivery

    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(redeliver.mock.calls.map(([, , delayMs]) => delayMs)).toEqual([10, 20]);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(9);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(19);
    expect(bus.deadLetters(QUEUE)).toEqual([]);
  });
});

describe('a handler that always fails ends in the dead letters after delays+1 attempts, without blocking the queue', () => {
  it('the dead letter names the error, the envelope and attempts = 3; a later message is still handled', async () => {
    const handled: string[] = [];
    const tries: string[] = [];
    startSmsSurvey({
      'case.closed': async (envelope) => {
        tries.push(envelope.payload.caseNumber);
        if (envelope.payload.caseNumber === 'GR-BAD') throw new Error('template SMS_123 rejected by provider');
        handled.push(envelope.payload.caseNumber);
      },
    });
    const bad = caseClosed('GR-BAD');
    bus.publish(bad);
    bus.publish(caseClosed('GR-GOOD'));

    await waitFor(() => bus.deadLetters(QUEUE).length === 1 && bus.depth(QUEUE) === 0);
    const [letter] = bus.deadLetters(QUEUE);
    expect(letter).toMatchObject({ envelopeId: bad.id, type: 'case.closed', queue: QUEUE, attempts: DELAYS.length + 1 });
    expect(letter.reason).toContain('template SMS_123 rejected by provider');
    expect(JSON.parse(letter.body)).toEqual(JSON.parse(JSON.stringify(bad)));
    expect(Number.isNaN(Date.parse(letter.deadLetteredAt))).toBe(false);

    expect(tries.filter((n) => n === 'GR-BAD')).toHaveLength(3);
    expect(handled).toEqual(['GR-GOOD']);
    // the good message did not wait for the bad one's retries
    expect(tries.indexOf('GR-GOOD')).toBe(1);
  });
  it('InProcessDeadLetters reads the service queue newest first and counts it', async () => {
    startSmsSurvey({ 'case.closed': async () => Promise.reject(new Error('always')) });
    bus.publish(caseClosed('GR-1'));
    bus.publish(caseClosed('GR-2'));
    await waitFor(() => bus.deadLetters(QUEUE).length === 2);
    const reader = new InProcessDeadLetters(bus, 'sms-survey');
    expect(await reader.count()).toBe(2);
    const listed = await reader.list(10);
    expect(listed.map((l) => JSON.parse(l.body).payload.caseNumber)).toEqual(
      bus.deadLetters(QUEUE).map((l) => JSON.parse(l.body).payload.caseNumber).reverse(),
    );
    expect(await reader.list(1)).toHaveLength(1);
  });
});

describe('a message that can never succeed is dead-lettered at once (attempt 1), with the reason', () => {
  it('a body that is not JSON', async () => {
    let calls = 0;
    startSmsSurvey({ 'case.closed': async () => void calls++ });
    bus.publishRaw('case.closed', 'not json');
    await waitFor(() => bus.deadLetters(QUEUE).length === 1);
    const [letter] = bus.deadLetters(QUEUE);
    expect(letter).toMatchObject({ attempts: 1, body: 'not json', queue: QUEUE });
    expect(letter.reason).toContain('not valid JSON');
    expect(calls).toBe(0);
  });
  it('an envelope whose payload breaks the contract (resolution "resolved")', async () => {
    let calls = 0;
    startSmsSurvey({ 'case.closed': async () => void calls++ });
    const envelope = caseClosed();
    bus.publishRaw('case.closed', JSON.stringify({ ...envelope, payload: { ...envelope.payload, resolution: 'resolved' } }));
    await waitFor(() => bus.deadLetters(QUEUE).length === 1);
    const [letter] = bus.deadLetters(QUEUE);
    expect(letter.attempts).toBe(1);
    expect(letter.reason).toContain('resolution');
    expect(calls).toBe(0);
  });
  it('a valid event of a type this service does not handle, arriving under a routed key', async () => {
    startSmsSurvey({});
    const rated = newEnvelope(
      'sms-survey',
      'survey.rated',
      {
        surveyId: '0b8f2c64-5d7e-4c1a-9d3b-6f0e2a1b7c56',
        caseId: '0b8f2c64-5d7e-4c1a-9d3b-6f0e2a1b7c55',
        caseNumber: 'GR-20261130-000001',
        companyId: 'HC0001',
        authorityId: 'AU210100',
        rating: 'satisfied',
        via: 'sms',
        ratedAt: '2026-11-30T09:00:00+08:00',
      },
      new Date(),
    );
    bus.publishRaw('case.closed', JSON.stringify(rated));
    await waitFor(() => bus.deadLetters(QUEUE).length === 1);
    expect(bus.deadLetters(QUEUE)[0]).toMatchObject({ attempts: 1, envelopeId: rated.id, type: 'survey.rated' });
    expect(bus.deadLetters(QUEUE)[0].reason).toContain('no handler');
  });
});

describe('listen() refuses handlers for events the service is not subscribed to', () => {
  it('sms-survey with a case.dispatched handler throws, naming the event', () => {
    bus = new InProcessBus();
    const t = new InProcessTransport(bus, 'sms-survey', { delaysMs: DELAYS }, 1);
    t.addHandler('case.closed', async () => {}, true);
    t.addHandler('case.dispatched', async () => {}, true);
    const started = jest.fn();
    expect(() => t.listen(started)).toThrow(/case\.dispatched/);
    expect(started).not.toHaveBeenCalled();
  });
  it('sms-survey without a handler for an event routed to it (complaint.received) throws, naming the event', () => {
    bus = new InProcessBus();
    const t = new InProcessTransport(bus, 'sms-survey', { delaysMs: DELAYS }, 1);
    t.addHandler('case.closed', async () => {}, true);
    expect(() => t.listen(() => {})).toThrow(/routed here but not handled: complaint\.received/);
  });
  it('sms-survey with only subscribed handlers starts', () => {
    bus = new InProcessBus();
    const t = new InProcessTransport(bus, 'sms-survey', { delaysMs: DELAYS }, 1);
    transport = t;
    t.addHandler('case.closed', async () => {}, true);
    t.addHandler('complaint.received', async () => {}, true);
    t.addHandler('survey.requested', async () => {}, true);
    const started = jest.fn();
    t.listen(started);
    expect(started).toHaveBeenCalledTimes(1);
  });
});
