import { z } from 'zod';
import type {
  BusinessProfile,
  ClientSteps,
  Deployment,
  DeploymentState,
  NewStickerpack,
  OtpMethod,
  Outcome,
  ProvisioningBackend,
  ProvisionRequest,
  ProvisionResult,
  Stickerpack,
} from '../../deployments/port.js';
import { UNKNOWN_STATE } from '../../deployments/port.js';
import { UserError } from '../../errors.js';
import { type Method, ProviderHttp, type RequestOptions } from '../../http/client.js';
import { ProviderError } from '../../http/errors.js';
import type { TenantId } from '../../store/keys.js';
import { getCredentials } from '../credentials.js';
import { parseGraphError, refusal, rekind } from './errors.js';

/**
 * Meta's WhatsApp Cloud API (Graph) as a provisioning backend. Each call follows Meta's page,
 * cited where it is made; where pages disagree the newest official one wins, and the comment
 * says so. The deployment id is the business phone number id Graph gives the added number.
 *
 * Flow (https://developers.facebook.com/documentation/business-messaging/whatsapp/solution-providers/registering-phone-numbers/,
 * "Updated: Jun 28, 2026"): add the number to the WABA → request a code → verify it → set the
 * two-step PIN → register. Meta moves nothing on by itself, so these are `steps` the job calls.
 */

const Success = z.looseObject({ success: z.literal(true) });

/** `POST /{WABA_ID}/phone_numbers` answers the new, unverified number's id. */
const Created = z.looseObject({ id: z.string().regex(/^\d{1,30}$/) });

/**
 * The phone number node (`GET /{PHONE_NUMBER_ID}?fields=…`; fields and values from Meta's OpenAPI
 * description, business-messaging-api_v23.0.yaml). Enums are read as strings: Meta adds values.
 */
const NumberNode = z.looseObject({
  id: z.string(),
  display_phone_number: z.string().optional(),
  verified_name: z.string().optional(),
  code_verification_status: z.string().optional(),
  name_status: z.string().optional(),
  new_name_status: z.string().optional(),
  status: z.string().optional(),
  quality_rating: z.string().optional(),
  // UNCONFIRMED(meta-cloud.platform-type): the field is `platform_type` (third-party schemas; the OpenAPI description says `host_platform`).
  platform_type: z.string().optional(),
});
type NumberNode = z.output<typeof NumberNode>;
const NODE_FIELDS =
  'id,display_phone_number,verified_name,code_verification_status,name_status,new_name_status,status,quality_rating,platform_type';

