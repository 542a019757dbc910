import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { clock } from '../../clock.js';
import { ProviderError } from '../../http/errors.js';
import { logger } from '../../log.js';
import { webhookUrl } from '../../security/webhooks.js';
import { ddb, tableName } from '../../store/dynamo.js';
import { keys, type TenantId } from '../../store/keys.js';
import type { Credentials } from '../credentials.js';
import { ZavuClient } from './client.js';

/**
 * At `/wa connect`, once a Zavu API key is saved, the workspace's webhook is registered with
 * Zavu (`POST /v1/invitations/webhook`, events `invitation.status_changed`) and the secret Zavu
 * returns is kept with the credentials (sealed), so nobody copies a URL or a secret by hand.
 * This runs while Slack waits for the modal's answer, hence the short timeout; on failure the
 * credentials are still saved, the home view says the webhook is not registered and why, and
 * offers to try again (invitations are then followed by polling alone).
 */
const REGISTER_TIMEOUT_MS = 1_500;

export type ZavuCredentials = Credentials<'zavu'>;

export type Registration =
  | { ok: true; value: ZavuCredentials; status: WebhookStatus }
  | { ok: false; value: ZavuCredentials; reason: string };

/** Where /wa connect registered the webhook, and when: not a secret, kept on the settings item. */
const WebhookStatus = z.object({ url: z.string().max(2048), registeredAt: z.string().max(40) });
export type WebhookStatus = z.output<typeof WebhookStatus>;

export async function zavuWebhookStatus(tenant: TenantId): Promise<WebhookStatus | undefined> {
  const out = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.settings(tenant),
      ProjectionExpression: 'zavuWebhook',
      ConsistentRead: true,
    }),
  );
  const parsed = WebhookStatus.safeParse(out.Item?.zavuWebhook);
  return parsed.success ? parsed.data : undefined;
}

/** Records the outcome of a registration (undefined: not registered, e.g. the key was removed). */
export async function setZavuWebhookStatus(tenant: TenantId, status: WebhookStatus | undefined) {
  await ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.settings(tenant),
      ...(status
        ? { UpdateExpression: 'SET zavuWebhook = :s', ExpressionAttributeValues: { ':s': status } }
        : { UpdateExpression: 'REMOVE zavuWebhook' }),
    }),
  );
}

export async function registerZavuWebhook(
  tenant: TenantId,
  creds: ZavuCredentials,
  opts: { timeoutMs?: number; baseUrl?: string } = {},
): Promise<Registration> {
  const url = await webhookUrl(tenant, 'zavu');
  const client = new ZavuClient(
    tenant,
    { apiKey: creds.apiKey },
    { timeoutMs: opts.timeoutMs ?? REGISTER_TIMEOUT_MS, ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}) },
  );
  try {
    const hook = await client.registerWebhook(url);
    // Zavu keeps an existing secret and answers it; without one in the answer, keep ours.
    const webhookSecret = hook.secret ?? creds.webhookSecret;
    return {
      ok: true,
      value: { ...creds, ...(webhookSecret ? { webhookSecret } : {}) },
      status: { url, registeredAt: new Date(clock.now()).toISOString() },
    };
  } catch (err) {
    logger.warn('zavu webhook registration failed', { tenant, error: err as Error });
    return { ok: false, value: creds, reason: reasonOf(err) };
  }
}

/** Plain words for the home view; never the key. */
function reasonOf(err: unknown): string {
  if (!(err instanceof ProviderError)) return 'Zavu could not be reached';
  if (err.kind === 'auth') return 'Zavu refused the API key';
  if (err.kind === 'transient') return `Zavu did not answer in time or was unavailable (${err.code})`;
  return `Zavu refused the registration (${err.code}${err.detail ? `: ${err.detail.slice(0, 120)}` : ''})`;
}
