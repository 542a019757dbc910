import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import { clock } from '../clock.js';
import { config } from '../config.js';
import { forgetTenantKeys, open, seal } from '../security/envelope.js';
import { ddb, tableName } from '../store/dynamo.js';
import { keys, type TenantId, tenantOf } from '../store/keys.js';
import { TtlCache } from '../store/ttl-cache.js';

export class InstallationNotFoundError extends Error {
  override readonly name = 'InstallationNotFoundError';
  readonly code = 'not_installed';
}

function tenantOfQuery(q: InstallationQuery<boolean>): TenantId {
  return tenantOf({
    teamId: q.teamId,
    enterpriseId: q.enterpriseId,
    isEnterpriseInstall: q.isEnterpriseInstall,
  });
}

type AnyInstallation = Installation<'v1' | 'v2', boolean>;

/**
 * Every Slack request needs its workspace's installation (authorize), and opening it costs a
 * DynamoDB read and a KMS call. A warm container keeps each tenant's for up to 5 minutes
 * (bounded); storing (a token refresh, a reinstall) replaces it and deleting (uninstall) drops
 * it, with the tenant's data keys. A rotating token's installation is never served from here
 * once InstallProvider would refresh it (2 hours before expiry, plus the cache's own 5 minutes):
 * each refresh token works once, so a copy another container has already refreshed must not be
 * refreshed again.
 */
const INSTALLATION_TTL_MS = 5 * 60_000;
const REFRESH_WINDOW_MS = 2 * 60 * 60_000;
const installations = new TtlCache<AnyInstallation>(1_000);

function cacheUntil(installation: AnyInstallation): number {
  const now = clock.now();
  const expiries = [installation.bot?.expiresAt, installation.user?.expiresAt].filter(
    (e): e is number => typeof e === 'number',
  );
  const refreshAt = Math.min(...expiries.map((e) => e * 1000 - REFRESH_WINDOW_MS - INSTALLATION_TTL_MS));
  return Math.min(now + INSTALLATION_TTL_MS, refreshAt);
}

/** Per table: a test or a restarted local stack with another table never sees this one's. */
const cacheKey = (tenant: TenantId) => `${config().dynamoEndpoint ?? ''}|${tableName()}|${tenant}`;

export function clearInstallationCache(): void {
  installations.clear();
}

/**
 * Installations in the single table, one item per tenant (team, or enterprise for org-wide
 * installs). The whole installation, tokens included, is sealed with the tenant's envelope key;
 * only ids and names stay readable.
 */
export class DynamoInstallationStore implements InstallationStore {
  async storeInstallation<AuthVersion extends 'v1' | 'v2'>(installation: Installation<AuthVersion, boolean>) {
    const tenant = tenantOf({
      teamId: installation.team?.id,
      enterpriseId: installation.enterprise?.id,
      isEnterpriseInstall: installation.isEnterpriseInstall,
    });
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.installation(tenant),
          teamName: installation.team?.name ?? installation.enterprise?.name,
          botUserId: installation.bot?.userId,
          installedBy: installation.user.id,
          isEnterpriseInstall: Boolean(installation.isEnterpriseInstall),
          updatedAt: new Date(clock.now()).toISOString(),
          sealed: await seal(tenant, JSON.stringify(installation)),
        },
      }),
    );
    const copy = structuredClone(installation) as AnyInstallation;
    installations.set(cacheKey(tenant), copy, cacheUntil(copy));
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    const tenant = tenantOfQuery(query);
    const hit = installations.get(cacheKey(tenant));
    // A copy: InstallProvider writes refreshed tokens into the object it is given.
    if (hit) return structuredClone(hit);
    const out = await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.installation(tenant) }));
    if (!out.Item) throw new InstallationNotFoundError(`no installation for ${tenant}`);
    const installation = JSON.parse(await open(tenant, out.Item.sealed as string)) as AnyInstallation;
    installations.set(cacheKey(tenant), installation, cacheUntil(installation));
    return structuredClone(installation);
  }

  async deleteInstallation(query: InstallationQuery<boolean>) {
    const tenant = tenantOfQuery(query);
    installations.delete(cacheKey(tenant));
    forgetTenantKeys(tenant);
    await ddb().send(new DeleteCommand({ TableName: tableName(), Key: keys.installation(tenant) }));
  }
}
