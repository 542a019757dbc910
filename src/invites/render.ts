import type { KnownBlock } from '@slack/types';
import type { SlackMessage } from '../jobs/model.js';
import { esc } from '../slack/mrkdwn.js';
import { maskPhone } from '../slack/schemas.js';
import type { PartnerData, PartnerPayload, SignData, SignPayload, SignStatus } from './model.js';

/** A date Slack shows in the reader's timezone, with the ISO date as the fallback text. */
export function slackDate(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  const fallback = new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback} UTC>`;
}

export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}•••@${domain}`;
}

const SIGN_WORDS: Record<SignStatus, string> = {
  sending: ':hourglass_flowing_sand: sending the invite',
  sent: ':outbox_tray: invite sent, waiting for the invitee',
  undelivered: ':warning: the WhatsApp invite could not be delivered',
  email_sent: ':e-mail: invite re-sent by email, waiting for the invitee',
  viewed: ':eyes: viewed by the invitee, not signed yet',
  signed: ':white_check_mark: signed',
  declined: ':no_entry_sign: declined by the invitee',
  expired: ':hourglass: expired unsigned',
};

export function signSummary(p: SignPayload, d: SignData, jobId: string): SlackMessage {
  const status = d.status ?? 'sending';
  const lines = [
    `:memo: *Signing invite for ${esc(p.inviteeName)}* — CM.com Sign dossier “${esc(p.dossierName)}”`,
    d.dossierId ? `Dossier \`${esc(d.dossierId)}\` created.` : 'Creating the dossier…',
    d.dossierId && status !== 'sending'
      ? `Invite sent over WhatsApp to ${maskPhone(p.phone)}; it expires ${slackDate(d.expiresAt)}.`
      : `The invite goes over WhatsApp to ${maskPhone(p.phone)}.`,
    `Status: ${SIGN_WORDS[status]}.`,
  ];
  const text = lines.join('\n');
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `Job \`${jobId}\` · \`/wa invite status ${jobId}\`` }],
      },
    ],
  };
}

export function emailOffer(p: SignPayload, jobId: string): SlackMessage {
  const text = `:warning: The WhatsApp invite to ${maskPhone(p.phone)} could not be delivered (no WhatsApp on that number, or it is blocked). I can send the invite to ${maskEmail(p.email)} by email instead.`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'invite:resend-email',
          text: { type: 'plain_text', text: 'Resend by email' },
          style: 'primary',
          value: jobId,
        },
      ],
    },
  ];
  return { text, blocks };
}

const PARTNER_WORDS: Record<string, string> = {
  pending: ':hourglass_flowing_sand: waiting for the client to open the link',
  in_progress: ':arrows_counterclockwise: the client is connecting their WhatsApp Business account',
  failed: ':warning: the client’s last attempt did not finish; the same link still works',
  completed: ':white_check_mark: connected',
  expired: ':hourglass: expired before the client connected',
  cancelled: ':no_entry_sign: cancelled',
};

export function partnerSummary(p: PartnerPayload, d: PartnerData, jobId: string): SlackMessage {
  const status = d.status ?? 'pending';
  const lines = [
    `:link: *Partner invitation for ${esc(p.clientName)}* — Zavu`,
    d.invitationId
      ? `Invitation \`${esc(d.invitationId)}\` created; the link went to the requester only. It expires ${slackDate(d.expiresAt)}.`
      : 'Creating the invitation…',
    `Status: ${PARTNER_WORDS[status] ?? esc(status)}${status === 'completed' && d.senderId ? ` (sender \`${esc(d.senderId)}\`)` : ''}.`,
  ];
  const text = lines.join('\n');
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `Job \`${jobId}\` · \`/wa invite status ${jobId}\`` }],
      },
    ],
  };
}

export { PARTNER_WORDS, SIGN_WORDS };
