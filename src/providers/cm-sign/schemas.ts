import { z } from 'zod';

/**
 * CM.com Sign API (https://api.cm.com/sign/v1) as its references define it:
 * - https://developers.cm.com/sign/docs (dossiers, files, invitees, fields) and
 *   https://developers.cm.com/sign/docs/send-invite-using-sms / the WhatsApp seed excerpt (invites);
 * - https://developers.cm.com/sign/docs/create-a-dossier-based-on-a-template (templates, fields);
 * - https://developers.cm.com/sign/docs/events (webhooks and event names);
 * - https://developers.cm.com/sign/reference/post_upload (upload; multipart part `file` per
 *   third-party code, see shared/provider-docs/references/cm-sign.md §3).
 * The recorded examples are in test/fixtures/providers/cm-sign/, each with its source; client and
 * sandbox tests read the same ones. Objects stay loose so a field CM adds does not break us.
 */

const isoDate = z.string().min(1);

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A field position. `range` is the page (or page range) and `unit` "point" (both seen in the
 * template response, S6).
 * UNCONFIRMED(cm-sign.field-size): `width`/`height` follow the old API's dimensions.
 */
const FieldLocation = z.object({
  range: z.string().regex(/^\d+(-\d+)?$/),
  unit: z.literal('point'),
  x: z.number().min(0),
  y: z.number().min(0),
  width: z.number().positive().optional(),
  height: z.number().positive().optional(),
});

/**
 * A field the invitee fills in.
 * UNCONFIRMED(cm-sign.field-file): a field names its file with `file` (references §4).
 */
export const FieldInput = z.object({
  type: z.enum([
    'signature',
    'initials',
    'signatureDate',
    'text',
    'textarea',
    'label',
    'checkbox',
    'radio',
    'stamp',
  ]),
  file: z.string().min(1),
  required: z.boolean().optional(),
  locations: z.array(FieldLocation).min(1),
});
export type FieldInput = z.output<typeof FieldInput>;

/** Invitee as sent when creating a dossier. WhatsApp invites need `phoneNumber` in E.164. */
const InviteeInput = z.object({
  name: z.string().min(1),
  email: z.email().optional(),
  phoneNumber: z.string().regex(E164).optional(),
  reference: z.string().max(200).optional(),
  fields: z.array(FieldInput).optional(),
});
export type InviteeInput = z.output<typeof InviteeInput>;

/**
 * POST /dossiers body: the documents come from uploaded `files` (with a field per invitee) or
 * from a `template` (which carries document and fields, S6). `reminderIn` is in seconds.
 * UNCONFIRMED(cm-sign.dossier-expiry-field): a custom dossier expiry's request name, so expiry
 * is set per invite instead.
 */
export const CreateDossierRequest = z
  .object({
    name: z.string().min(1),
    reminderIn: z.number().int().positive().optional(),
    files: z
      .array(z.object({ id: z.string().min(1) }))
      .min(1)
      .optional(),
    template: z.string().min(1).optional(),
    invitees: z.array(InviteeInput).min(1),
  })
  .refine((b) => Boolean(b.files) !== Boolean(b.template), {
    error: 'a dossier needs its documents: uploaded files or a template (one of them)',
  });
export type CreateDossierRequest = z.output<typeof CreateDossierRequest>;

/** POST /upload answer: only `id` is relied on (3rd-party sources; see the upload fixture). */
export const Upload = z.looseObject({ id: z.string().min(1), name: z.string().nullish() });
export type Upload = z.output<typeof Upload>;

/** The dossier events CM.com Sign can send (S3). */
const CM_SIGN_EVENTS = [
  'dossier.invite.created',
  'dossier.invite.expired',
  'dossier.invite.undelivered',
  'dossier.invite.viewed',
  'dossier.invitee.state.updated',
  'dossier.prepared',
  'dossier.state.updated',
  'dossier.invitee.reassignRequest.state.updated',
] as const;

/**
 * POST /clients/{kid}/webhooks body (S3): URL, events, custom headers. CM refuses a URL that is
 * not https; that is CM's check to make (the local stack registers its own http origin).
 */
export const WebhookRequest = z.object({
  url: z.url(),
  events: z.array(z.enum(CM_SIGN_EVENTS)).min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
export type WebhookRequest = z.output<typeof WebhookRequest>;

export const Webhook = z.looseObject({
  id: z.string().min(1),
  url: z.string(),
  events: z.array(z.string()),
  headers: z.record(z.string(), z.string()).nullable(),
  /** In the current docs copy only. */
  disabled: z.boolean().optional(),
  updatedAt: isoDate,
  createdAt: isoDate,
});
export type Webhook = z.output<typeof Webhook>;

export const Invitee = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  email: z.string().nullable(),
  phoneNumber: z.string().nullish(),
  authenticationMethods: z.array(z.unknown()),
  identificationMethods: z.array(z.unknown()),
  reference: z.string().nullable(),
  readOnly: z.boolean(),
  /** null until the invitee acts; then e.g. `signed`/`approved` or `declined`. */
  state: z.string().nullable(),
  stateChanged: isoDate.nullable(),
  position: z.number().nullable(),
  locale: z.string().nullable(),
  /** Present when the dossier has fields for this invitee (template response, S6). */
  fields: z.array(z.looseObject({ type: z.string() })).optional(),
});
export type Invitee = z.output<typeof Invitee>;

