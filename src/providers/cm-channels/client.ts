import { z } from 'zod';
import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import type { TenantId } from '../../store/keys.js';
import { getCredentials } from '../credentials.js';

/**
 * CM.com Channels: WhatsApp templates and their approval state. Every path carries the account
 * GUID and the WhatsApp channel request id; auth is the `X-CM-PRODUCTTOKEN` header.
 */

const flag = z
  .boolean()
  .nullish()
  .transform((v) => v ?? false);
const text = z.string().nullish();

export const TemplateLanguage = z.object({
  id: text,
  name: text,
  content: text,
  rejectionReason: text,
  isActive: flag,
  isIncomplete: flag,
  isValidationRequested: flag,
  isPending: flag,
  updatedOnUtc: text,
  fulfilledOnUtc: text,
  createdOnUtc: text,
  rejectedOnUtc: text,
});
export type TemplateLanguage = z.output<typeof TemplateLanguage>;

const ReplacementField = z.object({
  id: text,
  index: z.number().int().nullish(),
  name: text,
  type: text,
});

const templateFields = {
  id: z.string().min(1),
  accountId: text,
  templateCategoryId: text,
  facebookName: text,
  facebookNamespaceId: text,
  name: z.string(),
  category: text,
  languages: z
    .record(z.string(), TemplateLanguage)
    .nullish()
    .transform((v) => v ?? {}),
  isActive: flag,
  isIncomplete: flag,
  isValidationRequested: flag,
  isPending: flag,
  createdOnUtc: text,
  rejectedOnUtc: text,
  cancelledOnUtc: text,
};

/** ApiWhatsAppTemplateBaseResponse (list items). */
export const TemplateSummary = z.object(templateFields);
export type TemplateSummary = z.output<typeof TemplateSummary>;

/** ApiWhatsAppTemplate (one template in full). */
export const Template = z.object({
  ...templateFields,
  settings: z.object({ replacementFields: z.array(ReplacementField).nullish() }).nullish(),
  rejectionReason: text,
  updatedOnUtc: text,
  fulfilledOnUtc: text,
});
export type Template = z.output<typeof Template>;

/**
 * ApiWhatsAppSupportedLanguage `{id, code, name}`: the only place a language CODE appears. A
 * template's `languages` dictionary is keyed by language NAME and its languages carry no code
 * (cm-channels reference §2-3), so codes are found by matching names against this list.
 */
export const SupportedLanguage = z.object({
  id: text,
  code: z.string().min(1).max(20),
  name: z.string().min(1).max(100),
});
export type SupportedLanguage = z.output<typeof SupportedLanguage>;

/**
 * CM answers errors as `{message}` (sometimes `{title, detail}` or `{errors}`); take what is there.
 * UNCONFIRMED(cm-channels.error-body): no error body is documented.
 */
function parseCmError(_status: number, body: unknown): { code?: string; detail?: string } {
  if (!body || typeof body !== 'object')
    return typeof body === 'string' && body ? { detail: body.slice(0, 200) } : {};
  const b = body as Record<string, unknown>;
  const detail = [b.message, b.detail, b.title, b.error].find((v) => typeof v === 'string') as
    | string
    | undefined;
  const code = typeof b.code === 'string' || typeof b.code === 'number' ? String(b.code) : undefined;
  return { ...(code ? { code } : {}), ...(detail ? { detail: detail.slice(0, 300) } : {}) };
}

export interface CmChannelsCredentials {
  productToken: string;
  accountId: string;
  channelRequestId: string;
}

export class CmChannelsClient {
  private readonly http: ProviderHttp;

  constructor(
    tenant: TenantId,
    private readonly creds: CmChannelsCredentials,
    baseUrl = config().providers.cmChannels,
  ) {
    this.http = new ProviderHttp({
      provider: 'cm-channels',
      baseUrl,
      tenant,
      auth: () => ({ 'X-CM-PRODUCTTOKEN': creds.productToken }),
      parseError: parseCmError,
      rateLimit: { perMinute: 120 },
    });
  }

  static async forTenant(tenant: TenantId): Promise<CmChannelsClient> {
    return new CmChannelsClient(tenant, await getCredentials(tenant, 'cm-channels'));
  }

  /** For per-account caches (the language list). */
  get accountId(): string {
    return this.creds.accountId;
  }

  private get account(): string {
    return `accounts/${encodeURIComponent(this.creds.accountId)}`;
  }

  private get base(): string {
    return `${this.account}/whatsapp/${encodeURIComponent(this.creds.channelRequestId)}/templates`;
  }

  listTemplates(
    opts: { q?: string | undefined; skip?: number; take?: number } = {},
  ): Promise<TemplateSummary[]> {
    return this.http.request('GET', this.base, {
      schema: z.array(TemplateSummary),
      query: { q: opts.q || undefined, skip: opts.skip, take: opts.take },
    });
  }

  /** GET /accounts/{accountId}/whatsapp/supportedlanguages: every WhatsApp language CM supports. */
  supportedLanguages(): Promise<SupportedLanguage[]> {
    return this.http.request('GET', `${this.account}/whatsapp/supportedlanguages`, {
      schema: z.array(SupportedLanguage),
    });
  }

  getTemplate(templateId: string): Promise<Template> {
    return this.http.request('GET', `${this.base}/${encodeURIComponent(templateId)}`, { schema: Template });
  }

  /** POST .../templates/{templateId}/validate: 202 with the template. */
  requestValidation(templateId: string): Promise<Template> {
    return this.http.request('POST', `${this.base}/${encodeURIComponent(templateId)}/validate`, {
      schema: Template,
      okStatus: [200, 202],
    });
  }
}
