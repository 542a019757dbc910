import { z } from 'zod';
import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import { getCredentials } from '../../security/credentials.js';
import type { TenantId } from '../../store/keys.js';

/**
 * CommBox ("Cirrus") WhatsApp API: templated sends (up to 20 recipients per request), media
 * upload and contact validation. Bearer API key; the encrypted stream id is in every path;
 * every answer (errors too) is the envelope `{status, description, response_time, data}`.
 */

export const MAX_RECIPIENTS = 20;

const envelope = <D extends z.ZodType>(data: D) =>
  z.object({
    status: z.union([z.number(), z.string()]).optional(),
    description: z.string().nullish(),
    response_time: z.string().nullish(),
    data,
  });

export const SendResult = z.looseObject({
  to: z.union([z.string(), z.number()]).optional(),
  status: z.union([z.string(), z.number()]).optional(),
  message_id: z.string().nullish(),
  error: z.string().nullish(),
});
export type SendResult = z.output<typeof SendResult>;

const SendEnvelope = envelope(
  z
    .array(SendResult)
    .nullish()
    .transform((v) => v ?? []),
);
const UploadEnvelope = envelope(z.array(z.looseObject({ filename: z.string().nullish(), id: z.string() })));
const ValidateEnvelope = envelope(z.looseObject({ valid: z.boolean() }));

export interface TemplateComponentParameter {
  type: 'text' | 'document' | 'image' | 'video';
  text?: string;
  document?: { link?: string; id?: string; filename?: string };
  image?: { link?: string; id?: string };
  video?: { link?: string; id?: string };
}
export interface TemplateComponent {
  type: 'header' | 'body';
  parameters: TemplateComponentParameter[];
}

export interface TemplatedMessage {
  /** E.164; sent as digits without `+` as CommBox wants. */
  to: string;
  name: string;
  language: string;
  components: TemplateComponent[];
}

export function parseCommboxError(status: number, body: unknown): { code?: string; detail?: string } {
  if (!body || typeof body !== 'object') return {};
  const b = body as { status?: unknown; description?: unknown };
  const description = typeof b.description === 'string' ? b.description.slice(0, 300) : undefined;
  const code = b.status !== undefined && String(b.status) !== String(status) ? String(b.status) : undefined;
  return { ...(code ? { code } : {}), ...(description ? { detail: description } : {}) };
}

export const digitsOf = (e164: string) => e164.replace(/\D/g, '');

export class CommboxClient {
  private readonly http: ProviderHttp;

  constructor(
    tenant: TenantId,
    private readonly creds: { apiKey: string; streamId: string },
    opts: { baseUrl?: string; perMinute?: number } = {},
  ) {
    this.http = new ProviderHttp({
      provider: 'commbox',
      baseUrl: opts.baseUrl ?? config().providers.commbox,
      tenant,
      auth: () => ({ authorization: `Bearer ${creds.apiKey}` }),
      parseError: parseCommboxError,
      rateLimit: { perMinute: opts.perMinute ?? 60 },
    });
  }

  static async forTenant(tenant: TenantId, opts: { perMinute?: number } = {}): Promise<CommboxClient> {
    return new CommboxClient(tenant, await getCredentials(tenant, 'commbox'), opts);
  }

  private get stream(): string {
    return encodeURIComponent(this.creds.streamId);
  }

  async sendTemplate(messages: TemplatedMessage[]): Promise<SendResult[]> {
    if (messages.length === 0 || messages.length > MAX_RECIPIENTS) {
      throw new RangeError(`a templated send takes 1 to ${MAX_RECIPIENTS} recipients`);
    }
    const out = await this.http.request('POST', `v2/whatsapp/sendtemplatedmessage/${this.stream}`, {
      schema: SendEnvelope,
      json: {
        data: messages.map((m) => ({
          template_data: {
            to: digitsOf(m.to),
            template: { name: m.name, language: { code: m.language }, components: m.components },
          },
        })),
      },
    });
    return out.data;
  }

  /** Multipart field `pic`; answers `data: [{filename, id}]`. */
  async uploadMedia(
    file: Blob,
    filename: string,
  ): Promise<{ id: string; filename?: string | null | undefined }> {
    const form = new FormData();
    form.append('pic', file, filename);
    const out = await this.http.request('POST', `whatsapp/uploadmedia/${this.stream}`, {
      schema: UploadEnvelope,
      form,
    });
    const first = out.data[0];
    if (!first) throw new Error('CommBox returned no media id');
    return first;
  }

  /** The provider's answer only: the check behind it may report any number as valid. */
  async validateContact(e164: string): Promise<{ valid: boolean }> {
    const out = await this.http.request('GET', `whatsapp/validatecontact/${this.stream}/${digitsOf(e164)}`, {
      schema: ValidateEnvelope,
    });
    return { valid: out.data.valid };
  }
}
