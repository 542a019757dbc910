import { z } from 'zod';
import { clientFields, clientFlags } from '../clients/port.js';
import { type CommandContext, defineCommand, type Reply } from '../slack/command.js';
import { noInput } from '../slack/no-input.js';
import { phoneWords, withoutUnsafe } from '../slack/schemas.js';
import { PROFILE_LIMITS, PROFILE_VERTICALS, STICKERPACK_NOTE } from './port.js';

/**
 * Vonage's deployment ids are UUIDs (the description's example for `deployment_id`,
 * `aaaaaaaa-bbbb-cccc-dddd-0123456789ab`, and every id its API returns). The description types
 * the parameter as a plain string, so the UUID form is our rule, not a documented one: it
 * refuses a mistyped id before any job starts or any provider is asked. On the WhatsApp Cloud
 * API a deployment is the business phone number id Graph gives the number (digits, e.g.
 * `110200345501442` in Meta's examples).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A number with its country code, as typed: + and 7 to 15 digits, spaces, dashes and brackets allowed. */
/** A deployment's short reference, as its card shows it (DEP-3). */
const DEP_REF = /^DEP-\d{1,9}$/i;
const BUSINESS_NUMBER = /^\+(?:[\s().-]*\d){7,15}[\s().-]*$/;
/** A Cloud API deployment: the phone number id Graph gives the number (digits only, no +). */
const GRAPH_ID = /^\d{6,20}$/;
/**
 * A deployment by its id (Vonage's UUID or the Cloud API's phone number id), or by its business
 * number (`+44 7911 123459`, found by `withDeploymentNumber`).
 */
const deploymentId = z
  // A number typed with spaces arrives as several words.
  .preprocess((v) => (Array.isArray(v) ? (v.length ? v.join(' ') : undefined) : v), z.string().trim())
  .refine((v) => UUID.test(v) || GRAPH_ID.test(v) || BUSINESS_NUMBER.test(v) || DEP_REF.test(v), {
    error: (iss) =>
      `${JSON.stringify(String(iss.input).slice(0, 60))} is neither a deployment's number (+44 7911 123459) nor its reference (DEP-3) nor its id (aaaaaaaa-bbbb-cccc-dddd-0123456789ab on Vonage, 110200345501442 on the Cloud API; see \`/wa deploy list\`)`,
  });

const method = z.enum(['sms', 'voice'], { error: 'must be sms or voice' });

/** The OTP from the SMS or call: 6 digits (spaces and dashes people type are dropped). */
const otpCode = z
  .string()
  .transform((v) => v.replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, { error: 'the code must be the 6 digits from the SMS or voice call' }));

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'is empty' })
    .max(max, { error: (iss) => `is ${String(iss.input).trim().length} characters; the limit is ${max}` })
    .pipe(withoutUnsafe('the text'));

const httpUrl = (max: number) =>
  z
    .string()
    .trim()
    .max(max, { error: `is longer than ${max} characters` })
    .pipe(
      z.url({ protocol: /^https?$/, error: (iss) => `${JSON.stringify(iss.input)} is not an http(s) URL` }),
    );

/** Verticals are matched without regard to case, and stored as WhatsApp spells them. */
const vertical = z
  .string()
  .trim()
  .transform((v) => PROFILE_VERTICALS.find((x) => x.toLowerCase() === v.toLowerCase()) ?? v)
  .pipe(
    z.enum(PROFILE_VERTICALS, {
      error: (iss) =>
        `${JSON.stringify(iss.input)} is not a WhatsApp vertical; use one of: ${PROFILE_VERTICALS.join(', ')}`,
    }),
  );

export const profileSchema = z.object({
  deploymentId,
  about: text(PROFILE_LIMITS.about).optional(),
  address: text(PROFILE_LIMITS.address).optional(),
  description: text(PROFILE_LIMITS.description).optional(),
  email: text(PROFILE_LIMITS.email)
    .pipe(z.email({ error: (iss) => `${JSON.stringify(iss.input)} is not an email address` }))
    .optional(),
  vertical: vertical.optional(),
  website: z
    .array(httpUrl(PROFILE_LIMITS.website))
    .max(PROFILE_LIMITS.websites, { error: `at most ${PROFILE_LIMITS.websites} websites` })
    .optional(),
});

const handlers = () => import('./handlers.js');

/** A handler of a deployment named by id or number: the number is looked up first. */
const withDeploymentNumber =
  <I extends { deploymentId: string }>(handler: (input: I, ctx: CommandContext) => Promise<Reply>) =>
  async (input: I, ctx: CommandContext): Promise<Reply> => {
    if (UUID.test(input.deploymentId) || GRAPH_ID.test(input.deploymentId)) return handler(input, ctx);
    const { deploymentByNumber, deploymentByRef } = await import('./records.js');
    const id = DEP_REF.test(input.deploymentId)
      ? await deploymentByRef(ctx.tenant, input.deploymentId)
      : await deploymentByNumber(ctx.tenant, input.deploymentId);
    return handler({ ...input, deploymentId: id }, ctx);
  };

