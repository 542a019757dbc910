import { z } from 'zod';
import { config, configGeneration, definedEnv } from '../config.js';
import { listCredentialMeta } from '../providers/credentials.js';
import type { TenantId } from '../store/keys.js';
import type { BackendName, ProvisioningBackend } from './port.js';

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
  /** Per-attempt timeout of WhatsApp Cloud API (Graph) calls. */
  META_CLOUD_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(8_000),
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
 * The backend a deployment runs on, named in its job and record (`vonage` for every deployment
 * made before there was a choice). Only the worker loads a client.
 */
export async function backendFor(
  tenant: TenantId,
  via: BackendName = 'vonage',
): Promise<ProvisioningBackend> {
  if (via === 'cloud') {
    const { MetaCloudProvisioning } = await import('../providers/meta-cloud/client.js');
    return new MetaCloudProvisioning(tenant, {
      baseUrl: config().providers.metaCloud,
      timeoutMs: deploymentSettings().META_CLOUD_TIMEOUT_MS,
    });
  }
  const { VonageProvisioning } = await import('../providers/vonage/client.js');
  return new VonageProvisioning(tenant, {
    baseUrl: config().providers.vonage,
    timeoutMs: deploymentSettings().VONAGE_TIMEOUT_MS,
  });
}

/** Which provider's credentials make each backend usable. */
export const BACKEND_PROVIDER = { vonage: 'vonage', cloud: 'meta-cloud' } as const;

/**
 * The backends this workspace has connected (on the ack path: one query of credential names,
 * nothing opened). The local stack's sandbox credentials count as both.
 */
export async function connectedBackends(tenant: TenantId): Promise<BackendName[]> {
  if (config().sandboxCredentials) return ['vonage', 'cloud'];
  const stored = new Set((await listCredentialMeta(tenant)).map((m) => m.provider));
  return (['vonage', 'cloud'] as const).filter((b) => stored.has(BACKEND_PROVIDER[b]));
}
