import { httpHandler } from '../src/edge/http.js';
import { zavuWebhook } from '../src/invites/webhooks.js';

/**
 * POST /webhooks/zavu/{hookId}: Zavu's signed `invitation.status_changed` events. An error that
 * escapes is answered 500 by the edge, so Zavu retries (up to 5 times); the event id dedupes.
 */
export const handler = httpHandler(zavuWebhook);
