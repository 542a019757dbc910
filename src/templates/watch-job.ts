import type { KnownBlock } from '@slack/types';
import { ProviderError } from '../http/errors.js';
import type { JobKind, StepIO } from '../jobs/kinds.js';
import type { Job, SlackMessage, StepResult } from '../jobs/model.js';
import { CmChannelsClient, Template } from '../providers/cm-channels/client.js';
import { audit } from '../security/audit.js';
import { slackDay } from '../slack/dates.js';
import { esc } from '../slack/mrkdwn.js';
import { templateWatchKind, WatchPayload } from './kinds.js';
import { LanguageCatalog, normLang } from './languages.js';
import { META_EVENT_TYPE, MetaTemplateStatus, metaReason, metaRef } from './meta.js';
import { TEMPLATE_ID, templateIdOf } from './names.js';
import { templateSettings } from './settings.js';
import {
  isDecided,
  isWaiting,
  type LangState,
  languageState,
  metaName,
  STATE_LABEL,
  shortDate,
  truncate,
} from './state.js';

/** Keyed by CM's language NAME (how CM keys a template's languages). */
interface LangInfo {
  s: LangState;
  /** The WhatsApp code of the name, from CM's supported languages: what Meta's events carry. */
  c?: string | undefined;
  /** Rejection reason (truncated) and date. */
  r?: string | undefined;
  d?: string | undefined;
  /** The verdict came from a Meta webhook before CM.com showed it. */
  m?: boolean | undefined;
}

/** Small on purpose: it lives in the job item. */
type WatchData = {
  /** The template's id, when it was named by its name. */
  templateId?: string;
  phase?: 'watch' | 'monitor';
  submitted?: boolean;
  linked?: boolean;
  name?: string;
  polls?: number;
  startedAt?: number;
  summary?: string;
  langs?: Record<string, LangInfo>;
  /** Latest Meta event per language (normalised code), or `*` when Meta named none. */
  meta?: Record<string, { e: string; r?: string | undefined }>;
  verdict?: 'approved' | 'rejected';
  monitorUntil?: number;
  /** How the watch ended when not by a verdict (our words; the card shows it). */
  note?: string;
};

type Result = StepResult<WatchData>;
type WatchJob = Job<WatchPayload, WatchData>;

const DAY = 86_400_000;

/**
 * Watches one template to its verdict: polls CM.com Channels every TEMPLATE_POLL_SECONDS until
 * every language is approved or rejected; a Meta `message_template_status_update` webhook for it
 * wakes the job at once (its word decides languages CM still shows as waiting). After the verdict
 * the job keeps listening to Meta for TEMPLATE_MONITOR_DAYS and reports PAUSED/DISABLED/FLAGGED.
 * With `submit`, it first refuses incomplete templates and requests validation (once, as an effect).
 */
export const templateWatch: JobKind<WatchPayload, WatchData> = {
  kind: templateWatchKind.id,
  payload: WatchPayload,
  async step(job, io) {
    // A template named by its name: its id is looked up once and kept; the rest reads the id.
    if (TEMPLATE_ID.test(job.payload.templateId)) return watchStep(job, io);
    if (job.data.templateId)
      return watchStep({ ...job, payload: { ...job.payload, templateId: job.data.templateId } }, io);
    const templateId = await templateIdOf(
      await CmChannelsClient.forTenant(job.tenant),
      job.payload.templateId,
    );
    const result = await watchStep({ ...job, payload: { ...job.payload, templateId } }, io);
    return { ...result, data: { ...result.data, templateId } };
  },
  failureMessage: (job, reason) => ({
    text: `:x: ${job.data.name ? `Template *${esc(job.data.name)}*` : esc(job.subject)}: ${reason}`,
  }),
  card: (job) => watchCard(job),
};

