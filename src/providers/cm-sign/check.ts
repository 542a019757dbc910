import { z } from 'zod';
import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import type { TenantId } from '../../store/keys.js';
import { checkCall, errorWords } from '../check.js';
import type { CredentialCheck } from '../provider.js';
import { cmSignToken } from './auth.js';

/** No dossier has this id (the nil UUID). */
const NO_DOSSIER = '00000000-0000-0000-0000-000000000000';

/**
 * CM.com Sign documents no "who am I" call. Every request carries the JWT made from the key id
 * and secret (https://developers.cm.com/sign/docs/getting-started, "Authentication"), and
 * `GET /dossiers/{id}` is its documented read (https://developers.cm.com/sign/reference/get_dossiers-dossierid):
 * asked for a dossier no one has, CM answers 404 to a client it knows and 401 to one it does not.
 * UNCONFIRMED(cm-sign.check-404): that CM checks the token before it looks the dossier up.
 */
export async function checkCmSign(
  creds: { keyId: string; secret: string },
  { tenant }: { tenant: TenantId },
): Promise<CredentialCheck> {
  const http = new ProviderHttp({
    provider: 'cm-sign',
    baseUrl: config().providers.cmSign,
    tenant,
    auth: async () => ({ authorization: `Bearer ${await cmSignToken(creds)}` }),
    parseError: errorWords,
    timeoutMs: 5_000,
  });
  return checkCall(() => http.request('GET', `dossiers/${NO_DOSSIER}`, { schema: z.unknown() }), {
    notFoundMeansValid: true,
  });
}
