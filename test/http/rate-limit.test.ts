import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/http/errors.js';
import { MemorySlotStore, SlotRateLimiter, slotSpacingMs } from '../../src/http/rate-limit.js';
import { tenantId } from '../../src/store/keys.js';

const T = tenantId('T0LIMIT');

/** A limiter on a fake clock: sleeping moves time forward. */
function limiterAt(start: number) {
  let now = start;
  const limiter = new SlotRateLimiter(
    new MemorySlotStore(),
    () => now,
    async (ms) => {
      now += ms;
    },
  );
  return { limiter, clock: () => now };
}

describe('slot rate limiter', () => {
  it('given a backlog at 600/min, then requests go out at the limit and no sliding minute holds more than 600', async () => {
    const { limiter, clock } = limiterAt(1_000_000);
    const sent: number[] = [];
    for (let i = 0; i < 1_300; i++) {
      await limiter.acquire(T, 'zavu', { perMinute: 600 });
      sent.push(clock());
    }
    for (let i = 600; i < sent.length; i++) {
      expect((sent[i] as number) - (sent[i - 600] as number)).toBeGreaterThanOrEqual(60_000);
    }
    const rate = (sent.length - 1) / (((sent.at(-1) as number) - (sent[0] as number)) / 60_000);
    expect(rate).toBeGreaterThan(595);
    expect(slotSpacingMs({ perMinute: 600 })).toBeCloseTo(100.67, 1);
  });

  it('given a schedule taken beyond the wait budget, then acquire fails with the time of the next free slot', async () => {
    const store = new MemorySlotStore();
    const now = 5_000_000;
    // Another Lambda holds the next 5 s of slots.
    await store.reserve(T, 'commbox', 5, 1_000, now, now + 1_000);
    const limiter = new SlotRateLimiter(
      store,
      () => now,
      async () => {},
    );
    const err = await limiter.acquire(T, 'commbox', { perMinute: 60 }).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBeGreaterThan(3_000);
  });
});
