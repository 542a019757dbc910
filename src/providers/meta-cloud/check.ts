import { z } from 'zod';
import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import type { TenantId } from '../../store/keys.js';
import { checkCall } from '../check.js';
import type { CredentialCheck } from '../provider.js';
import { parseGraphError, rekind } from './errors.js';

/**
 * `GET /me?fields=id` with the token: Graph's `/me` is the node of whoever the token is for (the
 * system user), readable by any valid token (https://developers.facebook.com/docs/graph-api/overview#me).
 * It changes nothing and proves the token; what the token may do on a WABA shows at the first
 * deployment.
 */
export async function checkMetaCloud(
  creds: { accessToken: string },
  { tenant }: { tenant: TenantId },
): Promise<CredentialCheck> {
  const http = new ProviderHttp({
    provider: 'meta-cloud',
    baseUrl: config().providers.metaCloud,
    tenant,
    auth: () => ({ authorization: `Bearer ${creds.accessToken}` }),
    parseError: parseGraphError,
    timeoutMs: 5_000,
  });
  return checkCall(async () => {
    try {
      return await http.request('GET', '/me', {
        schema: z.looseObject({ id: z.string() }),
        query: { fields: 'id' },
      });
    } catch (err) {
      // Graph answers an expired or revoked token with code 190 whatever its HTTP status.
      throw rekind(err);
    }
  });
}
