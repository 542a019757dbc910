import { z } from 'zod';
import { parsePhoneList } from '../contacts/phones.js';
import { activeOptIns } from '../contacts/repository.js';
import { contactSettings } from '../contacts/settings.js';
import type { JobKind } from '../jobs/kinds.js';
import { startJob } from '../jobs/service.js';
import { CmChannelsClient } from '../providers/cm-channels/client.js';
import {
  CommboxClient,
  MAX_RECIPIENTS,
  type SendResult,
  type TemplateComponent,
} from '../providers/commbox/client.js';
import { audit } from '../security/audit.js';
import { ArgumentError } from '../slack/args.js';
import { type CommandContext, type Reply, UserError } from '../slack/command.js';
import { maskPhone } from '../slack/schemas.js';
import { findLanguage, languageState, metaName, placeholderCount, STATE_LABEL } from './state.js';

const HEADER_TYPES: Record<string, 'document' | 'image' | 'video'> = {
  pdf: 'document',
  doc: 'document',
  docx: 'document',
  xls: 'document',
  xlsx: 'document',
  ppt: 'document',
  pptx: 'document',
  txt: 'document',
  csv: 'document',
  jpg: 'image',
  jpeg: 'image',
  png: 'image',
  webp: 'image',
  mp4: 'video',
  '3gp': 'video',
};

/** The header media kind WhatsApp needs, from the URL's file extension. */
export function headerTypeOf(url: string): 'document' | 'image' | 'video' {
  const ext = new URL(url).pathname.split('.').pop()?.toLowerCase() ?? '';
  const type = HEADER_TYPES[ext];
  if (!type) {
    throw new ArgumentError(
      `I cannot tell from ${JSON.stringify(url)} whether the header is a document, image or video: the URL should end in ${Object.keys(
        HEADER_TYPES,
      )
        .map((e) => `.${e}`)
        .join(', ')}`,
    );
  }
  return type;
}

export const SendPayload = z.object({
  templateName: z.string().min(1).max(512),
  language: z.string().min(2).max(12),
  recipients: z.array(z.string()).min(1).max(MAX_RECIPIENTS),
  params: z.array(z.string()).max(20).default([]),
  header: z.object({ type: z.enum(['document', 'image', 'video']), url: z.string() }).optional(),
});
export type SendPayload = z.output<typeof SendPayload>;

/**
 * `/wa template send`: on the ack path only our own checks (arguments, at most 20 recipients,
 * an active opt-in on record for each, in DynamoDB); the job checks the template is approved
 * in CM.com Channels and sends it through CommBox.
 */
export async function sendTemplate(
  input: {
    templateName: string;
    language: string;
    recipients: string[];
    param: string[];
    'header-url'?: string | undefined;
  },
  ctx: CommandContext,
): Promise<Reply> {
  const recipients = parsePhoneList(input.recipients, MAX_RECIPIENTS, 'recipients');
  const header = input['header-url']
    ? { type: headerTypeOf(input['header-url']), url: input['header-url'] }
    : undefined;
  const opted = await activeOptIns(ctx.tenant, recipients);
  const missing = recipients.filter((n) => !opted.has(n));
  if (missing.length > 0) {
    await audit(ctx.tenant, {
      actor: ctx.userId,
      action: 'template.send',
      target: input.templateName,
      outcome: 'refused',
      detail: `no opt-in for ${missing.length} of ${recipients.length}`,
    });
    throw new UserError(
      `No opt-in is on record for ${missing.map(maskPhone).join(', ')}. WhatsApp templates may only go to people who opted in to hear from this business: record their consent first with \`/wa contact optin <+E164> --source "<where consent was given>"\`. Nothing was sent.`,
    );
  }
  const payload: SendPayload = {
    templateName: input.templateName,
    language: input.language,
    recipients,
    params: input.param,
    ...(header ? { header } : {}),
  };
  const job = await startJob(ctx, {
    kind: 'template.send',
    subject: `Send template ${input.templateName} (${input.language}) to ${recipients.length}`,
    payload,
  });
  return {
    response_type: 'ephemeral',
    text: `:hourglass_flowing_sand: Looking it up… I'll check that *${input.templateName}* (${input.language}) is approved in CM.com, then send it to ${recipients.length} recipient${recipients.length > 1 ? 's' : ''} and report each result here (job \`${job.id}\`).`,
  };
}

type Compact = { s: string; e?: string | undefined };

const OK_STATUSES = new Set(['sent', 'accepted', 'queued', 'success', 'ok', '200', '201', '202']);

