import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { clock } from '../../clock.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { RecordStore } from '../journal.js';
import type { ProviderSandbox, SandboxContext } from './framework.js';
import {
  deliverWebhook,
  hmacHex,
  route,
  type SandboxRequest,
  type SandboxResponse,
  startSandbox,
} from './framework.js';

/**
 * Meta's WhatsApp Cloud API (Graph) for number provisioning, written from Meta's documents, not
 * from our client:
 * - add a number: https://developers.facebook.com/documentation/business-messaging/whatsapp/solution-providers/registering-phone-numbers/
 *   ("Updated: Jun 28, 2026") and https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/phone_numbers/
 * - request_code, verify_code, register: https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/request_code/
 *   (…/verify_code/, …/register) and the registration page
 *   https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/registration/
 *   ("Updated: Jun 26, 2026": 10 registrations per number in a 72-hour moving window, then 133016)
 * - two-step PIN: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/two-step-verification/
 * - business profile: https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/business-profiles
 *   ("Updated: Jun 16, 2026"; field limits from the older reference
 *   https://developers.secure.facebook.com/docs/whatsapp/cloud-api/reference/business-profiles)
 * - resumable upload: https://developers.facebook.com/docs/graph-api/guides/upload
 * - node fields, list paging, deregister and the error envelope: Meta's OpenAPI description
 *   (facebook/openapi `business-messaging-api_v23.0.yaml`, MIT)
 * - `phone_number_name_update`: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_name_update
 *   ("Updated: May 21, 2026"), signed `X-Hub-Signature-256` as every Meta webhook.
 *
 * Sandbox conventions (as the other sandboxes): the code is always `123456`; a number ending in
 * 0000 is told `success` but never receives a code (so any code is wrong); a display name
 * containing "reject" is declined at review. Meta reviews a display name later (when the number
 * reaches a higher messaging limit): here, on the tick after registration, with a
 * `phone_number_name_update` webhook. Errors are Graph's envelope
 * `{"error":{"message","type","code","error_subcode"?,"error_user_title"?,"error_user_msg"?,"fbtrace_id"}}`,
 * with HTTP 400 for application errors, 401 for a bad token, 500 and 429 for faults.
 * The sandbox's own limit on code requests (5 an hour per number, then 136024) stands in for
 * Meta's, which no page gives a number for.
 */

export const META_CLOUD_OTP = '123456';
export const META_GRAPH_VERSION = 'v26.0';
const CODE_REQUESTS_PER_HOUR = 5;
const REGISTER_WINDOW_MS = 72 * 3_600_000;
const REGISTER_LIMIT = 10;

interface SandboxNumber {
  id: string;
  waba_id: string;
  cc: string;
  phone_number: string;
  verified_name: string;
  code_verification_status: 'VERIFIED' | 'NOT_VERIFIED';
  name_status: 'PENDING_REVIEW' | 'APPROVED' | 'DECLINED';
  status: 'PENDING' | 'CONNECTED' | 'DISCONNECTED';
  quality_rating: 'GREEN' | 'UNKNOWN';
  /** The code the number was sent (none for numbers ending 0000, or before a request). */
  pendingCode?: string | undefined;
  codeRequests: number[];
  pin?: string | undefined;
  registrations: number;
  registerAttempts: number[];
  deregistrations: number;
  /** The tick after registration reviews the display name. */
  reviewDue: boolean;
  profile: Record<string, unknown>;
  createdAt: string;
}

interface UploadSession {
  id: string;
  file_length: number;
  file_type: string;
  received: number;
  handle?: string | undefined;
}

const VERTICALS = [
  'UNDEFINED',
  'OTHER',
  'AUTO',
  'BEAUTY',
  'APPAREL',
  'EDU',
  'ENTERTAIN',
  'EVENT_PLAN',
  'FINANCE',
  'GROCERY',
  'GOVT',
  'HOTEL',
  'HEALTH',
  'NONPROFIT',
  'PROF_SERVICES',
  'RETAIL',
  'TRAVEL',
  'RESTAURANT',
  'NOT_A_BIZ',
];

/** Graph's error envelope. */
export function graphError(
  status: number,
  code: number,
  message: string,
  extra: { type?: string; subcode?: number; userTitle?: string; userMsg?: string } = {},
): SandboxResponse {
  return {
    status,
    body: {
      error: {
        message,
        type: extra.type ?? (code === 190 ? 'OAuthException' : 'OAuthException'),
        code,
        ...(extra.subcode !== undefined ? { error_subcode: extra.subcode } : {}),
        ...(extra.userTitle ? { error_user_title: extra.userTitle } : {}),
        ...(extra.userMsg ? { error_user_msg: extra.userMsg } : {}),
        fbtrace_id: randomBytes(8).toString('base64url'),
      },
    },
  };
}

