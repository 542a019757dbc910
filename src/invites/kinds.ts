import { kindId } from '../jobs/kinds.js';
import type { Job } from '../jobs/model.js';
import type { WorkProgress } from '../slack/manifest.js';
import type { PartnerData, PartnerPayload, SignData, SignPayload } from './model.js';

export const signKind = kindId<SignPayload>('invite.sign', { ref: 'INV' });
export const partnerKind = kindId<PartnerPayload>('invite.partner', { ref: 'INV' });
/** Registers this workspace's CM.com Sign webhook (started by `/wa connect`). */
export const cmSignWebhookKind = kindId<Record<string, never>>('cm-sign.webhook');

/** Where a signing invite stands, for its client's view (`/wa client`). */
export function signProgress(job: Job<SignPayload, SignData>): WorkProgress {
  switch (job.data.status) {
    case 'signed':
      return { outcome: 'signed' };
    case 'declined':
    case 'expired':
      return { outcome: job.data.status };
    case 'undelivered':
      return { waitingFor: 'a WhatsApp number that receives the invite (it bounced)', next: 'us' };
    case 'viewed':
      return { waitingFor: `${job.payload.inviteeName} to sign (opened)`, next: 'client' };
    case 'sent':
    case 'email_sent':
      return { waitingFor: `${job.payload.inviteeName} to open and sign`, next: 'client' };
    default:
      return { waitingFor: 'CM.com Sign to send the invite', next: 'provider' };
  }
}

/** Where a partner invitation stands. */
export function partnerProgress(job: Job<PartnerPayload, PartnerData>): WorkProgress {
  switch (job.data.status) {
    case 'completed':
      return { outcome: 'connected' };
    case 'in_progress':
      return { waitingFor: 'the client to finish connecting their account (started)', next: 'client' };
    case 'pending':
      return { waitingFor: 'the client to open the link and connect their account', next: 'client' };
    case undefined:
      return { waitingFor: 'Zavu to create the link', next: 'provider' };
    default:
      return { outcome: job.data.status };
  }
}
