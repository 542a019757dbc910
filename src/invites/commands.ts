import { z } from 'zod';
import { clientFields, clientFlags } from '../clients/port.js';
import { defineCommand } from '../slack/command.js';
import { days, e164, email, id, isoCountry, name, phoneWords } from '../slack/schemas.js';
import { documentUrl, slackFileId } from './document.js';

/** `--countries US,mx`: ISO 3166-1 alpha-2 codes (Zavu's `allowedPhoneCountries`), each checked. */
const countries = z
  .string()
  .trim()
  .transform((v) =>
    v
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(isoCountry)
      .min(1, { error: 'give at least one country code, like US,MX' })
      .max(50, { error: 'at most 50 country codes' })
      .transform((list) => [...new Set(list)]),
  );

const slackFile = z.string().transform((v, ctx) => {
  const fileId = slackFileId(v);
  if (!fileId) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(v.slice(0, 100))} is not a Slack file link (copy it with "Copy link to file")`,
    });
    return z.NEVER;
  }
  return fileId;
});
const pdfUrl = z.string().transform((v, ctx) => {
  const out = documentUrl(v);
  if (!out.ok) {
    ctx.addIssue({ code: 'custom', message: out.problem });
    return z.NEVER;
  }
  return out.url;
});
const templateId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{1,64}$/, {
    error: (iss) => `${JSON.stringify(iss.input)} is not a CM.com Sign template id`,
  });

const signSchema = z
  .object({
    inviteeName: name('invitee name', 100),
    email,
    phone: phoneWords,
    file: slackFile.optional(),
    url: pdfUrl.optional(),
    template: templateId.optional(),
    dossier: name('dossier name', 200).optional(),
    remind: days(1, 89, 'the reminder interval').optional(),
    expires: days(1, 90, 'the expiry').default(30),
    ...clientFields,
  })
  .refine((v) => v.remind === undefined || v.remind < v.expires, {
    path: ['remind'],
    error: 'the reminder interval must be shorter than the expiry',
  })
  .refine((v) => [v.file, v.url, v.template].filter((x) => x !== undefined).length === 1, {
    path: ['file'],
    error:
      'say what to sign: exactly one of --file <Slack file link>, --url <https link to a PDF> or --template <CM.com Sign template id> (or use the message shortcut "Send for signature over WhatsApp" on a message with a PDF)',
  });

const partnerSchema = z
  .object({
    clientName: name('client name', 100),
    email: email.optional(),
    phone: e164.optional(),
    days: days(1, 30, 'the validity').optional(),
    countries: countries.optional(),
    number: id('Zavu phone number id').optional(),
    /** Zavu's connectionType: whatsapp_waba (default) or messenger (a Facebook Page). */
    channel: z
      .enum(['whatsapp', 'messenger'], { error: 'the channel must be whatsapp or messenger' })
      .optional(),
    ...clientFields,
  })
  // Zavu answers 400 to phoneNumberId / allowedPhoneCountries on a messenger invitation.
  .refine((v) => v.channel !== 'messenger' || (!v.number && !v.countries), {
    path: ['channel'],
    error: '--number and --countries apply to WhatsApp invitations only, not --channel messenger',
  });

const byId = z.object({ id: id('invite reference (INV-12), job id, dossier id or invitation id') });

export const inviteSignCommand = defineCommand({
  path: 'invite sign',
  usage:
    '/wa invite sign "<invitee name>" <email> <+E164> (--file <Slack file link> | --url <https PDF> | --template <CM template id>) [--dossier "<name>"] [--remind <days>] [--expires <days>] [--client "<name>"]',
  summary: 'Send a CM.com Sign signing invite over WhatsApp and follow it to signed',
  access: 'member',
  restrict: 'invites',
  positionals: ['inviteeName', 'email', '...phone'],
  flags: {
    file: 'value',
    url: 'value',
    template: 'value',
    dossier: 'value',
    remind: 'value',
    expires: 'value',
    again: 'boolean',
    ...clientFlags,
  },
  schema: signSchema,
  handler: async () => (await import('./handlers.js')).inviteSign,
});

export const invitePartnerCommand = defineCommand({
  path: 'invite partner',
  usage:
    '/wa invite partner "<client name>" [--email <e>] [--phone <+E164>] [--days <1-30>] [--countries US,MX] [--number <phoneNumberId>] [--channel whatsapp|messenger] [--client "<name>"]',
  summary: 'Create a Zavu partner invitation link so a client connects their WhatsApp Business account',
  access: 'member',
  restrict: 'invites',
  positionals: ['clientName'],
  flags: {
    email: 'value',
    phone: 'value',
    days: 'value',
    countries: 'value',
    number: 'value',
    again: 'boolean',
    channel: 'value',
    ...clientFlags,
  },
  schema: partnerSchema,
  handler: async () => (await import('./handlers.js')).invitePartner,
});

export const inviteStatusCommand = defineCommand({
  path: 'invite status',
  usage: '/wa invite status <id>',
  summary: 'Show a signing invite or partner invitation',
  access: 'member',
  positionals: ['id'],
  schema: byId,
  handler: async () => (await import('./handlers.js')).inviteStatus,
});

export const inviteCancelCommand = defineCommand({
  path: 'invite cancel',
  usage: '/wa invite cancel <id>',
  summary: 'Cancel a Zavu partner invitation',
  access: 'member',
  restrict: 'invites',
  positionals: ['id'],
  schema: byId,
  handler: async () => (await import('./handlers.js')).inviteCancel,
});

export const inviteLinkCommand = defineCommand({
  path: 'invite link',
  usage: '/wa invite link <ref>',
  summary: 'Show a partner invitation’s link again, to the person who asked for it',
  access: 'member',
  restrict: 'invites',
  positionals: ['id'],
  schema: byId,
  handler: async () => (await import('./handlers.js')).inviteLink,
});

/** In the order `/wa help` lists them. */
export const inviteCommands = [
  inviteSignCommand,
  invitePartnerCommand,
  inviteStatusCommand,
  inviteLinkCommand,
  inviteCancelCommand,
];
