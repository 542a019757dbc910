import { z } from 'zod';
import { defineProvider } from '../provider.js';

/** CommBox takes up to 20 recipients per templated send. */
export const MAX_RECIPIENTS = 20;

export const commboxProvider = defineProvider({
  name: 'commbox',
  label: 'CommBox',
  credentials: z.object({ apiKey: z.string().min(8).max(512), streamId: z.string().min(1).max(512) }),
  connect: {
    help: 'CommBox sends templated WhatsApp messages and checks contacts.',
    fields: [
      { key: 'apiKey', label: 'API key', max: 512 },
      { key: 'streamId', label: 'Encrypted stream id', max: 512 },
    ],
  },
  baseUrlSetting: 'COMMBOX_BASE_URL',
  // CommBox's API (its OpenAPI `Commbox.json` 2.07) has three operations: a templated send, a
  // media upload and a contact check; none is a read that touches nothing, and checking a
  // customer's number without consent risks the WABA (docs/contacts.md). So nothing is called.
  check: async () => ({
    status: 'unchecked',
    detail:
      'CommBox documents no read-only call to try them with; the first template send or contact check shows whether they work',
  }),
});
