import type { KnownBlock, View } from '@slack/types';
import { clock } from '../clock.js';
import type { SlackMessage } from '../jobs/model.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { type BusinessProfile, type DeploymentState, STICKERPACK_NOTE, type Stickerpack } from './port.js';

/** Block Kit for deployments: one place for the words people see. */

export const ACTIONS = {
  enterCode: 'deploy:enter-code',
  resendSms: 'deploy:resend-sms',
  resendVoice: 'deploy:resend-voice',
  deleteConfirm: 'deploy:delete-confirm',
  deleteCancel: 'deploy:delete-cancel',
} as const;
const VERIFY_VIEW = 'deploy:verify';

const STATE_WORDS: Record<DeploymentState, string> = {
  INITIALIZING: 'initializing',
  CREATING_CLUSTER: 'creating the WhatsApp cluster',
  CLUSTER_CREATED: 'cluster created; sending the verification code',
  CODE_SENT: 'verification code sent; waiting for it',
  WRONG_CODE: 'the code entered was wrong',
  CODE_VERIFIED: 'code verified',
  FINALIZING: 'finalizing (checks and assignment to your API key)',
  READY: 'ready to use',
  ERROR: 'failed',
  DELETING: 'being deleted',
  DELETED: 'deleted',
  UNKNOWN: 'a state this app does not know yet; still following it',
};

const EMOJI: Partial<Record<DeploymentState, string>> = {
  READY: ':white_check_mark:',
  ERROR: ':x:',
  DELETED: ':wastebasket:',
  DELETING: ':wastebasket:',
  CODE_SENT: ':iphone:',
  WRONG_CODE: ':warning:',
  UNKNOWN: ':grey_question:',
};

const section = (text: string): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const context = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
const button = (text: string, action_id: string, value: string, style?: 'primary' | 'danger') => ({
  type: 'button' as const,
  text: { type: 'plain_text' as const, text },
  action_id,
  value,
  ...(style ? { style } : {}),
});

export function stateWords(state: DeploymentState): string {
  return STATE_WORDS[state] ?? state;
}

export function progressMessage(p: {
  id?: string | undefined;
  phone: string;
  state?: DeploymentState | undefined;
  detail?: string | undefined;
  history?: string[] | undefined;
}): SlackMessage {
  const head = p.id ? `Deployment \`${esc(p.id)}\` for ${esc(p.phone)}` : `Deployment for ${esc(p.phone)}`;
  const text = p.state
    ? `${EMOJI[p.state] ?? ':satellite:'} ${head}: *${p.state}*, ${stateWords(p.state)}${p.detail ? ` (${esc(p.detail)})` : ''}.`
    : `:hourglass_flowing_sand: ${head}: provisioning with the provider…`;
  const blocks: KnownBlock[] = [section(text)];
  if (p.history?.length) blocks.push(context(esc(p.history.join(' → '))));
  return { text, blocks };
}

/**
 * Thread posts are history: they carry no buttons (those live on the card, and go when the
 * state moves on). The prompt mentions the requester so they hear about it.
 */
