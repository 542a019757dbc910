import type { KnownBlock } from '@slack/types';
import { ProviderError } from '../http/errors.js';
import type { JobKind, StepIO } from '../jobs/kinds.js';
import type { Job, SlackMessage } from '../jobs/model.js';
import { JobRepository } from '../jobs/repository.js';
import { CmChannelsClient, type Template, type TemplateSummary } from '../providers/cm-channels/client.js';
import { esc } from '../slack/mrkdwn.js';
import { slackClientFor } from '../slack/tenant-client.js';
import type { TemplateFormState } from './forms.js';
import { LookupPayload, templateLookupKind } from './kinds.js';
import { LanguageCatalog, labelOf, templateLanguages } from './languages.js';
import { templateIdOf } from './names.js';
import {
  languageState,
  metaName,
  overallState,
  placeholderCount,
  STATE_LABEL,
  shortDate,
  truncate,
} from './state.js';

/** How many templates one answer shows; one more is fetched to know whether there are more. */
const PAGE = 20;

/** Read-only template lookups: the step calls CM.com and answers the requester ephemerally. */
export const templateLookup: JobKind<LookupPayload> = {
  kind: templateLookupKind.id,
  payload: LookupPayload,
  maxAttempts: 4,
  async step(job, io) {
    const cm = await CmChannelsClient.forTenant(job.tenant);
    const catalog = await LanguageCatalog.forTenant(job.tenant, cm);
    if (job.payload.op === 'form') {
      await fillSendForm(job.tenant, cm, catalog, job.payload);
      return { type: 'done' };
    }
    // Read-only: the answer goes to the asker alone (the command's response_url first).
    if (job.payload.op === 'list') {
      const items = await cm.listTemplates({ q: job.payload.query, skip: 0, take: PAGE + 1 });
      await io.answer(listMessage(items, catalog, job.payload.query));
      return { type: 'done' };
    }
    let message: SlackMessage;
    // Named by its name (as `template send` takes it) or by its id.
    const templateId = await templateIdOf(cm, job.payload.templateId);
    try {
      message = statusMessage(await cm.getTemplate(templateId), catalog);
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) {
        await io.answer(notFound(templateId));
        return { type: 'done' };
      }
      throw err;
    }
    await io.answer(await withCardLink(job.tenant, templateId, message, io));
    return { type: 'done' };
  },
  failureMessage: (job, reason) => ({
    text: `:x: ${esc(job.subject)}: I could not look it up. ${reason}`,
  }),
  readOnly: () => true,
};

/**
 * A template someone watches has a card in a channel (`/wa template watch|submit`): the answer
 * links to the newest one, where its verdict and Meta's later word are posted.
 */
async function withCardLink(
  tenant: Job['tenant'],
  templateId: string,
  message: SlackMessage,
  io: StepIO,
): Promise<SlackMessage> {
  const jobs = await new JobRepository().list(tenant, { all: true, limit: 200 });
  const watch = jobs.find(
    (j) =>
      j.kind === 'template.watch' &&
      (j.payload as { templateId?: string }).templateId === templateId &&
      j.report.progressTs,
  );
  const link = watch?.report.progressTs
    ? await io.permalink(watch.report.channel, watch.report.progressTs)
    : undefined;
  if (!link) return message;
  const more = `<${link}|Open the template's card and its thread>`;
  return {
    text: `${message.text}\n${more}`,
    blocks: [
      ...(
        message.blocks ?? [{ type: 'section', text: { type: 'mrkdwn', text: message.text.slice(0, 2900) } }]
      ).slice(0, 49),
      { type: 'context', elements: [{ type: 'mrkdwn', text: more }] },
    ] as KnownBlock[],
  };
}

export const notFound = (id: string): SlackMessage => ({
  text: `:warning: There is no template \`${esc(id)}\` in this workspace's CM.com account. \`/wa template list\` shows the ones there are.`,
});

function listMessage(items: TemplateSummary[], catalog: LanguageCatalog, query?: string): SlackMessage {
  if (items.length === 0) {
    return {
      text: query
        ? `:mag: No templates match "${esc(query)}".`
        : ':mag: This CM.com account has no WhatsApp templates yet.',
    };
  }
  const shown = items.slice(0, PAGE);
  const lines = shown.map((t) => {
    const langs = templateLanguages(t, catalog)
      .map((rl) => {
        const l = rl.lang;
        const s = languageState(l);
        const why =
          s === 'rejected' && (l.rejectionReason || l.rejectedOnUtc)
            ? ` (${esc(truncate(l.rejectionReason ?? 'no reason in the list', 80))}${l.rejectedOnUtc ? `, ${shortDate(l.rejectedOnUtc)}` : ''})`
            : '';
        return `${esc(labelOf(rl))}: ${s}${why}`;
      })
      .join(', ');
    return `• *${esc(t.name)}* \`${esc(t.id)}\` · ${esc(t.category ?? 'no category')} · ${STATE_LABEL[overallState(t)]}${langs ? `\n    ${langs}` : ''}`;
  });
  const more =
    items.length > PAGE ? `\n_More templates match: narrow it with \`/wa template list <query>\`._` : '';
  const title = query ? `Templates matching "${esc(query)}"` : 'WhatsApp templates';
  return { text: `*${title}*\n${lines.join('\n')}${more}`, blocks: sections(`*${title}*`, lines, more) };
}

