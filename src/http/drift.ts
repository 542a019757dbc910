import { createHash } from 'node:crypto';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { logger } from '../log.js';
import { recordProviderDrift } from '../metrics.js';
import { ddb, epochSeconds, tableName } from '../store/dynamo.js';
import { pkOf, type TenantId } from '../store/keys.js';

/**
 * Drift reports: when a live provider answer or webhook does not match what we assumed (an answer
 * our schema refuses, a callback body we cannot read, a status value we do not know), the app
 * keeps a redacted sample of its SHAPE (keys and types, never a value), counts it per provider and
 * operation, and emits a metric. Admins see them with `/wa admins contracts` and on App Home, so
 * the first live week confirms or refutes each assumption no document confirms (docs/unconfirmed.md) without
 * anyone reading logs. Best effort: recording never fails what it observes.
 */

export type DriftKind = 'answer' | 'webhook' | 'value';

export interface Drift {
  provider: string;
  /** `GET /v1/invitations/{id}`, `webhook`, `deployment state`: ids never appear. */
  operation: string;
  kind: DriftKind;
  /** Where the observed differs from the assumed: field paths and what was expected, no values. */
  issues: Array<{ path: string; problem: string }>;
  /** What was received; only its shape is kept. */
  sample: unknown;
}

export interface DriftReport extends Omit<Drift, 'sample'> {
  shape: unknown;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

const KEEP_DAYS = 90;
const MAX_DEPTH = 6;
const MAX_KEYS = 40;

/** A key that reads like a field name is kept; one that may be data (a number, a name) is not. */
const fieldName = (k: string) => (/^[A-Za-z_$][\w$.-]{0,63}$/.test(k) && !/\d{5,}/.test(k) ? k : '<key>');

/** The keys and types of a value, never the value: `{ dossier_id: 'string', tags: ['string'] }`. */
export function shapeOf(value: unknown, depth = 0): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value))
    return value.length === 0 ? [] : depth >= MAX_DEPTH ? ['…'] : [shapeOf(value[0], depth + 1)];
  if (typeof value === 'object') {
    if (depth >= MAX_DEPTH) return '{…}';
    const out: Record<string, unknown> = {};
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [k, v] of entries.slice(0, MAX_KEYS)) {
      const name = fieldName(k);
      if (!(name in out)) out[name] = shapeOf(v, depth + 1);
    }
    if (entries.length > MAX_KEYS) out['…'] = `${entries.length - MAX_KEYS} more keys`;
    return out;
  }
  return typeof value;
}

/** `/v1/dossiers/3f2b…/invitees` → `/v1/dossiers/{id}/invitees`: the operation, without its ids. */
export function operationOf(method: string, path: string): string {
  const template = path
    .split('?')[0]
    ?.split('/')
    .map((s) => (/^[0-9a-f-]{8,}$/i.test(s) || /\d{3,}/.test(s) || s.length > 24 ? '{id}' : s))
    .join('/');
  return `${method} ${template}`;
}

/** Issue paths as field paths, array indexes as `[]`: `data.items[].status`. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path
      .map((p) => (typeof p === 'number' ? '[]' : fieldName(String(p))))
      .join('.')
      .replace(/\.\[\]/g, '[]') || '(body)'
  );
}

/** What a schema issue says was expected, without the value it got. */
export function problemOf(issue: {
  code: string;
  expected?: unknown;
  values?: unknown;
  keys?: unknown;
}): string {
  if (issue.code === 'invalid_type') return `expected ${String(issue.expected)}`;
  if (issue.code === 'invalid_value' && Array.isArray(issue.values))
    return `expected one of ${issue.values.slice(0, 8).map(String).join(', ')}`;
  if (issue.code === 'unrecognized_keys' && Array.isArray(issue.keys))
    return `unexpected keys ${issue.keys
      .slice(0, 5)
      .map((k) => fieldName(String(k)))
      .join(', ')}`;
  return issue.code;
}

export async function recordDrift(tenant: TenantId, drift: Drift, now = clock.now()): Promise<void> {
  const shape = shapeOf(drift.sample);
  const issues = drift.issues
    .slice(0, 5)
    .map((i) => ({ path: i.path.slice(0, 120), problem: i.problem.slice(0, 120) }));
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([drift.provider, drift.operation, drift.kind, issues, shape]))
    .digest('base64url')
    .slice(0, 16);
  recordProviderDrift(drift.provider, drift.kind);
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: pkOf(tenant), sk: `DRIFT#${drift.provider}#${fingerprint}` },
        UpdateExpression:
          'ADD #count :one SET provider = :p, operation = :o, kind = :k, issues = :i, shape = :s, firstSeen = if_not_exists(firstSeen, :now), lastSeen = :now, #ttl = :ttl',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':p': drift.provider,
          ':o': drift.operation,
          ':k': drift.kind,
          ':i': issues,
          ':s': shape,
          ':now': now,
          ':ttl': epochSeconds(now) + KEEP_DAYS * 86_400,
        },
      }),
    );
  } catch (err) {
    logger.warn('could not record a drift report', { error: err as Error, provider: drift.provider });
  }
}

/** The workspace's drift reports, most recently seen first. */
export async function listDrift(tenant: TenantId): Promise<DriftReport[]> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
      ExpressionAttributeValues: { ':pk': pkOf(tenant), ':d': 'DRIFT#' },
      Limit: 100,
    }),
  );
  return (out.Items ?? [])
    .map((i) => ({
      provider: String(i.provider),
      operation: String(i.operation),
      kind: i.kind as DriftKind,
      issues: (i.issues ?? []) as DriftReport['issues'],
      shape: i.shape,
      count: Number(i.count ?? 0),
      firstSeen: Number(i.firstSeen ?? 0),
      lastSeen: Number(i.lastSeen ?? 0),
    }))
    .sort((a, b) => b.lastSeen - a.lastSeen);
}