const invalid = (message: string) => graphError(400, 100, `(#100) ${message}`);
const ok = (): SandboxResponse => ({ status: 200, body: { success: true } });

export interface GraphCall {
  method: string;
  path: string;
  status: number;
  code?: number | undefined;
}

/** The system user the sandbox's access token belongs to (`GET /me`). */
const SANDBOX_SYSTEM_USER = '100000000000042';

export async function startMetaCloudSandbox(ctx: SandboxContext): Promise<ProviderSandbox> {
  const store = new RecordStore<SandboxNumber>(
    ctx.dataDir ? join(ctx.dataDir, 'sandbox-meta-cloud.jsonl') : undefined,
  );
  const uploads = new Map<string, UploadSession>();
  const handles = new Set<string>();
  const log: GraphCall[] = [];
  const creds = SANDBOX_CREDENTIALS['meta-cloud'];
  const reviewed: SandboxNumber[] = [];

  const save = (n: SandboxNumber, patch: Partial<SandboxNumber>) => store.put({ ...n, ...patch });
  const display = (n: SandboxNumber) => `+${n.cc} ${n.phone_number}`;

  /** Query parameters and a JSON or form body both carry Graph parameters. */
  const param = (req: SandboxRequest, name: string): unknown => {
    const b = req.body as Record<string, unknown> | undefined;
    if (b && typeof b === 'object' && name in b) return b[name];
    if (req.query.has(name)) return req.query.get(name);
    if (String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) {
      return new URLSearchParams(req.rawBody.toString('utf8')).get(name) ?? undefined;
    }
    return undefined;
  };

  const node = (n: SandboxNumber, list = false) => ({
    id: n.id,
    display_phone_number: display(n),
    verified_name: n.verified_name,
    // The list schema says NOT_VERIFIED, the node schema UNVERIFIED (Meta's OpenAPI description).
    code_verification_status:
      n.code_verification_status === 'VERIFIED' ? 'VERIFIED' : list ? 'NOT_VERIFIED' : 'UNVERIFIED',
    name_status: n.name_status,
    new_name_status: 'NONE',
    status: n.status,
    quality_rating: list ? n.quality_rating : n.quality_rating === 'UNKNOWN' ? 'NA' : n.quality_rating,
    platform_type: n.status === 'CONNECTED' ? 'CLOUD_API' : 'NOT_APPLICABLE',
  });
  const pick = (obj: Record<string, unknown>, fields: string | null) => {
    // Without `fields`, a node answers its defaults: id, display_phone_number, verified_name, quality_rating.
    const want = (fields ?? 'id,display_phone_number,verified_name,quality_rating')
      .split(',')
      .map((f) => f.trim());
    return Object.fromEntries(Object.entries(obj).filter(([k]) => k === 'id' || want.includes(k)));
  };

  type Handler = (req: SandboxRequest) => SandboxResponse;
  const VERSION = /^v\d+\.\d+$/;
  /** The resumable upload's transfer step takes `OAuth <token>`; every other call `Bearer <token>`. */
  const api = (
    method: string,
    pattern: string,
    handler: Handler,
    auth: (req: SandboxRequest) => 'Bearer' | 'OAuth' = () => 'Bearer',
  ) =>
    route(method, `/:version${pattern}`, (req) => {
      let out: SandboxResponse;
      const token = req.headers.authorization?.match(/^(Bearer|OAuth)\s+(\S+)$/)?.[2];
      const scheme = req.headers.authorization?.split(/\s+/)[0];
      if (!VERSION.test(req.params.version ?? '')) {
        out = graphError(400, 2500, `Unknown path components: /${req.params.version ?? ''}`);
      } else if (!token || token !== creds.accessToken || scheme !== auth(req)) {
        out = graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
      } else out = handler(req);
      const e = (out.body as { error?: { code?: number } } | undefined)?.error;
      log.push({ method, path: req.path, status: out.status, code: e?.code });
      if (log.length > 1000) log.splice(0, log.length - 1000);
      return out;
    });

  const withNumber =
    (handler: (req: SandboxRequest, n: SandboxNumber) => SandboxResponse): Handler =>
    (req) => {
      const n = store.get(req.params.id ?? '');
      if (!n) {
        return graphError(
          400,
          100,
          `Unsupported post request. Object with ID '${req.params.id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
          { subcode: 33 },
        );
      }
      return handler(req, n);
    };

  const routes = [
    api('POST', '/:waba/phone_numbers', (req) => {
      const waba = req.params.waba ?? '';
      if (!/^\d{5,32}$/.test(waba)) return invalid('Invalid WhatsApp Business Account id');
      const cc = param(req, 'cc');
      const phone = param(req, 'phone_number');
      const name = param(req, 'verified_name');
      if (typeof cc !== 'string' || !/^\d{1,3}$/.test(cc))
        return invalid('Param cc must be a country calling code');
      if (typeof phone !== 'string' || !/^[1-9]\d{6,14}$/.test(phone))
        return invalid('Param phone_number must be the number without its country code');
      if (typeof name !== 'string' || name.trim().length < 2 || name.length > 75)
        return invalid('Param verified_name must be 2 to 75 characters');
      const existing = store.all().find((n) => n.cc === cc && n.phone_number === phone);
      if (existing && existing.waba_id !== waba) {
        return graphError(400, 200000, 'Cannot add phone number to WhatsApp Business Account', {
          userTitle: 'Phone number already in use',
          userMsg: 'This phone number is already registered with another WhatsApp Business Account.',
        });
      }
      if (existing) return invalid('Phone number is already registered with WhatsApp Business');
      const n = store.put({
        id: String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100_000, 999_999)),
        waba_id: waba,
        cc,
        phone_number: phone,
        verified_name: name.trim(),
        code_verification_status: 'NOT_VERIFIED',
        name_status: 'PENDING_REVIEW',
        status: 'PENDING',
        quality_rating: 'UNKNOWN',
        codeRequests: [],
        registrations: 0,
        registerAttempts: [],
        deregistrations: 0,
        reviewDue: false,
        profile: {},
        createdAt: new Date(clock.now()).toISOString(),
      });
      return { status: 200, body: { id: n.id } };
    }),
    api('GET', '/:waba/phone_numbers', (req) => {
      const limit = Number(req.query.get('limit') ?? 25);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100)
        return invalid('Param limit must be 1 to 100');
      const all = store.all().filter((n) => n.waba_id === req.params.waba);
      const start = Number(Buffer.from(req.query.get('after') ?? '', 'base64url').toString() || 0);
      const page = all.slice(start, start + limit);
      const end = start + page.length;
      const fields = req.query.get('fields');
      return {
        status: 200,
        body: {
          data: page.map((n) => pick(node(n, true), fields)),
          paging: {
            cursors: {
              before: Buffer.from(String(start)).toString('base64url'),
              after: Buffer.from(String(end)).toString('base64url'),
            },
            ...(end < all.length
              ? { next: `${req.path}?after=${Buffer.from(String(end)).toString('base64url')}` }
              : {}),
          },
        },
      };
    }),
    // `/{id}` is a phone number, or an upload session (`upload:<id>`) of the resumable upload API.
    api('GET', '/:id', (req) => {
      // `/me`: the token's own node (a system user), https://developers.facebook.com/docs/graph-api/overview#me
      if (req.params.id === 'me') {
        return {
          status: 200,
          body: pick({ id: SANDBOX_SYSTEM_USER, name: 'Sandbox system user' }, req.query.get('fields')),
        };
      }
      const session = uploads.get(req.params.id ?? '');
      if (session) return { status: 200, body: { id: session.id, file_offset: session.received } };
      return withNumber((r, n) => ({ status: 200, body: pick(node(n), r.query.get('fields')) }))(req);
    }),
    api(
      'POST',
      '/:id',
      (req) => {
        const session = uploads.get(req.params.id ?? '');
        if (!session) {
          // `POST /{PHONE_NUMBER_ID}` with `{"pin"}` sets or changes the two-step PIN.
          return withNumber((r, n) => {
            const pin = param(r, 'pin');
            if (typeof pin !== 'string' || !/^\d{6}$/.test(pin)) return invalid('Param pin must be 6 digits');
            save(n, { pin });
            return ok();
          })(req);
        }
        const offset = req.headers.file_offset;
        if (offset === undefined) return invalid('file_offset header is required');
        if (Number(offset) !== session.received) return invalid(`file_offset must be ${session.received}`);
        const received = session.received + req.rawBody.length;
        if (received > session.file_length) return invalid('More bytes than file_length');
        session.received = received;
        if (received < session.file_length)
          return { status: 200, body: { id: session.id, file_offset: received } };
        session.handle ??= `4::${randomBytes(12).toString('base64url')}`;
        handles.add(session.handle);
        return { status: 200, body: { h: session.handle } };
      },
      (req) => (uploads.has(req.params.id ?? '') ? 'OAuth' : 'Bearer'),
    ),
    api(
      'POST',
      '/:id/request_code',
      withNumber((req, n) => {
        const method = param(req, 'code_method');
        const language = param(req, 'language');
        if (method !== 'SMS' && method !== 'VOICE' && method !== 'IVR')
          return invalid('Param code_method must be one of {SMS, VOICE, IVR}');
        if (typeof language !== 'string' || !/^[a-z]{2}(_[A-Z]{2})?$/.test(language))
          return invalid('Param language must be a locale, e.g. en_US');
        const now = clock.now();
        const recent = n.codeRequests.filter((t) => now - t < 3_600_000);
        if (recent.length >= CODE_REQUESTS_PER_HOUR) {
          return graphError(400, 136024, 'Request code error', {
            userTitle: 'Too many requests',
            userMsg: 'You have requested a code too many times. Wait before trying again.',
          });
        }
        // A number ending 0000 is told success, but the code never arrives.
        save(n, {
          codeRequests: [...recent, now],
          pendingCode: n.phone_number.endsWith('0000') ? undefined : META_CLOUD_OTP,
        });
        return ok();
      }),
    ),
    api(
      'POST',
      '/:id/verify_code',
      withNumber((req, n) => {
        const code = param(req, 'code');
        if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return invalid('Param code must be 6 digits');
        if (n.code_verification_status === 'VERIFIED') return ok();
        if (!n.pendingCode || code !== n.pendingCode) {
          return graphError(400, 136025, 'Verify code error', {
            userTitle: 'Code could not be verified',
            userMsg: 'The code you entered is incorrect or has expired.',
          });
        }
        save(n, { code_verification_status: 'VERIFIED', pendingCode: undefined });
        return ok();
      }),
    ),
    api(
      'POST',
      '/:id/register',
      withNumber((req, n) => {
        if (param(req, 'messaging_product') !== 'whatsapp')
          return invalid('Param messaging_product must be whatsapp');
        const pin = param(req, 'pin');
        if (typeof pin !== 'string' || !/^\d{6}$/.test(pin)) return invalid('Param pin must be 6 digits');
        const now = clock.now();
        const attempts = n.registerAttempts.filter((t) => now - t < REGISTER_WINDOW_MS);
        if (attempts.length >= REGISTER_LIMIT) {
          return graphError(
            400,
            133016,
            'Registration or Deregistration failed because there were too many attempts for this phone number in a short period of time',
          );
        }
        const tried = save(n, { registerAttempts: [...attempts, now] });
        if (tried.code_verification_status !== 'VERIFIED')
          return graphError(400, 133006, 'Phone number re-verification needed');
        if (tried.pin && tried.pin !== pin)
          return graphError(400, 133005, 'Two step verification PIN Mismatch');
        // With no PIN yet, the one given becomes the number's PIN (registration page).
        save(tried, {
          pin,
          status: 'CONNECTED',
          registrations: tried.registrations + 1,
          reviewDue: tried.name_status === 'PENDING_REVIEW',
        });
        return ok();
      }),
    ),
    api(
      'POST',
      '/:id/deregister',
      withNumber((_req, n) => {
        if (n.status !== 'CONNECTED') return graphError(400, 133010, 'The account is not registered');
        save(n, { status: 'DISCONNECTED', deregistrations: n.deregistrations + 1 });
        return ok();
      }),
    ),
    api(
      'GET',
      '/:id/whatsapp_business_profile',
      withNumber((req, n) => {
        const fields = req.query.get('fields');
        const all = { ...n.profile, messaging_product: 'whatsapp' } as Record<string, unknown>;
        const body = fields
          ? Object.fromEntries(
              Object.entries(all).filter(([k]) => k === 'messaging_product' || fields.split(',').includes(k)),
            )
          : all;
        return { status: 200, body: { data: [body] } };
      }),
    ),
    api(
      'POST',
      '/:id/whatsapp_business_profile',
      withNumber((req, n) => {
        const b = (req.body ?? {}) as Record<string, unknown>;
        if (b.messaging_product !== 'whatsapp') return invalid('Param messaging_product must be whatsapp');
        const text = (k: string, max: number, min = 0) => {
          const v = b[k];
          if (v === undefined) return undefined;
          if (typeof v !== 'string' || v.length < min || v.length > max)
            return invalid(`Param ${k} must be a string of ${min} to ${max} characters`);
          return undefined;
        };
        const bad =
          text('about', 139, 1) ?? text('address', 256) ?? text('description', 512) ?? text('email', 128);
        if (bad) return bad;
        if (typeof b.email === 'string' && b.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(b.email))
          return invalid('Param email must be a valid email address');
        if (b.vertical !== undefined && b.vertical !== '' && !VERTICALS.includes(b.vertical as string))
          return invalid(`Param vertical must be one of {${VERTICALS.join(', ')}}`);
        if (b.websites !== undefined) {
          const w = b.websites;
          if (
            !Array.isArray(w) ||
            w.length > 2 ||
            w.some((x) => typeof x !== 'string' || x.length > 256 || !/^https?:\/\//.test(x))
          )
            return invalid('Param websites must be at most 2 http(s) URLs of at most 256 characters');
        }
        const patch: Record<string, unknown> = {};
        for (const k of ['about', 'address', 'description', 'email', 'vertical', 'websites'])
          if (b[k] !== undefined) patch[k] = b[k];
        if (b.profile_picture_handle !== undefined) {
          if (typeof b.profile_picture_handle !== 'string' || !handles.has(b.profile_picture_handle))
            return invalid('Param profile_picture_handle is not a valid upload handle');
          patch.profile_picture_url = `https://pps.whatsapp.net/sandbox/${n.id}.jpg`;
        }
        save(n, { profile: { ...n.profile, ...patch } });
        return ok();
      }),
    ),
    api('POST', '/:app/uploads', (req) => {
      if (req.params.app !== creds.applicationId) return graphError(400, 100, 'Invalid application id');
      const length = Number(req.query.get('file_length'));
      const type = req.query.get('file_type') ?? '';
      if (!req.query.get('file_name')) return invalid('Param file_name is required');
      if (!Number.isInteger(length) || length < 1)
        return invalid('Param file_length must be a positive integer');
      if (!['application/pdf', 'image/jpeg', 'image/jpg', 'image/png', 'video/mp4'].includes(type))
        return invalid(
          'Param file_type must be one of application/pdf, image/jpeg, image/jpg, image/png, video/mp4',
        );
      const id = `upload:${randomBytes(12).toString('base64url')}`;
      uploads.set(id, { id, file_length: length, file_type: type, received: 0 });
      return { status: 200, body: { id } };
    }),
  ];

  const running = await startSandbox('meta-cloud', routes, {
    rate: ctx.faultRate,
    errorBody: (status) =>
      status === 429
        ? graphError(429, 80007, 'Rate limit issues').body
        : graphError(500, 2, 'Service temporarily unavailable', { type: 'OAuthException' }).body,
  });

  return {
    name: 'meta-cloud',
    envVar: 'META_GRAPH_BASE_URL',
    basePath: `/${META_GRAPH_VERSION}`,
    running,
    // A registered number's display name is reviewed on the next tick, and Meta says so by webhook.
    async tick() {
      for (const n of store.all()) {
        if (!n.reviewDue) continue;
        const declined = /reject/i.test(n.verified_name);
        reviewed.push(save(n, { reviewDue: false, name_status: declined ? 'DECLINED' : 'APPROVED' }));
      }
      if (reviewed.length === 0) return;
      const { webhookUrl } = await import('../../security/webhooks.js');
      const { tenantId } = await import('../../store/keys.js');
      const url = await webhookUrl(tenantId('T0SANDBOX'), 'meta');
      const secret = SANDBOX_CREDENTIALS.meta.appSecret;
      for (const n of reviewed.splice(0)) {
        const declined = n.name_status === 'DECLINED';
        const body = {
          object: 'whatsapp_business_account',
          entry: [
            {
              id: n.waba_id,
              time: Math.floor(clock.now() / 1000),
              changes: [
                {
                  field: 'phone_number_name_update',
                  value: {
                    display_phone_number: `${n.cc}${n.phone_number}`,
                    decision: declined ? 'REJECTED' : 'APPROVED',
                    requested_verified_name: n.verified_name,
                    rejection_reason: declined ? 'NAME_FORMAT_UNACCEPTABLE' : null,
                  },
                },
              ],
            },
          ],
        };
        await deliverWebhook(url, body, (raw) => ({
          'x-hub-signature-256': `sha256=${hmacHex(secret, raw)}`,
        }));
      }
    },
    state: () => ({
      numbers: store.all().map(({ pin, pendingCode: _c, ...n }) => ({ ...n, pinSet: Boolean(pin) })),
      uploads: [...uploads.values()].map(({ id, file_length, received }) => ({ id, file_length, received })),
      requests: log,
    }),
  };
}
