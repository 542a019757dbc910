import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { ddb, epochSeconds, isConditionFailed, tableName } from '../store/dynamo.js';
import { keys, pkOf, type TenantId } from '../store/keys.js';

/** Keys of this feature, tenant first like everything in `store/keys.ts`. */
const contactKeys = {
  optin: (t: TenantId, e164: string) => ({ pk: pkOf(t), sk: `OPTIN#${e164}` }),
  /** One counter per workspace per UTC day. */
  verifyCount: (t: TenantId, day: string) => ({ pk: pkOf(t), sk: `VERIFYCAP#${day}` }),
};

export interface OptIn {
  e164: string;
  status: 'active' | 'withdrawn';
  /** Where and how consent was given, in the recorder's words. */
  source: string;
  /** The business name the person consented to hear from (the rules require it be clear). */
  business: string;
  recordedBy: string;
  recordedAt: string;
  withdrawnBy?: string | undefined;
  withdrawnAt?: string | undefined;
}

function toOptIn(item: Record<string, unknown>): OptIn {
  const { pk: _p, sk: _s, ...rest } = item;
  return rest as unknown as OptIn;
}

export async function getOptIn(tenant: TenantId, e164: string): Promise<OptIn | undefined> {
  const out = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: contactKeys.optin(tenant, e164), ConsistentRead: true }),
  );
  return out.Item ? toOptIn(out.Item) : undefined;
}

/** The numbers among `numbers` that have an active opt-in. */
export async function activeOptIns(tenant: TenantId, numbers: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < numbers.length; i += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
      [tableName()]: {
        Keys: numbers.slice(i, i + 100).map((n) => contactKeys.optin(tenant, n)),
        ConsistentRead: true,
      },
    };
    for (let round = 0; request && round < 5; round++) {
      const out: BatchGetCommandOutput = await ddb().send(new BatchGetCommand({ RequestItems: request }));
      for (const item of out.Responses?.[tableName()] ?? [])
        if (item.status === 'active') found.add(item.e164 as string);
      request =
        out.UnprocessedKeys && Object.keys(out.UnprocessedKeys).length
          ? (out.UnprocessedKeys as never)
          : undefined;
    }
  }
  return found;
}

export async function recordOptIn(
  tenant: TenantId,
  init: { e164: string; source: string; business: string; recordedBy: string },
  now = clock.now(),
): Promise<OptIn> {
  const optin: OptIn = { ...init, status: 'active', recordedAt: new Date(now).toISOString() };
  await ddb().send(
    new PutCommand({ TableName: tableName(), Item: { ...contactKeys.optin(tenant, init.e164), ...optin } }),
  );
  return optin;
}

/** Withdraws an active opt-in; undefined when none was on record (or it was already withdrawn). */
export async function withdrawOptIn(
  tenant: TenantId,
  e164: string,
  by: string,
  now = clock.now(),
): Promise<OptIn | undefined> {
  try {
    const out = await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: contactKeys.optin(tenant, e164),
        UpdateExpression: 'SET #status = :withdrawn, withdrawnBy = :by, withdrawnAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND #status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':withdrawn': 'withdrawn',
          ':active': 'active',
          ':by': by,
          ':at': new Date(now).toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ? toOptIn(out.Attributes) : undefined;
  } catch (err) {
    if (isConditionFailed(err)) return undefined;
    throw err;
  }
}

const utcDay = (now: number) => new Date(now).toISOString().slice(0, 10);

/**
 * Reserves `n` verifications out of today's cap with one conditional update, so concurrent
 * commands cannot overshoot it. Returns how many were left when the reservation failed.
 */
export async function reserveVerifications(
  tenant: TenantId,
  n: number,
  cap: number,
  now = clock.now(),
): Promise<{ ok: true; used: number } | { ok: false; left: number }> {
  try {
    const out = await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: contactKeys.verifyCount(tenant, utcDay(now)),
        UpdateExpression: 'ADD n :n SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(n) OR n <= :max',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':n': n, ':max': cap - n, ':ttl': epochSeconds(now) + 3 * 86_400 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return { ok: true, used: Number(out.Attributes?.n ?? n) };
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    const current = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: contactKeys.verifyCount(tenant, utcDay(now)) }),
    );
    return { ok: false, left: Math.max(0, cap - Number(current.Item?.n ?? 0)) };
  }
}

/** A per-workspace override of the daily cap (`verifyDailyCap` on the settings item), if set. */
export async function workspaceVerifyCap(tenant: TenantId): Promise<number | undefined> {
  const out = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.settings(tenant),
      ProjectionExpression: 'verifyDailyCap',
    }),
  );
  const v = out.Item?.verifyDailyCap;
  return typeof v === 'number' && v >= 0 ? v : undefined;
}

/** The workspace's name as stored at install time (the default business name of opt-ins). */
export async function workspaceName(tenant: TenantId): Promise<string | undefined> {
  const out = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.installation(tenant),
      ProjectionExpression: 'teamName',
    }),
  );
  return (out.Item?.teamName as string | undefined) || undefined;
}
