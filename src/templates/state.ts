import type { Template, TemplateLanguage, TemplateSummary } from '../providers/cm-channels/client.js';

/**
 * A template's approval state lives per language in CM.com Channels. One word per language:
 * approved (isActive), pending (isPending: awaiting Meta), requested (isValidationRequested: not
 * yet handed to Meta), incomplete (isIncomplete: content empty or fields missing), rejected (a
 * rejection reason or date and none of the above), draft (complete, never submitted).
 *
 * The flags win over the rejection fields. CM.com Channels documents `isActive`, `isPending`,
 * `isValidationRequested` and `isIncomplete` as what the language is now, and has no
 * "rejected" flag: a rejection is only inferred from `rejectedOnUtc`/`rejectionReason`
 * (https://www.cm.com/app/docs/api/channels-api/v1/index/, ApiWhatsAppTemplateLanguage), which
 * keep the last rejection's date and words after the language is resubmitted or emptied for a
 * rewrite. So a language with `isIncomplete: true` is incomplete even when `rejectedOnUtc`
 * carries a date (as the document's own example shows both).
 */
export type LangState = 'approved' | 'pending' | 'requested' | 'rejected' | 'incomplete' | 'draft';

export function languageState(l: TemplateLanguage): LangState {
  if (l.isActive) return 'approved';
  if (l.isPending) return 'pending';
  if (l.isValidationRequested) return 'requested';
  if (l.isIncomplete) return 'incomplete';
  // UNCONFIRMED(cm-channels.rejected-inference): both are null until a rejection.
  if (l.rejectionReason || l.rejectedOnUtc) return 'rejected';
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
  if (states.length === 0) {
    if (t.isActive) return 'approved';
    if (t.isPending) return 'pending';
    if (t.isValidationRequested) return 'requested';
    // No `isRejected` flag exists: a rejection shows only as a date (and, by id, a reason).
    if (t.rejectedOnUtc || ('rejectionReason' in t && t.rejectionReason)) return 'rejected';
    return t.isIncomplete ? 'incomplete' : 'draft';
  }
  for (const s of ['rejected', 'incomplete', 'pending', 'requested', 'draft'] as const)
    if (states.includes(s)) return s;
  return 'approved';
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
