import { z } from 'zod';
import { type ConnectedAccount, ConnectionType, type InvitationStatus } from '../providers/zavu/schemas.js';
import { DocumentSource } from './document.js';

export const SignPayload = z.object({
  inviteeName: z.string().min(1).max(100),
  email: z.string().min(3).max(254),
  phone: z.string().regex(/^\+[1-9]\d{6,14}$/),
  dossierName: z.string().min(1).max(200),
  remindDays: z.number().int().min(1).max(89).optional(),
  expiresDays: z.number().int().min(1).max(90),
  /** What the invitee signs; refused at the command when missing. */
  document: DocumentSource,
});
export type SignPayload = z.output<typeof SignPayload>;

export type SignStatus =
  | 'sending'
  | 'sent'
  | 'undelivered'
  | 'email_sent'
  | 'viewed'
  | 'signed'
  | 'declined'
  | 'expired';

export interface SignData extends Record<string, unknown> {
  /** CM.com Sign's id of the uploaded PDF (not for templates). */
  fileId?: string;
  dossierId?: string;
  inviteeId?: string;
  expiresAt?: string;
  status?: SignStatus;
  reminded?: boolean;
  checkedAt?: number;
}

export const PartnerPayload = z.object({
  clientName: z.string().min(1).max(100),
  email: z.string().max(254).optional(),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/)
    .optional(),
  days: z.number().int().min(1).max(30).optional(),
  countries: z.array(z.string().regex(/^[A-Z]{2}$/)).optional(),
  number: z.string().max(128).optional(),
  connectionType: ConnectionType.optional(),
});
export type PartnerPayload = z.output<typeof PartnerPayload>;

export interface PartnerData extends Record<string, unknown> {
  invitationId?: string;
  status?: InvitationStatus;
  expiresAt?: string;
  senderId?: string;
  failureReason?: string;
  connectionType?: ConnectionType;
  connectedAccount?: Pick<ConnectedAccount, 'id' | 'channel' | 'name'>;
  checkedAt?: number;
  /**
   * A job started only to cancel the invitation of an earlier one that no longer follows it
   * (`/wa invite cancel` after that job ended with the link still valid): that job's id, and who
   * asked. Such a job never shows the link again.
   */
  revivedFrom?: string;
  cancelBy?: string;
  /** The revived job's link to the invitation is written (webhooks find it). */
  relinked?: boolean;
}

/** Events users cause (buttons, commands) travel through the job inbox like webhooks. */
export const USER_EVENTS = {
  resendEmail: 'user.resend-email',
  cancel: 'user.cancel',
  refresh: 'user.refresh',
  /** The requester asked to see the partner link again (read back from Zavu, shown to them only). */
  showLink: 'user.show-link',
} as const;
