import { SignJWT } from 'jose';
import { clock } from '../../clock.js';
import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import { getCredentials } from '../../security/credentials.js';
import type { TenantId } from '../../store/keys.js';
import {
  type CreateDossierRequest,
  Dossier,
  InviteList,
  type InviteRequest,
  parseCmSignError,
} from './schemas.js';

/** A token lives this long: enough for one request and its in-request retries. */
const TOKEN_TTL_S = 60;

/**
 * The "generated token" CM.com Sign wants on every request: an HS256 JWT signed with the
 * client's secret, header `kid` = key id, short-lived `iat`/`nbf`/`exp`. Made fresh per request
 * and never stored.
 */
export async function cmSignToken(
  creds: { keyId: string; secret: string },
  now = clock.now(),
): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: creds.keyId })
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + TOKEN_TTL_S)
    .sign(new TextEncoder().encode(creds.secret));
}

export interface CmSignOptions {
  baseUrl?: string;
  timeoutMs?: number;
  perMinute?: number;
}

/** Paths are relative to the base URL, which already ends in `/sign/v1`. */
export class CmSignClient {
  private readonly http: ProviderHttp;

  constructor(tenant: TenantId, creds: { keyId: string; secret: string }, opts: CmSignOptions = {}) {
    this.http = new ProviderHttp({
      provider: 'cm-sign',
      baseUrl: opts.baseUrl ?? config().providers.cmSign,
      tenant,
      auth: async () => ({ authorization: `Bearer ${await cmSignToken(creds)}` }),
      parseError: parseCmSignError,
      rateLimit: { perMinute: opts.perMinute ?? 300 },
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  /** Not idempotent: the job engine records the effect before calling. */
  createDossier(body: CreateDossierRequest) {
    return this.http.request('POST', 'dossiers', { schema: Dossier, json: body, okStatus: [200, 201] });
  }

  getDossier(id: string) {
    return this.http.request('GET', `dossiers/${encodeURIComponent(id)}`, { schema: Dossier });
  }

  sendInvites(dossierId: string, invites: InviteRequest) {
    return this.http.request('POST', `dossiers/${encodeURIComponent(dossierId)}/invites`, {
      schema: InviteList,
      json: invites,
      okStatus: [200, 201],
    });
  }
}

export async function cmSignClient(tenant: TenantId, opts: CmSignOptions = {}): Promise<CmSignClient> {
  return new CmSignClient(tenant, await getCredentials(tenant, 'cm-sign'), opts);
}
