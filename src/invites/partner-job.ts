import { recordDrift } from '../http/drift.js';
import { ProviderError } from '../http/errors.js';
import { jobIdForRef } from '../jobs/deliver.js';
import type { JobKind, StepIO } from '../jobs/kinds.js';
import type { Job, SlackMessage, StepResult } from '../jobs/model.js';
import { type ZavuClient, zavuClient } from '../providers/zavu/client.js';
import {
  type ConnectedAccount,
  type Invitation,
  InvitationStatus,
  InvitationStatusChanged,
} from '../providers/zavu/schemas.js';
import { audit } from '../security/audit.js';
import { esc, escClip, mention } from '../slack/mrkdwn.js';
import { partnerKind } from './kinds.js';
import { type PartnerData, PartnerPayload, USER_EVENTS } from './model.js';
import { partnerCard, slackDate } from './render.js';
import { inviteSettings } from './settings.js';

type PartnerJob = Job<PartnerPayload, PartnerData>;
const TERMINAL = ['completed', 'expired', 'cancelled'];
/** Clock skew we allow between us and Zavu when matching a possibly-created invitation. */
const SKEW_MS = 2 * 60_000;
const NEAR_EXPIRY_MS = 60 * 60_000;

const small = (i: Invitation) => ({ id: i.id, status: i.status, expiresAt: i.expiresAt });

/**
 * One partner invitation, followed to completed / expired / cancelled. The link goes to the
 * requester only (it works like a credential) and is never stored: it is read back from Zavu
 * when it has to be shown again.
 */
