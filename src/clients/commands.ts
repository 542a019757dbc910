import { z } from 'zod';
import { defineCommand } from '../slack/command.js';
import { noInput } from '../slack/no-input.js';

export const clientListCommand = defineCommand({
  path: 'client list',
  usage: '/wa client list',
  summary: "List this workspace's clients, with their open work and what blocks it",
  access: 'member',
  schema: noInput,
  handler: async () => (await import('./handlers.js')).listClientsCommand,
});

export const clientCommand = defineCommand({
  path: 'client',
  usage: '/wa client "<name>"',
  summary:
    "One client's whole onboarding: every invite, deployment, template send and opt-in, where each stands",
  access: 'member',
  positionals: ['...name'],
  schema: z.object({
    // The command's words, or the form's one field.
    name: z.preprocess(
      (v) => (Array.isArray(v) ? v.join(' ') : v),
      z
        .string()
        .trim()
        .min(1, { error: 'missing the client name: /wa client "<name>" (or /wa client list)' })
        .max(100, { error: 'a client name has at most 100 characters' }),
    ),
  }),
  handler: async () => (await import('./handlers.js')).showClientCommand,
});

/** In the order `/wa help` lists them. */
export const clientCommands = [clientCommand, clientListCommand];