function compact(results: SendResult[], n: number): Compact[] {
  return Array.from({ length: n }, (_, i) => {
    const r = results[i];
    if (!r) return { s: 'unknown' };
    const status = String(r.status ?? (r.error ? 'failed' : 'sent')).toLowerCase();
    return { s: status, e: r.error ? String(r.error).slice(0, 120) : undefined };
  });
}

export const templateSend: JobKind<SendPayload> = {
  kind: 'template.send',
  payload: SendPayload,
  async step(job, io) {
    const p = job.payload;
    const fail = (reason: string) => ({ type: 'fail' as const, reason: `${reason} Nothing was sent.` });

    const cm = await CmChannelsClient.forTenant(job.tenant);
    const candidates = await cm.listTemplates({ q: p.templateName, skip: 0, take: 50 });
    const wanted = p.templateName.toLowerCase();
    const t =
      candidates.find((c) => metaName(c) === wanted) ??
      candidates.find((c) => c.name.toLowerCase() === wanted);
    if (!t)
      return fail(`There is no template named \`${p.templateName}\` in this workspace's CM.com account.`);
    const lang = findLanguage(t, p.language);
    if (!lang) {
      return fail(
        `Template *${t.name}* has no language \`${p.language}\` (it has ${Object.keys(t.languages).join(', ') || 'none'}).`,
      );
    }
    const [langKey, l] = lang;
    const state = languageState(l);
    if (state !== 'approved') {
      return fail(
        `Template *${t.name}* (${langKey}) is not approved: it is ${STATE_LABEL[state]}${l.rejectionReason ? ` (${l.rejectionReason})` : ''}. Only approved templates can be sent.`,
      );
    }
    const expected = placeholderCount(l.content);
    if (p.params.length !== expected) {
      return fail(
        `Template *${t.name}* (${langKey}) has ${expected} body placeholder${expected === 1 ? '' : 's'}; you gave ${p.params.length} \`--param\` value${p.params.length === 1 ? '' : 's'}.`,
      );
    }
    // Consent may have been withdrawn since the command: check again right before sending.
    const opted = await activeOptIns(job.tenant, p.recipients);
    const recipients = p.recipients.filter((n) => opted.has(n));
    const dropped = p.recipients.filter((n) => !opted.has(n));
    if (recipients.length === 0) return fail('Every recipient withdrew their opt-in meanwhile.');

    const code = /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/i.test(langKey) ? langKey : p.language;
    const components: TemplateComponent[] = [];
    if (p.header)
      components.push({
        type: 'header',
        parameters: [{ type: p.header.type, [p.header.type]: { link: p.header.url } }],
      });
    if (p.params.length)
      components.push({
        type: 'body',
        parameters: p.params.map((text) => ({ type: 'text' as const, text })),
      });

    const commbox = await CommboxClient.forTenant(job.tenant, {
      perMinute: contactSettings().COMMBOX_RATE_PER_MINUTE,
    });
    // CommBox offers no lookup of a send, so a retried send cannot reconcile; a send whose answer
    // was lost (5xx, timeout) is sent again: a duplicate beats a silent loss (see docs).
    const results = await io.effect('send', async () =>
      compact(
        await commbox.sendTemplate(
          recipients.map((to) => ({ to, name: metaName(t), language: code, components })),
        ),
        recipients.length,
      ),
    );
    const ok = results.filter((r) => OK_STATUSES.has(r.s)).length;
    const lines = recipients.map((n, i) => {
      const r = results[i] ?? { s: 'unknown' };
      const good = OK_STATUSES.has(r.s);
      return `• ${maskPhone(n)}: ${good ? ':white_check_mark:' : ':x:'} ${r.s}${r.e ? ` (${r.e})` : ''}`;
    });
    for (const n of dropped) lines.push(`• ${maskPhone(n)}: skipped, the opt-in was withdrawn meanwhile`);
    await audit(job.tenant, {
      actor: job.createdBy,
      action: 'template.sent',
      target: metaName(t),
      outcome: ok === recipients.length ? 'ok' : 'failed',
      detail: `${ok}/${recipients.length} accepted by CommBox (${code})`,
    });
    return {
      type: 'done',
      progress: {
        text: `${ok === recipients.length ? ':white_check_mark:' : ':warning:'} Template *${t.name}* (${code}) sent through CommBox: ${ok} of ${p.recipients.length} accepted.\n${lines.join('\n')}`,
      },
    };
  },
  failureMessage: (job, reason) => ({ text: `:x: ${job.subject}: ${reason}` }),
};