export function codePrompt(id: string, userId: string, unsure = false): SlackMessage {
  const text = `:iphone: ${mention(userId)}, the verification code for deployment \`${id}\` is on its way by SMS or voice call. Enter it with the button on the deployment's card, or \`/wa deploy verify ${id} &lt;code&gt;\`.${unsure ? ` (The provider's answer to the code request was lost; if no code comes within 10 minutes, ask for one with \`/wa deploy resend ${id}\`.)` : ''}`;
  return { text, blocks: [section(text)] };
}

/** A new code that was not sent, and what to do. */
export function resendRefusal(label: string, id: string, reason: string, detail?: string): SlackMessage {
  const said = detail ? ` (${esc(detail)})` : '';
  const text =
    reason === 'code-throttled'
      ? `:hourglass: ${label} would not send a code for deployment \`${id}\`${said} (code-throttled). Meta limits code requests per number without saying how many: wait an hour, then \`/wa deploy resend ${id}\` (or \`--method voice\` for a fixed line). I keep following it.`
      : `:information_source: ${label} would not send a new code for deployment \`${id}\`${said} (conflict-resend-otp): it has either finished or is in an error state. In an error state, delete it (\`/wa deploy delete ${id}\`) and start again. I keep following it.`;
  return { text, blocks: [section(text)] };
}

/** Why Meta would not register the number, and what to do next. */
export function registerRefusal(id: string, reason: string, detail?: string): SlackMessage {
  const said = detail ? ` Meta said: ${esc(detail)}.` : '';
  const words: Record<string, string> = {
    'pin-mismatch': `the number already has a two-step PIN and it is not the one given (pin-mismatch). Give the number's PIN, or reset it in WhatsApp Manager › Phone numbers › Two-step verification, then \`/wa deploy start … --via cloud --pin <6 digits>\` again.`,
    'register-throttled': `the number was registered or deregistered too often (register-throttled): Meta allows 10 registrations in 72 hours and then blocks it for 72 hours. Start it again after that.`,
    'reverify-needed': `Meta wants the number verified again (reverify-needed): a new code is on its way; enter it when it comes.`,
    'account-locked': `the WhatsApp Business Account is locked (account-locked). See WhatsApp Manager › Account quality for why and to appeal.`,
  };
  const text = `:warning: Deployment \`${id}\` was not registered: ${words[reason] ?? reason}${said}`;
  return { text, blocks: [section(text)] };
}

/**
 * The two-step PIN we made for the requester: in an ephemeral message to them alone, once.
 * It is the only place it is ever shown in clear; it is stored nowhere unsealed.
 */
export function generatedPinMessage(id: string, pin: string): SlackMessage {
  const text = `:closed_lock_with_key: The two-step verification PIN of the number on deployment \`${id}\` is *${pin}*. Keep it in your password manager now: it is shown only to you, only this once, and Meta asks for it whenever the number is registered again. It can be changed in WhatsApp Manager.`;
  return { text, blocks: [section(text)] };
}

/**
 * A wrong code is not the end: the deployment keeps waiting for the right one. Vonage's own
 * words ("Deployment could not be created because the verification failed") sound final, so
 * they come after ours, quoted, as detail.
 */
export function wrongCodeMessage(id: string, detail?: string): SlackMessage {
  const said = detail ? `${backendWords(detail)}` : '';
  const text = `:warning: That code was not accepted for deployment \`${id}\`. Nothing is lost: the deployment is still waiting for its code. Try again with the right code (button on the card, or \`/wa deploy verify ${id} &lt;code&gt;\`), or have a new one sent (\`/wa deploy resend ${id} [--method sms|voice]\`).`;
  return {
    text: said ? `${text} ${said}` : text,
    blocks: [section(text), ...(said ? [context(said)] : [])],
  };
}

/** The provider's words, escaped and quoted, without doubled punctuation. */
function backendWords(detail: string): string {
  return `The provider said: “${esc(detail.trim().replace(/[\s.;:,]+$/, ''))}”.`;
}

/** What the card needs of a deployment job (kept loose so this file does not import the job). */
export interface CardJob {
  id: string;
  state: 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
  lastError?: string | undefined;
  payload: { phone?: string | undefined; deploymentId?: string | undefined };
  data: {
    deploymentId?: string | undefined;
    state?: DeploymentState | undefined;
    detail?: string | undefined;
    history?: string[] | undefined;
    deleteRequested?: boolean | undefined;
    deleteSent?: boolean | undefined;
  };
}

const AWAITING: DeploymentState[] = ['CODE_SENT', 'WRONG_CODE'];

/**
 * The deployment's one status card, from the job's state alone: where the deployment is, what
 * happened to the job, and only the buttons that apply now (the code buttons while a code is
 * awaited and the job follows it). Every transition renders it again.
 */
export function deploymentCard(job: CardJob): SlackMessage {
  const d = job.data;
  const id = d.deploymentId ?? job.payload.deploymentId;
  const phone = job.payload.phone ?? 'the number';
  const active = job.state === 'queued' || job.state === 'running' || job.state === 'waiting';
  const base =
    d.state || active
      ? progressMessage({ id, phone, state: d.state, detail: d.detail, history: d.history })
      : {
          text: `Deployment for ${esc(phone)}: not provisioned.`,
          blocks: [section(`Deployment for ${esc(phone)}: not provisioned.`)],
        };
  const lines: string[] = [];
  if (job.state === 'failed') lines.push(`:x: *Failed.* ${job.lastError ?? ''}`.trim());
  else if (job.state === 'cancelled')
    lines.push(`:no_entry_sign: *No longer followed.* ${job.lastError ?? ''}`.trim());
  else if (d.state === 'DELETED') lines.push(':wastebasket: *Deleted.* The number no longer works on it.');
  else if (active && (d.deleteRequested || d.deleteSent)) lines.push(':wastebasket: Deletion requested.');
  else if (job.state === 'succeeded' && d.state === 'READY') lines.push(':tada: Ready to use on WhatsApp.');
  const awaiting =
    active && id && d.state && AWAITING.includes(d.state) && !d.deleteRequested && !d.deleteSent;
  if (awaiting) lines.push('Waiting for the verification code: enter it with the button below.');
  const blocks: KnownBlock[] = [...(base.blocks ?? [])];
  if (lines.length) blocks.push(section(lines.join('\n')));
  if (awaiting && id) blocks.push(codeActions(id));
  blocks.push(
    context(`Job \`${esc(job.id)}\` · ${job.state}${id ? ` · \`/wa deploy status ${esc(id)}\`` : ''}`),
  );
  const text = [base.text, ...lines].join(' ');
  return { text, blocks };
}

function codeActions(id: string): KnownBlock {
  return {
    type: 'actions',
    block_id: 'deploy-code',
    elements: [
      button('Enter code', ACTIONS.enterCode, id, 'primary'),
      button('Resend by SMS', ACTIONS.resendSms, id),
      button('Resend by voice call', ACTIONS.resendVoice, id),
    ],
  };
}

export function deleteConfirmation(id: string): SlackMessage {
  const text = `:warning: Delete deployment \`${id}\`? The WhatsApp number stops working on it. This cannot be undone.`;
  return {
    text,
    blocks: [
      section(text),
      {
        type: 'actions',
        block_id: 'deploy-delete',
        elements: [
          button('Delete deployment', ACTIONS.deleteConfirm, id, 'danger'),
          button('Cancel', ACTIONS.deleteCancel, id),
        ],
      },
    ],
  };
}

export function codeModal(id: string, channel: string): View {
  return {
    type: 'modal',
    callback_id: VERIFY_VIEW,
    private_metadata: JSON.stringify({ id, channel }),
    title: { type: 'plain_text', text: 'Verify WhatsApp number' },
    submit: { type: 'plain_text', text: 'Verify' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(`Deployment \`${id}\``),
      {
        type: 'input',
        block_id: 'code',
        label: { type: 'plain_text', text: 'Verification code (6 digits)' },
        element: {
          type: 'plain_text_input',
          action_id: 'code',
          min_length: 6,
          max_length: 11,
          placeholder: { type: 'plain_text', text: '123456' },
        },
      },
    ],
  };
}

export function profileMessage(id: string, profile: BusinessProfile, changed = false): SlackMessage {
  const lines = [
    ['About', profile.about],
    ['Address', profile.address],
    ['Description', profile.description],
    ['Email', profile.email],
    ['Vertical', profile.vertical],
    ['Websites', profile.websites?.join(', ')],
  ]
    .map(([k, v]) => `*${k}:* ${v ? esc(v) : '_not set_'}`)
    .join('\n');
  const text = `${changed ? ':white_check_mark: Updated the business profile' : ':bust_in_silhouette: Business profile'} of deployment \`${id}\`:\n${lines}`;
  return { text, blocks: [section(text)] };
}

export function stickerpacksMessage(id: string, packs: Stickerpack[], created = false): SlackMessage {
  const list = packs.length
    ? packs
        .map(
          (p) =>
            `• *${esc(p.name ?? p.id ?? '(unnamed)')}*${p.publisher ? ` by ${esc(p.publisher)}` : ''}${p.id ? ` (id \`${esc(p.id)}\`)` : ''}`,
        )
        .join('\n')
    : '_none_';
  const text = `${created ? ':white_check_mark: Created the stickerpack' : ':frame_with_picture: Stickerpacks'} of deployment \`${id}\`:\n${list}`;
  return {
    text,
    blocks: [
      section(text),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `:warning: ${STICKERPACK_NOTE}` }] },
    ],
  };
}

/** "just now", "12 seconds ago": when a coalesced request was made. */
export function ago(at: number, now = clock.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 2 ? 'just now' : `${s} seconds ago`;
}
