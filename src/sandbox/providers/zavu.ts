import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { clock } from '../../clock.js';
import { signZavu, type ZavuSignatureVersion } from '../../security/signatures.js';
import { safeEqual, webhookUrl } from '../../security/webhooks.js';
import { tenantId } from '../../store/keys.js';
import { SANDBOX_CREDENTIALS } from '../credentials.js';
import { RecordStore } from '../journal.js';
import type { ProviderSandbox, SandboxContext } from './framework.js';
import {
  deliverWebhook,
  route,
  type SandboxRequest,
  type SandboxResponse,
  startSandbox,
} from './framework.js';

/**
 * Zavu partner invitations and the project webhook, written from Zavu's documents (not from our
 * client). Facts and their status: shared/provider-docs/references/zavu.md. Sources:
 * - `@zavudev/sdk` 0.57.0 (https://github.com/zavudev/sdk-typescript): src/resources/invitations.ts
 *   (endpoints, Invitation, statuses incl. `failed` + `failureReason`, connectionType,
 *   connectedAccount), src/resources/senders/senders.ts (`invitation.status_changed` data,
 *   signature schemes v1 / v2 / v1+v2, v2 the default for new webhooks).
 * - https://docs.zavu.dev/api-reference/create-invitation (clientName ≤ 100, expiresInDays 1–30,
 *   default 7) and shared/provider-docs/001_0858b23d3fb05b0f.txt.
 * - https://docs.zavu.dev/guides/receiving-messages/webhooks and
 *   https://docs.zavu.dev/api-reference/configure-project-webhook (`POST /v1/invitations/webhook`
 *   creates or replaces the project webhook, keeps an existing secret, answers it; GET never
 *   returns the secret).
 * - https://docs.zavu.dev/guides/receiving-messages/signature-migration (v1 = HMAC(body),
 *   v2 = HMAC("{t}.{body}")).
 * - https://docs.zavu.dev/api-v2/webhook (retries: 5 attempts in total, after 1, 5, 15, 60 min).
 * - https://docs.zavu.dev/concepts/rate-limiting (429 body `{code, message, details.retryAfter}`).
 * - https://github.com/zavudev/zavu-skills/blob/main/skills/webhook-setup/SKILL.md (envelope
 *   `{id: evt_<ms>_<rand>, type, timestamp ms, projectId, data}`; a change to the same status and
 *   expiry send nothing; an invitation past expiresAt reads as expired).
 *
 * Time comes from clock.now(). Each tick moves each invitation one step as a client would:
 * pending → in_progress → completed (senderId, connectedAccount), or → failed (failureReason)
 * when a failure was scripted, and failed → in_progress (the client retries the same link).
 * Past expiresAt an active invitation reads as `expired`, silently. Undelivered webhooks are
 * retried on later ticks, re-signed with the time of each attempt
 * (UNCONFIRMED(zavu.signature-tolerance): how Zavu sets `t` on a retry).
 *
 * Not documented, modelled here: UNCONFIRMED(zavu.project-webhook-signature) the signature
 * scheme of the v1 project webhook (the default project's is v2, switchable per project through
 * a control route); UNCONFIRMED(zavu.expiry-active) whether in_progress and failed invitations
 * expire like pending ones (they do here); UNCONFIRMED(zavu.list-limit) list `limit` bounds (1–100).
 */

const creds = SANDBOX_CREDENTIALS.zavu;
/** The default project's webhook secret (what the sandbox workspace holds without /wa connect). */
const DEFAULT_SECRET = creds.webhookSecret ?? 'whsec_sandbox_zavu';
/** Phone numbers of the sandbox project that `phoneNumberId` may name. */
export const SANDBOX_PHONE_NUMBERS = ['pn_sandbox_1', 'pn_sandbox_2'];
export const DEFAULT_PROJECT_ID = 'prj_sandbox';
const EVENT = 'invitation.status_changed';
/** After the first attempt: 1 min, 5 min, 15 min, 1 h (5 attempts in total). */
const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000];
export const FAILURE_REASONS = [
  'fb_cancelled',
  'fb_not_authorized',
  'signup_abandoned',
  'meta_no_pages',
  'internal_error',
] as const;

type Status = 'pending' | 'in_progress' | 'completed' | 'expired' | 'cancelled' | 'failed';
type ConnectionType = 'whatsapp_waba' | 'messenger';
const ACTIVE: Status[] = ['pending', 'in_progress', 'failed'];

