import type { Invitation as SdkInvitation } from '@zavudev/sdk/resources/invitations';
import { z } from 'zod';

/**
 * Zavu partner invitations (https://api.zavu.dev/v1/invitations), per
 * shared/provider-docs/001_0858b23d3fb05b0f.txt, INDEX.md and the types of the official
 * `@zavudev/sdk` (which adds `failed`, `connectionType`, `failureReason`, `connectedAccount`).
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

export const CreateInvitationRequest = z.object({
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
});
export type CreateInvitationRequest = z.output<typeof CreateInvitationRequest>;

const isoDate = z.string().min(1);

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
  connectionType: z.enum(['whatsapp_waba', 'messenger']).optional(),
});
export type Invitation = z.output<typeof Invitation>;

// Compile-time guard: our schema stays compatible with the official SDK's model.
const _sdkCompatible = (i: Invitation): Pick<SdkInvitation, 'id' | 'status' | 'url' | 'expiresAt'> => i;
void _sdkCompatible;

export const InvitationEnvelope = z.object({ invitation: Invitation });
export const InvitationPage = z.object({
  items: z.array(Invitation),
  nextCursor: z.string().nullish(),
});

/** Webhook envelope `{id, type, timestamp(ms), senderId, projectId, data}`. */
export const ZavuWebhook = z.looseObject({
  id: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  timestamp: z.number(),
  senderId: z.string().nullish(),
  projectId: z.string().nullish(),
  data: z.looseObject({ id: z.string().min(1), status: InvitationStatus }),
});
export type ZavuWebhook = z.output<typeof ZavuWebhook>;

/** Error bodies: `{error:{code,message}}`, or `{code,message}` / `{message}` flat. */
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
