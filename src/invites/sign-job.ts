import { ProviderError } from '../http/errors.js';
import type { JobKind, StepIO } from '../jobs/kinds.js';
import type { Job, SlackMessage, StepResult } from '../jobs/model.js';
import { type CmSignClient, cmSignClient } from '../providers/cm-sign/client.js';
import type { CreateDossierRequest, Dossier } from '../providers/cm-sign/schemas.js';
import { audit } from '../security/audit.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { maskPhone } from '../slack/schemas.js';
import { DocumentError, describeSource, fetchDocument, signatureField } from './document.js';
import { signKind } from './kinds.js';
import { type SignData, SignPayload, type SignStatus, USER_EVENTS } from './model.js';
import { emailOffer, maskEmail, signCard, slackDate } from './render.js';
import { inviteSettings } from './settings.js';

const DAY = 86_400_000;
const RANK: Record<SignStatus, number> = {
  sending: 0,
  sent: 1,
  undelivered: 2,
  email_sent: 3,
  viewed: 4,
  signed: 9,
  declined: 9,
  expired: 9,
};
const TERMINAL: SignStatus[] = ['signed', 'declined', 'expired'];
/** Invitee states CM reports once the invitee has signed (approvers are `approved`). */
// UNCONFIRMED(cm-sign.dossier-states): which invitee and dossier states mean signed, declined, expired.
const SIGNED_STATES = ['signed', 'approved', 'completed'];

type SignJob = Job<SignPayload, SignData>;

/** When the requester hears "not signed yet": 2 days before expiry, or half-way for short ones. */
function reminderAt(expiresAt: string, expiresDays: number): number {
  return Date.parse(expiresAt) - Math.min(2 * DAY, (expiresDays * DAY) / 2);
}

/**
 * One signing invite, followed to signed / declined / expired. Webhook events in the inbox move
 * it at once; a run without events is the scheduled fallback and polls GET /dossiers/{id}.
 */