interface InvitationRecord {
  id: string;
  projectId: string;
  url: string;
  token: string;
  status: Status;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
  clientName: string | null;
  clientEmail: string | null;
  clientPhone: string | null;
  phoneNumberId: string | null;
  allowedPhoneCountries: string[] | null;
  connectionType: ConnectionType;
  senderId: string | null;
  connectedAccount: { id: string; channel: 'whatsapp' | 'messenger'; name: string | null } | null;
  viewedAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  failedAt: string | null;
  failureReason: string | null;
  /** Sandbox script: the next attempt fails with this reason. */
  failNext?: string | null;
  /** Insertion order, for a stable newest-first listing. */
  seq: number;
}

interface ProjectRecord {
  id: string;
  apiKey: string;
  signatureVersion: ZavuSignatureVersion;
  /** Unset on the default project: it delivers to the sandbox workspace, as if connected. */
  webhook?: { url: string; events: string[]; secret: string; active: boolean };
}

interface Delivery {
  id: string;
  projectId: string;
  body: Record<string, unknown>;
  attempts: number;
  nextAt?: number;
  statuses: number[];
  state: 'pending' | 'delivered' | 'failed';
}

/** Zavu's documented error body: `{code, message, details?}`. */
const error = (status: number, code: string, message: string, details?: unknown): SandboxResponse => ({
  status,
  body: { code, message, ...(details === undefined ? {} : { details }) },
});

const CreateBody = z
  .object({
    clientName: z.string().min(1).max(100).optional(),
    clientEmail: z.email().optional(),
    clientPhone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, { error: 'must be E.164' })
      .optional(),
    phoneNumberId: z.string().min(1).optional(),
    expiresInDays: z.number().int().min(1).max(30).optional(),
    allowedPhoneCountries: z
      .array(z.string().regex(/^[A-Z]{2}$/, { error: 'must be an ISO 3166-1 alpha-2 code' }))
      .optional(),
    connectionType: z.enum(['whatsapp_waba', 'messenger']).optional(),
  })
  .strict();

/** https only, except for the local stack's loopback app (a documented sandbox allowance). */
const WebhookUrl = z.url().refine((u) => {
  const url = new URL(u);
  return url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === '127.0.0.1');
}, 'url must be HTTPS');
const WebhookBody = z.object({
  url: WebhookUrl,
  events: z.array(z.string()).min(1),
});

const iso = (ms: number) => new Date(ms).toISOString();
const hex = (n: number) => randomBytes(n).toString('hex');
const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');

function publicInvitation(i: InvitationRecord) {
  const { seq: _seq, allowedPhoneCountries: _c, projectId: _p, failNext: _f, ...rest } = i;
  return rest;
}

function issueMessage(err: z.ZodError): string {
  const issue = err.issues[0];
  return `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`;
}

