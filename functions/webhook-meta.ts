import { httpHandler } from '../src/edge/http.js';
import { handleMetaWebhook } from '../src/templates/webhook.js';

/** GET|POST /webhooks/meta/{hookId}: Meta's template status webhook (handshake and signed events). */
export const handler = httpHandler(handleMetaWebhook);