/** The dossier as POST /dossiers and GET /dossiers/{id} return it. */
export const Dossier = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  /** `draft` until invites go out, then `pending`, `completed` (S3). UNCONFIRMED(cm-sign.dossier-states): other values. */
  state: z.string(),
  locale: z.string().nullable(),
  completed: z.boolean(),
  reminderIn: z.number().nullable(),
  invitees: z.array(Invitee).min(1),
  expiresIn: z.number(),
  expiresAt: isoDate,
  createdAt: isoDate,
});
export type Dossier = z.output<typeof Dossier>;

const InviteChannel = z.enum(['email', 'whatsapp']);
export type InviteChannel = z.output<typeof InviteChannel>;

/** POST /dossiers/{id}/invites body: an array, one entry per invitee to invite. */
export const InviteRequest = z
  .array(z.object({ inviteeId: z.string().min(1), channel: InviteChannel, expiresIn: z.number().int() }))
  .min(1);
export type InviteRequest = z.output<typeof InviteRequest>;

export const Invite = z.looseObject({
  id: z.string().min(1),
  inviteeId: z.string(),
  /** null with `channel: "whatsapp"`: CM delivers the invite itself. */
  inviteUri: z.string().nullable(),
  readOnly: z.boolean(),
  authenticationMethods: z.array(z.unknown()),
  identificationMethods: z.array(z.unknown()),
  /**
   * How CM delivers it, or null for an invite sent without a channel, which carries an
   * `inviteUri` to hand out yourself (https://developers.cm.com/sign/docs/include-invite-in-your-own-system).
   */
  channel: z.string().nullable(),
  reminder: z.boolean(),
  emailSentAt: isoDate.nullable(),
  emailBouncedAt: isoDate.nullable(),
  expiresIn: z.number(),
  expiresAt: isoDate,
  createdAt: isoDate,
});
export type Invite = z.output<typeof Invite>;
export const InviteList = z.array(Invite).min(1);

/**
 * The events we subscribe to: each is only a trigger to read the dossier again. `created` and
 * `prepared` add nothing we act on.
 */
export const FOLLOWED_EVENTS = [
  'dossier.invite.viewed',
  'dossier.invitee.state.updated',
  'dossier.state.updated',
  'dossier.invite.undelivered',
  'dossier.invite.expired',
  'dossier.invitee.reassignRequest.state.updated',
] as const satisfies ReadonlyArray<(typeof CM_SIGN_EVENTS)[number]>;

const id = z.string().min(1).max(200);

/**
 * UNCONFIRMED(cm-sign.callback-body): a callback's body (references §10): it is read only for a dossier id
 * (`dossierId`, `dossier.id`, `data.dossierId`, `data.dossier.id`, or `id`) and an event name
 * (`event` or `type`), and then the dossier itself is read.
 */
export function parseCallback(body: unknown): { dossierId: string; event?: string } | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const data = (b.data && typeof b.data === 'object' ? b.data : {}) as Record<string, unknown>;
  const nested = (o: unknown) => (o && typeof o === 'object' ? (o as Record<string, unknown>).id : undefined);
  const candidates = [b.dossierId, nested(b.dossier), data.dossierId, nested(data.dossier), b.id];
  const dossierId = candidates.map((c) => id.safeParse(c)).find((r) => r.success)?.data;
  if (!dossierId) return undefined;
  const event = [b.event, b.type].find((e): e is string => typeof e === 'string' && e.length <= 100);
  return { dossierId, ...(event ? { event } : {}) };
}

/**
 * Error bodies: CM's Sign API answers validation problems as problem details
 * (`title`/`detail`/`errors{field:[msg]}`); some gateways answer `{message}`. Both are read.
 */
export function parseCmSignError(_status: number, body: unknown): { code?: string; detail?: string } {
  if (!body || typeof body !== 'object')
    return typeof body === 'string' ? { detail: body.slice(0, 300) } : {};
  const b = body as {
    title?: unknown;
    detail?: unknown;
    message?: unknown;
    errors?: unknown;
    code?: unknown;
  };
  const parts: string[] = [];
  if (typeof b.detail === 'string') parts.push(b.detail);
  else if (typeof b.message === 'string') parts.push(b.message);
  else if (typeof b.title === 'string') parts.push(b.title);
  if (b.errors && typeof b.errors === 'object') {
    for (const [field, msgs] of Object.entries(b.errors as Record<string, unknown>).slice(0, 3)) {
      parts.push(`${field}: ${Array.isArray(msgs) ? msgs.join(', ') : String(msgs)}`);
    }
  }
  const code = typeof b.code === 'string' ? b.code : undefined;
  const detail = parts.join('; ').slice(0, 300) || undefined;
  return { ...(code ? { code } : {}), ...(detail ? { detail } : {}) };
}
