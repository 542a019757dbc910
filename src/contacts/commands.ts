import { z } from 'zod';
import { defineCommand } from '../slack/command.js';
import { name, phoneWords } from '../slack/schemas.js';

export const contactCommands = [
  defineCommand({
    path: 'contact optin',
    usage: '/wa contact optin <+E164> --source "<where consent was given>" [--business "<business name>"]',
    summary: 'Record a WhatsApp opt-in for a number',
    access: 'member',
    positionals: ['...phone'],
    flags: { source: 'value', business: 'value' },
    schema: z.object({
      phone: phoneWords,
      source: name('--source', 300),
      business: name('--business', 100).optional(),
    }),
    handler: async () => (await import('./handlers.js')).optIn,
  }),
  defineCommand({
    path: 'contact optout',
    usage: '/wa contact optout <+E164>',
    summary: 'Withdraw an opt-in',
    access: 'member',
    positionals: ['...phone'],
    schema: z.object({ phone: phoneWords }),
    handler: async () => (await import('./handlers.js')).optOut,
  }),
  defineCommand({
    path: 'contact show',
    usage: '/wa contact show <+E164>',
    summary: 'Show the opt-in record of a number',
    access: 'member',
    positionals: ['...phone'],
    schema: z.object({ phone: phoneWords }),
    handler: async () => (await import('./handlers.js')).show,
  }),
  defineCommand({
    path: 'contact verify',
    usage: '/wa contact verify <+E164>[,<+E164>...]',
    summary: 'Check opted-in numbers with CommBox (refused without an opt-in)',
    access: 'member',
    positionals: ['...numbers'],
    flags: { again: 'boolean' },
    schema: z.object({ numbers: z.array(z.string()) }),
    handler: async () => (await import('./handlers.js')).verify,
  }),
];
