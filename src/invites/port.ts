import type { TenantId } from '../store/keys.js';
import type { RegisteredWebhook } from './cm-sign-webhook.js';

/**
 * What other features may use of invites, on purpose: `/wa connect` (the workspace feature)
 * starts the CM.com Sign webhook registration and shows whether it holds.
 */
export { cmSignWebhookKind } from './kinds.js';

export async function registeredCmSignWebhook(tenant: TenantId): Promise<RegisteredWebhook | undefined> {
  return (await import('./cm-sign-webhook.js')).registeredCmSignWebhook(tenant);
}
