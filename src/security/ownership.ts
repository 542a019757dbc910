import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { UserError } from '../errors.js';
import { conditionally, ddb, tableName } from '../store/dynamo.js';
import type { TenantId } from '../store/keys.js';

/**
 * Which workspace created each provider object. Provider ids are global to the provider
 * account, and one account can serve several workspaces (an agency connecting the same
 * Vonage account twice, or the local stack's shared sandbox account), so an id a person types
 * or a button carries proves nothing by itself. The workspace that creates an object claims
 * it here, once (a conditional write: the first claim wins, a second workspace's claim fails);
 * every command and button that takes such an id asks `assertOwned` first and treats another
 * workspace's object exactly like one that does not exist, so the answer tells nothing about
 * other workspaces.
 *
 * The claim lives outside the tenant partitions (`OWNER#<kind>#<id>`) because it must be
 * unique across them; it carries no customer data, only the owning tenant.
 */

export type OwnedKind = 'deployment';

const key = (kind: OwnedKind, id: string) => ({ pk: `OWNER#${kind}#${id}`, sk: 'OWNER' });

class NotOwnedError extends UserError {
  override readonly name = 'NotOwnedError';
  constructor(what: string, id: string) {
    super(`I do not know ${what} \`${id}\` in this workspace.`, 'not_found');
  }
}

/** Claims `id` for `tenant`. True when the tenant owns it (now or already); false when another does. */
export async function claimObject(
  tenant: TenantId,
  kind: OwnedKind,
  id: string,
  now = clock.now(),
): Promise<boolean> {
  const won = await conditionally(
    new PutCommand({
      TableName: tableName(),
      Item: { ...key(kind, id), tenant, kind, claimedAt: now },
      ConditionExpression: 'attribute_not_exists(pk) OR tenant = :t',
      ExpressionAttributeValues: { ':t': tenant },
    }),
  );
  return won;
}

export async function ownerOf(kind: OwnedKind, id: string): Promise<TenantId | undefined> {
  const out = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: key(kind, id), ConsistentRead: true }),
  );
  return out.Item?.tenant as TenantId | undefined;
}

/**
 * Throws NotOwnedError unless `tenant` owns the object. `legacy` answers for objects created
 * before claims were recorded (the workspace's own record of it): such an object is claimed
 * on first use, unless another workspace claimed it meanwhile.
 */
export async function assertOwned(
  tenant: TenantId,
  kind: OwnedKind,
  id: string,
  what: string,
  legacy?: () => Promise<boolean>,
): Promise<void> {
  const owner = await ownerOf(kind, id);
  if (owner === tenant) return;
  if (owner === undefined && legacy && (await legacy()) && (await claimObject(tenant, kind, id))) return;
  throw new NotOwnedError(what, id);
}
