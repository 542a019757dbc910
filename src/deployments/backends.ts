import { z } from 'zod';
import { config, configGeneration, definedEnv } from '../config.js';
import type { TenantId } from '../store/keys.js';
import type { ProvisioningBackend } from './port.js';

/**
 * Deployment settings, read and validated once. They live here rather than in `config.ts`
 * because only the deployment job uses them.
 * - DEPLOY_POLL_MS: how often a deployment in a transitional state is polled (Vonage sends no
 *   status callbacks). The local stack sets it to 1 s so each tick moves the sandbox on.
 * - DEPLOY_CODE_POLL_MS: how often a deployment waiting for a person's OTP is polled.
 * - VONAGE_TIMEOUT_MS: per-attempt timeout of Vonage calls.
 */
const SettingsSchema = z.object({
  DEPLOY_POLL_MS: z.coerce.number().int().min(1).max(3_600_000).default(20_000),
  DEPLOY_CODE_POLL_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400_000)
    .default(5 * 60_000),
  VONAGE_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(8_000),
});

let cached: z.output<typeof SettingsSchema> | undefined;
let cachedAt = -1;

export function deploymentSettings() {
  if (!cached || cachedAt !== configGeneration()) {
    cachedAt = configGeneration();
    cached = SettingsSchema.parse(definedEnv());
  }
  return cached;
}

export function resetDeploymentSettings(): void {
  cached = undefined;
}

/**
 * The provisioning backend for a workspace. Vonage is the only one; a successor is chosen here
 * (per workspace setting or credentials) without touching the Slack side.
 */
export async function backendFor(tenant: TenantId): Promise<ProvisioningBackend> {
  const { VonageProvisioning } = await import('../providers/vonage/client.js');
  return new VonageProvisioning(tenant, {
    baseUrl: config().providers.vonage,
    timeoutMs: deploymentSettings().VONAGE_TIMEOUT_MS,
  });
}
