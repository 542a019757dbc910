import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '../log.js';
import type { SettingsItem } from '../security/access.js';
import { ddb, tableName } from '../store/dynamo.js';
import { keys, type TenantId } from '../store/keys.js';
import { isCountryCode } from './schemas.js';

/**
 * The workspace's default country for phone numbers typed without a country code, kept on the
 * tenant's SETTINGS item (`defaultCountry`). Unset: every number must start with +. `item`: the
 * item as the caller is already reading it (src/slack/service.ts reads it once per command).
 */
export async function workspaceCountry(
  tenant: TenantId,
  item?: Promise<SettingsItem>,
): Promise<string | undefined> {
  try {
    const settings =
      (await item) ??
      (
        await ddb().send(
          new GetCommand({
            TableName: tableName(),
            Key: keys.settings(tenant),
            ProjectionExpression: 'defaultCountry',
          }),
        )
      ).Item;
    const c = settings?.defaultCountry;
    return typeof c === 'string' && isCountryCode(c) ? c : undefined;
  } catch (err) {
    // Without it, numbers need their + prefix: stricter, never wrong.
    logger.warn('could not read the default country', { error: err as Error });
    return undefined;
  }
}
