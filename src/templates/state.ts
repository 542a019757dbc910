import type { Template, TemplateLanguage, TemplateSummary } from '../providers/cm-channels/client.js';

/**
 * A template's approval state lives per language in CM.com Channels. One word per language:
 * approved (isActive), pending (isPending: awaiting Meta), requested (isValidationRequested: not
 * yet handed to Meta), rejected (a rejection reason or date and neither of the above),
 * incomplete (content empty or fields missing), draft (complete, never submitted).
 * Pending and requested win over an old rejection: a resubmitted language keeps its last reason.
 */
export type LangState = 'approved' | 'pending' | 'requested' | 'rejected' | 'incomplete' | 'draft';

export function languageState(l: TemplateLanguage): LangState {
  if (l.isActive) return 'approved';
  if (l.isPending) return 'pending';
  if (l.isValidationRequested) return 'requested';
  if (l.rejectionReason || l.rejectedOnUtc) return 'rejected';
  if (l.isIncomplete) return 'incomplete';
  return 'draft';
}

export const STATE_LABEL: Record<LangState, string> = {
  approved: ':white_check_mark: approved',
  pending: ':hourglass_flowing_sand: pending (awaiting Meta)',
  requested: ':inbox_tray: validation requested',
  rejected: ':x: rejected',
  incomplete: ':warning: incomplete',
  draft: ':memo: not submitted',
};

export const isDecided = (s: LangState) => s === 'approved' || s === 'rejected';
export const isWaiting = (s: LangState) => s === 'pending' || s === 'requested';

/** One word for the whole template, from its languages (the worst one wins). */
export function overallState(t: TemplateSummary | Template): LangState {
  const states = Object.values(t.languages).map(languageState);
  if (states.length === 0) return t.isActive ? 'approved' : t.isIncomplete ? 'incomplete' : 'draft';
  for (const s of ['rejected', 'incomplete', 'pending', 'requested', 'draft'] as const)
    if (states.includes(s)) return s;
  return 'approved';
}

/** Language keys compare loosely: `en_US`, `en-us` and `EN_US` are one language. */
export const normLang = (v: string) => v.trim().toLowerCase().replace(/-/g, '_');

/** The template language matching a code or name the user (or Meta) gave, if any. */
export function findLanguage(
  t: TemplateSummary | Template,
  wanted: string,
): [string, TemplateLanguage] | undefined {
  const w = normLang(wanted);
  const entries = Object.entries(t.languages);
  return (
    entries.find(([key]) => normLang(key) === w) ??
    entries.find(([, l]) => l.name && normLang(l.name) === w) ??
    // `en` matches a template's only English variant, `en_US` matches a template's `en`.
    entries.find(([key]) => normLang(key).split('_')[0] === w || w.split('_')[0] === normLang(key))
  );
}

/** The `{{n}}` placeholders of a body, highest index (0 when none). */
export function placeholderCount(content: string | null | undefined): number {
  let max = 0;
  for (const m of (content ?? '').matchAll(/\{\{\s*(\d+)\s*\}\}/g)) max = Math.max(max, Number(m[1]));
  return max;
}

/** The name Meta knows the template by (what webhooks and CommBox sends use). */
export const metaName = (t: TemplateSummary | Template) => (t.facebookName || t.name).trim().toLowerCase();

export const shortDate = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : undefined);

export function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
