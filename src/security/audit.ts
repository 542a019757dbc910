import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { config } from '../config.js';
import { redact } from '../log.js';
import { ddb, epochSeconds, tableName } from '../store/dynamo.js';
import { keys, pkOf, type TenantId } from '../store/keys.js';

export interface AuditEntry {
  /** Slack user id, or `system` for the engine and webhooks. */
  actor: string;
  /** Dotted verb, e.g. `credentials.set`, `job.started`, `optin.recorded`, `deployment.verified`. */
  action: string;
  /** What it was done to: a provider, a job id, a masked phone number. Never a secret. */
  target?: string | undefined;
  outcome: 'ok' | 'refused' | 'failed';
  detail?: string | undefined;
}

/**
 * Appends to the tenant's audit trail. Entries are passed through the log redactor (phone
 * numbers masked, secret-looking fields dropped) and expire by TTL after the retention period.
 */
export async function audit(tenant: TenantId, entry: AuditEntry, now = clock.now()): Promise<void> {
  const at = new Date(now).toISOString();
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...keys.audit(tenant, at, randomBytes(4).toString('hex')),
        ...(redact(entry) as AuditEntry),
        at,
        ttl: epochSeconds(now) + config().auditRetentionDays * 86_400,
      },
    }),
  );
}

export async function latestAudit(tenant: TenantId, limit = 20): Promise<Array<AuditEntry & { at: string }>> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
      ExpressionAttributeValues: { ':pk': pkOf(tenant), ':a': 'AUDIT#' },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((i) => ({
    actor: i.actor,
    action: i.action,
    target: i.target,
    outcome: i.outcome,
    detail: i.detail,
    at: i.at,
  }));
}