async function watchStep(job: WatchJob, io: StepIO): Promise<Result> {
  {
    const d = job.data;
    // Webhook events are folded into the job's data in a step of their own that calls no
    // provider: a step that fails transiently drops the inbox it consumed (see docs).
    if (io.inbox.length > 0) return foldInbox(job, io);
    if (d.phase === 'monitor') {
      // Woken without events before the window ends (a stray claim): keep listening.
      const until = d.monitorUntil ?? io.now;
      return io.now >= until ? { type: 'done' } : { type: 'wait', until };
    }

    const cm = await CmChannelsClient.forTenant(job.tenant);
    let t: Template;
    try {
      t = await cm.getTemplate(job.payload.templateId);
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) {
        return {
          type: 'fail',
          reason: `There is no template \`${esc(job.payload.templateId)}\` in this workspace's CM.com account; \`/wa template list\` shows the ones there are.`,
        };
      }
      throw err;
    }
    const data: WatchData = {
      name: t.name,
      polls: (d.polls ?? 0) + 1,
      startedAt: d.startedAt ?? io.now,
    };
    // The card first, so what follows has a thread to go in.
    if (!job.report.progressTs) await io.progress(watchCard({ ...job, data: { ...d, ...data } }));
    if (!d.linked) {
      await io.link('meta', metaRef(metaName(t)));
      data.linked = true;
    }

    if (job.payload.submit && !d.submitted) {
      const submitted = await submit(job, io, cm, t);
      // Ended before watching (incomplete, or nothing to submit): the card still names the template.
      if ('type' in submitted)
        return { ...submitted, data: { ...data, ...(submitted.data ?? {}) } } as Result;
      t = submitted.template;
      data.submitted = true;
    }
    const catalog = await LanguageCatalog.forTenant(job.tenant, cm);
    return judge(job, io, t.name, cmLangs(t, catalog), data);
  }
}

/**
 * The template's one status card, rendered from the job alone: where each language is, the
 * verdict, Meta's later word while the job listens, and how the job ended. The thread holds the
 * history (the verdict with its reasons, Meta's events).
 */
function watchCard(job: Pick<WatchJob, 'id' | 'state' | 'lastError' | 'payload' | 'data'>): SlackMessage {
  const d = job.data;
  const id = job.payload.templateId;
  const name = d.name ? `*${esc(d.name)}*` : `\`${esc(id)}\``;
  const active = job.state === 'queued' || job.state === 'running' || job.state === 'waiting';
  let head: string;
  if (d.note) head = d.note;
  else if (d.verdict === 'approved')
    head = `:white_check_mark: Template ${name} is approved in every language.`;
  else if (d.verdict === 'rejected') head = `:x: Template ${name} was rejected.`;
  else if (d.langs && active)
    head = `:hourglass_flowing_sand: Watching template ${name} (\`${esc(id)}\`) until Meta decides; Meta usually decides within 2 working days.`;
  else if (active)
    head = `:hourglass_flowing_sand: ${job.payload.submit ? 'Submitting' : 'Looking up'} template \`${esc(id)}\`…`;
  else head = d.name ? `Template ${name} (\`${esc(id)}\`).` : `Template ${name}.`;
  if (d.verdict && d.phase === 'monitor' && active && d.monitorUntil) {
    head += ` I report Meta status changes (paused, disabled, flagged) until ${slackDay(d.monitorUntil)}.`;
  }
  const langs = Object.entries(d.langs ?? {}).map(
    ([k, x]) =>
      `• ${langLabel(k, x)}: ${STATE_LABEL[x.s]}${x.s === 'rejected' ? `: ${esc(x.r ?? 'no reason given')}` : ''}${x.m ? ' _(Meta webhook)_' : ''}`,
  );
  const later = d.verdict
    ? Object.entries(d.meta ?? {})
        .filter(([, v]) => !VERDICT_EVENTS.has(v.e))
        .map(([k, v]) => `• Meta${k === '*' ? '' : ` (${esc(k)})`}: ${wordsFor(v.e)}`)
    : [];
  const end =
    job.state === 'failed'
      ? `:x: *Failed.* ${job.lastError ?? ''}`.trim()
      : job.state === 'cancelled'
        ? `:no_entry_sign: *No longer followed.* ${job.lastError ?? ''}`.trim()
        : undefined;
  const body = [head, ...langs.slice(0, 30), ...later.slice(0, 10)].join('\n');
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: truncate(body, 2900) } }];
  if (end) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(end, 2900) } });
  blocks.push({
    type: 'context',
    elements: [
      { type: 'mrkdwn', text: `Job \`${esc(job.id)}\` · ${job.state} · \`/wa template status ${esc(id)}\`` },
    ],
  });
  return { text: truncate([body, end].filter(Boolean).join('\n'), 3000), blocks };
}

