import { z } from 'zod';
import { defineProvider } from '../provider.js';

export const zavuProvider = defineProvider({
  name: 'zavu',
  label: 'Zavu',
  credentials: z.object({
    apiKey: z.string().min(8).max(512),
    /** Returned by Zavu when /wa connect registers the project webhook (or typed, if registered by hand). */
    webhookSecret: z.string().min(8).max(512).optional(),
    /**
     * `v1-body`: this workspace's Zavu webhook signs the body alone (SDK `signatureVersion: v1`),
     * and such signatures are accepted for it. Unset: refused (they do not cover `t`, so a
     * captured delivery could be replayed): src/security/signatures.ts verifyZavuSignature.
     */
    webhookSigning: z.literal('v1-body').optional(),
  }),
  connect: {
    help: "Zavu creates partner invitation links. Saving registers this workspace's webhook with Zavu and keeps the signing secret Zavu returns: nothing to copy by hand.",
    fields: [
      { key: 'apiKey', label: 'API key', max: 512 },
      {
        key: 'webhookSecret',
        label: 'Webhook signing secret (optional)',
        max: 512,
        optional: true,
        hint: 'Leave empty: Zavu returns it when the webhook is registered. Only for a webhook you registered with Zavu yourself.',
      },
      {
        key: 'webhookSigning',
        label: 'Webhook signature scheme (optional)',
        max: 7,
        optional: true,
        hint: 'Leave empty. Type v1-body only if your Zavu webhook signs with v1 over the body alone: such signatures do not cover their time, so they are refused unless you say so here.',
      },
    ],
  },
  baseUrlSetting: 'ZAVU_BASE_URL',
  check: async (creds, ctx) => (await import('./check.js')).checkZavu(creds, ctx),
});
