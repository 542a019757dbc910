import { z } from 'zod';
import { defineProvider } from '../provider.js';

export const cmSignProvider = defineProvider({
  name: 'cm-sign',
  label: 'CM.com Sign',
  credentials: z.object({
    keyId: z.string().min(1).max(200),
    secret: z.string().min(16).max(512),
    /** Sent by CM.com Sign as a custom webhook header (CM documents no signature scheme). */
    webhookSecret: z.string().min(16).max(512).optional(),
  }),
  connect: {
    help: 'CM.com Sign sends signing invites. The key id and secret sign a short-lived token for every request.',
    fields: [
      { key: 'keyId', label: 'Key id', max: 200 },
      { key: 'secret', label: 'Secret', max: 512, hint: 'At least 16 characters.' },
      {
        key: 'webhookSecret',
        label: 'Webhook secret',
        max: 512,
        optional: true,
        hint: 'Optional, 16+ characters. Leave it empty and one is generated. On save, the webhook is registered with CM.com Sign for you, carrying this secret in an x-webhook-secret header.',
      },
    ],
  },
  baseUrlSetting: 'CM_SIGN_BASE_URL',
  check: async (creds, ctx) => (await import('./check.js')).checkCmSign(creds, ctx),
});
