import { z } from 'zod';
import { clientFields, clientFlags } from '../clients/port.js';
import { defineCommand } from '../slack/command.js';
import { withoutUnsafe } from '../slack/schemas.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A template by its CM.com id (a GUID) or by its name (`welcome_message`, as Meta names it). */
const templateId = z
  .string()
  .trim()
  .refine((v) => UUID.test(v) || /^[A-Za-z0-9_]{1,512}$/.test(v), {
    error: (iss) =>
      `${JSON.stringify(iss.input)} is neither a template name (letters, digits and underscores, like welcome_message) nor a template id (like 3f2b6c1e-0c4d-4e5f-8a9b-1c2d3e4f5a6b); \`/wa template list\` shows both`,
  })
  .transform((v) => v.toLowerCase());

const byId = z.object({ templateId });

export const templateListCommand = defineCommand({
  path: 'template list',
  usage: '/wa template list [<query>]',
  summary: 'List WhatsApp templates (CM.com Channels) with their approval state',
  access: 'member',
  positionals: ['...query'],
  schema: z.object({
    query: z
      // The command's words, or the form's one field.
      .preprocess((v) => (typeof v === 'string' ? [v] : (v ?? [])), z.array(z.string()))
      .transform((words) => words.join(' ').trim())
      .pipe(z.string().max(100, { error: 'the query is longer than 100 characters' })),
  }),
  handler: async () => (await import('./handlers.js')).listTemplates,
});

export const templateStatusCommand = defineCommand({
  path: 'template status',
  usage: '/wa template status <name or id>',
  summary: 'Show one template in full: languages, content, rejection reasons',
  access: 'member',
  positionals: ['templateId'],
  schema: byId,
  handler: async () => (await import('./handlers.js')).templateStatus,
});

export const templateWatchCommand = defineCommand({
  path: 'template watch',
  usage: '/wa template watch <name or id>',
  summary: 'Watch a template until every language is approved or rejected',
  access: 'member',
  restrict: 'templates',
  positionals: ['templateId'],
  schema: byId,
  handler: async () => (await import('./handlers.js')).watchTemplate,
});

export const templateSubmitCommand = defineCommand({
  path: 'template submit',
  usage: '/wa template submit <name or id>',
  summary: 'Request validation of a template and watch it',
  access: 'admin',
  positionals: ['templateId'],
  schema: byId,
  handler: async () => (await import('./handlers.js')).submitTemplate,
});

export const templateSendCommand = defineCommand({
  path: 'template send',
  usage:
    '/wa template send <template-name> <language code or "name"> <+E164>[,<+E164>...] [--param <value>]... [--header-url <https url>] [--client "<name>"]',
  summary: 'Send an approved template to up to 20 opted-in recipients (CommBox)',
  access: 'member',
  restrict: 'templates',
  positionals: ['templateName', 'language', '...recipients'],
  flags: { param: 'multi', 'header-url': 'value', again: 'boolean', ...clientFlags },
  schema: z.object({
    templateName: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_]{1,512}$/, {
        error: (iss) =>
          `${JSON.stringify(iss.input)} is not a template name (letters, digits and underscores, as Meta names templates)`,
      }),
    // A code (en, en_US, en-US) or CM's language name, quoted when it has spaces ("English (US)").
    language: z
      .string()
      .trim()
      .regex(/^(?:[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,4})?|[\p{L}][\p{L} ().'-]{1,59})$/u, {
        error: (iss) =>
          `${JSON.stringify(iss.input)} is not a language (give a code like en, en_US or nl, or the name CM.com shows, quoted: "English (US)")`,
      }),
    recipients: z.array(z.string()),
    param: z
      .array(
        z
          .string()
          .max(1024, { error: 'a parameter is longer than 1024 characters' })
          .pipe(withoutUnsafe('a parameter')),
      )
      .max(20, { error: 'at most 20 parameters' })
      .default([]),
    'header-url': z
      .url({ protocol: /^https$/, error: 'the header must be an https:// URL' })
      .max(2000)
      .optional(),
    ...clientFields,
  }),
  handler: async () => (await import('./send.js')).sendTemplate,
});

/** In the order `/wa help` lists them. */
export const templateCommands = [
  templateListCommand,
  templateStatusCommand,
  templateWatchCommand,
  templateSubmitCommand,
  templateSendCommand,
];
