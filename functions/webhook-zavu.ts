import type { HttpEvent, HttpResult } from '../src/http/apigw.js';
import { json } from '../src/http/apigw.js';
import { zavuWebhook } from '../src/invites/webhooks.js';
import { logger } from '../src/log.js';

/** POST /webhooks/zavu/{hookId}: Zavu's signed `invitation.status_changed` events. */
export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  try {
    return await zavuWebhook(event);
  } catch (err) {
    // A 5xx makes Zavu retry (up to 5 times); the event id dedupes what gets through twice.
    logger.error('zavu webhook failed', { error: err as Error });
    return json(500, { error: 'internal error' });
  }
};
