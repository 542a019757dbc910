import { bodyTooLarge, type HttpEvent, type HttpResult, header, json, rawBody } from '../http/apigw.js';
import { issuePath, problemOf, recordDrift } from '../http/drift.js';
import { deliverEvent } from '../jobs/deliver.js';
import { logger } from '../log.js';
import { FOLLOWED_EVENTS, parseCallback } from '../providers/cm-sign/schemas.js';
import { getCredentials, MissingCredentialsError } from '../providers/credentials.js';
import { INVITATION_EVENT, InvitationStatusChanged, ZavuWebhook } from '../providers/zavu/schemas.js';
import { verifySharedSecret, verifyZavuSignature } from '../security/signatures.js';
import {
  jsonDepth,
  knownFields,
  MAX_EVENT_DEPTH,
  type Once,
  processOnce,
  tenantForWebhook,
} from '../security/webhooks.js';
import type { TenantId } from '../store/keys.js';

/** The header CM.com Sign's webhook subscription is configured to send (`headers` field). */
export const CM_SIGN_SECRET_HEADER = 'x-webhook-secret';

/** A workspace without credentials is refused like a bad signature, not answered with a 500. */
async function credentialsOrNone<P extends 'zavu' | 'cm-sign'>(tenant: TenantId, provider: P) {
  try {
    return await getCredentials(tenant, provider);
  } catch (err) {
    if (err instanceof MissingCredentialsError) return undefined;
    throw err;
  }
}

const unauthorized = () => json(401, { error: 'unauthorized' });
const hookIdOf = (event: HttpEvent) => event.rawPath.split('/').filter(Boolean).pop() ?? '';

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/**
 * POST /webhooks/zavu/{hookId}: the signature over the raw body first (`X-Zavu-Signature`, v2 or
 * v1, `t` within 5 minutes; see verifyZavuSignature), then the documented envelope and `data`,
 * then the job following the invitation is woken. The event id is recorded as processed only
 * once delivered (processOnce), so Zavu's retry after a failed attempt goes through and a replay
 * of a processed event changes nothing.
 */
export async function zavuWebhook(event: HttpEvent): Promise<HttpResult> {
  if (bodyTooLarge(event)) return json(413, { error: 'body too large' });
  const tenant = await tenantForWebhook(hookIdOf(event));
  if (!tenant) return json(404, { error: 'unknown webhook' });
  const raw = rawBody(event);
  const creds = await credentialsOrNone(tenant, 'zavu');
  const bodyOnlyV1 = creds?.webhookSigning === 'v1-body';
  if (
    !verifyZavuSignature(
      raw,
      header(event, 'x-zavu-signature'),
      creds?.webhookSecret ?? '',
      undefined,
      undefined,
      { bodyOnlyV1 },
    )
  ) {
    logger.warn('zavu webhook refused: bad signature', { tenant });
    return unauthorized();
  }
  // Signed but never processable (nested past any documented event): 400, so it is not retried as a 500.
  if (jsonDepth(raw) > MAX_EVENT_DEPTH) return json(400, { error: 'body nested too deeply' });
  const body0 = parseJson(raw);
  const parsed = ZavuWebhook.safeParse(body0);
  if (!parsed.success) {
    await driftOf(tenant, 'zavu', body0, parsed.error.issues);
    return json(400, { error: 'unexpected body' });
  }
  const body = parsed.data;
  if (body.type !== INVITATION_EVENT) return json(200, { ok: true, ignored: body.type });
  const data = InvitationStatusChanged.safeParse(body.data);
  if (!data.success) {
    await driftOf(
      tenant,
      'zavu',
      body0,
      data.error.issues.map((i) => ({ ...i, path: ['data', ...i.path] })),
    );
    return json(400, { error: 'unexpected data' });
  }
  const once = await processOnce(tenant, 'zavu', body.id, () =>
    // Only the documented fields reach the job's inbox, whatever else the signed body carries.
    deliverEvent(tenant, 'zavu', data.data.invitationId, {
      type: body.type,
      data: knownFields(InvitationStatusChanged, data.data) as InvitationStatusChanged,
    }),
  );
  return answerOnce(once);
}

/** 200 once processed or already processed; 409 while another attempt holds it (retry later). */
function answerOnce(once: Once<boolean>): HttpResult {
  if (once.state === 'busy') return json(409, { error: 'being processed, retry later' });
  if (once.state === 'duplicate') return json(200, { ok: true, duplicate: true });
  return json(200, { ok: true, delivered: once.value });
}

/**
 * POST /webhooks/cm-sign/{hookId}: CM.com Sign documents no signature, so the workspace's secret
 * travels in the custom header our webhook registration sets (`headers`, S3), compared in
 * constant time. UNCONFIRMED(cm-sign.callback-body): the body's shape, so a callback is only a trigger: the
 * dossier id is taken from it and the job reads the dossier itself. Triggers are not deduplicated:
 * reading a dossier twice is harmless, and two identical triggers may well be two changes.
 */
export async function cmSignWebhook(event: HttpEvent): Promise<HttpResult> {
  if (bodyTooLarge(event)) return json(413, { error: 'body too large' });
  const tenant = await tenantForWebhook(hookIdOf(event));
  if (!tenant) return json(404, { error: 'unknown webhook' });
  const webhookSecret = (await credentialsOrNone(tenant, 'cm-sign'))?.webhookSecret;
  if (!webhookSecret || !verifySharedSecret(header(event, CM_SIGN_SECRET_HEADER), webhookSecret)) {
    logger.warn('cm-sign webhook refused: bad or missing secret', { tenant });
    return unauthorized();
  }
  const raw = rawBody(event);
  if (jsonDepth(raw) > MAX_EVENT_DEPTH) return json(400, { error: 'body nested too deeply' });
  const body = parseJson(raw);
  const callback = parseCallback(body);
  if (!callback) {
    // UNCONFIRMED(cm-sign.callback-body) refuted, or a body that is not a callback: admins see its shape.
    await driftOf(tenant, 'cm-sign', body, [
      { path: ['dossierId'], code: 'invalid_type', expected: 'string' },
    ]);
    return json(400, { error: 'no dossier id in the body' });
  }
  if (callback.event && !(FOLLOWED_EVENTS as readonly string[]).includes(callback.event)) {
    return json(200, { ok: true, ignored: callback.event });
  }
  const delivered = await deliverEvent(tenant, 'cm-sign', callback.dossierId, {
    type: callback.event ?? 'dossier.callback',
    data: { dossierId: callback.dossierId },
  });
  return json(200, { ok: true, delivered });
}

/** A webhook body that does not match what we assumed, kept as its shape for admins. */
async function driftOf(
  tenant: TenantId,
  provider: 'zavu' | 'cm-sign',
  body: unknown,
  issues: ReadonlyArray<{
    path: ReadonlyArray<PropertyKey>;
    code: string;
    expected?: unknown;
    values?: unknown;
  }>,
): Promise<void> {
  await recordDrift(tenant, {
    provider,
    operation: 'webhook',
    kind: 'webhook',
    issues: issues.map((i) => ({ path: issuePath(i.path), problem: problemOf(i) })),
    sample: body,
  });
}
