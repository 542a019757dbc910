import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { config } from '../config.js';
import { conditionally, ddb, epochSeconds, isConditionFailed, tableName } from '../store/dynamo.js';
import { keys, type TenantId, tenantId } from '../store/keys.js';

/**
 * Each workspace has its own unguessable webhook id: `/webhooks/<provider>/<hookId>` maps a
 * provider's callback to its tenant without trusting anything in the body.
 */
export async function webhookIdFor(tenant: TenantId): Promise<string> {
  const settings = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: keys.settings(tenant), ProjectionExpression: 'hookId' }),
  );
  if (settings.Item?.hookId) return settings.Item.hookId as string;
  const hookId = randomBytes(18).toString('base64url');
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.settings(tenant),
        UpdateExpression: 'SET hookId = :h',
        ConditionExpression: 'attribute_not_exists(hookId)',
        ExpressionAttributeValues: { ':h': hookId },
      }),
    );
    await ddb().send(new PutCommand({ TableName: tableName(), Item: { ...keys.webhook(hookId), tenant } }));
    return hookId;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    return webhookIdFor(tenant); // another request created it first
  }
}

export async function webhookUrl(tenant: TenantId, provider: 'zavu' | 'cm-sign' | 'meta'): Promise<string> {
  return `${config().publicUrl}/webhooks/${provider}/${await webhookIdFor(tenant)}`;
}

export async function tenantForWebhook(hookId: string): Promise<TenantId | undefined> {
  if (!/^[\w-]{16,64}$/.test(hookId)) return undefined;
  const out = await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.webhook(hookId) }));
  return out.Item ? tenantId(out.Item.tenant as string) : undefined;
}

/** Constant-time comparison of two strings (different lengths compare unequal). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * How long after its first attempt a provider may deliver an event again, by its documented
 * retry schedule. A processed event's record must outlive it, or a late retry is processed twice.
 * - zavu: 5 retries after 1, 5, 15, 60 and 240 minutes (the longer of the two published
 *   schedules: provider-docs/references/zavu.md §6).
 * - meta: "up to 7 days" for WhatsApp webhooks, as commonly quoted; not confirmed from a Meta
 *   page (provider-docs/references/meta-template-webhook.md).
 * - slack: 3 retries, the last about 5 minutes after the first attempt (Events API docs).
 */
export const RETRY_HORIZON_MS: Record<string, number> = {
  zavu: (1 + 5 + 15 + 60 + 240) * 60_000,
  meta: 7 * DAY_MS,
  slack: HOUR_MS,
};

/**
 * How long a processed event is remembered: past the provider's retry horizon by a day (the
 * horizon runs from the provider's first attempt, which may precede ours by an outage, and
 * DynamoDB's clock is not ours), and never less than a week.
 */
export function eventRecordTtl(provider: string, now: number): number {
  return epochSeconds(now + Math.max(7 * DAY_MS, (RETRY_HORIZON_MS[provider] ?? 0) + DAY_MS));
}

/**
 * Records a provider event id once; a replay (providers retry) returns false. The record is a
 * conditional put, kept past the provider's retry horizon (eventRecordTtl).
 */