export const partnerInviteKind: JobKind<PartnerPayload, PartnerData> = {
  kind: partnerKind.id,
  payload: PartnerPayload,

  async step(job: PartnerJob, io: StepIO): Promise<StepResult<PartnerData>> {
    const p = job.payload;
    const d: PartnerData = { ...job.data };
    const before = d.status;
    const posts: SlackMessage[] = [];
    let ending: SlackMessage | undefined;
    const client = await zavuClient(job.tenant, { timeoutMs: inviteSettings().httpTimeoutMs });
    let url: string | undefined;

    // A cancel before anything was asked of Zavu: nothing to cancel there, and nothing is created.
    const early = io.inbox.find((e) => e.type === USER_EVENTS.cancel);
    if (!d.invitationId && early && job.effects.invitation === undefined) {
      const by = (early.data as { userId?: string } | undefined)?.userId ?? job.createdBy;
      return {
        type: 'cancelled',
        reason: `cancelled by ${mention(by)} before an invitation was created; Zavu was not called.`,
        data: d,
      };
    }
    if (!d.invitationId) {
      const created = await io.effect(
        'invitation',
        async () => {
          const invitation = await client.create({
            clientName: p.clientName,
            ...(p.email ? { clientEmail: p.email } : {}),
            ...(p.phone ? { clientPhone: p.phone } : {}),
            ...(p.number ? { phoneNumberId: p.number } : {}),
            ...(p.days ? { expiresInDays: p.days } : {}),
            ...(p.countries?.length ? { allowedPhoneCountries: p.countries } : {}),
            ...(p.connectionType ? { connectionType: p.connectionType } : {}),
          });
          url = invitation.url;
          return small(invitation);
        },
        async () => {
          const found = await findCreated(job, client);
          if (found) url = found.url;
          return found ? small(found) : undefined;
        },
      );
      d.invitationId = created.id;
      d.status = created.status;
      d.expiresAt = created.expiresAt;
      await io.link('zavu', created.id);
      await audit(job.tenant, {
        actor: job.createdBy,
        action: 'invite.partner.created',
        target: created.id,
        outcome: 'ok',
      });
    }
    const invitationId = d.invitationId;

    // A job revived to cancel an invitation another job created: webhooks find this one now.
    if (d.revivedFrom && !d.relinked) {
      await io.link('zavu', invitationId);
      d.relinked = true;
    }

    // The link, at most once, to the requester only (a revived job never shows it again). It is
    // read from Zavu before the effect starts, so a failed read retries without a trace; once the
    // effect has started, a run after a crash cannot tell whether Slack took the link, and the
    // link works like a password: it is not posted again, and the requester is told instead.
    if (!d.revivedFrom && job.effects['link-shown']?.status !== 'done') {
      const link =
        job.effects['link-shown'] === undefined ? (url ?? (await client.get(invitationId)).url) : '';
      await io.effect(
        'link-shown',
        async () => {
          await io.ephemeral({
            text: `:key: Partner invitation link for *${esc(p.clientName)}* (only you see this; it works like a password, so send it to the client directly): ${esc(link)}\nIt expires ${slackDate(d.expiresAt)}.`,
          });
          return true;
        },
        async () => {
          await io.ephemeral({
            text: `:warning: The partner invitation link for *${esc(p.clientName)}* may not have reached you: I was interrupted while sending it, and it is not sent twice on its own since it works like a password. If you do not have it, \`/wa invite link ${job.ref ?? job.id}\` shows it to you again.`,
          });
          return true;
        },
      );
    }

    const apply = (inv: Observed) => {
      const status = InvitationStatus.safeParse(inv.status);
      if (!status.success)
        void recordDrift(job.tenant, {
          provider: 'zavu',
          operation: 'invitation status',
          kind: 'value',
          issues: [{ path: 'status', problem: `expected one of ${InvitationStatus.options.join(', ')}` }],
          sample: { status: inv.status },
        });
      if (!status.success || status.data === d.status) return;
      if (d.status && TERMINAL.includes(d.status)) return;
      const previous = d.status;
      d.status = status.data;
      if (inv.connectionType) d.connectionType = inv.connectionType;
      switch (status.data) {
        case 'in_progress':
          posts.push({
            text:
              previous === 'failed'
                ? `:arrows_counterclockwise: ${esc(p.clientName)} is trying the link again.`
                : `:arrows_counterclockwise: ${esc(p.clientName)} opened the link and is connecting their account.`,
          });
          break;
        case 'failed':
          // Not terminal: the same link can be retried, so the job keeps following it.
          d.failureReason = inv.failureReason ?? undefined;
          posts.push({
            text: `:warning: ${esc(p.clientName)}'s attempt did not finish: ${failureWords(inv.failureReason)}. The same link still works: they can try again, and this thread will say when they do.`,
          });
          break;
        case 'completed':
          d.senderId = inv.senderId ?? undefined;
          if (inv.connectedAccount) {
            const { id, channel, name } = inv.connectedAccount;
            d.connectedAccount = { id, channel, name: name ?? null };
          }
          posts.push({ text: `:white_check_mark: ${connectedWords(p.clientName, d)}` });
          break;
        case 'expired':
          // The job ends here: the note is the failure's words in the thread, said once.
          ending = { text: `:hourglass: The invitation expired before ${esc(p.clientName)} connected.` };
          break;
        case 'cancelled':
          posts.push({ text: ':no_entry_sign: The invitation was cancelled; the link no longer works.' });
          break;
      }
    };

    let poll = io.inbox.length === 0 && before !== undefined && !d.cancelBy;
    /**
     * Cancels the invitation at Zavu, whichever door asked (the card's or the job list's Cancel,
     * `/wa invite cancel`, a revived job), and says in the thread what Zavu did.
     */
    const cancelAtZavu = async (by: string) => {
      if (d.status && TERMINAL.includes(d.status)) {
        posts.push({
          text: `:information_source: Nothing to cancel: the invitation is already ${esc(d.status)}.`,
        });
        return;
      }
      try {
        const cancelled = await io.effect('cancel', async () => small(await client.cancel(invitationId)));
        posts.push({
          text: `:wastebasket: ${mention(by)} cancelled the invitation: Zavu cancelled \`${esc(invitationId)}\`, and the link no longer works.`,
        });
        apply(cancelled);
        await audit(job.tenant, {
          actor: by,
          action: 'invite.partner.cancelled',
          target: invitationId,
          outcome: 'ok',
        });
      } catch (err) {
        if (!(err instanceof ProviderError) || err.transient) throw err;
        posts.push({
          text: `:x: Zavu did not cancel the invitation: ${esc(err.detail ?? err.message)}. The link may still work until ${slackDate(d.expiresAt)}.`,
        });
        poll = true;
      }
    };
    if (d.cancelBy) {
      // Asked once: a refusal is said, and the next steps only follow the invitation.
      await cancelAtZavu(d.cancelBy);
      d.cancelBy = undefined;
    }
    for (const event of io.inbox) {
      if (event.type === USER_EVENTS.refresh) poll = true;
      else if (event.type === USER_EVENTS.showLink) {
        // Read back from Zavu, never stored: to the requester alone, like the first time.
        const inv = await client.get(invitationId);
        apply(inv);
        if (d.status && TERMINAL.includes(d.status))
          await io.ephemeral({
            text: `:information_source: The partner invitation for *${esc(p.clientName)}* is ${esc(d.status)}: its link no longer leads anywhere.`,
          });
        else
          await io.ephemeral({
            text: `:key: Partner invitation link for *${esc(p.clientName)}*, again (only you see this; it works like a password, so send it to the client directly): ${esc(inv.url)}\nIt expires ${slackDate(d.expiresAt)}.`,
          });
      } else if (event.type === USER_EVENTS.cancel) {
        await cancelAtZavu((event.data as { userId?: string } | undefined)?.userId ?? job.createdBy);
      } else if (event.type === 'invitation.status_changed') {
        // The webhook's documented `data` (invitationId, previousStatus, currentStatus, …).
        const data = InvitationStatusChanged.safeParse(event.data);
        if (data.success) apply({ ...data.data, status: data.data.currentStatus });
        else poll = true;
      }
    }

    if (poll && !TERMINAL.includes(d.status ?? 'pending')) {
      const inv = await client.get(invitationId);
      d.checkedAt = io.now;
      apply(inv);
    }

    if (d.status !== before || !job.report.progressTs) await io.progress(partnerCard({ ...job, data: d }));
    for (const message of posts) await io.post(message);

    switch (d.status) {
      case 'completed':
        return { type: 'done', data: d };
      case 'cancelled':
        return { type: 'cancelled', reason: 'the invitation was cancelled', data: d };
      case 'expired':
        return {
          type: 'fail',
          reason: 'the invitation expired before the client connected.',
          data: d,
          ...(ending && { progress: ending }),
        };
    }
    const expiresAt = Date.parse(d.expiresAt ?? '') || io.now + 7 * 86_400_000;
    // Poll more often in the last hour, and once right after expiry.
    // UNCONFIRMED(zavu.expiry-silent): Zavu sends no webhook when an invitation expires.
    const interval =
      expiresAt - io.now < NEAR_EXPIRY_MS
        ? Math.min(inviteSettings().pollMs, 5 * 60_000)
        : inviteSettings().pollMs;
    const next = [io.now + interval, expiresAt + 60_000].filter((t) => t > io.now);
    return { type: 'wait', until: Math.min(...next, io.now + interval), data: d };
  },

  failureMessage(job, reason) {
    return { text: `:x: Partner invitation for ${esc(job.payload.clientName)}: ${reason}` };
  },

  card: (job) => partnerCard(job),

  // Cancel means the link stops working, whichever door: the job's Cancel button comes here too.
  cancelEvent: USER_EVENTS.cancel,
};