/** The backend: `cloud` (Meta's WhatsApp Cloud API) or `vonage` (WhatsApp Manager, deprecated). */
const via = z.enum(['cloud', 'vonage'], { error: 'must be cloud (WhatsApp Cloud API) or vonage' });

export const deployStartCommand = defineCommand({
  path: 'deploy start',
  usage:
    '/wa deploy start <+E164> --via cloud --waba <wabaId> --name "<display name>" [--method sms|voice] [--pin <6 digits>] [--client "<name>"]  |  --via vonage --waba <wabaId> --cert <vnameCertificate> [--method sms|voice] [--pin <pin>] [--client "<name>"]',
  summary: 'Provision a WhatsApp number (Cloud API or Vonage) and follow it to READY',
  access: 'admin',
  positionals: ['...phone'],
  flags: {
    via: 'value',
    waba: 'value',
    cert: 'value',
    name: 'value',
    method: 'value',
    pin: 'value',
    again: 'boolean',
    ...clientFlags,
  },
  schema: z
    .object({
      phone: phoneWords,
      via: via.optional(),
      // Each rule says what is wrong: letters, too few digits, too many.
      waba: z
        .string()
        .trim()
        .regex(/^\d+$/, {
          error: (iss) =>
            `${JSON.stringify(String(iss.input).slice(0, 40))} is not a WABA id: a WABA id has only digits`,
        })
        .min(5, {
          error: (iss) =>
            `${JSON.stringify(iss.input)} is too short for a WABA id (${String(iss.input).length} digits; a WABA id has 5 to 32, usually 15 or 16)`,
        })
        .max(32, {
          error: (iss) =>
            `${String(iss.input).length} digits are too many for a WABA id (a WABA id has 5 to 32, usually 15 or 16)`,
        }),
      cert: z
        .string()
        .trim()
        .min(8, { error: 'is too short to be a verified-name certificate' })
        .max(4096, { error: 'is too long to be a verified-name certificate' })
        .regex(/^[A-Za-z0-9+/=_-]+$/, {
          error: 'is not a verified-name certificate (copy it from WhatsApp Manager)',
        })
        .optional(),
      /**
       * The display name (Cloud API `verified_name`): 2 to 75 characters per Meta's OpenAPI
       * description. UNCONFIRMED(meta-cloud.display-name-length): the prose pages give no length.
       */
      name: z
        .string()
        .trim()
        .min(2, { error: 'is too short for a display name (2 to 75 characters)' })
        .max(75, {
          error: (iss) => `is ${String(iss.input).trim().length} characters; a display name has at most 75`,
        })
        .optional(),
      method: method.default('sms'),
      pin: z
        .string()
        .trim()
        .regex(/^\d{6}$/, { error: 'must be the 6-digit two-step verification PIN' })
        .optional(),
      ...clientFields,
    })
    // Each backend's own flags: a certificate means nothing to the Cloud API, a name nothing to Vonage.
    .superRefine((v, ctx) => {
      if (v.via === 'cloud' && v.cert !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['cert'],
          message: 'is for --via vonage; the Cloud API takes --name',
        });
      if (v.via === 'vonage' && v.name !== undefined)
        ctx.addIssue({ code: 'custom', path: ['name'], message: 'is for --via cloud; Vonage takes --cert' });
      if (v.via === 'cloud' && v.name === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['name'],
          message: 'is required with --via cloud (the display name to request)',
        });
      if (v.via === 'vonage' && v.cert === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['cert'],
          message: 'is required with --via vonage (the verified-name certificate)',
        });
      // Without --via the flags say which backend (each needs its own); with neither, ask.
      if (v.via === undefined && v.cert === undefined && v.name === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [],
          message:
            'missing --cert (Vonage) or --name (WhatsApp Cloud API): say which backend, e.g. `--via cloud --name "<display name>"` (Meta, recommended) or `--via vonage --cert <vnameCertificate>` (deprecated)',
        });
      if (v.via === undefined && v.cert !== undefined && v.name !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['via'],
          message: 'is needed: --cert is for Vonage and --name for the Cloud API; say which',
        });
    }),
  handler: async () => (await handlers()).deployStart,
});

export const deployStatusCommand = defineCommand({
  path: 'deploy status',
  usage: '/wa deploy status <deploymentId>',
  summary: 'Show a deployment',
  access: 'member',
  positionals: ['...deploymentId'],
  schema: z.object({ deploymentId }),
  handler: async () => withDeploymentNumber((await handlers()).deployStatus),
});

