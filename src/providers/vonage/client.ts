import { z } from 'zod';
import type {
  BusinessProfile,
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
import { DEPLOYMENT_STATES, UNKNOWN_STATE } from '../../deployments/port.js';
import { ProviderHttp } from '../../http/client.js';
import { operationOf, recordDrift } from '../../http/drift.js';
import { ProviderError } from '../../http/errors.js';
import type { TenantId } from '../../store/keys.js';
import { getCredentials } from '../credentials.js';
import { vonageAuthHeader } from './auth.js';

/**
 * Vonage WhatsApp Manager ("WhatsApp Provisioning API", v0.1), as described by
 * `spec/vonage/whatsapp-provisioning.yml` (vendored). Vonage marks it deprecated: it lives behind
 * the deployment port so a successor can replace it.
 */

/**
 * `DeploymentResponse` of the description: every property is optional there (no `required`),
 * so here too; `current_state.title` is an enum there, but a state added later must not break
 * us, so any string is read and an unknown one becomes UNKNOWN (see `toDeployment`).
 */
const deploymentSchema = z
  .object({
    deployment_id: z.string().min(1).optional(),
    waba_id: z.string().optional(),
    country_code: z.string().optional(),
    number: z.string().optional(),
    api_key: z.string().optional(),
    current_state: z
      .object({
        title: z.string().optional(),
        detail: z.string().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

const profileSchema = z
  .object({
    about: z.string().optional(),
    address: z.string().optional(),
    description: z.string().optional(),
    email: z.string().optional(),
    vertical: z.string().optional(),
    websites: z.array(z.string()).optional(),
  })
  .loose();

const stickerpackSchema = z
  .object({
    id: z.string().optional(),
    name: z.string().optional(),
    publisher: z.string().optional(),
    ios_app_store_link: z.string().optional(),
    android_app_store_link: z.string().optional(),
  })
  .loose();
const stickerpacksSchema = z.object({ stickerpacks: z.array(stickerpackSchema).default([]) }).loose();

/** RFC 7807 problem details, as Vonage sends them. */
const problemSchema = z
  .object({
    type: z.string().optional(),
    title: z.string().optional(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    invalid_parameters: z
      .array(z.object({ name: z.string().optional(), reason: z.string().optional() }).loose())
      .optional(),
  })
  .loose();

/**
 * The provider's own code is the last segment of the problem `type` URL: the spec's types are
 * `https://developer.nexmo.com/api-errors/whatsapp-provisioning#number-in-use` (a fragment) or
 * `https://developer.nexmo.com/api-errors#not-found`; a plain path segment is accepted too.
 */
export function parseVonageError(
  _status: number,
  body: unknown,
): { code?: string | undefined; detail?: string | undefined } {
  const parsed = problemSchema.safeParse(body);
  if (!parsed.success) return {};
  const p = parsed.data;
  const code = p.type
    ?.split(/[#/]/)
    .filter(Boolean)
    .pop()
    ?.replace(/[^\w.-]/g, '');
  const params = (p.invalid_parameters ?? [])
    .map((i) => [i.name, i.reason].filter(Boolean).join(': '))
    .filter(Boolean);
  // Vonage's sentences end with a full stop; joined as they are they read "failed.; code: ...".
  const detail =
    [p.detail ?? p.title, ...params]
      .map((x) => x?.trim().replace(/[\s.;:,]+$/, ''))
      .filter(Boolean)
      .join('; ') || undefined;
  return { code: code || undefined, detail };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function toDeployment(d: z.output<typeof deploymentSchema>, knownId?: string): Deployment {
  const id = d.deployment_id ?? knownId;
  if (!id) {
    // Optional in the description, but nothing can be followed without it. The job's
    // reconcile (provision again: `number-in-use` names the existing id) finds it.
    throw new ProviderError({
      provider: 'vonage',
      kind: 'transient',
      code: 'no-deployment-id',
      message: 'Vonage accepted the deployment but named no deployment_id',
    });
  }
  const raw = d.current_state?.title;
  const title = raw?.toUpperCase();
  const known = title !== undefined && (DEPLOYMENT_STATES as readonly string[]).includes(title);
  return {
    id,
    state: known ? (title as DeploymentState) : UNKNOWN_STATE,
    detail: d.current_state?.detail,
    // Shown to people: keep it to a plain state name.
    title: known ? undefined : (raw ?? '(none)').replace(/[^\w -]/g, '').slice(0, 40) || '(none)',
    wabaId: d.waba_id,
    countryCode: d.country_code,
    number: d.number,
  };
}

const fromPack = (p: z.output<typeof stickerpackSchema>): Stickerpack => ({
  id: p.id,
  name: p.name,
  publisher: p.publisher,
  iosAppStoreLink: p.ios_app_store_link,
  androidAppStoreLink: p.android_app_store_link,
});

function refusedWith<C extends string>(
  err: unknown,
  ...codes: C[]
): { reason: C; detail?: string } | undefined {
  if (err instanceof ProviderError && err.kind === 'permanent' && (codes as string[]).includes(err.code)) {
    return { reason: err.code as C, detail: err.detail };
  }
  return undefined;
}

export interface VonageOptions {
  baseUrl: string;
  timeoutMs?: number;
}

export class VonageProvisioning implements ProvisioningBackend {
  readonly label = 'Vonage';
  private readonly http: ProviderHttp;

  constructor(tenant: TenantId, options: VonageOptions) {
    this.http = new ProviderHttp({
      provider: 'vonage',
      baseUrl: options.baseUrl,
      tenant,
      auth: async () => vonageAuthHeader(await getCredentials(tenant, 'vonage')),
      parseError: parseVonageError,
      rateLimit: { perMinute: 1200 },
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  private path(id: string, rest = ''): string {
    return `/deployments/${encodeURIComponent(id)}${rest}`;
  }

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    try {
      const out = await this.http.request('POST', '/deployments', {
        schema: deploymentSchema,
        okStatus: [202, 200, 201],
        json: {
          country_code: request.countryCode,
          number: request.number,
          vname_certificate: request.certificate,
          method: request.method,
          waba_id: request.wabaId,
          ...(request.pin ? { pin: request.pin } : {}),
        },
      });
      return { kind: 'created', deployment: toDeployment(out) };
    } catch (err) {
      const refused = refusedWith(err, 'number-in-use');
      if (!refused) throw err;
      return { kind: 'number-in-use', existingId: refused.detail?.match(UUID)?.[0], detail: refused.detail };
    }
  }

  async get(id: string): Promise<Deployment> {
    const dep = toDeployment(await this.http.request('GET', this.path(id), { schema: deploymentSchema }), id);
    if (dep.state === UNKNOWN_STATE)
      // A state outside the description's enum: admins see that one came (not which).
      await recordDrift(this.http.options.tenant, {
        provider: 'vonage',
        operation: operationOf('GET', this.path(id)),
        kind: 'value',
        issues: [{ path: 'current_state.title', problem: `expected one of ${DEPLOYMENT_STATES.join(', ')}` }],
        sample: { current_state: { title: dep.title } },
      });
    return dep;
  }

  async verify(id: string, code: string): Promise<Outcome<'verification-failed'>> {
    try {
      await this.http.request('POST', this.path(id, '/verify'), {
        schema: z.unknown(),
        okStatus: [201, 200],
        json: { code },
      });
      return { ok: true };
    } catch (err) {
      const refused = refusedWith(err, 'verification-failed');
      if (!refused) throw err;
      return { ok: false, ...refused };
    }
  }

  async resendOtp(id: string, method: OtpMethod): Promise<Outcome<'conflict-resend-otp'>> {
    try {
      await this.http.request('POST', this.path(id, '/resend-otp'), {
        schema: z.unknown(),
        okStatus: [202, 200],
        json: { method },
      });
      return { ok: true };
    } catch (err) {
      const refused = refusedWith(err, 'conflict-resend-otp');
      if (!refused) throw err;
      return { ok: false, ...refused };
    }
  }

  async remove(id: string): Promise<Outcome<'conflict-deployment-state' | 'not-found'>> {
    try {
      await this.http.request('DELETE', this.path(id), { schema: z.unknown(), okStatus: [204, 200, 202] });
      return { ok: true };
    } catch (err) {
      const refused = refusedWith(err, 'conflict-deployment-state', 'not-found');
      if (!refused) throw err;
      return { ok: false, ...refused };
    }
  }

  async getProfile(id: string): Promise<BusinessProfile> {
    return await this.http.request('GET', this.path(id, '/profile'), { schema: profileSchema });
  }

  async updateProfile(id: string, patch: BusinessProfile): Promise<BusinessProfile> {
    const body = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    return await this.http.request('PATCH', this.path(id, '/profile'), { schema: profileSchema, json: body });
  }

  async setPhoto(id: string, imageUrl: string): Promise<{ imageUrl?: string | undefined }> {
    const out = await this.http.request('POST', this.path(id, '/profile/photo'), {
      schema: z.object({ image_url: z.string().optional() }).loose(),
      json: { image_url: imageUrl },
      // Replacing the photo with the same URL twice is harmless.
      idempotent: true,
    });
    return { imageUrl: out.image_url };
  }

  // UNCONFIRMED(vonage.stickerpack-paths): modelled on seed 004, not in Vonage's description.
  async listStickerpacks(id: string): Promise<Stickerpack[]> {
    const out = await this.http.request('GET', this.path(id, '/stickerpacks'), {
      schema: stickerpacksSchema,
    });
    return out.stickerpacks.map(fromPack);
  }

  // UNCONFIRMED(vonage.stickerpack-create-answer): read like the list, or empty.
  async createStickerpack(id: string, pack: NewStickerpack): Promise<Stickerpack[]> {
    const out = await this.http.request('POST', this.path(id, '/stickerpacks'), {
      schema: z.union([stickerpacksSchema, z.undefined(), z.object({}).loose()]),
      json: {
        publisher: pack.publisher,
        name: pack.name,
        ...(pack.iosAppStoreLink ? { ios_app_store_link: pack.iosAppStoreLink } : {}),
        ...(pack.androidAppStoreLink ? { android_app_store_link: pack.androidAppStoreLink } : {}),
      },
    });
    const packs = (out as { stickerpacks?: Array<z.output<typeof stickerpackSchema>> } | undefined)
      ?.stickerpacks;
    return (packs ?? []).map(fromPack);
  }
}
