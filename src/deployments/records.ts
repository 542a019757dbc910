import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { UserError } from '../errors.js';
import { JobRepository } from '../jobs/repository.js';
import { ddb, isConditionFailed, tableName } from '../store/dynamo.js';
import { pkOf, type TenantId } from '../store/keys.js';
import type { BackendName, DeploymentState } from './port.js';

/**
 * This workspace's own record of each deployment it provisioned or followed, for
 * `/wa deploy list` (the provider has no list in its description) and for finding the job
 * that follows a deployment. One item per deployment, written by the deployment job.
 */
export interface DeploymentRecord {
  deploymentId: string;
  jobId: string;
  /** Masked, never the full number. */
  phone?: string | undefined;
  wabaId?: string | undefined;
  /** The backend it runs on; records from before there was a choice are Vonage's. */
  via?: BackendName | undefined;
  /**
   * Cloud API: the start secrets (the two-step PIN), sealed for the tenant exactly as in the job
   * that added the number, so a later job that picks the deployment up can still register it.
   */
  sealed?: string | undefined;
  state: DeploymentState;
  detail?: string | undefined;
  createdBy: string;
  /** Where the deployment's progress message lives, so follow-ups go in its thread. */
  channel?: string | undefined;
  threadTs?: string | undefined;
  createdAt: number;
  updatedAt: number;
}

const key = (tenant: TenantId, id: string) => ({ pk: pkOf(tenant), sk: `DEPLOY#${id}` });

/** The deployment of a business number (E.164), so people name it by its number. */
const numberKey = (tenant: TenantId, e164: string) => ({ pk: pkOf(tenant), sk: `DEPLOYNUM#${e164}` });

/** Saves the record, and with `number` (the business number, E.164) the way to find it by that number. */
export async function saveRecord(tenant: TenantId, record: DeploymentRecord, number?: string): Promise<void> {
  await Promise.all([
    ddb().send(
      new PutCommand({ TableName: tableName(), Item: { ...key(tenant, record.deploymentId), ...record } }),
    ),
    number
      ? ddb().send(
          new PutCommand({
            TableName: tableName(),
            Item: { ...numberKey(tenant, number), deploymentId: record.deploymentId, at: record.createdAt },
          }),
        )
      : undefined,
  ]);
}

/** The latest deployment this workspace made of a business number. */
export async function deploymentOfNumber(tenant: TenantId, e164: string): Promise<string | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: tableName(), Key: numberKey(tenant, e164) }));
  const id = out.Item?.deploymentId;
  return typeof id === 'string' ? id : undefined;
}

/** Moves the recorded state; a record that does not exist yet is created by the next save. */
export async function updateRecordState(
  tenant: TenantId,
  id: string,
  patch: { state: DeploymentState; detail?: string | undefined; jobId?: string },
  now = clock.now(),
): Promise<void> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(tenant, id),
        UpdateExpression: `SET #state = :state, updatedAt = :now, detail = :detail${patch.jobId ? ', jobId = :job' : ''}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':state': patch.state,
          ':now': now,
          ':detail': patch.detail ?? null,
          ...(patch.jobId ? { ':job': patch.jobId } : {}),
        },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}

/**
 * A request a person made of a deployment (a resend by one method, a delete, a code), kept on its
 * record from the click until the job has told its outcome, so an identical click meanwhile
 * (a double click, a second tab) is coalesced into it instead of reaching the provider again. It
 * lapses after PENDING_MS, so a request the job never answers (a crash, a dropped event) cannot
 * block the next one for longer.
 */
export interface PendingRequest {
  by: string;
  at: number;
  until: number;
}
export type RequestKey = 'resend_sms' | 'resend_voice' | 'delete' | 'otp';
const PENDING_MS = 60_000;
const pendingAttribute = (request: RequestKey) => `pending_${request}`;

/**
 * Marks the request pending on the deployment's record, unless an identical one already is (one
 * conditional write): `marked`, or the pending one to coalesce into, or `unrecorded` (no record:
 * a deployment from before records were kept, not gated).
 */
export async function markPending(
  tenant: TenantId,
  id: string,
  request: RequestKey,
  by: string,
  now = clock.now(),
): Promise<'marked' | 'unrecorded' | { pending: PendingRequest }> {
  const names = { '#r': pendingAttribute(request), '#until': 'until' };
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(tenant, id),
        UpdateExpression: 'SET #r = :req',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#r) OR #r.#until < :now)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':req': { by, at: now, until: now + PENDING_MS }, ':now': now },
      }),
    );
    return 'marked';
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
  const out = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: key(tenant, id), ConsistentRead: true }),
  );
  if (!out.Item) return 'unrecorded';
  const pending = out.Item[pendingAttribute(request)] as PendingRequest | undefined;
  // Lapsed between the write and this read: a rare race, taken as pending (the person clicks again).
  return { pending: pending ?? { by, at: now, until: now } };
}

/** The job has told the request's outcome: an identical request is a new one from now on. */
export async function clearPending(tenant: TenantId, id: string, request: RequestKey): Promise<void> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key(tenant, id),
        UpdateExpression: 'REMOVE #r',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#r': pendingAttribute(request) },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}

export async function getRecord(tenant: TenantId, id: string): Promise<DeploymentRecord | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: tableName(), Key: key(tenant, id) }));
  return out.Item ? strip(out.Item) : undefined;
}

export async function listRecords(tenant: TenantId, limit = 50): Promise<DeploymentRecord[]> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
      ExpressionAttributeValues: { ':pk': pkOf(tenant), ':d': 'DEPLOY#' },
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map(strip).sort((a, b) => b.updatedAt - a.updatedAt);
}

function strip(item: Record<string, unknown>): DeploymentRecord {
  const { pk: _pk, sk: _sk, ...all } = item;
  const rest = Object.fromEntries(Object.entries(all).filter(([k]) => !k.startsWith('pending_')));
  return { ...(rest as unknown as DeploymentRecord), detail: (rest.detail as string | null) ?? undefined };
}

/** The deployment of a number as typed (`+44 7911 123459`), or a refusal that names the number. */
export async function deploymentByNumber(tenant: TenantId, typed: string): Promise<string> {
  const e164 = `+${typed.replace(/\D/g, '')}`;
  const id = await deploymentOfNumber(tenant, e164);
  if (!id)
    throw new UserError(
      `No deployment of ${e164} in this workspace: \`/wa deploy list\` shows them (a deployment started before numbers were kept is named by its id).`,
      'not_found',
    );
  return id;
}

/** The deployment its job's short reference (DEP-3) names, once the provider gave it an id. */
export async function deploymentByRef(tenant: TenantId, ref: string): Promise<string> {
  const repo = new JobRepository();
  const jobId = await repo.idOf(tenant, ref);
  const job = jobId ? await repo.get(tenant, jobId) : undefined;
  const id = (job?.data as { deploymentId?: unknown } | undefined)?.deploymentId;
  if (typeof id === 'string') return id;
  throw new UserError(
    job
      ? `${ref.toUpperCase()} has no deployment yet: the provider has not created it (its card shows where it stands).`
      : `No deployment ${ref.toUpperCase()} in this workspace: \`/wa deploy list\` shows them.`,
    'not_found',
  );
}
