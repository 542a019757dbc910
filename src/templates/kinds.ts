import { z } from 'zod';
import { kindId } from '../jobs/kinds.js';
import { MAX_RECIPIENTS } from '../providers/commbox/provider.js';

export const LookupPayload = z.discriminatedUnion('op', [
  z.object({ op: z.literal('list'), query: z.string().max(100).optional() }),
  z.object({ op: z.literal('status'), templateId: z.string().min(1).max(512) }),
  /** Fills the open "Send a template" form (`viewId`) with the approved templates, and the picked one's fields. */
  z.object({
    op: z.literal('form'),
    viewId: z.string().min(1).max(64),
    channel: z.string().max(32).optional(),
    pick: z.string().max(150).optional(),
  }),
]);
export type LookupPayload = z.output<typeof LookupPayload>;

export const WatchPayload = z.object({
  templateId: z.string().min(1).max(512),
  /** `/wa template submit`: request validation first (refused when incomplete). */
  submit: z.boolean().default(false),
});
export type WatchPayload = z.output<typeof WatchPayload>;

export const SendPayload = z.object({
  templateName: z.string().min(1).max(512),
  /** As typed: a code (`en_US`, `en`) or CM's language name (`English (US)`). */
  language: z.string().min(2).max(60),
  recipients: z.array(z.string()).min(1).max(MAX_RECIPIENTS),
  params: z.array(z.string()).max(20).default([]),
  header: z.object({ type: z.enum(['document', 'image', 'video']), url: z.string() }).optional(),
});
export type SendPayload = z.output<typeof SendPayload>;

export const templateLookupKind = kindId<LookupPayload>('template.lookup');
export const templateWatchKind = kindId<WatchPayload>('template.watch', { ref: 'TPL' });
export const templateSendKind = kindId<SendPayload>('template.send', { ref: 'SND' });
