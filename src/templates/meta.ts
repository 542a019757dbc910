import { z } from 'zod';

/**
 * Meta's `message_template_status_update` webhook (WhatsApp Business Account object). The value
 * names the template by Meta id, name and language; we follow templates by name (see docs).
 */
export const MetaTemplateStatus = z.looseObject({
  event: z.string().min(1).max(40),
  message_template_id: z.union([z.string(), z.number()]).optional(),
  message_template_name: z.string().min(1).max(512),
  message_template_language: z.string().max(20).optional(),
  reason: z.string().max(1000).nullish(),
  rejection_info: z
    .looseObject({ reason: z.string().max(1000).optional(), recommendation: z.string().max(1000).optional() })
    .nullish(),
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

/** The words Meta gives for a rejection or a status change, best first. */
export function metaReason(v: MetaTemplateStatus): string | undefined {
  const parts = [v.rejection_info?.reason, v.reason && v.reason !== 'NONE' ? v.reason : undefined].filter(
    (p): p is string => Boolean(p),
  );
  const rec = v.rejection_info?.recommendation;
  return parts.length || rec ? [...new Set(parts)].join(': ') + (rec ? ` (${rec})` : '') : undefined;
}

/** Objects in the ref index are the template's Meta name, lowercased. */
export const metaRef = (name: string) => name.trim().toLowerCase();

export const META_EVENT_TYPE = 'meta.template_status';
