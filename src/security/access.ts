import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { conditionally, ddb, isConditionFailed, tableName } from '../store/dynamo.js';
import { keys, type TenantId } from '../store/keys.js';

/**
 * Per-workspace access settings, kept on the tenant's SETTINGS item (next to its webhook id):
 * `admins`, a string set of allowlisted user ids, and `restricted`, a string set of the
 * member-level command groups an admin has made admin-only. Every change is one conditional
 * update on that item.
 */
export const MAX_ALLOWLIST = 50;

/**
 * The groups of member-level commands an admin may make admin-only for the workspace (`/wa admins
 * restrict`); each command names its group (`CommandSpec.restrict`).
 */
export const RESTRICTABLE = {
  invites: { label: 'sending and cancelling invites' },
  optins: { label: 'recording and withdrawing opt-ins' },
  verify: { label: 'verifying contacts with CommBox' },
  templates: { label: 'sending and watching templates' },
} as const;

export type RestrictableGroup = keyof typeof RESTRICTABLE;

export function isRestrictableGroup(g: string): g is RestrictableGroup {
  return Object.hasOwn(RESTRICTABLE, g);
}

export interface AccessSettings {
  admins: string[];
  restricted: RestrictableGroup[];
  changedBy?: string | undefined;
  changedAt?: string | undefined;
}

function asList(v: unknown): string[] {
  if (v instanceof Set) return [...v].map(String).sort();
  if (Array.isArray(v)) return v.map(String).sort();
  return [];
}

/** The tenant's SETTINGS item, as read for access and for the default country. */
export type SettingsItem = Record<string, unknown>;

/**
 * One strongly consistent read of the tenant's SETTINGS item with every field a command's checks
 * need (access and the default country), so a command reads the item once, not once per check.
 */
export async function readSettingsItem(tenant: TenantId): Promise<SettingsItem> {
  const out = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.settings(tenant),
      ProjectionExpression: 'admins, restricted, accessChangedBy, accessChangedAt, defaultCountry',
      ConsistentRead: true,
    }),
  );
  return out.Item ?? {};
}

/** The access settings; from `item` when the caller has already started reading it. */
export async function getAccessSettings(
  tenant: TenantId,
  item: Promise<SettingsItem> = readSettingsItem(tenant),
): Promise<AccessSettings> {
  const settings = await item;
  return {
    admins: asList(settings.admins),
    restricted: asList(settings.restricted).filter(isRestrictableGroup),
    changedBy: settings.accessChangedBy as string | undefined,
    changedAt: settings.accessChangedAt as string | undefined,
  };
}

export class AllowlistFullError extends Error {
  override readonly name = 'AllowlistFullError';
  readonly code = 'allowlist_full';
}

/** Adds to the allowlist; false if the user was already on it. */
export async function addAdmin(tenant: TenantId, userId: string, by: string, now = clock.now()) {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.settings(tenant),
        UpdateExpression: 'ADD admins :u SET accessChangedBy = :by, accessChangedAt = :at',
        // Not yet listed, and the list is not full: one conditional write, no read-modify-write race.
        ConditionExpression:
          '(attribute_not_exists(admins) OR (NOT contains(admins, :id) AND size(admins) < :max))',
        ExpressionAttributeValues: {
          ':u': new Set([userId]),
          ':id': userId,
          ':max': MAX_ALLOWLIST,
          ':by': by,
          ':at': new Date(now).toISOString(),
        },
      }),
    );
    return true;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    const current = await getAccessSettings(tenant);
    if (current.admins.includes(userId)) return false;
    throw new AllowlistFullError(`the allowlist holds at most ${MAX_ALLOWLIST} people`);
  }
}

/** Removes from the allowlist; false if the user was not on it. */
export async function removeAdmin(tenant: TenantId, userId: string, by: string, now = clock.now()) {
  return conditionally(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.settings(tenant),
      UpdateExpression: 'DELETE admins :u SET accessChangedBy = :by, accessChangedAt = :at',
      ConditionExpression: 'contains(admins, :id)',
      ExpressionAttributeValues: {
        ':u': new Set([userId]),
        ':id': userId,
        ':by': by,
        ':at': new Date(now).toISOString(),
      },
    }),
  );
}

/** Makes a group admin-only (on) or open to members again (off); false if nothing changed. */
export async function setRestricted(
  tenant: TenantId,
  group: RestrictableGroup,
  on: boolean,
  by: string,
  now = clock.now(),
): Promise<boolean> {
  return conditionally(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.settings(tenant),
      UpdateExpression: `${on ? 'ADD' : 'DELETE'} restricted :g SET accessChangedBy = :by, accessChangedAt = :at`,
      ConditionExpression: on
        ? '(attribute_not_exists(restricted) OR NOT contains(restricted, :name))'
        : 'contains(restricted, :name)',
      ExpressionAttributeValues: {
        ':g': new Set([group]),
        ':name': group,
        ':by': by,
        ':at': new Date(now).toISOString(),
      },
    }),
  );
}
