import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import { clock } from '../clock.js';
import { open, seal } from '../security/envelope.js';
import { ddb, tableName } from '../store/dynamo.js';
import { keys, type TenantId, tenantOf } from '../store/keys.js';

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
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    const tenant = tenantOfQuery(query);
    const out = await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.installation(tenant) }));
    if (!out.Item) throw new InstallationNotFoundError(`no installation for ${tenant}`);
    return JSON.parse(await open(tenant, out.Item.sealed as string));
  }

  async deleteInstallation(query: InstallationQuery<boolean>) {
    await ddb().send(
      new DeleteCommand({ TableName: tableName(), Key: keys.installation(tenantOfQuery(query)) }),
    );
  }
}
