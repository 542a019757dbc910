import { clock } from '../clock.js';
import { deliverAndRun } from '../jobs/deliver.js';
import { isTerminal } from '../jobs/model.js';
import { JobRepository } from '../jobs/repository.js';
import { audit } from '../security/audit.js';
import { errorReply } from '../slack/errors.js';
import type { ActionArgs } from '../slack/interactions.js';
import { esc } from '../slack/mrkdwn.js';
import { actorOf, mayChangeJob, perform } from '../slack/service.js';
import { inviteCancelCommand, inviteLinkCommand, inviteSignCommand } from './commands.js';
import { signKind } from './kinds.js';
import { type SignData, type SignPayload, USER_EVENTS } from './model.js';
import { CANCEL_INVITATION, SHOW_LINK, SIGN_WORDS } from './render.js';

/**
 * Buttons of the invites feature (`invite:*`). Bolt has already acked; the click only lands in
 * the job's inbox and wakes it, so CM.com Sign is called from the job, never here. A click is
 * checked like the command that sends the invite: the requester or an admin, and only while
 * `/wa invite sign` is open to them (`/wa admins restrict invites on`).
 */
export async function handleInviteAction(args: ActionArgs): Promise<void> {
  const action = args.body.actions[0];
  if (action?.type === 'button' && (action.action_id === SHOW_LINK || action.action_id === CANCEL_INVITATION))
    return partnerButton(args, action.action_id, action.value ?? '');
  if (action?.action_id !== 'invite:resend-email' || action.type !== 'button') return;
  const jobId = action.value ?? '';
  const userId = args.body.user.id;
  const repo = new JobRepository();
  const job = /^j[0-9a-z]{8,}$/.test(jobId) ? await repo.get(args.tenant, jobId) : undefined;
  const say = async (text: string) => {
    const channel = args.body.channel?.id;
    if (channel) await args.client.chat.postEphemeral({ channel, user: userId, text });
  };
  if (!job || job.kind !== signKind.id) {
    await say(':warning: That invite is no longer known here.');
    return;
  }
  // A button from an older message, or a card not updated yet: say what the invite is now and
  // change nothing. The button applies only while WhatsApp is undelivered and no email went out.
  const data = job.data as SignData;
  const emailed = job.effects['invite-email']?.status === 'done';
  if (!isTerminal(job.state) && (data.status !== 'undelivered' || emailed)) {
    await say(
      `:information_source: The signing invite for ${esc((job.payload as SignPayload).inviteeName)} is now ${SIGN_WORDS[data.status ?? 'sending'].replace(/^:[a-z_-]+: /, '')}${emailed ? ', and it was already sent by email' : ''}; that button no longer applies, so nothing was sent.`,
    );
    return;
  }
  const ctx = actorOf(args.body as never, args.client, args.tenant);
  const refused = await mayChangeJob(job, inviteSignCommand, ctx, 'resend');
  if (refused) {
    await say(refused.text);
    return;
  }
  const now = clock.now();
  // Delivered to the inbox, and run at once (the delivery claims the job when nobody holds it).
  const delivered = await deliverAndRun(
    args.tenant,
    job.id,
    { type: USER_EVENTS.resendEmail, at: now, data: { userId } },
    { repo, now: () => now, random: Math.random },
  );
  if (!delivered) {
    await say(`:information_source: That invite is no longer followed (job ${job.state}); nothing was sent.`);
    return;
  }
  await audit(args.tenant, { actor: userId, action: 'invite.resend_email', target: job.id, outcome: 'ok' });
}

/**
 * The partner card's buttons, as the commands they stand for: "Show the link again" is
 * `/wa invite link` (the requester alone), "Cancel invitation" is `/wa invite cancel` (the
 * requester or an admin, while the command is open to them). The answer reaches only the clicker.
 */
async function partnerButton(args: ActionArgs, actionId: string, jobId: string): Promise<void> {
  const ctx = actorOf(args.body as never, args.client, args.tenant);
  const command = actionId === SHOW_LINK ? inviteLinkCommand : inviteCancelCommand;
  const outcome = await perform(command, { id: jobId }, ctx).catch((err: unknown) => ({
    status: 'error' as const,
    text: errorReply(err).text,
  }));
  const text =
    outcome.status === 'done' || outcome.status === 'refused'
      ? outcome.reply.text
      : outcome.status === 'invalid'
        ? `:warning: ${outcome.error.message}`
        : outcome.status === 'error'
          ? outcome.text
          : ':information_source: Nothing changed.';
  const channel = args.body.channel?.id;
  if (channel) await args.client.chat.postEphemeral({ channel, user: ctx.userId, text });
}
