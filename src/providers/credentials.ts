import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { config } from '../config.js';
import { UserError } from '../errors.js';
import { rememberSecretValues } from '../redaction.js';
import { open, seal } from '../security/envelope.js';
import { ddb, isConditionFailed, tableName } from '../store/dynamo.js';
import { keys, pkOf, type TenantId } from '../store/keys.js';
import { type CredentialProvider, type Credentials, credentialSchemas, PROVIDER_LABELS } from './index.js';
import type { CredentialCheck } from './provider.js';

export type { CredentialProvider, Credentials } from './index.js';

/**
 * The local stack's provider sandboxes accept their own credentials, which src/sandbox installs
 * here (never compiled into this module): with `SANDBOX_CREDENTIALS` set on the local stack, a
 * workspace without its own uses them. A global, so a bundle imported by a test sees them too.
 */
const FALLBACK = Symbol.for('wa.sandbox-credentials');
type Fallback = <P extends CredentialProvider>(provider: P) => Credentials<P>;

export function installFallbackCredentials(fallback: Fallback | undefined): void {
  (globalThis as { [FALLBACK]?: Fallback })[FALLBACK] = fallback;
}

export class MissingCredentialsError extends UserError {
  override readonly name = 'MissingCredentialsError';
  constructor(readonly provider: CredentialProvider) {
    super(
      `${PROVIDER_LABELS[provider]} is not connected for this workspace. An admin can set its credentials with \`/wa connect\`.`,
      'missing_credentials',
    );
  }
}

export interface CredentialMeta {
  provider: CredentialProvider;
  changedBy: string;
  changedAt: string;
  /** What the provider said when they were saved (absent until the check has run). */
  check?: CredentialCheck | undefined;
  checkedAt?: string | undefined;
}

/** Sealed values are bound to their provider too: a credential copied to another item does not open. */
const purposeOf = (provider: CredentialProvider) => `credential:${provider}`;

export async function getCredentials<P extends CredentialProvider>(
  tenant: TenantId,
  provider: P,
): Promise<Credentials<P>> {
  const stored = await getStoredCredentials(tenant, provider);
  if (stored) return stored;
  const fallback = (globalThis as { [FALLBACK]?: Fallback })[FALLBACK];
  if (fallback && config().sandboxCredentials) {
    const creds = fallback(provider);
    rememberSecretValues(creds);
    return creds;
  }
  throw new MissingCredentialsError(provider);
}

/** What this workspace stored itself (no sandbox fallback), or undefined. */
export async function getStoredCredentials<P extends CredentialProvider>(
  tenant: TenantId,
  provider: P,
): Promise<Credentials<P> | undefined> {
  const out = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: keys.credential(tenant, provider), ConsistentRead: true }),
  );
  if (!out.Item?.sealed) return undefined;
  const credentials = credentialSchemas[provider].parse(
    JSON.parse(await open(tenant, out.Item.sealed as string, undefined, purposeOf(provider))),
  ) as Credentials<P>;
  // From here on, these values are blanked in any log line (src/redaction.ts).
  rememberSecretValues(credentials);
  return credentials;
}

export async function setCredentials<P extends CredentialProvider>(
  tenant: TenantId,
  provider: P,
  value: unknown,
  changedBy: string,
): Promise<CredentialMeta> {
  const parsed = credentialSchemas[provider].parse(value);
  rememberSecretValues(parsed);
  const meta = { provider, changedBy, changedAt: new Date(clock.now()).toISOString() };
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...keys.credential(tenant, provider),
        ...meta,
        sealed: await seal(tenant, JSON.stringify(parsed), undefined, purposeOf(provider)),
      },
    }),
  );
  return meta;
}

/**
 * Stores a new value of the same credentials that the app completed itself (a webhook secret
 * it generated or got back from the provider): who set them, when, and what the provider said
 * of them stay. Returns whether there were credentials to update.
 */
export async function resealCredentials<P extends CredentialProvider>(
  tenant: TenantId,
  provider: P,
  value: unknown,
): Promise<boolean> {
  const parsed = credentialSchemas[provider].parse(value);
  rememberSecretValues(parsed);
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.credential(tenant, provider),
        UpdateExpression: 'SET sealed = :s',
        ConditionExpression: 'attribute_exists(sealed)',
        ExpressionAttributeValues: {
          ':s': await seal(tenant, JSON.stringify(parsed), undefined, purposeOf(provider)),
        },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/**
 * Keeps what the provider said of these credentials beside them, only while they are the ones
 * that were checked (`changedAt`): a check of credentials replaced meanwhile changes nothing.
 * Returns whether it was kept.
 */
export async function recordCredentialCheck(
  tenant: TenantId,
  provider: CredentialProvider,
  changedAt: string,
  check: CredentialCheck,
): Promise<boolean> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.credential(tenant, provider),
        UpdateExpression: 'SET checkStatus = :s, checkDetail = :d, checkedAt = :at',
        ConditionExpression: 'changedAt = :changed',
        ExpressionAttributeValues: {
          ':s': check.status,
          ':d': 'detail' in check ? check.detail.slice(0, 500) : '',
          ':at': new Date(clock.now()).toISOString(),
          ':changed': changedAt,
        },
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/** Returns whether anything was stored. */
export async function removeCredentials(tenant: TenantId, provider: CredentialProvider): Promise<boolean> {
  const out = await ddb().send(
    new DeleteCommand({
      TableName: tableName(),
      Key: keys.credential(tenant, provider),
      ReturnValues: 'ALL_OLD',
    }),
  );
  return Boolean(out.Attributes);
}

/** Who changed which provider's credentials and when; never the values. */
export async function listCredentialMeta(tenant: TenantId): Promise<CredentialMeta[]> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
      ExpressionAttributeValues: { ':pk': pkOf(tenant), ':c': 'CRED#' },
      ProjectionExpression: 'provider, changedBy, changedAt, checkStatus, checkDetail, checkedAt',
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? [])
    .filter((i) => typeof i.provider === 'string' && i.provider in credentialSchemas)
    .map((i) => ({
      provider: i.provider as CredentialProvider,
      changedBy: String(i.changedBy ?? ''),
      changedAt: String(i.changedAt ?? ''),
      ...(CHECK_STATUSES.includes(i.checkStatus)
        ? {
            check: (i.checkStatus === 'valid'
              ? { status: 'valid' }
              : { status: i.checkStatus, detail: String(i.checkDetail ?? '') }) as CredentialCheck,
            checkedAt: String(i.checkedAt ?? ''),
          }
        : {}),
    }));
}

const CHECK_STATUSES: unknown[] = ['valid', 'refused', 'unreachable', 'unchecked'];

/** Whether the local stack's sandbox credentials stand in for a workspace's own (never in AWS). */
export function sandboxCredentialsInUse(): boolean {
  return Boolean((globalThis as { [FALLBACK]?: Fallback })[FALLBACK] && config().sandboxCredentials);
}
