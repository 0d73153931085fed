import { describe, expect, it } from '@jest/globals';
import { DEFAULT_RETRY_DELAYS_MS, decideOnFailure } from './retry-policy.js';

const policy = { delaysMs: [1_000, 10_000, 60_000] };

describe('a failed attempt is retried after the configured delays, in order', () => {
  it('attempts 1, 2, 3 wait 1 s, 10 s, 60 s', () => {
    const delays = [1, 2, 3].map((attempt) => decideOnFailure(policy, attempt, new Error('db down'), false));
    expect(delays).toEqual([
      { action: 'retry', delayMs: 1_000 },
      { action: 'retry', delayMs: 10_000 },
      { action: 'retry', delayMs: 60_000 },
    ]);
  });
  it('the delays of another policy are used as given', () => {
    expect(decideOnFailure({ delaysMs: [10, 20] }, 1, new Error('x'), false)).toEqual({ action: 'retry', delayMs: 10 });
    expect(decideOnFailure({ delaysMs: [10, 20] }, 2, new Error('x'), false)).toEqual({ action: 'retry', delayMs: 20 });
  });
  it('the default policy is 1 s, 10 s, 60 s', () => {
    expect(DEFAULT_RETRY_DELAYS_MS).toEqual([1_000, 10_000, 60_000]);
  });
});

describe('after the last delay the message is dead-lettered with the error in the reason', () => {
  it('attempt 4 of a 3-delay policy is dead-lettered, the reason names the attempts and the error', () => {
    const outcome = decideOnFailure(policy, 4, new TypeError('cannot read caseId'), false);
    expect(outcome.action).toBe('dead-letter');
    if (outcome.action !== 'dead-letter') return;
    expect(outcome.reason).toContain('4');
    expect(outcome.reason).toContain('TypeError: cannot read caseId');
  });
  it('a non-Error thrown value is put in the reason as text', () => {
    const outcome = decideOnFailure(policy, 4, 'timeout', false);
    expect(outcome).toEqual({ action: 'dead-letter', reason: expect.stringContaining('timeout') });
  });
  it('a policy with no delays dead-letters the first failure', () => {
    expect(decideOnFailure({ delaysMs: [] }, 1, new Error('boom'), false)).toEqual({
      action: 'dead-letter',
      reason: expect.stringContaining('boom'),
    });
  });
});

describe('a poison message is dead-lettered at once, never retried', () => {
  it('poison on attempt 1 is dead-lettered with the reason, although retries remain', () => {
    const outcome = decideOnFailure(policy, 1, new Error('body is not valid JSON'), true);
    expect(outcome).toEqual({ action: 'dead-letter', reason: expect.stringContaining('body is not valid JSON') });
  });
});
