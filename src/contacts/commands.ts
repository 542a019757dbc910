import { z } from 'zod';
import { clientFields, clientFlags } from '../clients/port.js';
import { defineCommand } from '../slack/command.js';
import { name, phoneWords } from '../slack/schemas.js';

export const contactOptinCommand = defineCommand({
  path: 'contact optin',
  usage:
    '/wa contact optin <+E164> --source "<where consent was given>" [--business "<business name>"] [--client "<name>"]',
  summary: 'Record a WhatsApp opt-in for a number',
  access: 'member',
  restrict: 'optins',
  positionals: ['...phone'],
  flags: { source: 'value', business: 'value', ...clientFlags },
  schema: z.object({
    phone: phoneWords,
    source: name('--source', 300),
    business: name('--business', 100).optional(),
    ...clientFields,
  }),
  handler: async () => (await import('./handlers.js')).optIn,
});

export const contactOptoutCommand = defineCommand({
  path: 'contact optout',
  usage: '/wa contact optout <+E164>',
  summary: 'Withdraw an opt-in',
  access: 'member',
  restrict: 'optins',
  positionals: ['...phone'],
  schema: z.object({ phone: phoneWords }),
  handler: async () => (await import('./handlers.js')).optOut,
});

export const contactShowCommand = defineCommand({
  path: 'contact show',
  usage: '/wa contact show <+E164>',
  summary: 'Show the opt-in record of a number',
  access: 'member',
  positionals: ['...phone'],
  schema: z.object({ phone: phoneWords }),
  handler: async () => (await import('./handlers.js')).show,
});

export const contactVerifyCommand = defineCommand({
  path: 'contact verify',
  usage: '/wa contact verify <+E164>[,<+E164>...]',
  summary: 'Check opted-in numbers with CommBox (refused without an opt-in)',
  access: 'member',
  restrict: 'verify',
  positionals: ['...numbers'],
  flags: { again: 'boolean' },
  schema: z.object({ numbers: z.array(z.string()) }),
  handler: async () => (await import('./handlers.js')).verify,
});

/** In the order `/wa help` lists them. */
export const contactCommands = [
  contactOptinCommand,
  contactOptoutCommand,
  contactShowCommand,
  contactVerifyCommand,
];
