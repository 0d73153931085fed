/**
 * Backoff between webhook attempts. The nominal gaps grow roughly exponentially (5 s … 8 h, about
 * a day in all); each gap is jittered by ±20 % so that deliveries that failed together (an endpoint
 * outage) do not all come back at the same second. After the last gap the delivery is marked
 * failed — the company still has the case through the pull API, and can ask for a redelivery.
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  5_000, 30_000, 120_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 28_800_000,
];

/** Each gap is spread uniformly over nominal × [1 − JITTER, 1 + JITTER]. */
export const WEBHOOK_RETRY_JITTER = 0.2;

/** A source of numbers in [0, 1); Math.random in production, fixed in tests. */
export type RandomSource = () => number;

/**
 * When to try again after `failedAttempts` failed tries of the current schedule (1 = the first
 * try failed), or null when the schedule is used up. Pure: the randomness is passed in.
 */
export function nextAttemptDelay(failedAttempts: number, random: RandomSource = Math.random): number | null {
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1 || failedAttempts > WEBHOOK_RETRY_DELAYS_MS.length) return null;
  const nominal = WEBHOOK_RETRY_DELAYS_MS[failedAttempts - 1];
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(nominal * (1 - WEBHOOK_RETRY_JITTER + 2 * WEBHOOK_RETRY_JITTER * r));
}

/** Attempts in one schedule: the first try plus one per gap. */
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_MS.length + 1;
