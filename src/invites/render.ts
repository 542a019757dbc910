import type { KnownBlock } from '@slack/types';
import type { SlackMessage } from '../jobs/model.js';
import { slackTime } from '../slack/dates.js';
import { esc } from '../slack/mrkdwn.js';
import { maskPhone } from '../slack/schemas.js';
import type { PartnerData, PartnerPayload, SignData, SignPayload, SignStatus } from './model.js';

/** A date Slack shows in the reader's timezone, with a plain fallback (src/slack/dates.ts). */
export function slackDate(iso: string | undefined): string {
  if (!iso) return 'unknown';
  return Number.isNaN(Date.parse(iso)) ? esc(iso) : slackTime(iso, '{date_short_pretty} {time}');
}

export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}•••@${domain}`;
}

/** The invite is over: nothing will expire any more. */
const OVER: SignStatus[] = ['signed', 'declined', 'expired'];

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

export function signSummary(p: SignPayload, d: SignData, jobId: string, active = true): SlackMessage {
  const status = d.status ?? 'sending';
  // A job that ended before the invite went out says so, not "sending".
  const unsent = !active && status === 'sending';
  const lines = [
    `:memo: *Signing invite for ${esc(p.inviteeName)}* — CM.com Sign dossier “${esc(p.dossierName)}”`,
    d.dossierId
      ? unsent
        ? // CM.com Sign has no delete for a dossier: it stays, unsent, until it expires.
          `Dossier \`${esc(d.dossierId)}\` was created and stays a draft at CM.com Sign (nobody was invited to it).`
        : `Dossier \`${esc(d.dossierId)}\` created.`
      : active
        ? 'Creating the dossier…'
        : 'No dossier was created.',
    d.dossierId && status !== 'sending'
      ? // Once signed, declined or expired, when it would have expired is no longer news.
        `Invite sent over WhatsApp to ${maskPhone(p.phone)}${OVER.includes(status) ? '' : `; it expires ${slackDate(d.expiresAt)}`}.`
      : unsent
        ? `No invite was sent to ${maskPhone(p.phone)}.`
        : `The invite goes over WhatsApp to ${maskPhone(p.phone)}.`,
    ...(unsent ? [] : [`Status: ${SIGN_WORDS[status]}.`]),
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

/**
 * The thread post when WhatsApp could not deliver: history, without a button (the button is on
 * the card while it applies, see signCard).
 */
export function emailOffer(p: SignPayload, _jobId: string): SlackMessage {
  const text = `:warning: The WhatsApp invite to ${maskPhone(p.phone)} could not be delivered (no WhatsApp on that number, or it is blocked). I can send the invite to ${maskEmail(p.email)} by email instead: use *Resend by email* on the invite's card.`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

const RESEND_EMAIL = 'invite:resend-email';
export const SHOW_LINK = 'invite:show-link';
export const CANCEL_INVITATION = 'invite:cancel';

/** What a card needs of a job (kept loose so render.ts does not import the job model's types). */
export interface CardJob<P, D> {
  id: string;
  state: 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
  lastError?: string | undefined;
  payload: P;
  data: D;
  effects?: Record<string, { status: string; result?: unknown }> | undefined;
}

const isActive = (state: CardJob<unknown, unknown>['state']) =>
  state === 'queued' || state === 'running' || state === 'waiting';

/** The line a card adds for how its job ended, when it ended other than by succeeding. */
function endLine(job: Pick<CardJob<unknown, unknown>, 'state' | 'lastError'>): string | undefined {
  if (job.state === 'failed') return `:x: *Failed.* ${job.lastError ?? ''}`.trim();
  if (job.state === 'cancelled') return `:no_entry_sign: *No longer followed.* ${job.lastError ?? ''}`.trim();
  return undefined;
}

/**
 * A signing invite's one status card, rendered from the job alone: the summary, how the job
 * ended, and the "Resend by email" button only while it applies (WhatsApp undelivered, no email
 * sent yet, the job still following the invite).
 */
export function signCard(job: CardJob<SignPayload, SignData>): SlackMessage {
  // A step that failed after CM.com created the dossier did not return its data; the effect's
  // recorded result still holds the dossier's id.
  const created = (job.effects?.dossier as { result?: { id?: unknown } } | undefined)?.result?.id;
  const data =
    !job.data.dossierId && typeof created === 'string' && created
      ? { ...job.data, dossierId: created }
      : job.data;
  const summary = signSummary(job.payload, data, job.id, isActive(job.state));
  const end = endLine(job);
  const offer =
    isActive(job.state) &&
    job.data.status === 'undelivered' &&
    job.effects?.['invite-email']?.status !== 'done';
  const blocks: KnownBlock[] = [(summary.blocks ?? [])[0] as KnownBlock];
  if (end) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: end } });
  if (offer) {
    blocks.push({
      type: 'actions',
      block_id: 'invite-email',
      elements: [
        {
          type: 'button',
          action_id: RESEND_EMAIL,
          text: { type: 'plain_text', text: 'Resend by email' },
          style: 'primary',
          value: job.id,
        },
      ],
    });
  }
  blocks.push(contextLine(job.id, job.state, `/wa invite status ${job.id}`));
  return { text: [summary.text, end].filter(Boolean).join('\n'), blocks };
}

