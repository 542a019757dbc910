import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { clock } from '../../clock.js';
import { SANDBOX_CREDENTIALS } from '../../security/credentials.js';
import { signZavu } from '../../security/signatures.js';
import { safeEqual, webhookUrl } from '../../security/webhooks.js';
import { tenantId } from '../../store/keys.js';
import { RecordStore } from '../journal.js';
import {
  deliverWebhook,
  route,
  type SandboxRequest,
  type SandboxResponse,
  startSandbox,
} from './framework.js';
import type { ProviderSandbox, SandboxContext } from './index.js';

/**
 * Zavu partner-invitation sandbox: POST/GET /v1/invitations, GET /v1/invitations/{id},
 * POST /v1/invitations/{id}/cancel, Bearer API key. Each tick moves an invitation one step:
 * pending → in_progress → completed (with a senderId); past expiresAt it expires. Every status
 * change is sent as the signed `invitation.status_changed` webhook.
 */

const creds = SANDBOX_CREDENTIALS.zavu;
/** Phone numbers of the sandbox project that `phoneNumberId` may name. */
export const SANDBOX_PHONE_NUMBERS = ['pn_sandbox_1', 'pn_sandbox_2'];

type Status = 'pending' | 'in_progress' | 'completed' | 'expired' | 'cancelled';
interface InvitationRecord {
  id: string;
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
  senderId: string | null;
  viewedAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  /** Insertion order, for a stable newest-first listing. */
  seq: number;
}

const error = (status: number, code: string, message: string): SandboxResponse => ({
  status,
  body: { error: { code, message } },
});

const CreateBody = z.object({
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
});

const iso = (ms: number) => new Date(ms).toISOString();
const hex = (n: number) => randomBytes(n).toString('hex');

function publicInvitation(i: InvitationRecord) {
  const { seq: _seq, allowedPhoneCountries: _c, ...rest } = i;
  return rest;
}

export async function startZavuSandbox(ctx: SandboxContext): Promise<ProviderSandbox> {
  const store = new RecordStore<InvitationRecord>(
    ctx.dataDir ? join(ctx.dataDir, 'sandbox', 'zavu-invitations.jsonl') : undefined,
  );
  let seq = store.all().reduce((m, i) => Math.max(m, i.seq), 0);
  let webhooksEnabled = true;
  /** Test control: the next create is applied but its answer never comes (the client times out). */
  let loseNextCreate = false;
  const deliveries: Array<{ id: string; status: number }> = [];
  const inFlight = new Set<Promise<unknown>>();

  const authorize = (req: SandboxRequest): SandboxResponse | undefined => {
    const header = String(req.headers.authorization ?? '');
    if (!header.startsWith('Bearer ') || !safeEqual(header.slice(7), creds.apiKey)) {
      return error(401, 'unauthorized', 'Invalid or missing API key');
    }
    return undefined;
  };
  const guarded =
    (handler: (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>) =>
    (req: SandboxRequest): SandboxResponse | Promise<SandboxResponse> =>
      authorize(req) ?? handler(req);

  async function send(inv: InvitationRecord): Promise<void> {
    const body = {
      id: `evt_${hex(8)}`,
      type: 'invitation.status_changed',
      timestamp: clock.now(),
      senderId: inv.senderId,
      projectId: 'prj_sandbox',
      data: publicInvitation(inv),
    };
    if (!webhooksEnabled) {
      deliveries.push({ id: body.id, status: -1 });
      return;
    }
    const url = await webhookUrl(tenantId('T0SANDBOX'), 'zavu');
    const status = await deliverWebhook(url, body, (raw) => ({
      'x-zavu-signature': signZavu(raw, creds.webhookSecret),
    }));
    deliveries.push({ id: body.id, status });
  }

  /** Webhooks after an API call go out after the answer, as a real provider's would. */
  const sendLater = (inv: InvitationRecord) => {
    const p = new Promise((resolve) => setImmediate(resolve)).then(() => send({ ...inv }));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const change = (inv: InvitationRecord, status: Status, now: number) => {
    inv.status = status;
    inv.updatedAt = iso(now);
    store.put(inv);
  };

  const running = await startSandbox(
    'zavu',
    [
      route(
        'POST',
        '/v1/invitations',
        guarded((req) => {
          const parsed = CreateBody.safeParse(req.body ?? {});
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            return error(
              400,
              'invalid_request',
              `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
            );
          }
          const b = parsed.data;
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
            senderId: null,
            viewedAt: null,
            startedAt: null,
            completedAt: null,
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
        guarded((req) => {
          const status = req.query.get('status');
          const limit = Number(req.query.get('limit') ?? 20);
          if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
            return error(400, 'invalid_request', 'limit: must be between 1 and 100');
          }
          const offset = req.query.get('cursor')
            ? Number(Buffer.from(req.query.get('cursor') ?? '', 'base64url').toString())
            : 0;
          if (!Number.isInteger(offset) || offset < 0)
            return error(400, 'invalid_request', 'cursor: invalid');
          const all = store
            .all()
            .filter((i) => !status || i.status === status)
            .sort((a, b) => b.seq - a.seq);
          const items = all.slice(offset, offset + limit);
          const next =
            offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : null;
          return { status: 200, body: { items: items.map(publicInvitation), nextCursor: next } };
        }),
      ),
      route(
        'GET',
        '/v1/invitations/:id',
        guarded((req) => {
          const inv = store.get(req.params.id ?? '');
          return inv
            ? { status: 200, body: { invitation: publicInvitation(inv) } }
            : error(404, 'not_found', 'Invitation not found');
        }),
      ),
      route(
        'POST',
        '/v1/invitations/:id/cancel',
        guarded((req) => {
          const inv = store.get(req.params.id ?? '');
          if (!inv) return error(404, 'not_found', 'Invitation not found');
          if (inv.status === 'completed' || inv.status === 'expired') {
            return error(
              409,
              'invitation_not_cancellable',
              `Invitation is ${inv.status} and can no longer be cancelled`,
            );
          }
          if (inv.status !== 'cancelled') {
            change(inv, 'cancelled', clock.now());
            sendLater(inv);
          }
          return { status: 200, body: { invitation: publicInvitation(inv) } };
        }),
      ),
      route('POST', '/_sandbox/lose-next-create', () => {
        loseNextCreate = true;
        return { status: 200, body: { loseNextCreate } };
      }),
      route('POST', '/_sandbox/webhooks', (req) => {
        webhooksEnabled = (req.body as { enabled?: boolean } | undefined)?.enabled !== false;
        return { status: 200, body: { enabled: webhooksEnabled } };
      }),
    ],
    {
      rate: ctx.faultRate,
      errorBody: (status) =>
        status === 429
          ? { error: { code: 'rate_limited', message: 'Too many requests' } }
          : { error: { code: 'internal_error', message: 'Internal server error' } },
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
      for (const inv of store.all()) {
        if (inv.status !== 'pending' && inv.status !== 'in_progress') continue;
        if (now > Date.parse(inv.expiresAt)) {
          change(inv, 'expired', now);
        } else if (inv.status === 'pending') {
          inv.viewedAt = iso(now);
          inv.startedAt = iso(now);
          change(inv, 'in_progress', now);
        } else {
          inv.senderId = `snd_${hex(6)}`;
          inv.completedAt = iso(now);
          change(inv, 'completed', now);
        }
        await send(inv);
      }
    },
    state: () => ({
      invitations: store.all().map(({ seq: _s, ...i }) => i),
      webhooks: { enabled: webhooksEnabled, deliveries },
    }),
  };
}