export const signInviteKind: JobKind<SignPayload, SignData> = {
  kind: signKind.id,
  payload: SignPayload,

  async step(job: SignJob, io: StepIO): Promise<StepResult<SignData>> {
    const p = job.payload;
    const d: SignData = { ...job.data };
    const before = d.status;
    const posts: SlackMessage[] = [];
    const client = await cmSignClient(job.tenant, { timeoutMs: inviteSettings().httpTimeoutMs });
    let reassign = false;
    let ending: SlackMessage | undefined;

    const advance = (to: SignStatus, message?: SlackMessage) => {
      if (RANK[to] <= RANK[d.status ?? 'sending'] && to !== 'email_sent') return false;
      if (d.status && TERMINAL.includes(d.status)) return false;
      d.status = to;
      // A declined or expired invite ends the job: its note goes in the thread as the failure's
      // words, once (not again as the kind's failure message).
      if (message && (to === 'declined' || to === 'expired')) ending = message;
      else if (message) posts.push(message);
      return true;
    };

    // A document that cannot be used, found before CM.com Sign holds anything of this invite (a
    // URL that does not download, a template CM does not know): the requester's to fix, answered
    // to them alone with the form to edit it, not as a failed card in the channel.
    let wrong: StepResult<SignData> | undefined;
    const theirs = (err: unknown): undefined => {
      if (!(err instanceof DocumentError)) throw err;
      wrong = { type: 'fail', reason: esc(err.message), asker: true };
      return undefined;
    };

    // 1. The document: a PDF from Slack or a URL, checked and uploaded (an upload alone reaches
    // nobody, so a lost answer only costs a second upload). Templates carry their own.
    const doc = p.document;
    let body: CreateDossierRequest;
    // The job's id is the invitee's reference, a key we choose: every draft this job makes, an
    // orphan included, carries it in CM.com Sign.
    const invitee = { name: p.inviteeName, email: p.email, phoneNumber: p.phone, reference: job.id };
    if (doc.kind === 'template') {
      body = { name: p.dossierName, template: doc.templateId, invitees: [invitee] };
    } else {
      const file = await io
        .effect('upload', async () => {
          const fetched = await fetchDocument(job.tenant, doc);
          const uploaded = await client.upload(fetched.bytes, fetched.name);
          return { id: uploaded.id, name: fetched.name, field: signatureField(uploaded.id, fetched.info) };
        })
        .catch(theirs);
      if (!file) return wrong as StepResult<SignData>;
      d.fileId = file.id;
      body = {
        name: p.dossierName,
        files: [{ id: file.id }],
        invitees: [{ ...invitee, fields: [file.field] }],
      };
    }
    if (p.remindDays) body.reminderIn = p.remindDays * 86_400;

    // 2. The dossier. CM.com Sign documents no way to look a dossier up (no list, search or
    // delete; see docs/invites.md), so its id is written to the job the moment CM answers
    // (io.effect persists results): a crash after that finds it again instead of making a
    // second draft.
    if (!d.dossierId) {
      // CM.com Sign documents no way to look a dossier up (no list, no search by reference), so
      // a create whose answer was lost cannot be reconciled: it is said once the dossier exists.
      const lost = job.effects.dossier?.status === 'started';
      const dossier = await io
        .effect('dossier', async () => {
          let created: Dossier;
          try {
            created = await client.createDossier(body);
          } catch (err) {
            if (
              doc.kind === 'template' &&
              err instanceof ProviderError &&
              !err.transient &&
              err.kind !== 'auth'
            ) {
              throw new DocumentError(
                'unknown_template',
                `CM.com Sign refused the template \`${doc.templateId}\`${err.detail ? ` (${esc(err.detail)})` : ''}: check its id in the CM.com Sign dashboard (Templates → info), and that it has one recipient.`,
                { cause: err },
              );
            }
            throw err;
          }
          return { id: created.id, inviteeId: created.invitees[0]?.id ?? '', expiresAt: created.expiresAt };
        })
        .catch(theirs);
      if (!dossier) return wrong as StepResult<SignData>;
      d.dossierId = dossier.id;
      d.inviteeId = dossier.inviteeId;
      d.expiresAt = dossier.expiresAt;
      // Before the invite goes out, so its callbacks find this job.
      await io.link('cm-sign', dossier.id);
      if (lost) {
        posts.push({
          text: `:information_source: An earlier request to create the dossier got no answer, so CM.com Sign may also hold an unused draft “${esc(p.dossierName)}” (invitee reference \`${job.id}\`; one per lost answer). Such a draft holds no invite, nobody was messaged, and CM.com Sign expires it on its own; it offers no way for this app to find or delete one.`,
        });
      }
    }
    const dossierId = d.dossierId;

    // 3. The WhatsApp invite; reconciled by the dossier leaving `draft` once invites are out.
    const justSent = !d.status || d.status === 'sending';
    if (justSent) {
      const invite = await io.effect(
        'invite-whatsapp',
        async () => {
          const [sent] = await client.sendInvites(dossierId, [
            { inviteeId: d.inviteeId ?? '', channel: 'whatsapp', expiresIn: p.expiresDays * 86_400 },
          ]);
          return { id: sent?.id ?? '', expiresAt: sent?.expiresAt ?? d.expiresAt };
        },
        async () => {
          const dossier = await client.getDossier(dossierId);
          return dossier.state !== 'draft' ? { id: '', expiresAt: dossier.expiresAt } : undefined;
        },
      );
      d.expiresAt = invite.expiresAt ?? d.expiresAt;
      d.status = 'sent';
      await audit(job.tenant, {
        actor: job.createdBy,
        action: 'invite.sign.sent',
        target: dossierId,
        outcome: 'ok',
        detail: `WhatsApp invite to ${maskPhone(p.phone)} for ${describeSource(doc)}`,
      });
    }

    // 4. What happened since. A CM.com Sign callback is only a trigger
    // (UNCONFIRMED(cm-sign.callback-body)): the dossier is read again and its state decides. The event name, when the
    // callback carries one, adds what a dossier does not show: viewed, undelivered, expired invite.
    let poll = io.inbox.length === 0 && !justSent;
    for (const event of io.inbox) {
      if (event.type === USER_EVENTS.resendEmail) {
        await resendByEmail(job, io, client, d, posts, event.data);
        continue;
      }
      poll = true;
      switch (event.type) {
        case 'dossier.invite.viewed':
          advance('viewed', { text: `:eyes: ${esc(p.inviteeName)} opened the signing invite.` });
          break;
        case 'dossier.invite.undelivered':
          if (d.status === 'email_sent') {
            posts.push({
              text: `:warning: The email invite to ${maskEmail(p.email)} could not be delivered.`,
            });
          } else advance('undelivered', emailOffer(p, job.id));
          break;
        case 'dossier.invite.expired':
          advance('expired', { text: `:hourglass: The invite expired before ${esc(p.inviteeName)} signed.` });
          break;
        case 'dossier.invitee.reassignRequest.state.updated':
          reassign = true;
          break;
      }
    }

    if (poll && !TERMINAL.includes(d.status ?? 'sending')) {
      const dossier = await client.getDossier(dossierId);
      d.checkedAt = io.now;
      if (reassign && !dossier.invitees.some((i) => i.id === d.inviteeId)) {
        posts.push({
          text: `:arrows_counterclockwise: ${esc(p.inviteeName)}'s signing was reassigned in CM.com Sign; following the dossier until it is complete.`,
        });
      } else if (reassign) {
        posts.push({
          text: ':arrows_counterclockwise: A request to reassign the signing changed in CM.com Sign.',
        });
      }
      applyDossier(p.inviteeName, dossier, d.inviteeId, advance);
    }

    // 5. Reminder to the requester, and expiry by our own clock if CM never says so.
    const expiresAt = Date.parse(d.expiresAt ?? '') || job.createdAt + p.expiresDays * DAY;
    const remindAt = reminderAt(new Date(expiresAt).toISOString(), p.expiresDays);
    const status = d.status ?? 'sending';
    if (!TERMINAL.includes(status) && !d.reminded && io.now >= remindAt && io.now < expiresAt) {
      d.reminded = true;
      posts.push({
        text: `:alarm_clock: ${mention(job.createdBy)} ${esc(p.inviteeName)} has not signed “${esc(p.dossierName)}” yet; the invite expires ${slackDate(d.expiresAt)}.`,
      });
    }
    if (!TERMINAL.includes(d.status ?? 'sending') && io.now > expiresAt + DAY) {
      advance('expired', { text: `:hourglass: The invite expired before ${esc(p.inviteeName)} signed.` });
    }

    // The card first (so the thread has a parent), rendered from the state as it now is.
    if (d.status !== before || !job.report.progressTs) await io.progress(signCard({ ...job, data: d }));
    for (const message of posts) await io.post(message);

    switch (d.status) {
      case 'signed':
        return { type: 'done', data: d };
      case 'declined':
        return {
          type: 'fail',
          reason: `${esc(p.inviteeName)} declined to sign.`,
          data: d,
          ...(ending && { progress: ending }),
        };
      case 'expired':
        return {
          type: 'fail',
          reason: `the invite expired ${slackDate(d.expiresAt)} unsigned.`,
          data: d,
          ...(ending && { progress: ending }),
        };
    }
    const next = [io.now + inviteSettings().pollMs, expiresAt + 60_000];
    if (!d.reminded && remindAt > io.now) next.push(remindAt);
    return { type: 'wait', until: Math.min(...next.filter((t) => t > io.now)), data: d };
  },

  failureMessage(job, reason) {
    return {
      text: `:x: Signing invite for ${esc(job.payload.inviteeName)} (“${esc(job.payload.dossierName)}”): ${reason}`,
    };
  },

  card: (job) => signCard(job),

  // The signing form's fields as the invite was asked for.
  edit: (job) => {
    const p = job.payload;
    const doc = p.document;
    return {
      inviteeName: p.inviteeName,
      email: p.email,
      phone: p.phone,
      ...(doc.kind === 'url'
        ? { url: doc.url }
        : doc.kind === 'template'
          ? { template: doc.templateId }
          : { file: doc.fileId }),
      dossier: p.dossierName,
      expires: String(p.expiresDays),
      ...(p.remindDays ? { remind: String(p.remindDays) } : {}),
    };
  },
};

