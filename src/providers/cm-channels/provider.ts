import { z } from 'zod';
import { defineProvider } from '../provider.js';

export const cmChannelsProvider = defineProvider({
  name: 'cm-channels',
  label: 'CM.com Channels',
  credentials: z.object({
    productToken: z.string().min(8).max(200),
    accountId: z.uuid(),
    // "Your WhatsApp channel request identifier. string (uuid)" (CM.com Channels API v1).
    channelRequestId: z.uuid(),
  }),
  connect: {
    help: 'CM.com Channels holds your WhatsApp templates and their approval status.',
    fields: [
      { key: 'productToken', label: 'Product token', max: 200 },
      { key: 'accountId', label: 'Account id', max: 36, hint: 'The GUID of your CM.com account.' },
      {
        key: 'channelRequestId',
        label: 'WhatsApp channel request id',
        max: 36,
        hint: 'The GUID of the WhatsApp channel request (not the channel id).',
      },
    ],
  },
  baseUrlSetting: 'CM_CHANNELS_BASE_URL',
  check: async (creds, ctx) => (await import('./check.js')).checkCmChannels(creds, ctx),
});
