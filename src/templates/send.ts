import { startClient } from '../clients/port.js';
import { activeOptIns, contactSettings, parsePhoneList } from '../contacts/port.js';
import { UserError } from '../errors.js';
import { ProviderError, RateLimitedError } from '../http/errors.js';
import type { JobKind } from '../jobs/kinds.js';
import { startJob } from '../jobs/service.js';
import { CmChannelsClient } from '../providers/cm-channels/client.js';
import {
  CommboxClient,
  digitsOf,
  type RecipientResult,
  type TemplateComponent,
} from '../providers/commbox/client.js';
import { MAX_RECIPIENTS } from '../providers/commbox/provider.js';
import { audit } from '../security/audit.js';
import { ArgumentError } from '../slack/args.js';
import type { CommandContext, Reply } from '../slack/command.js';
import { describeError } from '../slack/describe.js';
import { esc } from '../slack/mrkdwn.js';
import { maskPhone } from '../slack/schemas.js';
import { SendPayload, templateSendKind } from './kinds.js';
import { findLanguage, LanguageCatalog, labelOf } from './languages.js';
import { templateSettings } from './settings.js';
import { languageState, metaName, placeholderCount, STATE_LABEL } from './state.js';

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
function headerTypeOf(url: string): 'document' | 'image' | 'video' {
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
    client?: string | undefined;
    'new-client'?: boolean | undefined;
  },
  ctx: CommandContext,
): Promise<Reply> {
  const { client, remembered } = startClient(ctx, input.client, input['new-client']);
  const recipients = await parsePhoneList(input.recipients, MAX_RECIPIENTS, 'recipients');
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
      `No opt-in is on record for ${missing.join(', ')}. WhatsApp templates may only go to people who opted in to hear from this business: record their consent first with \`/wa contact optin <+E164> --source "<where consent was given>"\`. Nothing was sent.`,
      'no_optin',
      { field: 'recipients' },
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
    kind: templateSendKind,
    subject: `Send template ${input.templateName} (${input.language}) to ${recipients.length}`,
    target: `${input.templateName.toLowerCase()} ${input.language.toLowerCase()} ${[...recipients].sort().join(',')}`,
    payload,
    client,
  });
  await remembered;
  return {
    response_type: 'ephemeral',
    text: `:hourglass_flowing_sand: Looking it up… I'll check that *${esc(input.templateName)}* (${esc(input.language)}) is approved in CM.com, then send it to ${recipients.length} recipient${recipients.length > 1 ? 's' : ''} and report each result here (job \`${job.id}\`).`,
  };
}

/** What one send attempt (one effect) came to; stored on the job, so kept small. */
type SendRecord =
  /** CommBox answered: per recipient (`o` sent/failed, `m` message id, `b` object id, `e` reason). */
  | {
      k: 'answered';
      http: number;
      r: Array<{ to: string; o: 'sent' | 'failed'; m?: string; b?: string; e?: string }>;
    }
  /** Certainly not sent (throttled before or by CommBox, connection refused): another round may send. */
  | { k: 'refused'; error: string; retryAfterMs?: number }
  /** CommBox refused the request as a whole (4xx, credentials): nothing was sent. */
  | { k: 'rejected'; error: string }
  /** Sent or not, nobody can tell: the answer was lost, or we crashed before recording it. */
  | { k: 'lost'; error: string };

/** Rounds of "certainly not sent" (throttling) before the job gives up, nothing sent. */
const MAX_ROUNDS = 5;

/** Did this failure certainly leave the message unsent? Only then may it be tried again. */
function certainlyNotSent(err: unknown): { retryAfterMs?: number } | undefined {
  if (err instanceof RateLimitedError) return { retryAfterMs: err.retryAfterMs };
  if (err instanceof ProviderError && (err.status === 429 || err.code === 'connection_refused'))
    return err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {};
  return undefined;
}

function compact(out: RecipientResult[]): Extract<SendRecord, { k: 'answered' }>['r'] {
  return out.map((r) => ({
    to: r.recipient,
    o: r.outcome,
    ...(r.messageId ? { m: r.messageId } : {}),
    ...(r.objectId ? { b: r.objectId } : {}),
    ...(r.reason ? { e: r.reason.slice(0, 160) } : {}),
  }));
}

