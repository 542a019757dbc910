import { z } from 'zod';
import { config } from '../../config.js';
import { ProviderHttp } from '../../http/client.js';
import { ProviderError } from '../../http/errors.js';
import type { TenantId } from '../../store/keys.js';
import { getCredentials } from '../credentials.js';
import { MAX_RECIPIENTS } from './provider.js';

/**
 * CommBox ("Cirrus") WhatsApp API: templated sends (up to 20 recipients per request), media
 * upload and contact validation. Bearer API key; the encrypted stream id is in every path;
 * every answer (errors too) is the envelope `{status, description, response_time, data}`.
 */

const envelope = <D extends z.ZodType>(data: D) =>
  z.object({
    status: z.union([z.number(), z.string()]).optional(),
    description: z.string().nullish(),
    response_time: z.string().nullish(),
    data,
  });

/**
 * One `data[]` item of a templated send (commbox reference §2, from the official OpenAPI
 * `Commbox.json` 2.07): accepted `{recipient, id, status: 200, object_id?}`, or failed
 * `{recipient, status: 400, failed}` where `failed` is typed object but shown as a string.
 */
const SendItem = z.looseObject({
  recipient: z.union([z.string(), z.number()]).transform(String),
  id: z.union([z.string(), z.number()]).nullish(),
  status: z.union([z.number(), z.string()]).nullish(),
  object_id: z.union([z.number(), z.string()]).nullish(),
  failed: z.unknown().optional(),
});
export type SendItem = z.output<typeof SendItem>;

/** What became of one recipient of a send, in our words. */
export interface RecipientResult {
  /** Digits, as CommBox echoes them. */
  recipient: string;
  outcome: 'sent' | 'failed';
  messageId?: string | undefined;
  objectId?: string | undefined;
  /** The provider's reason for a failure. */
  reason?: string | undefined;
}

function failureText(failed: unknown): string {
  if (typeof failed === 'string') return failed;
  if (failed && typeof failed === 'object') {
    const f = failed as Record<string, unknown>;
    const words = [f.message, f.description, f.error, f.reason, f.title].find((v) => typeof v === 'string');
    return typeof words === 'string' ? words : JSON.stringify(failed);
  }
  return failed === undefined || failed === null ? 'no reason given' : String(failed);
}

function recipientResult(item: SendItem): RecipientResult {
  const status = item.status === undefined || item.status === null ? undefined : Number(item.status);
  const failed = item.failed !== undefined || (status !== undefined && (status < 200 || status >= 300));
  if (failed)
    return { recipient: item.recipient, outcome: 'failed', reason: failureText(item.failed).slice(0, 300) };
  return {
    recipient: item.recipient,
    outcome: 'sent',
    ...(item.id !== undefined && item.id !== null ? { messageId: String(item.id) } : {}),
    ...(item.object_id !== undefined && item.object_id !== null ? { objectId: String(item.object_id) } : {}),
  };
}

const SendEnvelope = envelope(
  z
    .array(SendItem)
    .nullish()
    .transform((v) => v ?? []),
);

export interface SendOutcome {
  /** 200 all accepted, 206 some failed, 400 all failed. */
  httpStatus: number;
  description: string | undefined;
  /** In the order CommBox answered; match them by `recipient`, never by position. */
  results: RecipientResult[];
}

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

function parseCommboxError(status: number, body: unknown): { code?: string; detail?: string } {
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
    opts: { baseUrl?: string; perMinute?: number; timeoutMs?: number } = {},
  ) {
    this.http = new ProviderHttp({
      provider: 'commbox',
      baseUrl: opts.baseUrl ?? config().providers.commbox,
      tenant,
      auth: () => ({ authorization: `Bearer ${creds.apiKey}` }),
      parseError: parseCommboxError,
      rateLimit: { perMinute: opts.perMinute ?? 60 },
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  static async forTenant(
    tenant: TenantId,
    opts: { perMinute?: number; timeoutMs?: number } = {},
  ): Promise<CommboxClient> {
    return new CommboxClient(tenant, await getCredentials(tenant, 'commbox'), opts);
  }

  private get stream(): string {
    return encodeURIComponent(this.creds.streamId);
  }

  /**
   * 200: every recipient accepted; 206: partial failure; 400 with failure items: every recipient
   * failed. Each answers `data[]` per recipient. A 400 without items (a malformed request) and
   * every other status is an error.
   */
  async sendTemplate(messages: TemplatedMessage[]): Promise<SendOutcome> {
    if (messages.length === 0 || messages.length > MAX_RECIPIENTS) {
      throw new RangeError(`a templated send takes 1 to ${MAX_RECIPIENTS} recipients`);
    }
    let httpStatus = 0;
    const body = await this.http.request('POST', `v2/whatsapp/sendtemplatedmessage/${this.stream}`, {
      schema: SendEnvelope,
      okStatus: [200, 206, 400],
      onStatus: (s) => {
        httpStatus = s;
      },
      json: {
        data: messages.map((m) => ({
          template_data: {
            to: digitsOf(m.to),
            template: { name: m.name, language: { code: m.language }, components: m.components },
          },
        })),
      },
    });
    if (httpStatus === 400 && body.data.length === 0) {
      throw new ProviderError({
        provider: 'commbox',
        kind: 'permanent',
        status: 400,
        detail: body.description ?? undefined,
        message: 'commbox rejected the request (400)',
        body,
      });
    }
    return {
      httpStatus,
      description: body.description ?? undefined,
      results: body.data.map(recipientResult),
    };
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

  /**
   * The provider's answer only: the check behind it may report any number as valid.
   * UNCONFIRMED(commbox.validatecontact): what CommBox checks since WhatsApp retired On-Premises.
   */
  async validateContact(e164: string): Promise<{ valid: boolean }> {
    const out = await this.http.request('GET', `whatsapp/validatecontact/${this.stream}/${digitsOf(e164)}`, {
      schema: ValidateEnvelope,
    });
    return { valid: out.data.valid };
  }
}