async function submit(
  job: WatchJob,
  io: StepIO,
  cm: CmChannelsClient,
  t: Template,
): Promise<Result | { template: Template }> {
  const langs = Object.entries(t.languages);
  const incomplete = langs.filter(([, l]) => languageState(l) === 'incomplete').map(([k]) => k);
  if (langs.length === 0 || incomplete.length > 0) {
    await audit(job.tenant, {
      actor: job.createdBy,
      action: 'template.submit',
      target: job.payload.templateId,
      outcome: 'refused',
      detail: 'incomplete',
    });
    return {
      type: 'fail',
      reason:
        langs.length === 0
          ? 'it has no languages yet, so it cannot be submitted. Add a language in CM.com, then run `/wa template submit` again. Nothing was submitted.'
          : `it is incomplete: ${esc(incomplete.join(', '))} ${incomplete.length > 1 ? 'have' : 'has'} empty content or missing fields. Complete ${incomplete.length > 1 ? 'them' : 'it'} in CM.com, then run \`/wa template submit ${job.payload.templateId}\` again. Nothing was submitted.`,
    };
  }
  const states = langs.map(([, l]) => languageState(l));
  if (states.every((s) => s === 'approved')) {
    return {
      type: 'done',
      data: {
        name: t.name,
        note: `:white_check_mark: Template *${esc(t.name)}* is already approved in every language; nothing to submit.`,
      },
    };
  }
  if (states.some(isWaiting) && !states.some((s) => s === 'draft' || s === 'rejected')) {
    await io.post({ text: `:inbox_tray: Template *${esc(t.name)}* was already submitted; watching it.` });
    return { template: t };
  }
  const id = job.payload.templateId;
  const validated = await io.effect(
    `validate:${id}`,
    () => cm.requestValidation(id),
    async () => {
      // After a crash mid-call: if CM shows it requested or pending, the request went through.
      const now = await cm.getTemplate(id);
      return Object.values(now.languages).some((l) => isWaiting(languageState(l))) ? now : undefined;
    },
  );
  await audit(job.tenant, { actor: job.createdBy, action: 'template.submitted', target: id, outcome: 'ok' });
  await io.post({
    text: `:inbox_tray: Requested validation of template *${esc(t.name)}*; watching it until Meta decides.`,
  });
  // The effect's stored result may be a plain object from DynamoDB: read it through the schema.
  return { template: Template.parse(validated) };
}

/** Meta's latest word for a language, by its code (`en_US`; Meta may write `en-US`). */
function metaFor(meta: WatchData['meta'], code: string | undefined, only: boolean) {
  if (!meta) return undefined;
  const entries = Object.entries(meta);
  const k = code ? normLang(code) : undefined;
  return (
    (k ? meta[k] : undefined) ??
    (k ? entries.find(([mk]) => mk.split('_')[0] === k || k.split('_')[0] === mk)?.[1] : undefined) ??
    (only ? (meta['*'] ?? (entries.length === 1 ? entries[0]?.[1] : undefined)) : undefined)
  );
}

/** Per-language state from CM.com, before Meta's word is folded in. */
function cmLangs(t: Template, catalog: LanguageCatalog): Record<string, LangInfo> {
  return Object.fromEntries(
    Object.entries(t.languages).map(([key, l]) => [
      key,
      {
        s: languageState(l),
        c: catalog.codeOf(key) ?? catalog.codeOf(l.name),
        r: l.rejectionReason ? truncate(l.rejectionReason, 200) : undefined,
        d: shortDate(l.rejectedOnUtc),
      },
    ]),
  );
}

