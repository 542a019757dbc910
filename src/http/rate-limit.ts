import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, epochSeconds, isConditionFailed, tableName } from '../store/dynamo.js';
import { keys, type TenantId } from '../store/keys.js';
import { RateLimitedError } from './errors.js';

export interface RateLimit {
  /** Requests allowed per minute, spread evenly: a 1-second window holds limit/60 (at least 1). */
  perMinute: number;
}

export interface RateLimiter {
  acquire(tenant: TenantId, bucket: string, limit: RateLimit, now?: number): Promise<void>;
}

const WINDOW_MS = 1000;

function perWindow(limit: RateLimit): number {
  return Math.max(1, Math.floor((limit.perMinute * WINDOW_MS) / 60_000));
}

/**
 * A fixed-window counter per tenant and bucket in DynamoDB, so the limit holds across
 * concurrent Lambdas. One-second windows of limit/60 keep every sliding minute within the
 * provider's per-minute limit (a one-minute window would allow 2x at its edges).
 */
export class DynamoRateLimiter implements RateLimiter {
  async acquire(tenant: TenantId, bucket: string, limit: RateLimit, now = Date.now()): Promise<void> {
    const window = Math.floor(now / WINDOW_MS);
    try {
      await ddb().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.rate(tenant, bucket, window),
          UpdateExpression: 'ADD n :one SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(n) OR n < :limit',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': perWindow(limit),
            ':ttl': epochSeconds(now) + 120,
          },
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new RateLimitedError(bucket, (window + 1) * WINDOW_MS - now);
      throw err;
    }
  }
}

/** The same fixed windows in memory, for unit tests and single-process tools. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, number>();
  async acquire(tenant: TenantId, bucket: string, limit: RateLimit, now = Date.now()): Promise<void> {
    const window = Math.floor(now / WINDOW_MS);
    const key = `${tenant}#${bucket}#${window}`;
    const n = this.counts.get(key) ?? 0;
    if (n >= perWindow(limit)) throw new RateLimitedError(bucket, (window + 1) * WINDOW_MS - now);
    this.counts.set(key, n + 1);
  }
}
