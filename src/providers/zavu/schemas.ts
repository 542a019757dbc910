import { z } from 'zod';

/**
 * Zavu partner invitations and their project webhook, as Zavu defines them:
 * - `@zavudev/sdk` 0.57.0, src/resources/invitations.ts (`Invitation`, `InvitationCreateParams`)
 *   and src/resources/senders/senders.ts (`WebhookEvent`, the `invitation.status_changed` doc);
 *   https://github.com/zavudev/sdk-typescript. The compiler checks these schemas against those
 *   types: test/providers/zavu/sdk-types.test.ts.
 * - https://docs.zavu.dev/api-reference/create-invitation (clientName ≤ 100, expiresInDays 1–30,
 *   default 7)
 * - https://docs.zavu.dev/guides/receiving-messages/webhooks and
 *   https://docs.zavu.dev/api-reference/configure-project-webhook (`POST /v1/invitations/webhook`)
 * - https://github.com/zavudev/zavu-skills/blob/main/skills/webhook-setup/SKILL.md (envelope,
 *   example event; Zavu's own repo but not the API reference)
 * Fact by fact, with what is not confirmed: shared/provider-docs/references/zavu.md; what the
 * app assumes where no document says: docs/unconfirmed.md.
 */

export const INVITATION_STATUSES = [
  'pending',
  'in_progress',
  'completed',
  'expired',
  'cancelled',
  'failed',
] as const;
export const InvitationStatus = z.enum(INVITATION_STATUSES);
export type InvitationStatus = z.output<typeof InvitationStatus>;

/** `whatsapp_waba` (default): Meta's embedded signup; `messenger`: a Facebook Page's inbox. */
export const ConnectionType = z.enum(['whatsapp_waba', 'messenger']);
export type ConnectionType = z.output<typeof ConnectionType>;

/**
 * Documented `failureReason` codes (SDK `Invitation.failureReason`); "treat unknown codes as a
 * generic failure", so the schemas keep any string.
 */
export const FAILURE_REASONS = [
  'fb_cancelled',
  'fb_not_authorized',
  'signup_abandoned',
  'meta_no_pages',
  'internal_error',
] as const;

export const CreateInvitationRequest = z
  .object({
    // Optional for Zavu; we always name the client (the Slack thread and the match after a lost
    // answer rely on it).
    clientName: z.string().min(1).max(100),
    clientEmail: z.email().optional(),
    clientPhone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/)
      .optional(),
    phoneNumberId: z.string().min(1).optional(),
    expiresInDays: z.number().int().min(1).max(30).optional(),
    allowedPhoneCountries: z
      .array(z.string().regex(/^[A-Z]{2}$/))
      .min(1)
      .optional(),
    connectionType: ConnectionType.optional(),
  })
  // "Only valid when connectionType is whatsapp_waba — sending it with messenger returns 400."
  .refine((b) => b.connectionType !== 'messenger' || (!b.phoneNumberId && !b.allowedPhoneCountries), {
    message: 'phoneNumberId and allowedPhoneCountries apply to whatsapp_waba invitations only',
  });
export type CreateInvitationRequest = z.output<typeof CreateInvitationRequest>;

const isoDate = z.string().min(1);

/** The account the client linked, set once the invitation is completed. */
export const ConnectedAccount = z.looseObject({
  /** WhatsApp phone-number id, or Facebook Page id. */
  id: z.string().min(1),
  channel: z.enum(['whatsapp', 'messenger']),
  /** WhatsApp verified name, or Page name. */
  name: z.string().nullish(),
});
export type ConnectedAccount = z.output<typeof ConnectedAccount>;

export const Invitation = z.looseObject({
  id: z.string().min(1),
  url: z.string().min(1),
  token: z.string(),
  status: InvitationStatus,
  expiresAt: isoDate,
  createdAt: isoDate,
  updatedAt: isoDate,
  clientName: z.string().nullish(),
  clientEmail: z.string().nullish(),
  clientPhone: z.string().nullish(),
  phoneNumberId: z.string().nullish(),
  senderId: z.string().nullish(),
  viewedAt: isoDate.nullish(),
  startedAt: isoDate.nullish(),
  completedAt: isoDate.nullish(),
  failedAt: isoDate.nullish(),
  failureReason: z.string().nullish(),
  connectionType: ConnectionType.optional(),
  connectedAccount: ConnectedAccount.nullish(),
});
export type Invitation = z.output<typeof Invitation>;

export const InvitationEnvelope = z.object({ invitation: Invitation });
export const InvitationPage = z.object({
  items: z.array(Invitation),
  nextCursor: z.string().nullish(),
});

/** `data` of `invitation.status_changed`: NOT the invitation object. */
export const InvitationStatusChanged = z.looseObject({
  invitationId: z.string().min(1).max(200),
  previousStatus: InvitationStatus,
  currentStatus: InvitationStatus,
  clientName: z.string().nullish(),
  clientEmail: z.string().nullish(),
  connectionType: ConnectionType,
  /** On completed. */
  senderId: z.string().nullish(),
  /** On completed. */
  connectedAccount: ConnectedAccount.nullish(),
  /** On failed. */
  failureReason: z.string().max(200).nullish(),
});
export type InvitationStatusChanged = z.output<typeof InvitationStatusChanged>;

export const INVITATION_EVENT = 'invitation.status_changed';

/**
 * Envelope of every Zavu webhook event: `{id: "evt_<ms>_<rand>", type, timestamp (Unix ms, when
 * Zavu dispatched it), projectId, data}`. Sender events carry a top-level `senderId`; the
 * invitation example does not, so it is not required. `data` is parsed per type.
 */
export const ZavuWebhook = z.looseObject({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  timestamp: z.number(),
  projectId: z.string().nullish(),
  senderId: z.string().nullish(),
  data: z.unknown(),
});
export type ZavuWebhook = z.output<typeof ZavuWebhook>;

/** `POST /v1/invitations/webhook` (creates or replaces the project webhook, keeps its secret). */
export const ProjectWebhookRequest = z.object({
  url: z.url({ protocol: /^https?$/ }),
  events: z.array(z.literal(INVITATION_EVENT)).min(1),
});
export type ProjectWebhookRequest = z.output<typeof ProjectWebhookRequest>;

const ProjectWebhook = z.looseObject({
  url: z.string().min(1),
  events: z.array(z.string()),
  /** Returned on create only (`whsec_…`); GET never returns it. */
  secret: z.string().min(8).max(512).optional(),
  active: z.boolean(),
});
export const ProjectWebhookEnvelope = z.object({ webhook: ProjectWebhook });

/** Error bodies: `{code, message, details}` as documented, or `{error:{code,message}}`. */
export function parseZavuError(_status: number, body: unknown): { code?: string; detail?: string } {
  if (!body || typeof body !== 'object')
    return typeof body === 'string' ? { detail: body.slice(0, 300) } : {};
  const outer = body as { error?: unknown; code?: unknown; message?: unknown };
  const b = (outer.error && typeof outer.error === 'object' ? outer.error : outer) as {
    code?: unknown;
    message?: unknown;
  };
  const message =
    typeof b.message === 'string' ? b.message : typeof outer.error === 'string' ? outer.error : undefined;
  return {
    ...(typeof b.code === 'string' ? { code: b.code } : {}),
    ...(message ? { detail: message.slice(0, 300) } : {}),
  };
}