function statusMessage(t: Template, catalog: LanguageCatalog): SlackMessage {
  const lines: string[] = [];
  lines.push(`*${esc(t.name)}* \`${esc(t.id)}\``);
  lines.push(
    `Category: ${esc(t.category ?? '—')} · Meta name: \`${esc(t.facebookName ?? t.name)}\` · Overall: ${STATE_LABEL[overallState(t)]}`,
  );
  if (t.rejectionReason)
    lines.push(
      `Rejection reason: ${esc(truncate(t.rejectionReason, 300))}${t.rejectedOnUtc ? ` (${shortDate(t.rejectedOnUtc)})` : ''}`,
    );
  const fields = t.settings?.replacementFields ?? [];
  if (fields.length) {
    lines.push(
      `Replacement fields: ${fields
        .slice()
        .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
        .map((f) => `{{${(f.index ?? 0) + 1}}} ${esc(f.name ?? '?')} (${esc(f.type ?? 'text')})`)
        .join(', ')}`,
    );
  }
  const langLines = templateLanguages(t, catalog).map((rl) => {
    const l = rl.lang;
    const s = languageState(l);
    const parts = [`*${esc(rl.key)}* (${esc(rl.code ?? 'code unknown')}): ${STATE_LABEL[s]}`];
    if (s === 'rejected' || l.rejectionReason)
      parts.push(
        `reason: ${esc(truncate(l.rejectionReason ?? 'none given', 300))}${l.rejectedOnUtc ? ` (${shortDate(l.rejectedOnUtc)})` : ''}`,
      );
    if (s === 'approved' && l.fulfilledOnUtc) parts.push(`approved ${shortDate(l.fulfilledOnUtc)}`);
    const content = l.content
      ? `\n>${esc(truncate(l.content, 500)).replace(/\n/g, '\n>')}`
      : '\n>_(no content)_';
    return `${parts.join(' · ')}${content}`;
  });
  if (langLines.length === 0) langLines.push('_No languages yet._');
  return { text: [...lines, ...langLines].join('\n'), blocks: sections(lines.join('\n'), langLines, '') };
}

/** Packs lines into sections of at most ~2900 characters (Slack's limit is 3000). */
function sections(head: string, lines: string[], tail: string): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }];
  let chunk = '';
  for (const line of [...lines, ...(tail ? [tail.trim()] : [])]) {
    const l = truncate(line, 2900);
    if (chunk.length + l.length + 1 > 2900) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
      chunk = '';
    }
    chunk += `${chunk ? '\n' : ''}${l}`;
  }
  if (chunk) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  return blocks.slice(0, 50);
}

/**
 * The approved (template, language) pairs as the form's choices, `id|code|metaName` each (select
 * option values hold at most 150 characters), and for a picked one its placeholders named after
 * the template's replacement fields. The view is updated in place (views.update).
 */
async function fillSendForm(
  tenant: Job['tenant'],
  cm: CmChannelsClient,
  catalog: LanguageCatalog,
  p: Extract<LookupPayload, { op: 'form' }>,
) {
  // UNCONFIRMED(cm-channels.take-max): CM answers a page of 100.
  const items = await cm.listTemplates({ skip: 0, take: 100 });
  const options: Array<{ value: string; label: string }> = [];
  for (const t of items) {
    for (const rl of templateLanguages(t, catalog)) {
      if (languageState(rl.lang) !== 'approved') continue;
      const value = `${t.id}|${rl.code ?? rl.key}|${metaName(t)}`;
      if (value.length <= 150 && options.length < 100)
        options.push({ value, label: truncate(`${t.name} · ${labelOf(rl)}`, 75) });
    }
  }
  let placeholders: string[] | undefined;
  if (p.pick) {
    const [id, code] = p.pick.split('|');
    const t = await cm.getTemplate(id ?? '');
    const rl = templateLanguages(t, catalog).find((l) => (l.code ?? l.key) === code);
    const n = placeholderCount(rl?.lang.content);
    const fields = (t.settings?.replacementFields ?? []).slice();
    placeholders = Array.from({ length: n }, (_, i) => {
      const f = fields.find((x) => (x.index ?? -1) === i);
      return truncate(`{{${i + 1}}}${f?.name ? ` ${f.name}` : ''}`, 150);
    });
  }
  const [{ formView }, { templateSendForm }] = await Promise.all([
    import('../slack/forms.js'),
    import('./forms.js'),
  ]);
  const client = await slackClientFor(tenant);
  await client.views.update({
    view_id: p.viewId,
    view: formView(templateSendForm, {
      channel: p.channel,
      state: { templates: options, pick: p.pick, placeholders } satisfies TemplateFormState,
    }),
  });
}