/** A partner invitation's one status card, rendered from the job alone. */
export function partnerCard(job: CardJob<PartnerPayload, PartnerData>): SlackMessage {
  const summary = partnerSummary(job.payload, job.data, job.id, isActive(job.state));
  const end = endLine(job);
  const blocks: KnownBlock[] = [(summary.blocks ?? [])[0] as KnownBlock];
  if (end) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: end } });
  // Visible to all; the link answers only the requester, Cancel follows `/wa invite cancel`'s rule.
  if (isActive(job.state) && job.data.invitationId) {
    blocks.push({
      type: 'actions',
      block_id: 'invite-partner',
      elements: [
        {
          type: 'button',
          action_id: SHOW_LINK,
          text: { type: 'plain_text', text: 'Show the link again' },
          value: job.id,
        },
        {
          type: 'button',
          action_id: CANCEL_INVITATION,
          text: { type: 'plain_text', text: 'Cancel invitation' },
          style: 'danger',
          value: job.id,
          confirm: {
            title: { type: 'plain_text', text: 'Cancel the invitation?' },
            text: { type: 'plain_text', text: 'The link stops working for the client.' },
            confirm: { type: 'plain_text', text: 'Cancel it' },
            deny: { type: 'plain_text', text: 'Keep it' },
          },
        },
      ],
    });
  }
  blocks.push(contextLine(job.id, job.state, `/wa invite status ${job.id}`));
  return { text: [summary.text, end].filter(Boolean).join('\n'), blocks };
}

function contextLine(jobId: string, state: string, command: string): KnownBlock {
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Job \`${esc(jobId)}\` · ${esc(state)} · \`${esc(command)}\`` }],
  };
}

const PARTNER_WORDS: Record<string, string> = {
  pending: ':hourglass_flowing_sand: waiting for the client to open the link',
  in_progress: ':arrows_counterclockwise: the client is connecting their WhatsApp Business account',
  failed: ':warning: the client’s last attempt did not finish; the same link still works',
  completed: ':white_check_mark: connected',
  expired: ':hourglass: expired before the client connected',
  cancelled: ':no_entry_sign: cancelled',
};

export function partnerSummary(
  p: PartnerPayload,
  d: PartnerData,
  jobId: string,
  active = true,
): SlackMessage {
  const status = d.status ?? 'pending';
  const lines = [
    `:link: *Partner invitation for ${esc(p.clientName)}* — Zavu`,
    d.invitationId
      ? `Invitation \`${esc(d.invitationId)}\` created; the link went to the requester only. It expires ${slackDate(d.expiresAt)}.`
      : active
        ? 'Creating the invitation…'
        : 'No invitation was created.',
    ...(d.invitationId || active
      ? [
          `Status: ${PARTNER_WORDS[status] ?? esc(status)}${status === 'completed' && d.senderId ? ` (sender \`${esc(d.senderId)}\`)` : ''}.`,
        ]
      : []),
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
