import { startClient } from '../clients/port.js';
import { clock } from '../clock.js';
import { UserError } from '../errors.js';
import { deliverAndRun, jobIdForRef } from '../jobs/deliver.js';
import { isTerminal, type Job } from '../jobs/model.js';
import { JobRepository } from '../jobs/repository.js';
import { ActiveJobError, startJob } from '../jobs/service.js';
import { getCredentials } from '../providers/credentials.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { slackTime } from '../slack/dates.js';
import { cardPermalink } from '../slack/job-views.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { requesterOrAdmin } from '../slack/service.js';
import type { TenantId } from '../store/keys.js';
import { type DocumentSource, describeSource } from './document.js';
import { partnerKind, signKind } from './kinds.js';
import {
  type PartnerData,
  type PartnerPayload,
  type SignData,
  type SignPayload,
  USER_EVENTS,
} from './model.js';
import { partnerSummary, signSummary } from './render.js';

const ephemeral = (text: string): Reply => ({ response_type: 'ephemeral', text });

export interface SignInput {
  inviteeName: string;
  email: string;
  phone: string;
  file?: string | undefined;
  url?: string | undefined;
  template?: string | undefined;
  dossier?: string | undefined;
  remind?: number | undefined;
  expires: number;
  client?: string | undefined;
  'new-client'?: boolean | undefined;
}

function documentOf(input: Pick<SignInput, 'file' | 'url' | 'template'>): DocumentSource {
  if (input.file) return { kind: 'slack-file', fileId: input.file };
  if (input.url) return { kind: 'url', url: input.url };
  if (input.template) return { kind: 'template', templateId: input.template };
  // The command schema refuses this first; a modal or a future caller must not get past it either.
  throw new UserError('Say what to sign: a Slack file, an https link to a PDF, or a CM.com Sign template.');
}

/** `/wa invite sign` and the message shortcut's modal: checks, then a job does the provider calls. */
export async function inviteSign(
  input: SignInput,
  ctx: Pick<CommandContext, 'tenant' | 'userId' | 'channelId' | 'responseUrl'>,
): Promise<Reply> {
  const document = documentOf(input);
  const { client, remembered } = startClient(ctx, input.client, input['new-client']);
  const payload: SignPayload = {
    inviteeName: input.inviteeName,
    email: input.email,
    phone: input.phone,
    dossierName: input.dossier ?? `Signing for ${input.inviteeName}`,
    ...(input.remind ? { remindDays: input.remind } : {}),
    expiresDays: input.expires,
    document,
  };
  const job = await startJob(ctx, {
    kind: signKind,
    subject: `Signing invite for ${input.inviteeName}`,
    target: `${input.email.toLowerCase()} ${input.phone}`,
    payload,
    // "not connected" is said now, not from a job (read alongside the active-job lookup).
    requires: getCredentials(ctx.tenant, 'cm-sign'),
    client,
  });
  await remembered;
  return ephemeral(
    `:hourglass_flowing_sand: On it: sending ${describeSource(document)} for signature: a CM.com Sign dossier “${esc(payload.dossierName)}” and an invite over WhatsApp to ${input.phone} (${refOf(job)}job \`${job.id}\`). Updates follow in the channel.`,
  );
}

export interface PartnerInput {
  clientName: string;
  email?: string | undefined;
  phone?: string | undefined;
  days?: number | undefined;
  countries?: string[] | undefined;
  number?: string | undefined;
  channel?: 'whatsapp' | 'messenger' | undefined;
  client?: string | undefined;
  'new-client'?: boolean | undefined;
}

