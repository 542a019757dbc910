import type { z } from 'zod';
import { clock } from '../clock.js';
import { JobRepository } from '../jobs/repository.js';
import { audit } from '../security/audit.js';
import { catalog } from '../slack/catalog.js';
import type { CommandContext, Reply } from '../slack/command.js';
import type { ActionArgs } from '../slack/interactions.js';
import { jobsReply } from '../slack/job-views.js';
import { esc, mention } from '../slack/mrkdwn.js';
import type { jobsInput } from './schemas.js';

/** `/wa jobs [--all]`: reads DynamoDB only, so it answers on the ack path. */
export async function listJobs(input: z.output<typeof jobsInput>, ctx: CommandContext): Promise<Reply> {
  const recent = await new JobRepository().list(ctx.tenant, { all: input.all ?? false, limit: 200 });
  // The app's own helpers (the send form filling itself in) are no one's work to follow.
  const jobs = recent.filter((j) => !catalog().isInternalJob(j)).slice(0, 25);
  return jobsReply(jobs, input.all ?? false, ctx.teamDomain);
}

/** The Cancel button of a job: its requester or an admin may stop following it. */
export async function cancelJobAction({ action, body, respond, tenant, client }: ActionArgs): Promise<void> {
  const jobId = 'value' in action ? String(action.value ?? '') : '';
  const repo = new JobRepository();
  const job = await repo.get(tenant, jobId);
  if (!job) {
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: `:warning: No job \`${esc(jobId)}\`.`,
    });
    return;
  }
  // The same rule as the command that does this for the job's kind (`/wa invite cancel` for a
  // partner invitation): the requester or an admin, with that command's restrictions.
  const { actorOf, mayChangeJob } = await import('../slack/service.js');
  const rule = catalog().ruleOfKind(job.kind);
  const refused = await mayChangeJob(job, rule, actorOf(body, client, tenant), 'cancel');
  if (refused) {
    await respond({ response_type: 'ephemeral', replace_original: false, text: refused.text });
    return;
  }
  // A kind whose provider object would outlive the job (a partner link) is cancelled by its
  // step, at the provider: the click goes to the job's inbox, never to the provider from here.
  const { engine } = await import('../jobs/engine.js');
  const cancelEvent = (await engine().kind(job.kind))?.cancelEvent;
  if (cancelEvent) {
    const { deliverToJob } = await import('../jobs/deliver.js');
    const delivered = await deliverToJob(tenant, jobId, {
      type: cancelEvent,
      data: { userId: body.user.id },
    });
    await audit(tenant, {
      actor: body.user.id,
      action: 'job.cancel_requested',
      target: jobId,
      outcome: delivered ? 'ok' : 'refused',
    });
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: delivered
        ? `:hourglass_flowing_sand: Cancelling \`${esc(jobId)}\` (${esc(job.subject)}); what the provider did appears in its thread.`
        : `:information_source: \`${esc(jobId)}\` had already finished (${job.state}); nothing changed.`,
    });
    return;
  }
  const cancelled = await repo.cancel(tenant, jobId, `cancelled by <@${body.user.id}>`, clock.now());
  await audit(tenant, {
    actor: body.user.id,
    action: 'job.cancelled',
    target: jobId,
    outcome: cancelled ? 'ok' : 'refused',
  });
  if (cancelled) {
    // The card says so at once, without the buttons of a flow that is over; the thread keeps it.
    const now = await repo.get(tenant, jobId);
    if (now) {
      const { refreshCard } = await import('../jobs/runner.js');
      await refreshCard(now);
      const { SlackReporter } = await import('../slack/job-reporter.js');
      await new SlackReporter(async () => client, now.report)
        .post({ text: `:no_entry_sign: ${mention(body.user.id)} cancelled this (job \`${esc(jobId)}\`).` })
        .catch(() => undefined);
    }
  }
  await respond({
    response_type: 'ephemeral',
    replace_original: false,
    text: cancelled
      ? `:no_entry_sign: Cancelled \`${esc(jobId)}\` (${esc(job.subject)}).`
      : `:information_source: \`${esc(jobId)}\` had already finished (${job.state}); nothing changed.`,
  });
}
