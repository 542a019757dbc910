import { createHash } from 'node:crypto';
import { bodyTooLarge, type HttpEvent, type HttpResult, header, rawBody, text } from '../http/apigw.js';
import { issuePath, problemOf, recordDrift } from '../http/drift.js';
import { deliverEvent } from '../jobs/deliver.js';
import { logger } from '../log.js';
import { getCredentials, MissingCredentialsError } from '../providers/credentials.js';
import { verifyMetaHandshake, verifyMetaSignature } from '../security/signatures.js';
import {
  firstDelivery,
  forgetDelivery,
  jsonDepth,
  knownFields,
  MAX_EVENT_DEPTH,
  tenantForWebhook,
} from '../security/webhooks.js';
import type { TenantId } from '../store/keys.js';
import { META_EVENT_TYPE, MetaTemplateStatus, MetaWebhookBody, metaRef, parseMetaJson } from './meta.js';

/**
 * A change of another webhook field (another feature's), handed over once its delivery is known
 * to be the first: true when a job took it. `functions/webhook-meta.ts` wires these in, so this
 * feature names no other.
 */
export type MetaChangeHandler = (
  tenant: TenantId,
  change: { wabaId?: string | undefined; time?: number | undefined; field: string; value: unknown },
) => Promise<boolean>;

/**
 * `GET|POST /webhooks/meta/{hookId}`: Meta's subscription handshake and its signed
 * `message_template_status_update` events (and the fields of `others`). The hook id (last path
 * segment) names the tenant; nothing in the body is trusted before the signature over the raw
 * body checks out.
 */
export async function handleMetaWebhook(
  event: HttpEvent,
  others: Record<string, MetaChangeHandler> = {},
): Promise<HttpResult> {
  const hookId = event.rawPath.split('/').filter(Boolean).pop() ?? '';
  const tenant = hookId && hookId !== 'meta' ? await tenantForWebhook(hookId) : undefined;
  const method = event.requestContext.http.method;
  if (method === 'GET') return handshake(event, tenant);
  if (bodyTooLarge(event)) return text(413, 'request body too large');
  if (!tenant) return text(404, 'unknown webhook');

  const creds = await metaCredentials(tenant);
  const body = rawBody(event);
  if (!creds || !verifyMetaSignature(body, header(event, 'x-hub-signature-256'), creds.appSecret)) {
    logger.warn('meta webhook with a bad signature', { tenant });
    return text(401, 'bad signature');
  }

  // Signed but never processable (nested past any documented event): 400, not a 500 Meta retries.
  if (jsonDepth(body) > MAX_EVENT_DEPTH) return text(400, 'body nested too deeply');
  let parsed: ReturnType<typeof MetaWebhookBody.parse>;
  try {
    // Never plain JSON.parse: message_template_id exceeds 2^53 and would be rounded.
    parsed = MetaWebhookBody.parse(parseMetaJson(body));
  } catch {
    return text(400, 'unreadable body');
  }
  let delivered = 0;
  for (const [i, entry] of parsed.entry.entries()) {
    for (const [j, change] of entry.changes.entries()) {
      const other = Object.hasOwn(others, change.field) ? others[change.field] : undefined;
      if (other) {
        // Meta sends no event id: the content and its time identify a delivery (retries repeat both).
        const otherId = createHash('sha256')
          .update(JSON.stringify([entry.id, entry.time, change.field, change.value, i, j]))
          .digest('base64url')
          .slice(0, 32);
        if (!(await firstDelivery(tenant, 'meta', otherId))) continue;
        try {
          if (
            await other(tenant, {
              wabaId: entry.id,
              time: entry.time,
              field: change.field,
              value: change.value,
            })
          )
            delivered += 1;
        } catch (err) {
          await forgetDelivery(tenant, 'meta', otherId);
          throw err;
        }
        continue;
      }
      if (change.field !== 'message_template_status_update') continue;
      const value = MetaTemplateStatus.safeParse(change.value);
      if (!value.success) {
        logger.warn('meta template event in a shape we do not understand', {
          tenant,
          issues: value.error.issues.slice(0, 3).map((x) => `${x.path.join('.')}: ${x.message}`),
        });
        await recordDrift(tenant, {
          provider: 'meta',
          operation: 'webhook message_template_status_update',
          kind: 'webhook',
          issues: value.error.issues.map((x) => ({
            path: issuePath(['value', ...x.path]),
            problem: problemOf(x),
          })),
          sample: change.value,
        });
        continue;
      }
      const v = value.data;
      // Meta sends no event id: the content and its time identify a delivery (retries repeat both).
      const eventId = createHash('sha256')
        .update(
          JSON.stringify([
            entry.id,
            entry.time,
            v.message_template_id,
            v.message_template_language,
            v.event,
            i,
            j,
          ]),
        )
        .digest('base64url')
        .slice(0, 32);
      if (!(await firstDelivery(tenant, 'meta', eventId))) continue;
      let ok: boolean;
      try {
        ok = await deliverEvent(tenant, 'meta', metaRef(v.message_template_name), {
          type: META_EVENT_TYPE,
          // Only the documented fields reach the job's inbox, whatever else the signed body carries.
          data: knownFields(MetaTemplateStatus, v) as MetaTemplateStatus,
        });
      } catch (err) {
        // Not delivered: let Meta's retry through (it retries on anything but a 200).
        await forgetDelivery(tenant, 'meta', eventId);
        throw err;
      }
      if (ok) delivered += 1;
      else logger.info('meta template event for a template nobody watches', { tenant, event: v.event });
    }
  }
  // Meta retries anything but a 200: unwatched templates are answered 200 too.
  return text(200, JSON.stringify({ received: true, delivered }), 'application/json');
}

async function metaCredentials(tenant: TenantId) {
  try {
    return await getCredentials(tenant, 'meta');
  } catch (err) {
    if (err instanceof MissingCredentialsError) return undefined;
    throw err;
  }
}

async function handshake(event: HttpEvent, tenant: TenantId | undefined): Promise<HttpResult> {
  const creds = tenant ? await metaCredentials(tenant) : undefined;
  const challenge = creds ? verifyMetaHandshake(event.queryStringParameters, creds.verifyToken) : undefined;
  return challenge === undefined ? text(403, 'forbidden') : text(200, challenge);
}