const langLabel = (key: string, x: LangInfo) => esc(`${key} · ${x.c ?? 'code unknown'}`);

/**
 * Folds Meta's latest word into languages CM.com does not show as decided, then reports the
 * verdict when every language is decided, or waits for the next poll.
 */
async function judge(
  job: WatchJob,
  io: StepIO,
  name: string,
  base: Record<string, LangInfo>,
  data: WatchData,
  meta: WatchData['meta'] = job.data.meta,
): Promise<Result> {
  const settings = templateSettings();
  const entries = Object.entries(base);
  const langs: Record<string, LangInfo> = {};
  for (const [key, info] of entries) {
    let { s, r, m } = info;
    if (!isDecided(s) || m) {
      const ev = metaFor(meta, info.c, entries.length === 1);
      if (ev?.e === 'APPROVED') [s, m] = ['approved', true];
      else if (ev?.e === 'REJECTED') [s, r, m] = ['rejected', ev.r ?? r, true];
    }
    langs[key] = { ...info, s, r, m };
  }
  const states = Object.values(langs).map((x) => x.s);
  const id = job.payload.templateId;

  if (states.length > 0 && states.every(isDecided)) {
    const verdict = states.includes('rejected') ? 'rejected' : 'approved';
    const detail = Object.entries(langs)
      .map(
        ([k, x]) =>
          `• ${langLabel(k, x)}: ${STATE_LABEL[x.s]}${x.s === 'rejected' ? `: ${esc(x.r ?? 'no reason given')}${x.d ? ` (${esc(x.d)})` : ''}` : ''}${x.m ? ' _(Meta webhook)_' : ''}`,
      )
      .join('\n');
    const head =
      verdict === 'approved'
        ? `:white_check_mark: Template *${esc(name)}* is approved in every language.`
        : `:x: Template *${esc(name)}* was rejected.`;
    const monitorDays = settings.TEMPLATE_MONITOR_DAYS;
    const monitorUntil = io.now + monitorDays * DAY;
    const done = { ...data, langs, verdict, summary: verdict } satisfies WatchData;
    const next: WatchData = monitorDays === 0 ? done : { ...done, phase: 'monitor' as const, monitorUntil };
    await io.progress(watchCard({ ...job, data: { ...job.data, ...next } }));
    await io.post({ text: `${head}\n${detail}` });
    await audit(job.tenant, { actor: 'system', action: `template.${verdict}`, target: id, outcome: 'ok' });
    if (monitorDays === 0) return { type: 'done', data: next };
    return { type: 'wait', until: monitorUntil, data: next };
  }

  if (!states.some(isWaiting)) {
    const pending = Object.entries(langs)
      .filter(([, x]) => !isDecided(x.s))
      .map(([k, x]) => `${esc(k)} ${x.s === 'incomplete' ? 'is incomplete' : 'was never submitted'}`);
    return {
      type: 'done',
      data: {
        ...data,
        langs,
        note: `:information_source: Template *${esc(name)}* is not waiting for approval, so there is nothing to watch${pending.length ? `: ${pending.join(', ')}` : ' (it has no languages)'}. An admin can submit it with \`/wa template submit ${id}\` once it is complete.`,
      },
    };
  }

  const started = data.startedAt ?? job.data.startedAt ?? io.now;
  if (io.now - started > settings.TEMPLATE_WATCH_MAX_DAYS * DAY) {
    return {
      type: 'done',
      data: {
        ...data,
        langs,
        note: `:hourglass: Template *${esc(name)}* is still waiting for Meta after ${settings.TEMPLATE_WATCH_MAX_DAYS} days; I stopped watching. Run \`/wa template watch ${id}\` to watch it again.`,
      },
    };
  }
  const summary = Object.entries(langs)
    .map(([k, x]) => `${k}: ${x.s}`)
    .join(', ');
  // The card (rendered by the engine after the step) shows each language's state.
  return {
    type: 'wait',
    until: io.now + settings.TEMPLATE_POLL_SECONDS * 1000,
    data: { ...data, langs, summary, phase: 'watch' },
  };
}

