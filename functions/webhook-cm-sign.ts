import type { HttpEvent, HttpResult } from '../src/http/apigw.js';
import { json } from '../src/http/apigw.js';
import { cmSignWebhook } from '../src/invites/webhooks.js';
import { logger } from '../src/log.js';

/** POST /webhooks/cm-sign/{hookId}: CM.com Sign dossier and invite events. */
export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  try {
    return await cmSignWebhook(event);
  } catch (err) {
    logger.error('cm-sign webhook failed', { error: err as Error });
    return json(500, { error: 'internal error' });
  }
};
