import { z } from 'zod';
import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import type { TenantId } from '../../store/keys.js';
import { checkCall, errorWords } from '../check.js';
import type { CredentialCheck } from '../provider.js';

/**
 * One page of one template: `GET /accounts/{accountId}/whatsapp/{channelRequestId}/templates?take=1`
 * with the `X-CM-PRODUCTTOKEN` header (https://www.cm.com/app/docs/api/channels-api/v1/index/,
 * "Get templates"; `take` is its documented page size). It reads nothing that changes and proves
 * the token, the account id and the WhatsApp channel request id together, as every template
 * command needs them.
 */
export async function checkCmChannels(
  creds: { productToken: string; accountId: string; channelRequestId: string },
  { tenant }: { tenant: TenantId },
): Promise<CredentialCheck> {
  const http = new ProviderHttp({
    provider: 'cm-channels',
    baseUrl: config().providers.cmChannels,
    tenant,
    auth: () => ({ 'X-CM-PRODUCTTOKEN': creds.productToken }),
    parseError: errorWords,
    timeoutMs: 5_000,
  });
  const path = `accounts/${encodeURIComponent(creds.accountId)}/whatsapp/${encodeURIComponent(creds.channelRequestId)}/templates`;
  return checkCall(() => http.request('GET', path, { schema: z.array(z.unknown()), query: { take: 1 } }));
}
