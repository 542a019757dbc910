import { kindId } from '../jobs/kinds.js';
import type { PartnerPayload, SignPayload } from './model.js';

export const signKind = kindId<SignPayload>('invite.sign');
export const partnerKind = kindId<PartnerPayload>('invite.partner');
/** Registers this workspace's CM.com Sign webhook (started by `/wa connect`). */
export const cmSignWebhookKind = kindId<Record<string, never>>('cm-sign.webhook');