export async function firstDelivery(tenant: TenantId, provider: string, eventId: string, now = clock.now()) {
  return conditionally(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...keys.idempotency(tenant, `event#${provider}#${eventId}`),
        ttl: eventRecordTtl(provider, now),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

/** How long a claimed event blocks another attempt: past it, a crashed attempt no longer does. */
export const EVENT_LEASE_MS = 60_000;

export type Once<T> =
  | { state: 'processed'; value: T }
  /** Already processed: answer 2xx so the sender stops retrying. */
  | { state: 'duplicate' }
  /** Another attempt holds it right now: answer non-2xx so the sender retries later. */
  | { state: 'busy' };

/**
 * Runs `work` for a provider event at most once per event id, and records the event as
 * processed only once `work` has succeeded. Call it after the signature check. The record is
 * first a short claim (so two concurrent deliveries of one event do not both run); on success it
 * becomes "done" past the provider's retry horizon (eventRecordTtl); if `work` throws the claim is dropped, and if the process dies the
 * claim lapses after EVENT_LEASE_MS, so the provider's retry of a failed delivery is processed
 * instead of being answered "duplicate" and lost.
 */
export async function processOnce<T>(
  tenant: TenantId,
  provider: string,
  eventId: string,
  work: () => Promise<T>,
  now = clock.now(),
): Promise<Once<T>> {
  const key = keys.idempotency(tenant, `event#${provider}#${eventId}`);
  const claimed = await conditionally(
    new PutCommand({
      TableName: tableName(),
      Item: { ...key, state: 'claimed', leaseUntil: now + EVENT_LEASE_MS, ttl: epochSeconds(now) + 86_400 },
      // Free, or a claim whose holder died: an old-style record (no state) counts as done.
      ConditionExpression: 'attribute_not_exists(pk) OR (#s = :claimed AND leaseUntil < :now)',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now },
    }),
  );
  if (!claimed) {
    const held = await ddb().send(
      new GetCommand({
        TableName: tableName(),
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: '#s',
        ExpressionAttributeNames: { '#s': 'state' },
      }),
    );
    return held.Item?.state === 'claimed' ? { state: 'busy' } : { state: 'duplicate' };
  }
  let value: T;
  try {
    value = await work();
  } catch (err) {
    await ddb()
      .send(
        new DeleteCommand({
          TableName: tableName(),
          Key: key,
          ConditionExpression: '#s = :claimed',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed' },
        }),
      )
      .catch(() => undefined); // the lease lapses anyway
    throw err;
  }
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...key, state: 'done', ttl: eventRecordTtl(provider, now) },
    }),
  );
  return { state: 'processed', value };
}

/** Undoes `firstDelivery` when the first attempt failed, so the sender's retry is processed. */
export async function forgetDelivery(tenant: TenantId, provider: string, eventId: string): Promise<void> {
  await ddb().send(
    new DeleteCommand({
      TableName: tableName(),
      Key: keys.idempotency(tenant, `event#${provider}#${eventId}`),
    }),
  );
}

/**
 * How deeply a provider event's JSON may nest (objects and arrays). The documented events nest
 * at most 7 deep (Meta: body → entry[] → {} → changes[] → {} → value → rejection_info); a body
 * nested deeper is answered 400 before it is parsed, since no retry can make it processable
 * (DynamoDB refuses maps nested deeper than 32, and parsers recurse).
 */
export const MAX_EVENT_DEPTH = 16;

/** The deepest nesting of `[`/`{` in a JSON text, read without parsing (strings skipped). */
export function jsonDepth(raw: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

type Def = {
  type: string;
  innerType?: Def['in'];
  in?: { _zod: { def: Def } };
  shape?: Record<string, { _zod: { def: Def } }>;
  element?: { _zod: { def: Def } };
};

/**
 * A provider event reduced to the fields its schema names, at every level: what the app keeps
 * (in a job's inbox) is what it understands, however much else a signed body carries. Scalars
 * are kept as parsed; an object or array where the schema has no object or array (an
 * `unknown`, a record) is dropped.
 */
export function knownFields(schema: { _zod: { def: unknown } }, value: unknown): unknown {
  const def = schema._zod.def as Def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return value == null || !def.innerType ? value : knownFields(def.innerType, value);
    case 'pipe':
      return def.in ? knownFields(def.in, value) : value;
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
      const v = value as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(def.shape ?? {})
          .filter(([k]) => v[k] !== undefined)
          .map(([k, s]) => [k, knownFields(s, v[k])]),
      );
    }
    case 'array':
      return Array.isArray(value) && def.element
        ? value.map((x) => knownFields(def.element as never, x))
        : value;
    default:
      return value !== null && typeof value === 'object' ? undefined : value;
  }
}
