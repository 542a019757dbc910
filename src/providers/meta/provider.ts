import { z } from 'zod';
import { defineProvider } from '../provider.js';

export const metaProvider = defineProvider({
  name: 'meta',
  label: 'Meta (template webhooks)',
  credentials: z.object({ appSecret: z.string().min(8).max(200), verifyToken: z.string().min(8).max(200) }),
  connect: {
    help: "Meta's template status webhooks: the app secret checks their signature; the verify token answers Meta's subscription handshake.",
    fields: [
      { key: 'appSecret', label: 'App secret', max: 200 },
      {
        key: 'verifyToken',
        label: 'Verify token',
        max: 200,
        hint: 'Any string of 8+ characters; type the same into Meta\u2019s webhook setup.',
      },
    ],
  },
  // Neither value is sent to Meta: the secret checks the signature of Meta's webhooks, and the
  // token is ours to give Meta.
  check: async () => ({
    status: 'unchecked',
    detail:
      'these are never sent to Meta: the next template webhook from Meta shows whether the app secret matches',
  }),
});
