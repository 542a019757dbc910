import { startJob } from '../jobs/service.js';
import { audit } from '../security/audit.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { type LookupPayload, templateLookupKind, templateWatchKind, type WatchPayload } from './kinds.js';

/**
 * Ack-path handlers of `/wa template ...`: none of them waits on CM.com. Each starts a job whose
 * step calls the provider and answers (lookups ephemerally, watches in a thread).
 */

const ephemeral = (text: string): Reply => ({ response_type: 'ephemeral', text });

export async function listTemplates(input: { query: string }, ctx: CommandContext): Promise<Reply> {
  const payload: LookupPayload = { op: 'list', query: input.query || undefined };
  const job = await startJob(ctx, {
    kind: templateLookupKind,
    subject: input.query ? `Template list "${input.query}"` : 'Template list',
    payload,
    query: true,
  });
  return ephemeral(`:mag: Looking it up… I'll answer here in a moment (job \`${job.id}\`).`);
}

export async function templateStatus(input: { templateId: string }, ctx: CommandContext): Promise<Reply> {
  const payload: LookupPayload = { op: 'status', templateId: input.templateId };
  const job = await startJob(ctx, {
    kind: templateLookupKind,
    subject: `Template ${input.templateId}`,
    payload,
    query: true,
  });
  return ephemeral(`:mag: Looking it up… I'll answer here in a moment (job \`${job.id}\`).`);
}

export async function watchTemplate(input: { templateId: string }, ctx: CommandContext): Promise<Reply> {
  const payload: WatchPayload = { templateId: input.templateId, submit: false };
  const job = await startJob(ctx, {
    kind: templateWatchKind,
    subject: `Watch template ${input.templateId}`,
    payload,
  });
  return ephemeral(
    `:hourglass_flowing_sand: Looking it up… I'll watch template \`${input.templateId}\` until every language is approved or rejected and report in this channel (job \`${job.id}\`).`,
  );
}

export async function submitTemplate(input: { templateId: string }, ctx: CommandContext): Promise<Reply> {
  const payload: WatchPayload = { templateId: input.templateId, submit: true };
  const job = await startJob(ctx, {
    kind: templateWatchKind,
    subject: `Submit template ${input.templateId}`,
    payload,
  });
  await audit(ctx.tenant, {
    actor: ctx.userId,
    action: 'template.submit_requested',
    target: input.templateId,
    outcome: 'ok',
    detail: `job ${job.id}`,
  });
  return ephemeral(
    `:hourglass_flowing_sand: On it… I'll check template \`${input.templateId}\` is complete, request its validation and watch it to the verdict (job \`${job.id}\`).`,
  );
}
