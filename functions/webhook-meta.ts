import { handleMetaNumberChange } from '../src/deployments/meta-webhook.js';
import { httpHandler } from '../src/edge/http.js';
import { handleMetaWebhook } from '../src/templates/webhook.js';

/**
 * GET|POST /webhooks/meta/{hookId}: Meta's signed webhook (handshake and events): template
 * status for templates, a number's display-name review and account updates for deployments.
 */
export const handler = httpHandler((event) =>
  handleMetaWebhook(event, {
    phone_number_name_update: handleMetaNumberChange,
    account_update: handleMetaNumberChange,
  }),
);
