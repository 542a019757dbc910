import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { clock as appClock } from '../clock.js';
import { recordRateLimitWait } from '../metrics.js';
import { ddb, epochSeconds, isConditionFailed, tableName } from '../store/dynamo.js';
import { keys, type TenantId } from '../store/keys.js';
import { RateLimitedError } from './errors.js';

export interface RateLimit {
  /** Requests allowed in any sliding minute. */
  perMinute: number;
}

export interface RateLimiter {
  /** Resolves when a request may go out now (waiting up to MAX_WAIT_MS); else RateLimitedError. */
  acquire(tenant: TenantId, bucket: string, limit: RateLimit, now?: number): Promise<void>;
}

/**
 * Requests go out on a schedule of evenly spaced slots (GCRA with no burst): slot k of a bucket
 * is at `start + k * spacing`. 600/min gives slots 100.67 ms apart, so 600 slots span 60.4 s.
 * A slot may be used up to TOLERANCE_MS late (timers fire late under load), and the extra
 * SLACK_MS per minute absorbs that plus the spread in how long requests take to reach the
 * provider and clock skew between Lambdas: a sliding minute at the provider holds one request
 * too many only if a request reaches it more than SLACK_MS later, counted from its slot, than the
 * request `perMinute` slots on. 100 ms was too little: on a loaded 2-core machine the drain bench saw a sliding minute of
 * 601 in one run of three; 400 ms costs 0.5% of the rate. (Fixed one-second windows of limit/60
 * do not hold at all: a sliding minute overlaps 61 of them.)
 */
const SLACK_MS = 400;
const TOLERANCE_MS = 50;
/** A request waits in-process for a slot this long at most; beyond it, the job is rescheduled. */
const MAX_WAIT_MS = 1_000;
/** One reservation takes at most this much schedule, so slots a process then leaves unused are few. */
const HORIZON_MS = 2_000;

export function slotSpacingMs(limit: RateLimit): number {
  return (60_000 + SLACK_MS) / limit.perMinute;
}

/** Where slots are reserved. `start` is the first reserved slot; null when the schedule is full beyond `latest`. */
export interface SlotStore {
  reserve(
    tenant: TenantId,
    bucket: string,
    count: number,
    spacing: number,
    now: number,
    latest: number,
  ): Promise<{ start: number } | { busyUntil: number }>;
}

interface Lane {
  slots: number[];
  reserving: Promise<void> | undefined;
  waiting: number;
  /** Times of recent acquires, to size the next reservation to the demand. */
  recent: number[];
}

/**
 * Reserves slots in batches sized to recent demand (one store write covers up to HORIZON_MS of
 * requests for a busy bucket, one request for an idle one) and hands them out in order, each
 * caller sleeping until its slot.
 */
