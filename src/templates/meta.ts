import { z } from 'zod';
import { slackDay } from '../slack/dates.js';

/**
 * Meta's `message_template_status_update` webhook (WhatsApp Business Account object), as
 * documented at
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
 * (placeholder tables from the verbatim mirror
 * https://support.chatarchitect.com/books/meta-whatsapp/page/message-template-status-update-webhook-reference-developer-documentation).
 * The value names the template by Meta id, name and language; we follow templates by name.
 */

/** Every `event` value Meta documents; anything else is read as "status changed" (see below). */
export const META_EVENTS = [
  'APPROVED',
  'ARCHIVED',
  'DELETED',
  'DISABLED',
  'FLAGGED',
  'IN_APPEAL',
  'LIMIT_EXCEEDED',
  'LOCKED',
  'PAUSED',
  'PENDING',
  'REINSTATED',
  'PENDING_DELETION',
  'REJECTED',
] as const;

/**
 * Meta's template ids are 64-bit integers sent as bare JSON numbers, and they exceed 2^53: a
 * plain `JSON.parse` silently rounds them. Ids are kept as their digits, never as a JS number.
 */
const TemplateId = z.union([
  z.string().regex(/^\d{1,20}$/, { error: 'message_template_id must be digits' }),
  // Only a caller that parsed with plain JSON.parse hands a number: accept it only while exact.
  z
    .number()
    .refine(Number.isSafeInteger, { error: 'message_template_id above 2^53 lost its digits' })
    .transform(String),
]);

export const MetaTemplateStatus = z.looseObject({
  // Unknown values are kept (Meta adds events; UNCONFIRMED(meta.template-events): UNARCHIVED and
  // UNLOCKED, implied by the reference) and treated as a status change.
  event: z
    .string()
    .min(1)
    .max(40)
    .transform((e) => e.toUpperCase()),
  message_template_id: TemplateId.optional(),
  message_template_name: z.string().min(1).max(512),
  message_template_language: z.string().max(20).optional(),
  message_template_category: z.string().max(40).nullish(),
  /** `null` when the template is scheduled for deletion (PENDING_DELETION). */
  reason: z.string().max(1000).nullish(),
  rejection_info: z
    .looseObject({
      reason: z.string().max(1000).nullish(),
      recommendation: z.string().max(1000).nullish(),
    })
    .nullish(),
  /** Only when locked/unlocked or paused: FIRST_PAUSE, SECOND_PAUSE, RATE_LIMITING_PAUSE, UNPAUSE, DISABLED. */
  other_info: z
    .looseObject({ title: z.string().max(100).nullish(), description: z.string().max(1000).nullish() })
    .nullish(),
  /** Only when disabled: unix seconds. */
  disable_info: z.looseObject({ disable_date: z.number().nullish() }).nullish(),
});
export type MetaTemplateStatus = z.output<typeof MetaTemplateStatus>;

export const MetaWebhookBody = z.object({
  object: z.string(),
  entry: z
    .array(
      z.object({
        id: z.string().optional(),
        time: z.number().optional(),
        changes: z.array(z.object({ field: z.string(), value: z.unknown() })).default([]),
      }),
    )
    .max(100),
});

/** Keys whose JSON numbers are 64-bit ids and must keep every digit. */
const BIG_ID_KEYS = new Set(['message_template_id']);

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/**
 * Parses a Meta webhook body keeping 64-bit ids as digit strings. Uses JSON.parse source-text
 * access (Node 21+: the reviver's third argument); without it, an id that is not an exact JS
 * integer is refused rather than rounded.
 */
export function parseMetaJson(raw: string): unknown {
  const reviver: Reviver = (key, value, context) => {
    if (!BIG_ID_KEYS.has(key) || typeof value !== 'number') return value;
    const source = context?.source;
    if (source !== undefined && /^\d+$/.test(source)) return source;
    if (Number.isSafeInteger(value)) return String(value);
    throw new SyntaxError(`${key} cannot be read without losing digits`);
  };
  return JSON.parse(raw, reviver as Parameters<typeof JSON.parse>[1]);
}

/**
 * Serialises a body as Meta sends it: digit-string ids under BIG_ID_KEYS become bare JSON
 * integers (the sandbox uses this to send ids above 2^53 exactly as Meta does).
 */
export function metaJson(value: unknown): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(value, (key, v) =>
    BIG_ID_KEYS.has(key) && typeof v === 'string' && /^\d+$/.test(v) ? `${marker}${v}` : v,
  );
  return text.replace(/"\\u0000bigint:(\d+)"/g, '$1');
}

/** The words Meta gives for a rejection or a status change, best first. */
export function metaReason(v: MetaTemplateStatus): string | undefined {
  const parts = [
    v.rejection_info?.reason ?? undefined,
    v.reason && v.reason !== 'NONE' ? v.reason : undefined,
    v.other_info?.title ?? undefined,
    v.other_info?.description ?? undefined,
  ].filter((p): p is string => Boolean(p));
  if (typeof v.disable_info?.disable_date === 'number')
    parts.push(`disabled on ${slackDay(v.disable_info.disable_date * 1000)}`);
  const rec = v.rejection_info?.recommendation;
  return parts.length || rec ? [...new Set(parts)].join(': ') + (rec ? ` (${rec})` : '') : undefined;
}

/** Objects in the ref index are the template's Meta name, lowercased. */
export const metaRef = (name: string) => name.trim().toLowerCase();

export const META_EVENT_TYPE = 'meta.template_status';