type SendData = { round?: number };

export const templateSend: JobKind<SendPayload, SendData> = {
  kind: templateSendKind.id,
  payload: SendPayload,
  async step(job, io) {
    const p = job.payload;
    const round = job.data.round ?? 0;
    const key = `send:${round}`;
    const fail = (reason: string) => ({ type: 'fail' as const, reason: `${reason} Nothing was sent.` });
    // What the requester typed does not fit the template: theirs alone to fix, in the form.
    const wrong = (reason: string) => ({ ...fail(reason), asker: true });

    // A send that was already attempted is never looked up again in CM.com: its record decides.
    const attempted = job.effects[key];
    const cm = attempted ? undefined : await CmChannelsClient.forTenant(job.tenant);
    let templateName = p.templateName;
    let sendName = p.templateName.toLowerCase();
    let code = p.language;
    let label = p.language;
    let recipients = p.recipients;
    let dropped: string[] = [];
    const components: TemplateComponent[] = [];
    if (cm) {
      const candidates = await cm.listTemplates({ q: p.templateName, skip: 0, take: 50 });
      const wanted = p.templateName.toLowerCase();
      const found =
        candidates.find((c) => metaName(c) === wanted) ??
        candidates.find((c) => c.name.toLowerCase() === wanted);
      if (!found)
        return wrong(
          `There is no template named \`${esc(p.templateName)}\` in this workspace's CM.com account.`,
        );
      // The list carries fewer fields than the template itself: read the one we send in full.
      const t = await cm.getTemplate(found.id);
      const catalog = await LanguageCatalog.forTenant(job.tenant, cm);
      const lang = findLanguage(t, p.language, catalog);
      if (!lang) {
        const has = Object.keys(t.languages).map((k) => labelOf({ name: k, code: catalog.codeOf(k) }));
        return wrong(
          `Template *${esc(t.name)}* has no language \`${esc(p.language)}\` (it has ${esc(has.join(', ') || 'none')}; give the code or the name).`,
        );
      }
      label = labelOf(lang);
      if (!lang.code)
        return fail(
          `Template *${esc(t.name)}* (${esc(lang.name)}): CM.com's list of supported languages has no language named "${esc(lang.name)}", so I do not know its WhatsApp code.`,
        );
      const state = languageState(lang.lang);
      if (state !== 'approved') {
        return wrong(
          `Template *${esc(t.name)}* (${esc(label)}) is not approved: it is ${STATE_LABEL[state]}${lang.lang.rejectionReason ? ` (${esc(lang.lang.rejectionReason)})` : ''}. Only approved templates can be sent.`,
        );
      }
      const expected = placeholderCount(lang.lang.content);
      if (p.params.length !== expected) {
        return wrong(
          `Template *${esc(t.name)}* (${esc(label)}) has ${expected} body placeholder${expected === 1 ? '' : 's'}; you gave ${p.params.length} \`--param\` value${p.params.length === 1 ? '' : 's'}.`,
        );
      }
      // Consent may have been withdrawn since the command: check again right before sending.
      const opted = await activeOptIns(job.tenant, p.recipients);
      recipients = p.recipients.filter((n) => opted.has(n));
      dropped = p.recipients.filter((n) => !opted.has(n));
      if (recipients.length === 0) return fail('Every recipient withdrew their opt-in meanwhile.');
      templateName = t.name;
      sendName = metaName(t);
      code = lang.code;
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
    }

    const commbox = await CommboxClient.forTenant(job.tenant, {
      perMinute: contactSettings().COMMBOX_RATE_PER_MINUTE,
      timeoutMs: templateSettings().TEMPLATE_HTTP_TIMEOUT_MS,
    });
    // The send is recorded on the job before CommBox is called (io.effect). CommBox documents no
    // look-up of a send by anything we hold before its answer (its object look-ups need the
    // object id the answer carries, or the numeric stream id), so a send whose answer was lost,
    // or that a crash cut off before its answer was recorded, is reported as "outcome unknown"
    // and never sent again: a customer must never get the same message twice.
    // UNCONFIRMED(commbox.send-500): whether a 5xx means nothing was sent; treated as unknown.
    const record = await io.effect<SendRecord>(
      key,
      async () => {
        try {
          const out = await commbox.sendTemplate(
            recipients.map((to) => ({ to, name: sendName, language: code, components })),
          );
          return { k: 'answered', http: out.httpStatus, r: compact(out.results) };
        } catch (err) {
          const notSent = certainlyNotSent(err);
          if (notSent) return { k: 'refused', error: describeError(err), ...notSent };
          if (!(err instanceof ProviderError)) {
            // Not CommBox's answer but our own failure after the call (the worker dying mid-answer
            // looks the same): the effect stays "started" and the retry reconciles it below.
            throw err;
          }
          if (err.kind === 'permanent' || err.kind === 'auth')
            return { k: 'rejected', error: describeError(err) };
          return { k: 'lost', error: describeError(err) };
        }
      },
      async () => ({
        k: 'lost',
        error: 'the worker stopped after calling CommBox and before recording its answer',
      }),
    );

    if (record.k === 'refused') {
      if (round + 1 >= MAX_ROUNDS)
        return fail(
          `CommBox kept refusing the send (${esc(record.error)}); I gave up after ${MAX_ROUNDS} tries.`,
        );
      const delay = Math.max(record.retryAfterMs ?? 0, 30_000 * 2 ** round);
      return { type: 'wait', until: io.now + delay, data: { round: round + 1 } };
    }
    if (record.k === 'rejected') return fail(`CommBox refused the send: ${esc(record.error)}`);

    const shown = recipients;
    if (record.k === 'lost') {
      await audit(job.tenant, {
        actor: job.createdBy,
        action: 'template.sent',
        target: sendName,
        outcome: 'failed',
        detail: `outcome unknown for ${shown.length}: ${record.error}`,
      });
      return {
        type: 'done',
        progress: {
          text: `:warning: Template *${esc(templateName)}* (${esc(label)}): I cannot tell whether CommBox sent it to ${shown.length === 1 ? 'this recipient' : `these ${shown.length} recipients`} (${esc(record.error)}). CommBox offers no way to look a send up, so I did not send it again: check the conversation${shown.length === 1 ? '' : 's'} in CommBox before sending again.\n${shown
            .map((n) => `• ${maskPhone(n)}: :grey_question: outcome unknown`)
            .join('\n')}`,
        },
      };
    }

    // Match answers to recipients by number, never by position.
    const byDigits = new Map(record.r.map((r) => [digitsOf(r.to), r]));
    let ok = 0;
    const lines = recipients.map((n) => {
      const r = byDigits.get(digitsOf(n));
      if (!r)
        return `• ${maskPhone(n)}: :grey_question: outcome unknown (CommBox's answer did not mention this number)`;
      if (r.o === 'sent') {
        ok += 1;
        return `• ${maskPhone(n)}: :white_check_mark: sent`;
      }
      return `• ${maskPhone(n)}: :x: failed (${esc(r.e ?? 'no reason given')})`;
    });
    for (const n of dropped) lines.push(`• ${maskPhone(n)}: skipped, the opt-in was withdrawn meanwhile`);
    await audit(job.tenant, {
      actor: job.createdBy,
      action: 'template.sent',
      target: sendName,
      outcome: ok === recipients.length ? 'ok' : 'failed',
      detail: `${ok}/${recipients.length} accepted by CommBox (${code}, HTTP ${record.http})`,
    });
    return {
      type: 'done',
      progress: {
        text: `${ok === recipients.length ? ':white_check_mark:' : ':warning:'} Template *${esc(templateName)}* (${esc(label)}) sent through CommBox: ${ok} of ${p.recipients.length} accepted.\n${lines.join('\n')}`,
      },
    };
  },
  failureMessage: (job, reason) => ({ text: `:x: ${esc(job.subject)}: ${reason}` }),
  // The send form's fields, as the job was started (numbers in E.164, one per line).
  edit: (job) => ({
    templateName: job.payload.templateName,
    language: job.payload.language,
    recipients: job.payload.recipients.join('\n'),
    ...(job.payload.params.length ? { param: job.payload.params.join('\n') } : {}),
    ...(job.payload.header ? { 'header-url': job.payload.header.url } : {}),
  }),
};