export class SlotRateLimiter implements RateLimiter {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly store: SlotStore,
    private readonly clock: () => number = appClock.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async acquire(tenant: TenantId, bucket: string, limit: RateLimit): Promise<void> {
    const key = `${tenant}#${bucket}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { slots: [], reserving: undefined, waiting: 0, recent: [] };
      this.lanes.set(key, lane);
    }
    const spacing = slotSpacingMs(limit);
    lane.waiting += 1;
    try {
      for (;;) {
        const now = this.clock();
        while (lane.slots.length > 0 && (lane.slots[0] as number) < now - TOLERANCE_MS) lane.slots.shift();
        const slot = lane.slots.shift();
        if (slot !== undefined) {
          if (slot > now) {
            recordRateLimitWait(bucket, slot - now);
            await this.sleep(slot - now);
          }
          // A timer that fired too late would bunch this request with the next slot's.
          if (this.clock() > slot + TOLERANCE_MS) continue;
          lane.recent.push(slot);
          return;
        }
        if (!lane.reserving) lane.reserving = this.reserve(tenant, bucket, lane, spacing, now);
        await lane.reserving;
      }
    } finally {
      lane.waiting -= 1;
    }
  }

  private async reserve(tenant: TenantId, bucket: string, lane: Lane, spacing: number, now: number) {
    try {
      while (lane.recent.length > 0 && (lane.recent[0] as number) < now - HORIZON_MS) lane.recent.shift();
      const most = Math.max(1, Math.floor(HORIZON_MS / spacing));
      const count = Math.min(most, Math.max(lane.waiting, lane.recent.length));
      const got = await this.store.reserve(tenant, bucket, count, spacing, now, now + MAX_WAIT_MS);
      if ('busyUntil' in got) throw new RateLimitedError(bucket, Math.max(1, got.busyUntil - now));
      for (let i = 0; i < count; i++) lane.slots.push(got.start + i * spacing);
    } finally {
      lane.reserving = undefined;
    }
  }
}

/**
 * The schedule in DynamoDB, one item per tenant and bucket holding `tat`, the time of its next
 * free slot. A reservation is one conditional update: `tat += count * spacing` while the bucket is
 * busy (tat in [now, latest]), or `tat = now + count * spacing` once it has gone idle (tat < now).
 * Concurrent Lambdas therefore get disjoint slots, and a quiet bucket costs nothing.
 */
class DynamoSlotStore implements SlotStore {
  private readonly lastTat = new Map<string, number>();

  async reserve(
    tenant: TenantId,
    bucket: string,
    count: number,
    spacing: number,
    now: number,
    latest: number,
  ): Promise<{ start: number } | { busyUntil: number }> {
    const Key = keys.rate(tenant, bucket);
    const span = count * spacing;
    const ttl = epochSeconds(now) + 3_600;
    const mapKey = `${tenant}#${bucket}`;
    let busyFirst = (this.lastTat.get(mapKey) ?? 0) >= now;
    for (let tries = 0; tries < 2; tries++, busyFirst = !busyFirst) {
      try {
        if (busyFirst) {
          const out = await ddb().send(
            new UpdateCommand({
              TableName: tableName(),
              Key,
              UpdateExpression: 'SET tat = tat + :span, #ttl = :ttl',
              ConditionExpression: 'tat BETWEEN :now AND :latest',
              ExpressionAttributeNames: { '#ttl': 'ttl' },
              ExpressionAttributeValues: { ':span': span, ':now': now, ':latest': latest, ':ttl': ttl },
              ReturnValues: 'UPDATED_NEW',
            }),
          );
          const tat = out.Attributes?.tat as number;
          this.lastTat.set(mapKey, tat);
          return { start: tat - span };
        }
        await ddb().send(
          new UpdateCommand({
            TableName: tableName(),
            Key,
            UpdateExpression: 'SET tat = :tat, #ttl = :ttl',
            ConditionExpression: 'attribute_not_exists(tat) OR tat < :now',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':tat': now + span, ':now': now, ':ttl': ttl },
          }),
        );
        this.lastTat.set(mapKey, now + span);
        return { start: now };
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
    }
    // Neither idle nor within reach: the schedule is taken beyond `latest`.
    const out = await ddb().send(new GetCommand({ TableName: tableName(), Key }));
    const tat = (out.Item?.tat as number | undefined) ?? now;
    this.lastTat.set(mapKey, tat);
    return { busyUntil: Math.max(tat, latest) };
  }
}

/** The same schedule in memory, for unit tests and single-process tools. */
export class MemorySlotStore implements SlotStore {
  private readonly tat = new Map<string, number>();
  async reserve(
    tenant: TenantId,
    bucket: string,
    count: number,
    spacing: number,
    now: number,
    latest: number,
  ) {
    const key = `${tenant}#${bucket}`;
    const tat = this.tat.get(key) ?? 0;
    if (tat > latest) return { busyUntil: tat };
    const start = Math.max(tat, now);
    this.tat.set(key, start + count * spacing);
    return { start };
  }
}

/** The limit held across Lambdas (what ProviderHttp uses by default). */
export class DynamoRateLimiter extends SlotRateLimiter {
  constructor() {
    super(new DynamoSlotStore());
  }
}

/** The same limiter in memory, for unit tests and single-process tools. */
export class MemoryRateLimiter extends SlotRateLimiter {
  constructor() {
    super(new MemorySlotStore());
  }
}