function applyStates(
  name: string,
  dossierState: string | undefined,
  inviteeState: string | undefined,
  advance: (to: SignStatus, message?: SlackMessage) => boolean,
) {
  if (dossierState === 'completed' || SIGNED_STATES.includes(inviteeState ?? '')) {
    advance('signed', { text: `:white_check_mark: ${esc(name)} signed. The dossier is complete.` });
  } else if (inviteeState === 'declined' || dossierState === 'declined') {
    advance('declined', { text: `:no_entry_sign: ${esc(name)} declined to sign.` });
  } else if (dossierState === 'expired') {
    advance('expired', { text: `:hourglass: The invite expired before ${esc(name)} signed.` });
  }
}

function applyDossier(
  name: string,
  dossier: Dossier,
  inviteeId: string | undefined,
  advance: (to: SignStatus, message?: SlackMessage) => boolean,
) {
  const invitee = dossier.invitees.find((i) => i.id === inviteeId) ?? dossier.invitees[0];
  applyStates(name, dossier.completed ? 'completed' : dossier.state, invitee?.state ?? undefined, advance);
}

/** The "Resend by email" button: one email invite per job, never on the ack path. */
async function resendByEmail(
  job: SignJob,
  io: StepIO,
  client: CmSignClient,
  d: SignData,
  posts: SlackMessage[],
  data: unknown,
) {
  const by = (data as { userId?: string } | undefined)?.userId ?? job.createdBy;
  if (d.status && TERMINAL.includes(d.status)) {
    posts.push({ text: `:information_source: Nothing to resend: the invite is already ${esc(d.status)}.` });
    return;
  }
  if (job.effects['invite-email']?.status === 'done') {
    posts.push({
      text: `:information_source: The invite was already sent by email to ${maskEmail(job.payload.email)}.`,
    });
    return;
  }
  const dossierId = d.dossierId ?? '';
  try {
    await io.effect('invite-email', async () => {
      const [sent] = await client.sendInvites(dossierId, [
        { inviteeId: d.inviteeId ?? '', channel: 'email', expiresIn: job.payload.expiresDays * 86_400 },
      ]);
      return { id: sent?.id ?? '' };
    });
  } catch (err) {
    if (err instanceof ProviderError && !err.transient) {
      posts.push({ text: `:x: The email invite could not be sent: ${esc(err.detail ?? err.message)}.` });
      return;
    }
    throw err;
  }
  d.status = 'email_sent';
  posts.push({
    text: `:e-mail: ${mention(by)} re-sent the invite by email to ${maskEmail(job.payload.email)}.`,
  });
  await audit(job.tenant, { actor: by, action: 'invite.sign.email', target: dossierId, outcome: 'ok' });
}

export default signInviteKind;
