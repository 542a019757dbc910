import { z } from 'zod';
import { defineProvider } from '../provider.js';

/**
 * Meta's WhatsApp Cloud API (Graph), for number provisioning. A separate entry from `meta`
 * (template webhooks), because the two are different secrets with different reach: `meta`
 * holds the app secret and verify token that only *check* what Meta sends us, while this one
 * holds a system user access token that *acts* on the client's WhatsApp Business Account
 * (adds, registers and deregisters numbers). They are rotated, revoked and granted apart (a
 * team can take template webhooks without ever handing over a token that can deregister a
 * number), and a workspace that connects only one keeps working. Number webhooks
 * (`phone_number_name_update`, `account_update`) still arrive through the `meta` webhook, signed
 * with that app secret.
 *
 * - `accessToken`: a system user access token with `whatsapp_business_management` and
 *   `whatsapp_business_messaging` (registration and two-step verification need both for a
 *   Solution Partner: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/registration/).
 * - `applicationId`: the Meta app (its App ID) the token belongs to; the Resumable Upload API (profile photos) starts
 *   an upload session on `/{app-id}/uploads` (https://developers.facebook.com/docs/graph-api/guides/upload).
 */
export const metaCloudProvider = defineProvider({
  name: 'meta-cloud',
  label: 'Meta (WhatsApp Cloud API)',
  credentials: z.object({
    accessToken: z
      .string()
      .trim()
      .min(20)
      .max(1024)
      .regex(/^\S+$/, { error: 'an access token has no spaces' }),
    applicationId: z
      .string()
      .trim()
      .regex(/^\d{5,20}$/, { error: 'an app id is digits only' }),
  }),
  connect: {
    help: "Meta's WhatsApp Cloud API provisions numbers on the client's WhatsApp Business Account: a system user access token (Business Settings › System users, with whatsapp_business_management and whatsapp_business_messaging) and the id of the app it belongs to. Number webhooks come through the Meta (template webhooks) entry's app secret.",
    fields: [
      { key: 'accessToken', label: 'System user access token', max: 1024, multiline: true },
      { key: 'applicationId', label: 'App id', max: 20 },
    ],
  },
  baseUrlSetting: 'META_GRAPH_BASE_URL',
  check: async (creds, ctx) => (await import('./check.js')).checkMetaCloud(creds, ctx),
});