/** `/wa invite partner`: the link reaches only the requester, from the job. */
export async function invitePartner(input: PartnerInput, ctx: CommandContext): Promise<Reply> {
  // A partner invitation's client is the client it is for, unless another is named.
  const { client, remembered } = startClient(
    ctx,
    input.client ?? input.clientName,
    input['new-client'],
    input.client ? 'client' : 'clientName',
  );
  const payload: PartnerPayload = {
    clientName: input.clientName,
    ...(input.email ? { email: input.email } : {}),
    ...(input.phone ? { phone: input.phone } : {}),
    ...(input.days ? { days: input.days } : {}),
    ...(input.countries?.length ? { countries: input.countries } : {}),
    ...(input.number ? { number: input.number } : {}),
    ...(input.channel === 'messenger' ? { connectionType: 'messenger' as const } : {}),
  };
  const job = await startJob(ctx, {
    kind: partnerKind,
    subject: `Partner invitation for ${input.clientName}`,
    target: input.clientName.toLowerCase(),
    payload,
    requires: getCredentials(ctx.tenant, 'zavu'),
    client,
  });
  await remembered;
  return ephemeral(
    `:hourglass_flowing_sand: On it: creating a Zavu partner invitation for *${esc(input.clientName)}* (${refOf(job)}job \`${job.id}\`). The link comes to you only; a summary goes in the channel.`,
  );
}

const INVITE_KINDS = [signKind.id, partnerKind.id];

/** "INV-12, " before a job id, when the job has a short reference. */
const refOf = (job: Job) => (job.ref ? `*${job.ref}*, ` : '');

/** A job id, a CM.com Sign dossier id or a Zavu invitation id, to the invite job following it. */
async function findInviteJob(tenant: TenantId, id: string, repo = new JobRepository()): Promise<Job> {
  // Its short reference (INV-12) or job id, else a provider's id for it.
  let jobId: string | undefined = await repo.idOf(tenant, id);
  jobId ??= (await jobIdForRef(tenant, 'zavu', id)) ?? (await jobIdForRef(tenant, 'cm-sign', id));
  const job = jobId ? await repo.get(tenant, jobId) : undefined;
  if (!job || !INVITE_KINDS.includes(job.kind)) {
    throw new UserError(
      `I do not know an invite \`${esc(id)}\` in this workspace. Use its reference from the invite's card (like INV-12), its job id, the CM.com Sign dossier id or the Zavu invitation id.`,
      'not_found',
    );
  }
  return job;
}

/** Wakes the job with a user event (never a provider call on the ack path). */
async function nudge(job: Job, type: string, userId: string, repo = new JobRepository()): Promise<boolean> {
  const now = clock.now();
  return deliverAndRun(
    job.tenant,
    job.id,
    { type, at: now, data: { userId } },
    { repo, now: () => now, random: Math.random },
  );
}

/**
 * `/wa invite status`: a read-only query, so only the asker sees the answer (the command's
 * ephemeral reply), with a link to the invite's card and thread where changes are posted.
 */
export async function inviteStatus(input: { id: string }, ctx: CommandContext): Promise<Reply> {
  const job = await findInviteJob(ctx.tenant, input.id);
  const summary =
    job.kind === signKind.id
      ? signSummary(job.payload as SignPayload, job.data as SignData, job.id)
      : partnerSummary(job.payload as PartnerPayload, job.data as PartnerData, job.id);
  const checked = (job.data as { checkedAt?: number }).checkedAt;
  const link = await cardPermalink(job, ctx.client, ctx.teamDomain);
  const thread = link ? `<${link}|the invite's card and thread>` : "the invite's thread";
  let tail: string;
  if (isTerminal(job.state)) tail = `This invite is no longer followed (job ${job.state}).`;
  else {
    await nudge(job, USER_EVENTS.refresh, ctx.userId);
    tail = `${checked ? `Last checked with the provider ${slackTime(checked)}. ` : ''}I asked the provider for a fresh status; changes appear in ${thread}.`;
  }
  const more = link && isTerminal(job.state) ? `\n<${link}|Open the invite's card and thread>` : '';
  return { response_type: 'ephemeral', text: `${summary.text}\n${tail}${more}` };
}

export async function inviteCancel(input: { id: string }, ctx: CommandContext): Promise<Reply> {
  const job = await findInviteJob(ctx.tenant, input.id);
  if (job.kind !== partnerKind.id) {
    throw new UserError(
      '`/wa invite cancel` cancels Zavu partner invitations. CM.com Sign signing invites expire on their own (or can be withdrawn in the CM.com Sign dashboard).',
      'wrong_kind',
    );
  }
  // The same rule as the job's Cancel button: the requester, or an admin.
  const refused = await requesterOrAdmin(job, ctx, 'cancel');
  if (refused) return refused;
  return cancelPartner(job as Job<PartnerPayload, PartnerData>, ctx);
}

