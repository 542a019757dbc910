import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { JobKind, StepIO } from '../jobs/kinds.js';
import type { Job, StepResult } from '../jobs/model.js';
import { cmSignClient } from '../providers/cm-sign/client.js';
import { FOLLOWED_EVENTS } from '../providers/cm-sign/schemas.js';
import { getCredentials, getStoredCredentials, resealCredentials } from '../providers/credentials.js';
import { webhookUrl } from '../security/webhooks.js';
import { ddb, tableName } from '../store/dynamo.js';
import { keys, type TenantId } from '../store/keys.js';
import { cmSignWebhookKind } from './kinds.js';
import { inviteSettings } from './settings.js';

/**
 * CM.com Sign webhooks are registered by API (S3: POST /clients/{kid}/webhooks, https URL,
 * events, custom headers). When an admin saves CM.com Sign credentials in `/wa connect`, a job
 * registers this workspace's callback URL with our secret in the `x-webhook-secret` header (the
 * secret is generated here when the admin gave none), so nobody copies URLs or secrets by hand.
 * The registration is recorded in the workspace settings; the connect view shows it.
 */
export const CM_SIGN_SECRET_HEADER = 'x-webhook-secret';

export interface RegisteredWebhook {
  id: string;
  url: string;
  at: number;
  keyId: string;
  /** A fingerprint of the secret registered (never the secret), to notice when it changed. */
  secretId: string;
}

const fingerprint = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 16);

export async function registeredCmSignWebhook(tenant: TenantId): Promise<RegisteredWebhook | undefined> {
  const out = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.settings(tenant),
      ProjectionExpression: 'cmSignWebhook',
    }),
  );
  return out.Item?.cmSignWebhook as RegisteredWebhook | undefined;
}

/**
 * Registers the webhook unless this URL is already registered for the current key id. Returns
 * what is registered. A workspace with stored credentials but no webhook secret gets one.
 */
export async function registerCmSignWebhook(
  tenant: TenantId,
  now: number,
  timeoutMs = inviteSettings().httpTimeoutMs,
): Promise<RegisteredWebhook> {
  let creds = await getCredentials(tenant, 'cm-sign');
  const stored = await getStoredCredentials(tenant, 'cm-sign');
  if (stored && !stored.webhookSecret) {
    creds = { ...stored, webhookSecret: randomBytes(24).toString('base64url') };
    // The same key with a secret the app made: who set it, and what CM.com Sign said of it, stay.
    await resealCredentials(tenant, 'cm-sign', creds);
  }
  const secret = creds.webhookSecret;
  if (!secret) throw new Error('no CM.com Sign webhook secret to register');
  const url = await webhookUrl(tenant, 'cm-sign');
  const known = await registeredCmSignWebhook(tenant);
  if (known?.url === url && known.keyId === creds.keyId && known.secretId === fingerprint(secret)) {
    return known; // already registered as it is now
  }
  const client = await cmSignClient(tenant, { timeoutMs });
  const hook = await client.registerWebhook({
    url,
    events: [...FOLLOWED_EVENTS],
    headers: { [CM_SIGN_SECRET_HEADER]: secret },
  });
  const record: RegisteredWebhook = {
    id: hook.id,
    url,
    at: now,
    keyId: creds.keyId,
    secretId: fingerprint(secret),
  };
  await ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.settings(tenant),
      UpdateExpression: 'SET cmSignWebhook = :w',
      ExpressionAttributeValues: { ':w': record },
    }),
  );
  return record;
}

const Payload = z.object({});

/** The job `/wa connect` starts after CM.com Sign credentials are saved. */
export const cmSignWebhookJob: JobKind<Record<string, never>, Record<string, unknown>> = {
  kind: cmSignWebhookKind.id,
  payload: Payload as never,
  async step(job: Job<Record<string, never>>, io: StepIO): Promise<StepResult<Record<string, unknown>>> {
    const hook = await io.effect('register', () => registerCmSignWebhook(job.tenant, io.now));
    return {
      type: 'done',
      data: { webhookId: hook.id },
      progress: {
        text: `:white_check_mark: CM.com Sign webhook registered for this workspace (id \`${hook.id}\`): signing updates now arrive at once.`,
      },
    };
  },
  failureMessage(_job, reason) {
    return {
      text: `:warning: The CM.com Sign webhook could not be registered: ${reason} Signing invites still work; their status is checked every ${Math.round(inviteSettings().pollMs / 60_000)} minutes instead. Save the credentials again in \`/wa connect\` to retry.`,
    };
  },
};

export default cmSignWebhookJob;
