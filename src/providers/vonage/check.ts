import { z } from 'zod';
import { config } from '../../config.js';
import { UserError } from '../../errors.js';
import { ProviderHttp } from '../../http/client.js';
import type { TenantId } from '../../store/keys.js';
import { checkCall, errorWords } from '../check.js';
import type { CredentialCheck } from '../provider.js';
import { type VonageCredentials, vonageAuthHeader } from './auth.js';

/** No deployment has this id (the nil UUID). */
const NO_DEPLOYMENT = '00000000-0000-0000-0000-000000000000';

/**
 * The WhatsApp Provisioning description (`spec/vonage/whatsapp-provisioning.yml`) has no list
 * or "who am I"; its one read is `GET /deployments/{deployment_id}`, documented to answer 401
 * "Invalid Credentials" and 404 "Deployment Not Found". Asked for a deployment no one has, a
 * 404 means the application JWT was accepted.
 */
export async function checkVonage(
  creds: VonageCredentials,
  { tenant }: { tenant: TenantId },
): Promise<CredentialCheck> {
  let auth: Record<string, string>;
  try {
    auth = await vonageAuthHeader(creds);
  } catch (err) {
    // A pasted JWT that Vonage would refuse by its own rules (expired, no iat/exp), or a private
    // key that cannot sign: nothing Vonage could accept, so refused without a call.
    if (err instanceof UserError) return { status: 'refused', detail: err.message };
    return {
      status: 'refused',
      detail: 'the private key could not be read (a PKCS#8 PEM, as Vonage issues it)',
    };
  }
  const http = new ProviderHttp({
    provider: 'vonage',
    baseUrl: config().providers.vonage,
    tenant,
    auth: () => auth,
    parseError: errorWords,
    timeoutMs: 5_000,
  });
  return checkCall(() => http.request('GET', `/deployments/${NO_DEPLOYMENT}`, { schema: z.unknown() }), {
    notFoundMeansValid: true,
  });
}
