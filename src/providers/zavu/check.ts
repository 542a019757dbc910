import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import type { TenantId } from '../../store/keys.js';
import { checkCall } from '../check.js';
import type { CredentialCheck } from '../provider.js';
import { InvitationPage, parseZavuError } from './schemas.js';

/**
 * One invitation of the project: `GET /v1/invitations?limit=1` with `Authorization: Bearer <API
 * key>` (Zavu's API reference, "List partner invitations"; the SDK's `client.ts` for the header).
 * Read-only, and the key's project is the one invitations are made in.
 */
export async function checkZavu(
  creds: { apiKey: string },
  { tenant }: { tenant: TenantId },
): Promise<CredentialCheck> {
  const http = new ProviderHttp({
    provider: 'zavu',
    baseUrl: config().providers.zavu,
    tenant,
    auth: () => ({ authorization: `Bearer ${creds.apiKey}` }),
    parseError: parseZavuError,
    timeoutMs: 5_000,
  });
  return checkCall(() =>
    http.request('GET', 'v1/invitations', { schema: InvitationPage, query: { limit: 1 } }),
  );
}
