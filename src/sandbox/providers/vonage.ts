import { createPublicKey, randomBytes, randomUUID, verify } from 'node:crypto';
import { join } from 'node:path';
import { clock } from '../../clock.js';
import { prepareSandboxVonageApplication, sandboxVonageApplication } from '../credentials.js';
import { RecordStore } from '../journal.js';
import type { ProviderSandbox, SandboxContext } from './framework.js';
import { route, type SandboxRequest, type SandboxResponse, startSandbox } from './framework.js';

/**
 * Vonage WhatsApp Manager, as `spec/vonage/whatsapp-provisioning.yml` (vendored) describes it.
 * A deployment moves one state per poll (GET) to CODE_SENT; the OTP `123456` takes it through
 * CODE_VERIFIED and FINALIZING to READY, one state per poll; any other code gives WRONG_CODE.
 * A state entered through a POST/DELETE is shown once before the next poll moves it on, so a
 * poller sees every state. A vname certificate starting with `invalid` ends in ERROR
 * ("Invalid vname certificate"). Errors are RFC 7807 problem details.
 */

export const VONAGE_BASE_PATH = '/v0.1/whatsapp-manager';
export const SANDBOX_OTP = '123456';

type State =
  | 'INITIALIZING'
  | 'CREATING_CLUSTER'
  | 'CLUSTER_CREATED'
  | 'CODE_SENT'
  | 'WRONG_CODE'
  | 'CODE_VERIFIED'
  | 'FINALIZING'
  | 'READY'
  | 'ERROR'
  | 'DELETING'
  | 'DELETED';

interface SandboxDeployment {
  id: string;
  waba_id: string;
  country_code: string;
  number: string;
  api_key: string;
  method: string;
  state: State;
  detail: string;
  /** Whether a response has shown the current state yet. */
  seen: boolean;
  badCertificate: boolean;
  wrongCodes: number;
  otpSends: number;
  profile: Record<string, unknown>;
  photo?: string | undefined;
  stickerpacks: Array<Record<string, string>>;
  createdAt: string;
}

const NEXT: Partial<Record<State, State>> = {
  INITIALIZING: 'CREATING_CLUSTER',
  CREATING_CLUSTER: 'CLUSTER_CREATED',
  CLUSTER_CREATED: 'CODE_SENT',
  CODE_VERIFIED: 'FINALIZING',
  FINALIZING: 'READY',
  DELETING: 'DELETED',
};

const DETAIL: Record<State, string> = {
  INITIALIZING: 'Initializing deployment',
  CREATING_CLUSTER: 'Creating cluster',
  CLUSTER_CREATED: 'Cluster created',
  CODE_SENT: 'Code sent',
  WRONG_CODE: 'Wrong code provided',
  CODE_VERIFIED: 'Code verified',
  FINALIZING: 'Finalizing deployment',
  READY: 'Deployment ready',
  ERROR: 'Deployment failed',
  DELETING: 'Deleting deployment',
  DELETED: 'Deployment deleted',
};

const VERTICALS = [
  'Automotive',
  'Beauty, Spa and Salon',
  'Clothing and Apparel',
  'Education',
  'Entertainment',
  'Event Planning and Service',
  'Finance and Banking',
  'Food and Grocery',
  'Public Service',
  'Hotel and Lodging',
  'Medical and Health',
  'Non-profit',
  'Professional Services',
  'Shopping and Retail',
  'Travel and Transportation',
  'Restaurant',
  'Other',
];

const PROVISIONING_ERRORS = 'https://developer.nexmo.com/api-errors/whatsapp-provisioning#';
const GENERIC_ERRORS = 'https://developer.nexmo.com/api-errors#';

type Invalid = Array<{ name: string; reason: string }>;

export function problem(
  status: number,
  code: string,
  title: string,
  detail: string,
  invalid?: Invalid,
): SandboxResponse {
  const generic = ['not-found', 'unauthorized', 'forbidden', 'internal-error'].includes(code);
  return {
    status,
    body: {
      type: `${generic ? GENERIC_ERRORS : PROVISIONING_ERRORS}${code}`,
      title,
      detail,
      instance: randomBytes(16).toString('hex'),
      ...(invalid?.length ? { invalid_parameters: invalid } : {}),
    },
  };
}

const unprocessable = (invalid: Invalid, code = 'unprocessable', status = 422) =>
  problem(
    status,
    code,
    'Unprocessable Entity',
    `Invalid parameters: ${invalid.map((i) => i.name).join(', ')}`,
    invalid,
  );

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Vonage's rules for an application JWT (https://developer.vonage.com/conversation/guides/jwt-acl,
 * https://api.support.vonage.com/hc/en-us/articles/360000958407): RS256, signed by the key of
 * the application named in `application_id` (here: the sandbox application,
 * `sandboxVonageApplication()`), `iat` and/or `exp` present; accepted until `exp`, or 15 min
 * after `iat` without one, and never more than 24 h after `iat`; not before `nbf`.
 */
