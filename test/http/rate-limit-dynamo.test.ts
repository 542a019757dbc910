import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/http/errors.js';
import { DynamoRateLimiter } from '../../src/http/rate-limit.js';
import { tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';

let table: Awaited<ReturnType<typeof startTestTable>>;
beforeAll(async () => {
  table = await startTestTable();
});
afterAll(() => table.close());

describe('rate limit across concurrent Lambdas (DynamoDB)', () => {
  it('given three limiters (three Lambdas) hammering one workspace at 600/min, no second holds more than its share, and other workspaces are unaffected', async () => {
    const lambdas = [new DynamoRateLimiter(), new DynamoRateLimiter(), new DynamoRateLimiter()];
    const T = tenantId('T0BUSY');
    const sent: number[] = [];
    let refused = 0;
    const until = Date.now() + 2_500;
    await Promise.all(
      lambdas.flatMap((limiter) =>
        Array.from({ length: 8 }, async () => {
          while (Date.now() < until) {
            try {
              await limiter.acquire(T, 'zavu', { perMinute: 600 });
              sent.push(Date.now());
            } catch (err) {
              if (!(err instanceof RateLimitedError)) throw err;
              refused += 1;
              await new Promise((r) => setTimeout(r, Math.min(err.retryAfterMs, 200)));
            }
          }
        }),
      ),
    );
    sent.sort((a, b) => a - b);
    // 600/min is one request every 100 ms: any 1-second span holds at most 10 (+1 at its edge).
    for (let i = 0; i + 11 < sent.length; i++) {
      expect((sent[i + 11] as number) - (sent[i] as number)).toBeGreaterThanOrEqual(1_000);
    }
    expect(sent.length).toBeGreaterThanOrEqual(15); // and the limit is used, not starved
    expect(refused + sent.length).toBeGreaterThan(sent.length); // 24 eager callers were held back

    // Another workspace has its own schedule.
    const other = new DynamoRateLimiter();
    const started = Date.now();
    await other.acquire(tenantId('T0QUIET'), 'zavu', { perMinute: 600 });
    expect(Date.now() - started).toBeLessThan(500);
  }, 20_000);
});
