import { z } from 'zod';
import { defineProvider } from '../provider.js';

export const vonageProvider = defineProvider({
  name: 'vonage',
  label: 'Vonage',
  credentials: z.union([
    z.object({ applicationId: z.uuid(), privateKey: z.string().includes('PRIVATE KEY') }),
    z.object({ bearerJwt: z.string().regex(/^[\w-]+\.[\w-]+\.[\w-]+$/) }),
  ]),
  connect: {
    help: 'Vonage WhatsApp Manager provisions number deployments. Give either the application id and its private key (a JWT is made per request), or a bearer JWT.',
    fields: [
      { key: 'applicationId', label: 'Application id', max: 36 },
      { key: 'privateKey', label: 'Private key (PEM)', max: 3000, multiline: true },
      { key: 'bearerJwt', label: 'Or: bearer JWT', max: 3000, multiline: true },
    ],
  },
  baseUrlSetting: 'VONAGE_BASE_URL',
  check: async (creds, ctx) => (await import('./check.js')).checkVonage(creds, ctx),
});
