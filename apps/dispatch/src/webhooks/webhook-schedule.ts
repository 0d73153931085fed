/**
 * Backoff between webhook attempts: about a day in all (5 s … 8 h), then the delivery is marked
 * failed — the company still has the case through the pull API.
 */
export const WEBHOOK_RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 28_800_000];

/** When to try again after `attempts` failed tries, or null when the schedule is used up. */
export function nextAttemptDelay(attempts: number): number | null {
  return attempts <= WEBHOOK_RETRY_DELAYS_MS.length ? WEBHOOK_RETRY_DELAYS_MS[attempts - 1] : null;
}