export const deployVerifyCommand = defineCommand({
  path: 'deploy verify',
  usage: '/wa deploy verify <deploymentId> <code>',
  summary: 'Submit the OTP code a deployment is waiting for',
  access: 'admin',
  positionals: ['deploymentId', 'code'],
  schema: z.object({ deploymentId, code: otpCode }),
  handler: async () => withDeploymentNumber((await handlers()).deployVerify),
});

export const deployResendCommand = defineCommand({
  path: 'deploy resend',
  usage: '/wa deploy resend <deploymentId> [--method sms|voice]',
  summary: 'Send the OTP code again',
  access: 'admin',
  positionals: ['...deploymentId'],
  flags: { method: 'value' },
  schema: z.object({ deploymentId, method: method.default('sms') }),
  handler: async () => withDeploymentNumber((await handlers()).deployResend),
});

export const deployProfileCommand = defineCommand({
  path: 'deploy profile',
  usage:
    '/wa deploy profile <deploymentId> [--about ..] [--address ..] [--description ..] [--email ..] [--vertical ..] [--website ..]',
  summary: "Show or change a deployment's business profile",
  access: 'admin',
  positionals: ['...deploymentId'],
  flags: {
    about: 'value',
    address: 'value',
    description: 'value',
    email: 'value',
    vertical: 'value',
    website: 'multi',
  },
  schema: profileSchema,
  handler: async () => withDeploymentNumber((await handlers()).deployProfile),
});

export const deployPhotoCommand = defineCommand({
  path: 'deploy photo',
  usage: '/wa deploy photo <deploymentId> <image url>',
  summary: 'Set the profile photo (PNG/JPEG, 192 to 640×640 px, up to 5 MB)',
  access: 'admin',
  positionals: ['deploymentId', 'imageUrl'],
  schema: z.object({ deploymentId, imageUrl: httpUrl(2048) }),
  handler: async () => withDeploymentNumber((await handlers()).deployPhoto),
});

export const deployStickerpacksCommand = defineCommand({
  path: 'deploy stickerpacks',
  usage: '/wa deploy stickerpacks <deploymentId>',
  summary: `List a deployment's stickerpacks. ${STICKERPACK_NOTE}`,
  access: 'member',
  positionals: ['...deploymentId'],
  schema: z.object({ deploymentId }),
  handler: async () => withDeploymentNumber((await handlers()).deployStickerpacks),
});

export const deployStickerpackCreateCommand = defineCommand({
  path: 'deploy stickerpack-create',
  usage:
    '/wa deploy stickerpack-create <deploymentId> --name "<name>" --publisher "<publisher>" [--ios <App Store link>] [--android <Play Store link>]',
  summary: `Create a third-party stickerpack on a deployment. ${STICKERPACK_NOTE}`,
  access: 'admin',
  positionals: ['...deploymentId'],
  flags: { name: 'value', publisher: 'value', ios: 'value', android: 'value' },
  schema: z.object({
    deploymentId,
    name: text(128),
    publisher: text(128),
    ios: z
      .string()
      .trim()
      .regex(/^https:\/\/(itunes|apps)\.apple\.com\/\S*id\d+$/, {
        error: 'must be an App Store link like https://itunes.apple.com/app/id3133333',
      })
      .optional(),
    android: z
      .string()
      .trim()
      .regex(/^https:\/\/play\.google\.com\/store\/apps\/details\?id=[\w.]+$/, {
        error: 'must be a Play Store link like https://play.google.com/store/apps/details?id=com.example',
      })
      .optional(),
  }),
  handler: async () => withDeploymentNumber((await handlers()).deployStickerpackCreate),
});

export const deployDeleteCommand = defineCommand({
  path: 'deploy delete',
  usage: '/wa deploy delete <deploymentId>',
  summary: 'Delete a deployment (asks for confirmation)',
  access: 'admin',
  positionals: ['...deploymentId'],
  schema: z.object({ deploymentId }),
  handler: async () => withDeploymentNumber((await handlers()).deployDelete),
});

export const deployListCommand = defineCommand({
  path: 'deploy list',
  usage: '/wa deploy list',
  summary: "List this workspace's deployments",
  access: 'member',
  schema: noInput,
  handler: async () => (await handlers()).deployList,
});

/** In the order `/wa help` lists them. */
export const deploymentCommands = [
  deployStartCommand,
  deployStatusCommand,
  deployVerifyCommand,
  deployResendCommand,
  deployProfileCommand,
  deployPhotoCommand,
  deployStickerpacksCommand,
  deployStickerpackCreateCommand,
  deployDeleteCommand,
  deployListCommand,
];
