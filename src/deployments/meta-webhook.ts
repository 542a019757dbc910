import { z } from 'zod';
import { deliverEvent } from '../jobs/deliver.js';
import { logger } from '../log.js';
import type { TenantId } from '../store/keys.js';
import {
  META_ACCOUNT_EVENT,
  META_NAME_EVENT,
  META_NUMBER_REF,
  META_WABA_REF,
  metaNumberRef,
} from './kinds.js';

/**
 * Meta's number webhooks for Cloud API deployments, handed over by the signed Meta webhook
 * (`src/templates/webhook.ts` checks `X-Hub-Signature-256` and drops a repeated delivery first).
 *
 * - `phone_number_name_update` (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_name_update,
 *   "Updated: May 21, 2026"; value fields and the rejection reasons from the Oct 2025 copy at
 *   https://support.chatarchitect.com/books/meta-whatsapp/page/phone-number-name-update-webhook-reference-developer-documentation):
 *   `display_phone_number`, `decision`, `requested_verified_name`, `rejection_reason`.
 * - `account_update` (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update,
 *   "Updated: Mar 24, 2026"): `event` plus event-specific objects.
 *
 * Both are hints: the job tells what Meta said and reads the number again.
 */
const NameUpdate = z.looseObject({
  display_phone_number: z.string().regex(/^\+?[\d\s-]{5,25}$/),
  decision: z.string().max(40),
  requested_verified_name: z.string().max(200).optional(),
  rejection_reason: z.string().max(80).nullish(),
});

const AccountUpdate = z.looseObject({
  event: z.string().max(80),
  // UNCONFIRMED(meta-cloud.account-update-events): only DISABLED_UPDATE, ACCOUNT_VIOLATION and the PARTNER_* events are on Meta's page; others are taken as they come.
  ban_info: z.looseObject({ waba_ban_state: z.string().max(80).optional() }).optional(),
  violation_info: z.looseObject({ violation_type: z.string().max(120).optional() }).optional(),
});

export async function handleMetaNumberChange(
  tenant: TenantId,
  change: { wabaId?: string | undefined; field: string; value: unknown },
): Promise<boolean> {
  if (!change.wabaId) return false;
  if (change.field === 'phone_number_name_update') {
    const v = NameUpdate.safeParse(change.value);
    if (!v.success) {
      logger.warn('meta name update in a shape we do not understand', { tenant });
      return false;
    }
    const data = {
      decision: v.data.decision.toUpperCase(),
      requested_verified_name: v.data.requested_verified_name,
      rejection_reason: v.data.rejection_reason ?? undefined,
    };
    const ref = metaNumberRef(change.wabaId, v.data.display_phone_number);
    const ok = await deliverEvent(tenant, META_NUMBER_REF, ref, { type: META_NAME_EVENT, data });
    if (!ok) logger.info('meta name update for a number no job follows', { tenant, decision: data.decision });
    return ok;
  }
  if (change.field === 'account_update') {
    const v = AccountUpdate.safeParse(change.value);
    if (!v.success) return false;
    const data = {
      event: v.data.event,
      ban_info: v.data.ban_info ? { waba_ban_state: v.data.ban_info.waba_ban_state } : undefined,
      violation_info: v.data.violation_info
        ? { violation_type: v.data.violation_info.violation_type }
        : undefined,
    };
    return deliverEvent(tenant, META_WABA_REF, change.wabaId, { type: META_ACCOUNT_EVENT, data });
  }
  return false;
}