export function acceptsToken(authorization: string | undefined, now = clock.now()): boolean {
  const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) return false;
  const [h, p, s] = token.split('.');
  const header = decodePart(h);
  const payload = decodePart(p);
  if (!header || !payload || !s || header.alg !== 'RS256') return false;
  const app = sandboxVonageApplication();
  if (payload.application_id !== app.applicationId) return false;
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${h}.${p}`),
    createPublicKey(app.privateKey),
    Buffer.from(s, 'base64url'),
  );
  if (!signed) return false;
  const iat = typeof payload.iat === 'number' ? payload.iat : undefined;
  const exp = typeof payload.exp === 'number' ? payload.exp : undefined;
  if (iat === undefined && exp === undefined) return false;
  const nowS = now / 1000;
  if (typeof payload.nbf === 'number' && nowS < payload.nbf) return false;
  const until = Math.min(
    ...[
      exp,
      iat !== undefined && exp === undefined ? iat + 15 * 60 : undefined,
      iat !== undefined ? iat + 86_400 : undefined,
    ].filter((v): v is number => v !== undefined),
  );
  return nowS < until;
}

export interface LoggedCall {
  method: string;
  /** Path below the API base, e.g. `/deployments/{id}`. */
  path: string;
  pattern: string;
  body: unknown;
  status: number;
  response: unknown;
}

export async function startVonageSandbox(ctx: SandboxContext): Promise<ProviderSandbox> {
  // The sandbox application's key pair, made off the event loop before anyone signs with it.
  await prepareSandboxVonageApplication();
  const store = new RecordStore<SandboxDeployment>(
    ctx.dataDir ? join(ctx.dataDir, 'sandbox-vonage.jsonl') : undefined,
  );
  const log: LoggedCall[] = [];

  const view = (d: SandboxDeployment) => ({
    deployment_id: d.id,
    waba_id: d.waba_id,
    country_code: d.country_code,
    number: d.number,
    api_key: d.api_key,
    current_state: { title: d.state, detail: d.detail },
  });
  const save = (d: SandboxDeployment, patch: Partial<SandboxDeployment>) => store.put({ ...d, ...patch });
  const notFound = (id: string) =>
    problem(404, 'not-found', 'Not Found', `Deployment ${id} does not exist or you do not have access.`);

  type Handler = (req: SandboxRequest, d?: SandboxDeployment) => SandboxResponse;
  /** Auth, deployment lookup and the request log around every route. */
  const api = (method: string, pattern: string, handler: Handler, needsDeployment = true) =>
    route(method, `${VONAGE_BASE_PATH}${pattern}`, (req) => {
      let out: SandboxResponse;
      if (!acceptsToken(req.headers.authorization)) {
        out = problem(
          401,
          'unauthorized',
          'You did not provide correct credentials.',
          "Check that you're using the correct credentials, and that your account has this feature enabled",
        );
      } else if (needsDeployment) {
        const d = store.get(req.params.id ?? '');
        out = d ? handler(req, d) : notFound(req.params.id ?? '');
      } else out = handler(req);
      log.push({
        method,
        path: req.path.slice(VONAGE_BASE_PATH.length),
        pattern,
        body: req.body,
        status: out.status,
        response: out.body,
      });
      if (log.length > 500) log.splice(0, log.length - 500);
      return out;
    });

  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const invalidJson = () =>
    problem(400, 'invalid-json', 'Invalid JSON', 'The request body did not contain valid JSON');

  const routes = [
    api(
      'POST',
      '/deployments',
      (req) => {
        if (!isObject(req.body)) return invalidJson();
        const b = req.body;
        const invalid: Invalid = [];
        const check = (name: string, ok: (v: unknown) => boolean, reason: string, required = true) => {
          if (b[name] === undefined) {
            if (required) invalid.push({ name, reason: `${name} is required` });
          } else if (!ok(b[name])) invalid.push({ name, reason });
        };
        const digits = (min: number, max: number) => (v: unknown) =>
          typeof v === 'string' && new RegExp(`^\\d{${min},${max}}$`).test(v);
        check('country_code', digits(1, 4), 'country_code must be 1 to 4 digits');
        check('number', digits(4, 15), 'number must be 4 to 15 digits, without the country code');
        check(
          'vname_certificate',
          (v) => typeof v === 'string' && v.length > 0,
          'vname_certificate must be a string',
        );
        check('method', (v) => v === 'sms' || v === 'voice', 'method must be sms or voice');
        check('waba_id', digits(1, 32), 'waba_id must be digits');
        check('pin', digits(6, 6), 'pin must be 6 digits', false);
        if (invalid.length) return unprocessable(invalid, 'unprocessable', 400);
        const existing = store
          .all()
          .find((d) => d.country_code === b.country_code && d.number === b.number && d.state !== 'DELETED');
        if (existing) {
          return problem(
            409,
            'number-in-use',
            'Number already in use',
            `Active deployment already exists with id ${existing.id}`,
          );
        }
        const d = store.put({
          id: randomUUID(),
          waba_id: b.waba_id as string,
          country_code: b.country_code as string,
          number: b.number as string,
          api_key: randomBytes(4).toString('hex'),
          method: b.method as string,
          state: 'INITIALIZING',
          detail: DETAIL.INITIALIZING,
          seen: true,
          badCertificate: /^invalid/i.test(b.vname_certificate as string),
          wrongCodes: 0,
          otpSends: 0,
          profile: {},
          stickerpacks: [],
          createdAt: new Date(clock.now()).toISOString(),
        });
        return { status: 202, body: view(d) };
      },
      false,
    ),
    api('GET', '/deployments/:id', (_req, dep) => {
      let d = dep as SandboxDeployment;
      if (d.seen) {
        let next = NEXT[d.state];
        if (next === 'CLUSTER_CREATED' && d.badCertificate) next = 'ERROR';
        if (next) {
          d = save(d, {
            state: next,
            detail: next === 'ERROR' ? 'Invalid vname certificate' : DETAIL[next],
            otpSends: next === 'CODE_SENT' ? d.otpSends + 1 : d.otpSends,
          });
        }
      }
      if (!d.seen) d = save(d, { seen: true });
      return { status: 200, body: view(d) };
    }),
    api('DELETE', '/deployments/:id', (_req, dep) => {
      const d = dep as SandboxDeployment;
      const transitional: State[] = [
        'INITIALIZING',
        'CREATING_CLUSTER',
        'CODE_VERIFIED',
        'FINALIZING',
        'DELETING',
        'DELETED',
      ];
      if (transitional.includes(d.state)) {
        return problem(
          409,
          'conflict-deployment-state',
          'Conflict',
          `Deployment cannot be deleted because it is in the ${d.state} state.`,
        );
      }
      save(d, { state: 'DELETING', detail: DETAIL.DELETING, seen: false });
      return { status: 204 };
    }),
    api('POST', '/deployments/:id/resend-otp', (req, dep) => {
      const d = dep as SandboxDeployment;
      if (!isObject(req.body)) return invalidJson();
      if (req.body.method !== undefined && req.body.method !== 'sms' && req.body.method !== 'voice') {
        return unprocessable(
          [{ name: 'method', reason: 'method must be sms or voice' }],
          'unprocessable',
          400,
        );
      }
      if (d.state !== 'CODE_SENT' && d.state !== 'WRONG_CODE') {
        return problem(
          409,
          'conflict-resend-otp',
          'Deployment Completed, Resend Failed',
          `OTP not required: the deployment is in the ${d.state} state.`,
        );
      }
      const method = (req.body.method as string | undefined) ?? d.method;
      save(d, { state: 'CODE_SENT', detail: DETAIL.CODE_SENT, seen: false, otpSends: d.otpSends + 1 });
      return { status: 202, body: { message: 'Code sent', vname: 'Sandbox Business', method } };
    }),
    api('POST', '/deployments/:id/verify', (req, dep) => {
      const d = dep as SandboxDeployment;
      if (!isObject(req.body)) return invalidJson();
      if (typeof req.body.code !== 'string') {
        return unprocessable([{ name: 'code', reason: 'code must be a string' }], 'unprocessable', 400);
      }
      if (d.state !== 'CODE_SENT' && d.state !== 'WRONG_CODE') {
        return problem(
          422,
          'verification-failed',
          'Verification Failed',
          `Deployment is in the ${d.state} state and is not waiting for a code.`,
        );
      }
      if (req.body.code !== SANDBOX_OTP) {
        save(d, {
          state: 'WRONG_CODE',
          detail: DETAIL.WRONG_CODE,
          seen: false,
          wrongCodes: d.wrongCodes + 1,
        });
        return problem(
          422,
          'verification-failed',
          'Verification Failed',
          'Deployment could not be created because the verification failed.',
          [{ name: 'code', reason: 'Invalid code provided.' }],
        );
      }
      save(d, { state: 'CODE_VERIFIED', detail: DETAIL.CODE_VERIFIED, seen: false });
      return { status: 201, body: { deployment_id: d.id, status: 'Code verified' } };
    }),
    api('GET', '/deployments/:id/profile', (_req, d) => ({
      status: 200,
      body: (d as SandboxDeployment).profile,
    })),
    api('PATCH', '/deployments/:id/profile', (req, dep) => {
      const d = dep as SandboxDeployment;
      if (!isObject(req.body)) return invalidJson();
      const b = req.body;
      const invalid: Invalid = [];
      const limits: Record<string, number> = { about: 139, address: 256, description: 256, email: 128 };
      for (const [name, max] of Object.entries(limits)) {
        const v = b[name];
        if (v === undefined) continue;
        if (typeof v !== 'string' || v.length < 1 || v.length > max)
          invalid.push({ name, reason: `${name} must be 1 to ${max} characters` });
      }
      if (typeof b.email === 'string' && !/^[^@\s]+@[^@\s]+$/.test(b.email))
        invalid.push({ name: 'email', reason: 'Email format invalid' });
      if (b.vertical !== undefined && !VERTICALS.includes(b.vertical as string))
        invalid.push({ name: 'vertical', reason: 'vertical is not recognized by WhatsApp' });
      if (b.websites !== undefined) {
        const w = b.websites;
        if (
          !Array.isArray(w) ||
          w.length < 1 ||
          w.length > 2 ||
          w.some((x) => typeof x !== 'string' || x.length > 256)
        ) {
          invalid.push({
            name: 'websites',
            reason: 'websites must be 1 or 2 URLs of at most 256 characters',
          });
        }
      }
      if (invalid.length) return unprocessable(invalid, 'unprocessable-profile-update');
      const known = ['about', 'address', 'description', 'email', 'vertical', 'websites'];
      const patch = Object.fromEntries(Object.entries(b).filter(([k]) => known.includes(k)));
      const saved = save(d, { profile: { ...d.profile, ...patch } });
      return { status: 200, body: saved.profile };
    }),
    api('GET', '/deployments/:id/profile/photo', (_req, d) => ({
      status: 200,
      body: (d as SandboxDeployment).photo ? { image_url: (d as SandboxDeployment).photo } : {},
    })),
    api('POST', '/deployments/:id/profile/photo', (req, dep) => {
      const d = dep as SandboxDeployment;
      if (!isObject(req.body)) return invalidJson();
      const url = req.body.image_url;
      if (typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url)) {
        return unprocessable([{ name: 'image_url', reason: 'Url was not in a valid format' }]);
      }
      save(d, { photo: url });
      return { status: 200, body: { image_url: url } };
    }),
    // Stickerpacks are not in the v0.1.4 description; shapes follow the provider document (004).
    api('GET', '/deployments/:id/stickerpacks', (_req, d) => ({
      status: 200,
      body: { stickerpacks: (d as SandboxDeployment).stickerpacks },
    })),
    api('POST', '/deployments/:id/stickerpacks', (req, dep) => {
      const d = dep as SandboxDeployment;
      if (!isObject(req.body)) return invalidJson();
      const b = req.body;
      const invalid: Invalid = [];
      for (const name of ['publisher', 'name']) {
        if (typeof b[name] !== 'string' || !(b[name] as string).length)
          invalid.push({ name, reason: `${name} is required` });
      }
      if (invalid.length) return unprocessable(invalid);
      const pack = {
        id: randomUUID(),
        name: b.name as string,
        publisher: b.publisher as string,
        ...(typeof b.ios_app_store_link === 'string' ? { ios_app_store_link: b.ios_app_store_link } : {}),
        ...(typeof b.android_app_store_link === 'string'
          ? { android_app_store_link: b.android_app_store_link }
          : {}),
      };
      save(d, { stickerpacks: [...d.stickerpacks, pack] });
      return { status: 200, body: { stickerpacks: [pack] } };
    }),
  ];

  const running = await startSandbox('vonage', routes, {
    rate: ctx.faultRate,
    controlToken: ctx.controlToken,
    errorBody: (status) =>
      status === 429
        ? problem(
            429,
            'throttled',
            'Throttled',
            'Exceeded rate limit for this API, please wait and try again',
          ).body
        : problem(500, 'internal-error', 'Internal Error', 'Something went wrong on our side').body,
  });

  return {
    name: 'vonage',
    envVar: 'VONAGE_BASE_URL',
    basePath: VONAGE_BASE_PATH,
    running,
    // States move per poll, as the real API's do from the client's point of view.
    tick: async () => {},
    state: () => ({
      deployments: store.all().map(({ seen: _s, badCertificate: _b, ...d }) => d),
      requests: log,
    }),
  };
}
