import { z } from 'zod';

/**
 * CM.com Sign API (https://api.cm.com/sign/v1), as documented in
 * shared/provider-docs/000_9e068384ecebf775.txt and the notes in INDEX.md. Every documented
 * field is modelled; objects stay loose so a field CM adds later does not break us.
 */

const isoDate = z.string().min(1);

/** Invitee as sent when creating a dossier. WhatsApp invites need `phoneNumber` in E.164. */
export const InviteeInput = z.object({
  name: z.string().min(1),
  email: z.email(),
  phoneNumber: z.string().regex(/^\+[1-9]\d{6,14}$/),
});
export type InviteeInput = z.output<typeof InviteeInput>;

/** POST /dossiers body. `reminderIn` and `expiresIn` are in seconds (expiry 1–90 days, default 30). */
export const CreateDossierRequest = z.object({
  name: z.string().min(1),
  reminderIn: z.number().int().positive().optional(),
  expiresIn: z
    .number()
    .int()
    .min(86_400)
    .max(90 * 86_400)
    .optional(),
  invitees: z.array(InviteeInput).min(1),
});
export type CreateDossierRequest = z.output<typeof CreateDossierRequest>;

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
});
export type Invitee = z.output<typeof Invitee>;

/** The dossier as POST /dossiers and GET /dossiers/{id} return it. */
export const Dossier = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  /** `draft` until invites go out; `completed` once everyone signed; also `expired`, `declined`. */
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

export const InviteChannel = z.enum(['email', 'whatsapp']);
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
  channel: z.string(),
  reminder: z.boolean(),
  emailSentAt: isoDate.nullable(),
  emailBouncedAt: isoDate.nullable(),
  expiresIn: z.number(),
  expiresAt: isoDate,
  createdAt: isoDate,
});
export type Invite = z.output<typeof Invite>;
export const InviteList = z.array(Invite).min(1);

/** The webhook events we follow (INDEX.md lists the full set CM can send). */
export const FOLLOWED_EVENTS = [
  'dossier.invite.viewed',
  'dossier.invitee.state.updated',
  'dossier.state.updated',
  'dossier.invite.undelivered',
  'dossier.invite.expired',
] as const;

/**
 * A webhook delivery. CM's docs here do not show the body; this is the shape the sandbox sends
 * and what we rely on: an event id, its type, and the dossier (plus invitee/invite where the
 * event is about one). Everything else is kept but not required.
 */
export const WebhookEvent = z.looseObject({
  id: z.string().min(1).max(200).optional(),
  type: z.string().min(1).max(100),
  createdAt: isoDate.optional(),
  data: z.looseObject({
    dossier: z.looseObject({ id: z.string().min(1), state: z.string().optional() }),
    invitee: z.looseObject({ id: z.string(), state: z.string().nullish() }).optional(),
    invite: z
      .looseObject({ id: z.string(), channel: z.string().optional(), inviteeId: z.string().optional() })
      .optional(),
  }),
});
export type WebhookEvent = z.output<typeof WebhookEvent>;

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