/**
 * After a create whose outcome we did not see: the invitation we made, if Zavu has it. Ours is
 * the one with our client name/email/phone, created after the effect started, that no other job
 * follows. Newest first, so the pages needed are few.
 */
async function findCreated(job: PartnerJob, client: ZavuClient): Promise<Invitation | undefined> {
  const since = (job.effects.invitation?.at ?? job.createdAt) - SKEW_MS;
  const p = job.payload;
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    // UNCONFIRMED(zavu.list-limit): Zavu takes a page of 50.
    const out = await client.list({ limit: 50, ...(cursor ? { cursor } : {}) });
    for (const inv of out.items) {
      const created = Date.parse(inv.createdAt);
      if (created < since) return undefined;
      if (
        inv.clientName === p.clientName &&
        (inv.clientEmail ?? undefined) === p.email &&
        (inv.clientPhone ?? undefined) === p.phone
      ) {
        const owner = await jobIdForRef(job.tenant, 'zavu', inv.id);
        if (!owner || owner === job.id) return inv;
      }
    }
    if (!out.nextCursor) return undefined;
    cursor = out.nextCursor;
  }
  return undefined;
}

/** What a webhook or a read of the invitation tells us. */
interface Observed {
  status: string;
  senderId?: string | null | undefined;
  failureReason?: string | null | undefined;
  connectionType?: 'whatsapp_waba' | 'messenger' | undefined;
  connectedAccount?: ConnectedAccount | null | undefined;
}

/** Zavu's documented failureReason codes (SDK `Invitation.failureReason`), in words. */
const FAILURE_WORDS: Record<string, string> = {
  fb_cancelled: "they closed Meta's sign-up window before finishing",
  fb_not_authorized: 'they did not grant the permissions Meta asked for',
  signup_abandoned: 'they started the sign-up but did not finish it',
  meta_no_pages: 'they administer no Facebook Page, and a Messenger connection needs one',
  internal_error: "an error on Zavu's side stopped it",
};

/** Unknown codes are a generic failure, as the SDK asks; the code is shown, escaped. */
export function failureWords(reason: string | null | undefined): string {
  if (!reason) return 'Zavu gave no reason';
  if (Object.hasOwn(FAILURE_WORDS, reason)) return FAILURE_WORDS[reason] as string;
  return `Zavu reported \`${escClip(reason.replace(/`/g, "'"), 60)}\``;
}

function connectedWords(clientName: string, d: PartnerData): string {
  const a = d.connectedAccount;
  const name = a?.name ? ` *${escClip(a.name.replace(/[*_~`]/g, ''), 100)}*` : '';
  const sender = d.senderId ? `: sender \`${escClip(d.senderId, 80)}\`` : '';
  if (a?.channel === 'messenger' || d.connectionType === 'messenger') {
    return `${esc(clientName)} connected their Facebook Page${name} for Messenger${a ? ` (Page id \`${escClip(a.id, 40)}\`)` : ''}${sender}.`;
  }
  return `${esc(clientName)} connected their WhatsApp Business account${name}${a ? ` (phone number id \`${escClip(a.id, 40)}\`)` : ''}${sender}.`;
}

export default partnerInviteKind;
