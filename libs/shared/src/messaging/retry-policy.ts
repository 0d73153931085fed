/**
 * Bounded retries with backoff: attempt n (1-based) that fails waits delaysMs[n-1]
 * before the next try; after the last delay the message is dead-lettered.
 */
export interface RetryPolicy {
  delaysMs: number[];
}

export const DEFAULT_RETRY_DELAYS_MS = [1_000, 10_000, 60_000];

export type FailureOutcome = { action: 'retry'; delayMs: number } | { action: 'dead-letter'; reason: string };

export function decideOnFailure(policy: RetryPolicy, attempt: number, error: unknown, poison: boolean): FailureOutcome {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (poison) return { action: 'dead-letter', reason: `rejected: ${message}` };
  if (attempt <= policy.delaysMs.length) return { action: 'retry', delayMs: policy.delaysMs[attempt - 1] };
  return { action: 'dead-letter', reason: `failed ${attempt} times, last error: ${message}` };
}
