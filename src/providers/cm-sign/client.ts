import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import type { TenantId } from '../../store/keys.js';
import { getCredentials } from '../credentials.js';
import { cmSignToken } from './auth.js';
import {
  CreateDossierRequest,
  Dossier,
  InviteList,
  type InviteRequest,
  parseCmSignError,
  Upload,
  Webhook,
  WebhookRequest,
} from './schemas.js';

export interface CmSignOptions {
  baseUrl?: string;
  timeoutMs?: number;
  perMinute?: number;
}

export { cmSignToken };

/** Paths are relative to the base URL, which already ends in `/sign/v1`. */
export class CmSignClient {
  private readonly http: ProviderHttp;

  constructor(tenant: TenantId, creds: { keyId: string; secret: string }, opts: CmSignOptions = {}) {
    this.keyId = creds.keyId;
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

  readonly keyId: string;

  /**
   * POST /upload: "file uploads are the only non-JSON requests" (legacy docs), multipart with the
   * PDF in the part `file` (third-party code; references §3; UNCONFIRMED(cm-sign.upload-part)). Not idempotent, but an upload on
   * its own is inert: nothing reaches anyone until a dossier uses it.
   */
  upload(pdf: Buffer, filename: string) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), filename);
    return this.http.request('POST', 'upload', { schema: Upload, form, okStatus: [200, 201] });
  }

  /** Not idempotent: the job engine records the effect before calling. */
  createDossier(body: CreateDossierRequest) {
    return this.http.request('POST', 'dossiers', {
      schema: Dossier,
      json: CreateDossierRequest.parse(body),
      okStatus: [200, 201],
    });
  }

  /** POST /clients/{kid}/webhooks (S3): the `kid` is our own key id. */
  registerWebhook(body: WebhookRequest) {
    return this.http.request('POST', `clients/${encodeURIComponent(this.keyId)}/webhooks`, {
      schema: Webhook,
      json: WebhookRequest.parse(body),
      okStatus: [200, 201],
    });
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