const NumberList = z.looseObject({
  data: z.array(NumberNode).default([]),
  paging: z
    .looseObject({
      cursors: z.looseObject({ after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});

/**
 * `GET /{PHONE_NUMBER_ID}/whatsapp_business_profile` answers `{data:[{…}]}`
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/business-profiles,
 * "Updated: Jun 16, 2026"); the OpenAPI description wraps each item in `business_profile`, so
 * both are read.
 */
const ProfileFields = z.looseObject({
  about: z.string().optional(),
  address: z.string().optional(),
  description: z.string().optional(),
  email: z.string().optional(),
  vertical: z.string().optional(),
  websites: z.array(z.string()).optional(),
  profile_picture_url: z.string().optional(),
});
const ProfileList = z.looseObject({
  data: z.array(z.union([z.looseObject({ business_profile: ProfileFields }), ProfileFields])).default([]),
});

const UploadSession = z.looseObject({ id: z.string().regex(/^upload:\S+$/) });
const UploadHandle = z.looseObject({ h: z.string().min(1) });

/**
 * Profile verticals: our labels (Vonage's, port.ts) to Meta's enum, from the older business
 * profile reference (https://developers.secure.facebook.com/docs/whatsapp/cloud-api/reference/business-profiles);
 * the mapping of labels to values is ours, by meaning.
 */
const VERTICALS: Record<string, string> = {
  Automotive: 'AUTO',
  'Beauty, Spa and Salon': 'BEAUTY',
  'Clothing and Apparel': 'APPAREL',
  Education: 'EDU',
  Entertainment: 'ENTERTAIN',
  'Event Planning and Service': 'EVENT_PLAN',
  'Finance and Banking': 'FINANCE',
  'Food and Grocery': 'GROCERY',
  'Public Service': 'GOVT',
  'Hotel and Lodging': 'HOTEL',
  'Medical and Health': 'HEALTH',
  'Non-profit': 'NONPROFIT',
  'Professional Services': 'PROF_SERVICES',
  'Shopping and Retail': 'RETAIL',
  'Travel and Transportation': 'TRAVEL',
  Restaurant: 'RESTAURANT',
  Other: 'OTHER',
};
const LABELS = Object.fromEntries(Object.entries(VERTICALS).map(([k, v]) => [v, k]));

const digits = (s: string | undefined) => (s ?? '').replace(/\D/g, '');

/**
 * A number's state in the port's terms, from the node. Meta keeps no "code sent" (the job knows
 * it asked), so an unverified number reads INITIALIZING and the job keeps its own CODE_SENT.
 */
export function stateOf(node: NumberNode): { state: DeploymentState; title?: string | undefined } {
  const status = node.status?.toUpperCase();
  // UNCONFIRMED(meta-cloud.connected-means-registered): `status` reads CONNECTED once the number is registered (BSPs report PENDING → CONNECTED; Meta's pages do not say it).
  if (status === 'CONNECTED') return { state: 'READY' };
  if (status === 'BANNED') return { state: 'ERROR' };
  if (status === 'DELETED') return { state: 'DELETED' };
  if (status && !['PENDING', 'UNLINKED', 'LINKED', 'MIGRATED'].includes(status)) {
    // DISCONNECTED (after a deregister), FLAGGED, RESTRICTED, RATE_LIMITED…: shown as Meta says it.
    return { state: UNKNOWN_STATE, title: status.replace(/[^\w -]/g, '').slice(0, 40) };
  }
  if (node.code_verification_status?.toUpperCase() === 'VERIFIED') return { state: 'CODE_VERIFIED' };
  return { state: 'INITIALIZING' };
}

export interface MetaCloudOptions {
  baseUrl: string;
  timeoutMs?: number;
}

export class MetaCloudProvisioning implements ProvisioningBackend, ClientSteps {
  readonly label = 'Meta';
  readonly steps: ClientSteps = this;
  private readonly http: ProviderHttp;
  private readonly uploads: ProviderHttp;

  constructor(
    private readonly tenant: TenantId,
    options: MetaCloudOptions,
  ) {
    const common = {
      provider: 'meta-cloud' as const,
      baseUrl: options.baseUrl,
      tenant,
      parseError: parseGraphError,
      // Graph's limits are per app and WABA (Business Use Case limits); this only keeps one
      // workspace from flooding it.
      rateLimit: { perMinute: 600 },
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    };
    this.http = new ProviderHttp({
      ...common,
      auth: async () => ({ authorization: `Bearer ${(await this.creds()).accessToken}` }),
    });
    // The upload step wants `Authorization: OAuth <token>` in the header, never in the query
    // (https://developers.facebook.com/docs/graph-api/guides/upload, step 2).
    this.uploads = new ProviderHttp({
      ...common,
      auth: async () => ({ authorization: `OAuth ${(await this.creds()).accessToken}` }),
    });
  }

  private creds() {
    return getCredentials(this.tenant, 'meta-cloud');
  }

  private async call<S extends z.ZodType>(
    method: Method,
    path: string,
    opts: RequestOptions<S>,
    http = this.http,
  ): Promise<z.output<S>> {
    try {
      return await http.request(method, path, opts);
    } catch (err) {
      throw rekind(err);
    }
  }

  private node(id: string, rest = '') {
    return `/${encodeURIComponent(id)}${rest}`;
  }

  /**
   * `POST /{WABA_ID}/phone_numbers` with `cc`, `phone_number` (national digits: the phone_numbers
   * reference says "without country code or +"; the solution-provider guide allows either) and
   * `verified_name` (https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/phone_numbers/).
   */
  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    if (!request.displayName)
      throw new UserError('a display name (--name) is needed for the WhatsApp Cloud API');
    try {
      const out = await this.call('POST', this.node(request.wabaId, '/phone_numbers'), {
        schema: Created,
        json: { cc: request.countryCode, phone_number: request.number, verified_name: request.displayName },
      });
      return {
        kind: 'created',
        deployment: {
          id: out.id,
          state: 'INITIALIZING',
          wabaId: request.wabaId,
          countryCode: request.countryCode,
          number: request.number,
        },
      };
    } catch (err) {
      // UNCONFIRMED(meta-cloud.number-in-use-error): a number already on a WABA is refused with 200000 ("Cannot add phone number") or 100 with words saying it is registered; Meta documents no code of its own for it.
      const inUse =
        err instanceof ProviderError &&
        err.kind === 'permanent' &&
        (err.code === '200000' ||
          (err.code === '100' && /already|registered|in use/i.test(err.detail ?? '')));
      if (!inUse) throw err;
      const existing = await this.find(request).catch(() => undefined);
      return { kind: 'number-in-use', existingId: existing?.id, detail: err.detail, existing };
    }
  }

  /** The WABA's numbers (`GET /{WABA_ID}/phone_numbers`, cursor paging), looked through for this one. */
  async find(request: ProvisionRequest): Promise<Deployment | undefined> {
    const want = `${request.countryCode}${request.number}`;
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await this.call('GET', this.node(request.wabaId, '/phone_numbers'), {
        schema: NumberList,
        query: { fields: NODE_FIELDS, limit: 100, after },
      });
      const hit = out.data.find((n) => digits(n.display_phone_number) === want);
      if (hit) return this.toDeployment(hit, request.wabaId);
      after = out.paging?.next ? out.paging.cursors?.after : undefined;
      if (!after) return undefined;
    }
    return undefined;
  }

  private toDeployment(node: NumberNode, wabaId?: string): Deployment {
    const { state, title } = stateOf(node);
    const all = digits(node.display_phone_number);
    const facts: Array<[string, string]> = [
      ['Verification', node.code_verification_status ?? 'unknown'],
      ['Display name', `${node.verified_name ?? '?'} (${node.name_status ?? 'name status unknown'})`],
      ['Status', node.status ?? 'unknown'],
      ['Quality rating', node.quality_rating ?? 'unknown'],
    ];
    if (node.new_name_status && node.new_name_status !== 'NONE')
      facts.push(['New name', node.new_name_status]);
    if (node.platform_type) facts.push(['Platform', node.platform_type]);
    return {
      id: node.id,
      state,
      title,
      detail: node.name_status === 'DECLINED' ? 'display name declined' : undefined,
      wabaId,
      number: all.length > 4 ? all : undefined,
      facts,
    };
  }

  async get(id: string): Promise<Deployment> {
    const node = await this.call('GET', this.node(id), {
      schema: NumberNode,
      query: { fields: NODE_FIELDS },
    });
    return this.toDeployment(node);
  }

  /**
   * `POST /{PHONE_NUMBER_ID}/request_code?code_method=SMS|VOICE&language=en_US`
   * (https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/request_code/;
   * the current page also lists IVR, which we do not offer). Sent as query parameters, as every
   * page's example does; the OpenAPI description's JSON body is not on a page.
   */
  async requestCode(
    id: string,
    method: OtpMethod,
  ): Promise<Outcome<'code-throttled' | 'conflict-resend-otp'>> {
    try {
      await this.call('POST', this.node(id, '/request_code'), {
        schema: Success,
        query: { code_method: method === 'voice' ? 'VOICE' : 'SMS', language: 'en_US' },
      });
      return { ok: true };
    } catch (err) {
      const refused = refusal(err, { 136024: 'code-throttled' as const });
      if (!refused) throw err;
      return { ok: false, ...refused };
    }
  }

  /** A new code, unless the number is verified already (then there is nothing to send it for). */
  async resendOtp(id: string, method: OtpMethod): Promise<Outcome<'conflict-resend-otp' | 'code-throttled'>> {
    const now = await this.get(id);
    if (now.state !== 'INITIALIZING') {
      return { ok: false, reason: 'conflict-resend-otp', detail: `the number is ${now.title ?? now.state}` };
    }
    return this.requestCode(id, method);
  }

  /**
   * `POST /{PHONE_NUMBER_ID}/verify_code?code=…` (the code without its hyphen;
   * https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/verify_code/).
   * 136025 is a wrong (or expired) code.
   */
  async verify(id: string, code: string): Promise<Outcome<'verification-failed'>> {
    try {
      await this.call('POST', this.node(id, '/verify_code'), { schema: Success, query: { code } });
      return { ok: true };
    } catch (err) {
      const refused = refusal(err, { 136025: 'verification-failed' as const });
      if (!refused) throw err;
      return { ok: false, ...refused };
    }
  }

  /**
   * `POST /{PHONE_NUMBER_ID}` with `{"pin": "<6 digits>"}` sets or changes the two-step PIN
   * (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/two-step-verification/,
   * "Updated: Jun 28, 2026"). Setting the same PIN again changes nothing, so it may be retried.
   */
  async setPin(id: string, pin: string): Promise<void> {
    await this.call('POST', this.node(id), { schema: Success, json: { pin }, idempotent: true });
  }

  /**
   * `POST /{PHONE_NUMBER_ID}/register` with `messaging_product` and the 6-digit `pin`
   * (https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/register).
   * Limit: the registration page of Jun 26, 2026 says 10 registrations per number in a 72-hour
   * moving window (then 133016 and 72 hours blocked); a mirror of another revision says 10
   * registrations and 10 deregistrations a week. The newest official page wins: 72 hours.
   */
  async register(
    id: string,
    pin: string,
  ): Promise<Outcome<'pin-mismatch' | 'register-throttled' | 'reverify-needed' | 'account-locked'>> {
    try {
      await this.call('POST', this.node(id, '/register'), {
        schema: Success,
        json: { messaging_product: 'whatsapp', pin },
      });
      return { ok: true };
    } catch (err) {
      const refused = refusal(err, {
        133005: 'pin-mismatch' as const,
        133016: 'register-throttled' as const,
        133006: 'reverify-needed' as const,
        131031: 'account-locked' as const,
      });
      if (!refused) throw err;
      return { ok: false, ...refused };
    }
  }

  /**
   * `POST /{PHONE_NUMBER_ID}/deregister` (Meta's OpenAPI description; the registration page says
   * it makes the number unusable with Cloud API). The number stays on the WABA.
   * UNCONFIRMED(meta-cloud.remove-from-waba): no API to remove a number from the WABA was seen, so "delete" deregisters only.
   */
  async remove(id: string): Promise<Outcome<'conflict-deployment-state' | 'not-found'>> {
    try {
      await this.call('POST', this.node(id, '/deregister'), { schema: Success });
      return { ok: true };
    } catch (err) {
      const refused = refusal(err, {
        133010: 'not-found' as const,
        803: 'not-found' as const,
        133016: 'conflict-deployment-state' as const,
      });
      if (!refused) throw err;
      return { ok: false, ...refused };
    }
  }

  async getProfile(id: string): Promise<BusinessProfile> {
    const out = await this.call('GET', this.node(id, '/whatsapp_business_profile'), {
      schema: ProfileList,
      query: { fields: 'about,address,description,email,profile_picture_url,websites,vertical' },
    });
    const first = out.data[0] as Record<string, unknown> | undefined;
    const inner = first && 'business_profile' in first ? first.business_profile : first;
    const p: z.output<typeof ProfileFields> = ProfileFields.parse(inner ?? {});
    return {
      about: p.about,
      address: p.address,
      description: p.description,
      email: p.email,
      vertical: p.vertical ? (LABELS[p.vertical] ?? p.vertical) : undefined,
      websites: p.websites,
    };
  }

  /**
   * `POST /{PHONE_NUMBER_ID}/whatsapp_business_profile` with `messaging_product: "whatsapp"` and
   * only the fields to change; answers `{"success": true}`, so the profile is read back.
   */
  async updateProfile(id: string, patch: BusinessProfile): Promise<BusinessProfile> {
    const body: Record<string, unknown> = { messaging_product: 'whatsapp' };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      body[k] = k === 'vertical' ? (VERTICALS[v as string] ?? v) : v;
    }
    // Setting the same fields twice leaves the same profile.
    await this.call('POST', this.node(id, '/whatsapp_business_profile'), {
      schema: Success,
      json: body,
      idempotent: true,
    });
    return this.getProfile(id);
  }

  /**
   * The Resumable Upload API (https://developers.facebook.com/docs/graph-api/guides/upload):
   * `POST /{APP_ID}/uploads?file_name&file_length&file_type` → `{id: "upload:…"}`, then
   * `POST /upload:…` with `file_offset: 0` as a header and the bytes as the body → `{h}`, which
   * becomes the profile's `profile_picture_handle`. The guide asks for a User access token.
   * UNCONFIRMED(meta-cloud.upload-system-token): a system user token can start an upload session.
   */
  async setPhoto(
    id: string,
    imageUrl: string,
    image?: { bytes: Buffer; type: string },
  ): Promise<{ imageUrl?: string | undefined }> {
    if (!image)
      throw new UserError('the WhatsApp Cloud API takes the photo itself, not its address: fetch it first');
    const { applicationId } = await this.creds();
    const session = await this.call('POST', `/${encodeURIComponent(applicationId)}/uploads`, {
      schema: UploadSession,
      query: {
        file_name: `profile.${image.type === 'image/png' ? 'png' : 'jpg'}`,
        file_length: image.bytes.length,
        file_type: image.type,
      },
    });
    const uploaded = await this.call(
      'POST',
      // `upload:…` would read as a URL scheme on its own: `./` keeps it a path under the base.
      `/./${session.id}`,
      {
        schema: UploadHandle,
        body: { bytes: image.bytes, type: 'application/octet-stream' },
        headers: { file_offset: '0' },
        // Sending the same bytes from offset 0 again is what "resume" means for a file this small.
        idempotent: true,
      },
      this.uploads,
    );
    await this.call('POST', this.node(id, '/whatsapp_business_profile'), {
      schema: Success,
      json: { messaging_product: 'whatsapp', profile_picture_handle: uploaded.h },
      idempotent: true,
    });
    return { imageUrl };
  }

  async listStickerpacks(_id: string): Promise<Stickerpack[]> {
    throw new UserError(
      'stickerpacks are a Vonage WhatsApp Manager feature; the WhatsApp Cloud API has none',
    );
  }

  async createStickerpack(_id: string, _pack: NewStickerpack): Promise<Stickerpack[]> {
    throw new UserError(
      'stickerpacks are a Vonage WhatsApp Manager feature; the WhatsApp Cloud API has none',
    );
  }
}
