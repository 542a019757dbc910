import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import type { TenantId } from '../../store/keys.js';
import { getCredentials } from '../credentials.js';
import {
  type CreateInvitationRequest,
  INVITATION_EVENT,
  InvitationEnvelope,
  InvitationPage,
  type InvitationStatus,
  ProjectWebhookEnvelope,
  parseZavuError,
} from './schemas.js';

export interface ZavuOptions {
  baseUrl?: string;
  timeoutMs?: number;
  perMinute?: number;
}

/**
 * Zavu partner invitations over our ProviderHttp rather than `@zavudev/sdk`: the SDK retries
 * POSTs itself on timeouts and 5xx (a second invitation when the first was applied), throws its
 * own error classes, returns unvalidated JSON, and would need our rate limiter wedged into a
 * custom `fetch`. Its types still check our schemas (see schemas.ts). See docs/invites.md.
 */
export class ZavuClient {
  private readonly http: ProviderHttp;

  constructor(tenant: TenantId, creds: { apiKey: string }, opts: ZavuOptions = {}) {
    this.http = new ProviderHttp({
      provider: 'zavu',
      baseUrl: opts.baseUrl ?? config().providers.zavu,
      tenant,
      auth: () => ({ authorization: `Bearer ${creds.apiKey}` }),
      parseError: parseZavuError,
      // Zavu allows 600/min per project by default.
      rateLimit: { perMinute: opts.perMinute ?? 600 },
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  async create(body: CreateInvitationRequest) {
    return (
      await this.http.request('POST', 'v1/invitations', {
        schema: InvitationEnvelope,
        json: body,
        okStatus: [200, 201],
      })
    ).invitation;
  }

  async get(id: string) {
    return (
      await this.http.request('GET', `v1/invitations/${encodeURIComponent(id)}`, {
        schema: InvitationEnvelope,
      })
    ).invitation;
  }

  list(query: { status?: InvitationStatus; limit?: number; cursor?: string } = {}) {
    return this.http.request('GET', 'v1/invitations', { schema: InvitationPage, query });
  }

  /**
   * `POST /v1/invitations/webhook` creates or replaces the project webhook where
   * `invitation.status_changed` is delivered, activates it, and answers its signing secret (an
   * existing secret is kept), per https://docs.zavu.dev/api-reference/configure-project-webhook.
   */
  async registerWebhook(url: string): Promise<RegisteredWebhook> {
    return (
      await this.http.request('POST', 'v1/invitations/webhook', {
        schema: ProjectWebhookEnvelope,
        json: { url, events: [INVITATION_EVENT] },
        okStatus: [200, 201],
        // Harmless to repeat, but it runs while Slack waits on a modal (3 s): one attempt only,
        // and the admin can press "Register" again.
        idempotent: false,
      })
    ).webhook;
  }

  /** Cancelling twice is harmless (an already-cancelled invitation stays cancelled). */
  async cancel(id: string) {
    return (
      await this.http.request('POST', `v1/invitations/${encodeURIComponent(id)}/cancel`, {
        schema: InvitationEnvelope,
        idempotent: true,
      })
    ).invitation;
  }
}

export interface RegisteredWebhook {
  url: string;
  events: string[];
  active: boolean;
  secret?: string | undefined;
}

export async function zavuClient(tenant: TenantId, opts: ZavuOptions = {}): Promise<ZavuClient> {
  return new ZavuClient(tenant, await getCredentials(tenant, 'zavu'), opts);
}
