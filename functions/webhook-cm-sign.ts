import { httpHandler } from '../src/edge/http.js';
import { cmSignWebhook } from '../src/invites/webhooks.js';

/**
 * POST /webhooks/cm-sign/{hookId}: CM.com Sign dossier and invite events. An error that escapes
 * is answered 500 by the edge, so CM.com retries; the event id dedupes what gets through twice.
 */
export const handler = httpHandler(cmSignWebhook);