export async function startZavuSandbox(ctx: SandboxContext): Promise<ProviderSandbox> {
  const dir = ctx.dataDir ? join(ctx.dataDir, 'sandbox') : undefined;
  const store = new RecordStore<InvitationRecord>(dir ? join(dir, 'zavu-invitations.jsonl') : undefined);
  const projects = new RecordStore<ProjectRecord>(dir ? join(dir, 'zavu-projects.jsonl') : undefined);
  if (!projects.get(DEFAULT_PROJECT_ID)) {
    projects.put({ id: DEFAULT_PROJECT_ID, apiKey: creds.apiKey, signatureVersion: 'v2' });
  }
  let seq = store.all().reduce((m, i) => Math.max(m, i.seq), 0);
  let webhooksEnabled = true;
  /** Test control: the next create is applied but its answer never comes (the client times out). */
  let loseNextCreate = false;
  const deliveries: Delivery[] = [];
  const inFlight = new Set<Promise<unknown>>();

  const projectOf = (req: SandboxRequest): ProjectRecord | undefined => {
    const header = String(req.headers.authorization ?? '');
    if (!header.startsWith('Bearer ')) return undefined;
    const key = header.slice(7);
    return projects.all().find((p) => safeEqual(key, p.apiKey));
  };
  const guarded =
    (handler: (req: SandboxRequest, project: ProjectRecord) => SandboxResponse | Promise<SandboxResponse>) =>
    (req: SandboxRequest): SandboxResponse | Promise<SandboxResponse> => {
      const project = projectOf(req);
      if (!project) return error(401, 'unauthorized', 'Invalid or missing API key');
      return handler(req, project);
    };

  /** An invitation of this project, with expiry computed on read (Zavu sends nothing for it). */
  const find = (id: string, project: ProjectRecord) => {
    const inv = store.get(id);
    if (!inv || inv.projectId !== project.id) return undefined;
    expireIfDue(inv, clock.now());
    return inv;
  };

  const expireIfDue = (inv: InvitationRecord, now: number) => {
    if (ACTIVE.includes(inv.status) && now >= Date.parse(inv.expiresAt)) {
      inv.status = 'expired';
      inv.updatedAt = iso(now);
      store.put(inv);
    }
  };

  async function target(project: ProjectRecord) {
    if (project.webhook) return project.webhook.active ? project.webhook : undefined;
    if (project.id !== DEFAULT_PROJECT_ID) return undefined;
    return {
      url: await webhookUrl(tenantId('T0SANDBOX'), 'zavu'),
      secret: DEFAULT_SECRET,
      events: [EVENT],
    };
  }

  async function attempt(d: Delivery): Promise<void> {
    const project = projects.get(d.projectId);
    const to = project && (await target(project));
    if (!project || !to?.events.includes(EVENT)) {
      d.state = 'failed';
      return;
    }
    d.attempts += 1;
    if (!webhooksEnabled) {
      // Test control: the delivery is lost for good (no retry), as if Zavu gave up on it.
      d.statuses.push(-1);
      d.state = 'failed';
      return;
    }
    const status = await deliverWebhook(to.url, d.body, (raw) => ({
      'x-zavu-signature': signZavu(raw, to.secret, clock.now(), project.signatureVersion),
    }));
    d.statuses.push(status);
    if (status >= 200 && status < 300) {
      d.state = 'delivered';
      delete d.nextAt;
    } else if (d.attempts > RETRY_DELAYS_MS.length) {
      d.state = 'failed';
      delete d.nextAt;
    } else {
      d.nextAt = clock.now() + (RETRY_DELAYS_MS[d.attempts - 1] ?? 0);
    }
  }

  /** `invitation.status_changed`, with the documented `data` (not the invitation object). */
  async function emit(inv: InvitationRecord, previousStatus: Status): Promise<void> {
    const now = clock.now();
    const data: Record<string, unknown> = {
      invitationId: inv.id,
      clientName: inv.clientName,
      clientEmail: inv.clientEmail,
      connectionType: inv.connectionType,
      previousStatus,
      currentStatus: inv.status,
    };
    if (inv.status === 'completed') {
      data.senderId = inv.senderId;
      data.connectedAccount = inv.connectedAccount;
    }
    if (inv.status === 'failed') data.failureReason = inv.failureReason;
    const d: Delivery = {
      id: `evt_${now}_${hex(4)}`,
      projectId: inv.projectId,
      body: { id: '', type: EVENT, timestamp: now, projectId: inv.projectId, data },
      attempts: 0,
      statuses: [],
      state: 'pending',
    };
    d.body.id = d.id;
    deliveries.push(d);
    await attempt(d);
  }

  const change = async (inv: InvitationRecord, status: Status, now: number) => {
    const previous = inv.status;
    if (previous === status) return; // a change to the same status sends nothing
    inv.status = status;
    inv.updatedAt = iso(now);
    store.put(inv);
    await emit(inv, previous);
  };

  /** Webhooks after an API call go out after the answer, as a real provider's would. */
  const later = (fn: () => Promise<void>) => {
    const p = new Promise((resolve) => setImmediate(resolve)).then(fn);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  /** One step of the client's progress through Meta's flow. */
  async function step(inv: InvitationRecord, now: number) {
    if (inv.status === 'pending' || inv.status === 'failed') {
      inv.viewedAt ??= iso(now);
      inv.startedAt = iso(now);
      inv.failureReason = null;
      await change(inv, 'in_progress', now);
    } else if (inv.status === 'in_progress') {
      if (inv.failNext) {
        inv.failureReason = inv.failNext;
        inv.failNext = null;
        inv.failedAt = iso(now);
        await change(inv, 'failed', now);
      } else {
        inv.senderId = `sender_${hex(6)}`;
        inv.completedAt = iso(now);
        inv.connectedAccount =
          inv.connectionType === 'messenger'
            ? { channel: 'messenger', id: digits(16), name: inv.clientName ?? 'Sandbox Page' }
            : { channel: 'whatsapp', id: digits(15), name: inv.clientName ?? 'Sandbox Business' };
        await change(inv, 'completed', now);
      }
    }
  }

  const running = await startSandbox(
    'zavu',
    [
      route(
        'POST',
        '/v1/invitations',
        guarded((req, project) => {
          const parsed = CreateBody.safeParse(req.body ?? {});
          if (!parsed.success) return error(400, 'invalid_request', issueMessage(parsed.error));
          const b = parsed.data;
          const connectionType = b.connectionType ?? 'whatsapp_waba';
          if (connectionType === 'messenger' && (b.phoneNumberId || b.allowedPhoneCountries)) {
            return error(
              400,
              'invalid_request',
              'phoneNumberId and allowedPhoneCountries are only valid when connectionType is whatsapp_waba',
            );
          }
          if (b.phoneNumberId && !SANDBOX_PHONE_NUMBERS.includes(b.phoneNumberId)) {
            return error(
              404,
              'phone_number_not_found',
              `Phone number ${b.phoneNumberId} was not found in this project`,
            );
          }
          const now = clock.now();
          const token = hex(12);
          seq += 1;
          const inv: InvitationRecord = {
            id: `inv_${hex(8)}`,
            projectId: project.id,
            url: `https://dashboard.zavu.dev/invite/${token}`,
            token,
            status: 'pending',
            expiresAt: iso(now + (b.expiresInDays ?? 7) * 86_400_000),
            createdAt: iso(now),
            updatedAt: iso(now),
            clientName: b.clientName ?? null,
            clientEmail: b.clientEmail ?? null,
            clientPhone: b.clientPhone ?? null,
            phoneNumberId: b.phoneNumberId ?? null,
            allowedPhoneCountries: b.allowedPhoneCountries ?? null,
            connectionType,
            senderId: null,
            connectedAccount: null,
            viewedAt: null,
            startedAt: null,
            completedAt: null,
            failedAt: null,
            failureReason: null,
            seq,
          };
          store.put(inv);
          if (loseNextCreate) {
            loseNextCreate = false;
            return new Promise<SandboxResponse>(() => {});
          }
          return { status: 201, body: { invitation: publicInvitation(inv) } };
        }),
      ),
      route(
        'GET',
        '/v1/invitations',
        guarded((req, project) => {
          const status = req.query.get('status');
          if (
            status &&
            !['pending', 'in_progress', 'completed', 'expired', 'cancelled', 'failed'].includes(status)
          )
            return error(400, 'invalid_request', 'status: invalid');
          const limit = Number(req.query.get('limit') ?? 20);
          if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
            return error(400, 'invalid_request', 'limit: must be between 1 and 100');
          }
          const offset = req.query.get('cursor')
            ? Number(Buffer.from(req.query.get('cursor') ?? '', 'base64url').toString())
            : 0;
          if (!Number.isInteger(offset) || offset < 0)
            return error(400, 'invalid_request', 'cursor: invalid');
          const now = clock.now();
          const all = store
            .all()
            .filter((i) => i.projectId === project.id)
            .map((i) => {
              expireIfDue(i, now);
              return i;
            })
            .filter((i) => !status || i.status === status)
            .sort((a, b) => b.seq - a.seq);
          const items = all.slice(offset, offset + limit);
          const next =
            offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : null;
          return { status: 200, body: { items: items.map(publicInvitation), nextCursor: next } };
        }),
      ),
      route(
        'POST',
        '/v1/invitations/webhook',
        guarded((req, project) => {
          const parsed = WebhookBody.safeParse(req.body ?? {});
          if (!parsed.success) return error(400, 'invalid_request', issueMessage(parsed.error));
          const unknown = parsed.data.events.filter((e) => e !== EVENT);
          if (unknown.length) {
            return error(400, 'invalid_request', `Unknown events: ${unknown.join(', ')}`, {
              allowed: [EVENT],
            });
          }
          // Creates or replaces and activates; an existing secret is kept.
          const secret =
            project.webhook?.secret ??
            (project.id === DEFAULT_PROJECT_ID ? DEFAULT_SECRET : `whsec_${hex(24)}`);
          project.webhook = { url: parsed.data.url, events: parsed.data.events, secret, active: true };
          projects.put(project);
          return { status: 200, body: { webhook: project.webhook } };
        }),
      ),
      route(
        'GET',
        '/v1/invitations/webhook',
        guarded((_req, project) => {
          if (!project.webhook) return { status: 200, body: { webhook: null } };
          const { secret: _s, ...rest } = project.webhook;
          return { status: 200, body: { webhook: rest } };
        }),
      ),
      route(
        'GET',
        '/v1/invitations/:id',
        guarded((req, project) => {
          const inv = find(req.params.id ?? '', project);
          return inv
            ? { status: 200, body: { invitation: publicInvitation(inv) } }
            : error(404, 'not_found', 'Invitation not found');
        }),
      ),
      route(
        'POST',
        '/v1/invitations/:id/cancel',
        guarded((req, project) => {
          const inv = find(req.params.id ?? '', project);
          if (!inv) return error(404, 'not_found', 'Invitation not found');
          if (inv.status === 'completed' || inv.status === 'expired') {
            return error(
              409,
              'invitation_not_cancellable',
              `Invitation is ${inv.status} and can no longer be cancelled`,
            );
          }
          if (inv.status !== 'cancelled') {
            const previous = inv.status;
            inv.status = 'cancelled';
            inv.updatedAt = iso(clock.now());
            store.put(inv);
            later(() => emit({ ...inv }, previous));
          }
          return { status: 200, body: { invitation: publicInvitation(inv) } };
        }),
      ),
      // --- Control routes (the sandbox's own, never Zavu's) ---
      route('POST', '/_sandbox/lose-next-create', () => {
        loseNextCreate = true;
        return { status: 200, body: { loseNextCreate } };
      }),
      route('POST', '/_sandbox/webhooks', (req) => {
        webhooksEnabled = (req.body as { enabled?: boolean } | undefined)?.enabled !== false;
        return { status: 200, body: { enabled: webhooksEnabled } };
      }),
      /** `{"version": "v1" | "v2" | "v1+v2", "apiKey"?}`: the project's signature scheme. */
      route('POST', '/_sandbox/signature-version', (req) => {
        const b = z
          .object({ version: z.enum(['v1', 'v2', 'v1+v2']), apiKey: z.string().optional() })
          .safeParse(req.body);
        if (!b.success) return error(400, 'invalid_request', issueMessage(b.error));
        const project = projects.all().find((p) => p.apiKey === (b.data.apiKey ?? creds.apiKey));
        if (!project) return error(404, 'not_found', 'no such project');
        project.signatureVersion = b.data.version;
        projects.put(project);
        return { status: 200, body: { projectId: project.id, signatureVersion: project.signatureVersion } };
      }),
      /** `{"apiKey"}`: a project (a Zavu account another workspace connects with). */
      route('POST', '/_sandbox/projects', (req) => {
        const b = z.object({ apiKey: z.string().min(8) }).safeParse(req.body);
        if (!b.success) return error(400, 'invalid_request', issueMessage(b.error));
        const existing = projects.all().find((p) => p.apiKey === b.data.apiKey);
        const project =
          existing ?? projects.put({ id: `prj_${hex(6)}`, apiKey: b.data.apiKey, signatureVersion: 'v2' });
        return { status: 200, body: { projectId: project.id } };
      }),
      /** `{"failureReason"}`: the client's next attempt on this invitation fails. */
      route('POST', '/_sandbox/invitations/:id/fail', (req) => {
        const inv = store.get(req.params.id ?? '');
        if (!inv) return error(404, 'not_found', 'Invitation not found');
        const b = z.object({ failureReason: z.string().min(1).max(100) }).safeParse(req.body);
        if (!b.success) return error(400, 'invalid_request', issueMessage(b.error));
        inv.failNext = b.data.failureReason;
        store.put(inv);
        return { status: 200, body: { id: inv.id, failNext: inv.failNext } };
      }),
    ],
    {
      rate: ctx.faultRate,
      controlToken: ctx.controlToken,
      errorBody: (status) =>
        status === 429
          ? {
              code: 'rate_limited',
              message: `Rate limit exceeded. Retry after ${iso(clock.now() + 1000)}`,
              details: { retryAfter: clock.now() + 1000 },
            }
          : { code: 'internal_error', message: 'Internal server error' },
    },
  );

  return {
    name: 'zavu',
    envVar: 'ZAVU_BASE_URL',
    basePath: '',
    running,
    async tick() {
      await Promise.all([...inFlight]);
      const now = clock.now();
      for (const d of deliveries) {
        if (d.state === 'pending' && d.nextAt !== undefined && d.nextAt <= now) await attempt(d);
      }
      for (const inv of store.all()) {
        if (!ACTIVE.includes(inv.status)) continue;
        expireIfDue(inv, now);
        if (inv.status === 'expired') continue; // silently: Zavu sends no webhook for expiry
        await step(inv, now);
      }
    },
    state: () => ({
      invitations: store.all().map(({ seq: _s, ...i }) => i),
      projects: projects.all().map(({ apiKey: _k, webhook, ...p }) => ({
        ...p,
        webhook: webhook ? { url: webhook.url, events: webhook.events, active: webhook.active } : null,
      })),
      webhooks: {
        enabled: webhooksEnabled,
        deliveries: deliveries.map((d) => ({
          id: d.id,
          status: d.statuses.at(-1) ?? 0,
          statuses: d.statuses,
          state: d.state,
          body: d.body,
        })),
      },
    }),
  };
}
