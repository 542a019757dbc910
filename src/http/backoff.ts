/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and
 * Jitter"): a uniform delay in [0, min(cap, base * 2^attempt)], but never sooner than a
 * provider's Retry-After.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** In-request retries: short, because longer waits go back to DynamoDB as the job's next due time. */
export const IN_REQUEST: BackoffOptions & { maxAttempts: number; maxWaitMs: number } = {
  baseMs: 200,
  capMs: 2_000,
  maxAttempts: 3,
  maxWaitMs: 2_000,
};

/** Job-level retries: the step runs again after this delay, up to the retry budget. */
export const JOB_RETRY: BackoffOptions & { maxAttempts: number } = {
  baseMs: 15_000,
  capMs: 30 * 60_000,
  maxAttempts: 8,
};