/** Every event Meta documents, in words; an unknown one is reported as a status change. */
const EVENT_WORDS: Record<string, string> = {
  APPROVED: ':white_check_mark: approved by Meta',
  REJECTED: ':x: rejected by Meta',
  PENDING: ':hourglass_flowing_sand: pending review at Meta',
  PAUSED: ':double_vertical_bar: paused by Meta',
  DISABLED: ':no_entry: disabled by Meta',
  FLAGGED: ':triangular_flag_on_post: flagged by Meta (quality is low; it may be paused)',
  REINSTATED: ':arrow_forward: reinstated by Meta',
  IN_APPEAL: ':scales: in appeal',
  ARCHIVED: ':file_cabinet: archived (it cannot be sent until it is unarchived)',
  DELETED: ':wastebasket: deleted at Meta',
  PENDING_DELETION: ':wastebasket: scheduled for deletion at Meta',
  LIMIT_EXCEEDED: ':no_entry_sign: over the limit of templates for this business account',
  LOCKED: ':lock: locked by Meta (it cannot be edited)',
};

const wordsFor = (event: string) =>
  EVENT_WORDS[event] ?? `:information_source: changed at Meta (${esc(event)})`;

/** Events that decide a language (folded into the verdict) rather than being news on their own. */
const VERDICT_EVENTS = new Set(['APPROVED', 'REJECTED', 'PENDING']);

async function foldInbox(job: WatchJob, io: StepIO): Promise<Result> {
  const d = job.data;
  const meta = { ...(d.meta ?? {}) };
  const notes: string[] = [];
  let deleted = false;
  for (const ev of io.inbox) {
    if (ev.type !== META_EVENT_TYPE) continue;
    const parsed = MetaTemplateStatus.safeParse(ev.data);
    if (!parsed.success) continue;
    const v = parsed.data;
    const lang = v.message_template_language ? normLang(v.message_template_language) : '*';
    const reason = metaReason(v);
    const before = meta[lang]?.e;
    meta[lang] = { e: v.event, r: reason ? truncate(reason, 200) : undefined };
    if (v.event === 'DELETED') deleted = true;
    if (before === v.event) continue;
    // Before the verdict, approvals and rejections are folded into it, not told one by one.
    if (d.phase !== 'monitor' && VERDICT_EVENTS.has(v.event)) continue;
    if (d.phase === 'monitor') {
      const langState = d.langs
        ? Object.values(d.langs).find((x) => x.c && normLang(x.c) === lang)?.s
        : undefined;
      // The verdict itself arrives again as a webhook after polling saw it: not news.
      if (!before && langState && v.event === langState.toUpperCase()) continue;
    }
    const name = d.name ?? job.payload.templateId;
    notes.push(
      `Template *${esc(name)}*${v.message_template_language ? ` (${esc(v.message_template_language)})` : ''} is now ${wordsFor(v.event)}${reason ? `: ${esc(reason)}` : ''}.`,
    );
  }
  for (const text of notes) await io.post({ text: `:bell: ${text}` });
  if (notes.length) {
    await audit(job.tenant, {
      actor: 'system',
      action: 'template.meta_status',
      target: job.payload.templateId,
      outcome: 'ok',
      detail: Object.entries(meta)
        .map(([k, v]) => `${k}=${v.e}`)
        .join(', '),
    });
  }
  if (deleted) {
    // Nothing is left to watch once Meta has deleted it.
    return {
      type: 'done',
      data: {
        meta,
        note: `:wastebasket: Template *${esc(d.name ?? job.payload.templateId)}* was deleted at Meta; I stopped watching it.`,
      },
    };
  }
  if (d.phase !== 'monitor') {
    // Decide from the last poll plus Meta's word, without calling CM.com: a step that fails
    // transiently loses the inbox it consumed. Undecided: the next poll comes as planned.
    if (!d.langs || !d.name) return { type: 'wait', until: io.now, data: { meta } };
    return judge(job, io, d.name, d.langs, { meta }, meta);
  }
  return { type: 'wait', until: d.monitorUntil ?? io.now, data: { meta } };
}