/**
 * Cancels a partner invitation, whichever door asked: the link must stop working, and Zavu is
 * called from a job, never here. A job still following the invitation gets the cancel in its
 * inbox (the job's Cancel button does the same, through the kind's `cancelEvent`). A job that
 * no longer follows it while Zavu may still accept the link (stopped, or failed after retries)
 * gets a successor that only cancels it, on the same card. The answer says what happens next;
 * what Zavu did is said in the invitation's thread.
 */
export async function cancelPartner(
  job: Job<PartnerPayload, PartnerData>,
  ctx: Pick<CommandContext, 'tenant' | 'userId' | 'channelId' | 'responseUrl'>,
  repo = new JobRepository(),
): Promise<Reply> {
  const who = `*${esc(job.payload.clientName)}*`;
  const cancelling = (jobId: string) =>
    ephemeral(
      `:hourglass_flowing_sand: Cancelling the partner invitation for ${who} (job \`${jobId}\`): Zavu is asked to cancel it, and its thread says what Zavu did.`,
    );
  let current: Job<PartnerPayload, PartnerData> = job;
  if (!isTerminal(current.state)) {
    if (await nudge(current, USER_EVENTS.cancel, ctx.userId, repo)) return cancelling(current.id);
    // It ended between the read and the delivery: decide on what it is now.
    current = ((await repo.get(current.tenant, current.id)) ?? current) as Job<PartnerPayload, PartnerData>;
  }
  const d = current.data;
  const known = d.status ?? 'pending';
  if (!d.invitationId) {
    return ephemeral(
      `:information_source: Nothing to cancel: no invitation was created for ${who} (job ${current.state}).`,
    );
  }
  if (['completed', 'expired', 'cancelled'].includes(known)) {
    return ephemeral(`:information_source: Nothing to cancel: that invitation is already ${esc(known)}.`);
  }
  // No job follows it any more, and its link may still work: a job that cancels it.
  const card =
    current.report.progressTs !== undefined
      ? { card: { channel: current.report.channel, ts: current.report.progressTs } }
      : {};
  let successor: Job;
  try {
    successor = await startJob(ctx, {
      kind: partnerKind,
      subject: `Cancel the partner invitation for ${current.payload.clientName}`,
      payload: current.payload,
      data: {
        invitationId: d.invitationId,
        status: d.status,
        expiresAt: d.expiresAt,
        revivedFrom: current.id,
        cancelBy: ctx.userId,
      } satisfies PartnerData,
      ...card,
      // The same cancel asked twice at once makes one successor (the target's pointer is the lock).
      target: `cancel ${current.id}`,
      // A cancel is never counted against the start limits.
      query: true,
    });
  } catch (err) {
    if (err instanceof ActiveJobError) return cancelling(err.job.id);
    throw err;
  }
  return cancelling(successor.id);
}

/**
 * `/wa invite link <ref>` and the partner card's "Show the link again": the link read back from
 * Zavu by the job, to the person who asked for the invitation and nobody else.
 */
export async function inviteLink(input: { id: string }, ctx: CommandContext): Promise<Reply> {
  const job = await findInviteJob(ctx.tenant, input.id);
  if (job.kind !== partnerKind.id)
    throw new UserError(
      '`/wa invite link` shows the link of a Zavu partner invitation; a signing invite has none.',
      'wrong_kind',
    );
  if (job.createdBy !== ctx.userId)
    return ephemeral(
      `:no_entry: Only ${mention(job.createdBy)}, who asked for this invitation, can see its link: it works like a password.`,
    );
  if (isTerminal(job.state) || !(await nudge(job, USER_EVENTS.showLink, ctx.userId)))
    return ephemeral(
      `:information_source: That invitation is no longer followed (${esc((job.data as PartnerData).status ?? job.state)}): there is no link to show.`,
    );
  return ephemeral(
    `:hourglass_flowing_sand: Reading the link of ${refOf(job)}the invitation for *${esc((job.payload as PartnerPayload).clientName)}* back from Zavu; it comes to you only.`,
  );
}
