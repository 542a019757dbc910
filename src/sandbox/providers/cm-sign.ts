import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { z } from 'zod';
import { clock } from '../../clock.js';
import { SANDBOX_CREDENTIALS } from '../../security/credentials.js';
import { webhookUrl } from '../../security/webhooks.js';
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
 * CM.com Sign sandbox: POST /dossiers, GET /dossiers/{id}, POST /dossiers/{id}/invites, with
 * the HS256 JWT checked against the sandbox secret. After invites go out, each tick moves the
 * latest invite one step: viewed, then signed (dossier completed). A WhatsApp invite to a number
 * ending in 0000 is undelivered instead (an email invite then works). Dossiers past their expiry
 * expire. Every change is sent as the webhook CM sends, with the per-workspace secret in the
 * custom header CM's webhook subscriptions carry.
 */

const creds = SANDBOX_CREDENTIALS['cm-sign'];
export const CM_SIGN_WEBHOOK_HEADER = 'x-webhook-secret';
export const UNDELIVERABLE_SUFFIX = '0000';

interface InviteeRecord {
  id: string;
  name: string;
  email: string;
  phoneNumber: string | null;
  state: string | null;
  stateChanged: string | null;
}
interface InviteRecord {
  id: string;
  inviteeId: string;
  channel: 'email' | 'whatsapp';
  expiresIn: number;
  expiresAt: string;
  createdAt: string;
  stage: 'sent' | 'viewed' | 'undelivered' | 'signed' | 'expired';
}
interface DossierRecord {
  id: string;
  name: string;
  state: 'draft' | 'pending' | 'completed' | 'expired';
  reminderIn: number | null;
  expiresIn: number;
  expiresAt: string;
  createdAt: string;
  invitees: InviteeRecord[];
  invites: InviteRecord[];
}

const problem = (status: number, title: string, errors?: Record<string, string[]>): SandboxResponse => ({
  status,
  body: {
    type: `https://httpstatuses.io/${status}`,
    title,
    status,
    ...(errors ? { errors } : {}),
    traceId: randomUUID(),
  },
});

const E164 = /^\+[1-9]\d{6,14}$/;
const CreateBody = z.object({
  name: z.string().min(1).max(255),
  reminderIn: z.number().int().min(3600).optional(),
  expiresIn: z
    .number()
    .int()
    .min(86_400)
    .max(90 * 86_400)
    .optional(),
  invitees: z
    .array(
      z.object({
        name: z.string().min(1).max(255),
        email: z.email(),
        phoneNumber: z.string().regex(E164, { error: 'must be in E.164 format' }).optional(),
      }),
    )
    .min(1),
});
const InvitesBody = z
  .array(
    z.object({
      inviteeId: z.string().min(1),
      channel: z.enum(['email', 'whatsapp']),
      expiresIn: z
        .number()
        .int()
        .min(86_400)
        .max(90 * 86_400)
        .optional(),
    }),
  )
  .min(1);

function validationProblem(error: z.ZodError): SandboxResponse {
  const errors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const field =
      issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '') || '$';
    errors[field] = [...(errors[field] ?? []), issue.message];
  }
  return problem(400, 'One or more validation errors occurred.', errors);
}

const iso = (ms: number) => new Date(ms).toISOString();

function publicDossier(d: DossierRecord) {
  return {
    id: d.id,
    name: d.name,
    state: d.state,
    locale: 'en-US',
    completed: d.state === 'completed',
    reminderIn: d.reminderIn,
    invitees: d.invitees.map((i, n) => ({
      ...i,
      authenticationMethods: [],
      identificationMethods: [],
      reference: null,
      readOnly: false,
      position: n,
      locale: 'en-US',
    })),
    expiresIn: d.expiresIn,
    expiresAt: d.expiresAt,
    createdAt: d.createdAt,
  };
}

function publicInvite(i: InviteRecord) {
  return {
    id: i.id,
    inviteeId: i.inviteeId,
    inviteUri: i.channel === 'whatsapp' ? null : `https://sign.cm.com/invites/${i.id}`,
    readOnly: false,
    authenticationMethods: [],
    identificationMethods: [],
    channel: i.channel,
    reminder: false,
    emailSentAt: i.channel === 'email' ? i.createdAt : null,
    emailBouncedAt: null,
    expiresIn: i.expiresIn,
    expiresAt: i.expiresAt,
    createdAt: i.createdAt,
  };
}

export async function startCmSignSandbox(ctx: SandboxContext): Promise<ProviderSandbox> {
  const store = new RecordStore<DossierRecord>(
    ctx.dataDir ? join(ctx.dataDir, 'sandbox', 'cm-sign-dossiers.jsonl') : undefined,
  );
  const key = new TextEncoder().encode(creds.secret);
  let webhooksEnabled = true;
  /** Test control: the next invites request is applied but its answer never comes. */
  let loseNextInvites = false;
  const deliveries: Array<{ type: string; status: number }> = [];

  async function authorize(req: SandboxRequest): Promise<SandboxResponse | undefined> {
    const header = String(req.headers.authorization ?? '');
    if (!header.startsWith('Bearer '))
      return problem(401, 'Authorization header with a Bearer token is required');
    try {
      const { payload, protectedHeader } = await jwtVerify(header.slice(7), key, {
        algorithms: ['HS256'],
        currentDate: new Date(clock.now()),
      });
      if (protectedHeader.kid !== creds.keyId) return problem(401, 'Unknown key id (kid)');
      if (!payload.iat || !payload.nbf || !payload.exp)
        return problem(401, 'Token must carry iat, nbf and exp');
      if (payload.exp - payload.iat > 3600) return problem(401, 'Token lifetime is too long');
      return undefined;
    } catch (err) {
      return problem(401, `Invalid token: ${(err as Error).message}`);
    }
  }

  async function send(
    type: string,
    d: DossierRecord,
    extra: { invitee?: InviteeRecord; invite?: InviteRecord },
  ) {
    if (!webhooksEnabled) {
      deliveries.push({ type, status: -1 });
      return;
    }
    const body = {
      id: randomUUID(),
      type,
      createdAt: iso(clock.now()),
      data: {
        dossier: { id: d.id, name: d.name, state: d.state },
        ...(extra.invitee ? { invitee: { id: extra.invitee.id, state: extra.invitee.state } } : {}),
        ...(extra.invite
          ? {
              invite: {
                id: extra.invite.id,
                channel: extra.invite.channel,
                inviteeId: extra.invite.inviteeId,
              },
            }
          : {}),
      },
    };
    const url = await webhookUrl(tenantId('T0SANDBOX'), 'cm-sign');
    const status = await deliverWebhook(url, body, () => ({
      [CM_SIGN_WEBHOOK_HEADER]: creds.webhookSecret ?? '',
    }));
    deliveries.push({ type, status });
  }

  const guarded =
    (handler: (req: SandboxRequest) => Promise<SandboxResponse> | SandboxResponse) =>
    async (req: SandboxRequest): Promise<SandboxResponse> =>
      (await authorize(req)) ?? handler(req);

  const running = await startSandbox(
    'cm-sign',
    [
      route(
        'POST',
        '/sign/v1/dossiers',
        guarded((req) => {
          const parsed = CreateBody.safeParse(req.body);
          if (!parsed.success) return validationProblem(parsed.error);
          const now = clock.now();
          const expiresIn = parsed.data.expiresIn ?? 30 * 86_400;
          const dossier: DossierRecord = {
            id: randomUUID(),
            name: parsed.data.name,
            state: 'draft',
            reminderIn: parsed.data.reminderIn ?? null,
            expiresIn,
            expiresAt: iso(now + expiresIn * 1000),
            createdAt: iso(now),
            invitees: parsed.data.invitees.map((i) => ({
              id: randomUUID(),
              name: i.name,
              email: i.email,
              phoneNumber: i.phoneNumber ?? null,
              state: null,
              stateChanged: null,
            })),
            invites: [],
          };
          store.put(dossier);
          return { status: 201, body: publicDossier(dossier) };
        }),
      ),
      route(
        'GET',
        '/sign/v1/dossiers/:id',
        guarded((req) => {
          const d = store.get(req.params.id ?? '');
          return d ? { status: 200, body: publicDossier(d) } : problem(404, 'Dossier not found');
        }),
      ),
      route(
        'POST',
        '/sign/v1/dossiers/:id/invites',
        guarded((req) => {
          const d = store.get(req.params.id ?? '');
          if (!d) return problem(404, 'Dossier not found');
          const parsed = InvitesBody.safeParse(req.body);
          if (!parsed.success) return validationProblem(parsed.error);
          if (d.state === 'completed' || d.state === 'expired') {
            return problem(409, `Dossier is ${d.state}; no invites can be sent`);
          }
          const now = clock.now();
          const created: InviteRecord[] = [];
          for (const [n, entry] of parsed.data.entries()) {
            const invitee = d.invitees.find((i) => i.id === entry.inviteeId);
            if (!invitee)
              return problem(400, 'Invalid invitee', { [`[${n}].inviteeId`]: ['Invitee not found'] });
            if (entry.channel === 'whatsapp' && !invitee.phoneNumber) {
              return problem(400, 'Invalid invite', {
                [`[${n}].channel`]: ['Invitee has no phoneNumber; required for channel whatsapp'],
              });
            }
            const expiresIn = entry.expiresIn ?? d.expiresIn;
            created.push({
              id: randomUUID(),
              inviteeId: invitee.id,
              channel: entry.channel,
              expiresIn,
              expiresAt: iso(Math.min(now + expiresIn * 1000, Date.parse(d.expiresAt))),
              createdAt: iso(now),
              stage: 'sent',
            });
          }
          d.invites.push(...created);
          d.state = 'pending';
          store.put(d);
          if (loseNextInvites) {
            loseNextInvites = false;
            return new Promise<SandboxResponse>(() => {});
          }
          return { status: 201, body: created.map(publicInvite) };
        }),
      ),
      route('POST', '/_sandbox/lose-next-invites', () => {
        loseNextInvites = true;
        return { status: 200, body: { loseNextInvites } };
      }),
      route('POST', '/_sandbox/webhooks', (req) => {
        webhooksEnabled = (req.body as { enabled?: boolean } | undefined)?.enabled !== false;
        return { status: 200, body: { enabled: webhooksEnabled } };
      }),
    ],
    {
      rate: ctx.faultRate,
      errorBody: (status) =>
        problem(status, status === 429 ? 'Too many requests' : 'An unexpected error occurred').body,
    },
  );

  return {
    name: 'cm-sign',
    envVar: 'CM_SIGN_BASE_URL',
    basePath: '/sign/v1',
    running,
    async tick() {
      const now = clock.now();
      for (const d of store.all()) {
        if (d.state !== 'pending') continue;
        const invite = d.invites.at(-1);
        const invitee = d.invitees.find((i) => i.id === invite?.inviteeId);
        if (!invite || !invitee) continue;
        if (now > Date.parse(d.expiresAt)) {
          d.state = 'expired';
          for (const i of d.invites) if (i.stage !== 'signed') i.stage = 'expired';
          store.put(d);
          await send('dossier.invite.expired', d, { invitee, invite });
          await send('dossier.state.updated', d, {});
          continue;
        }
        if (invite.stage === 'sent') {
          const undeliverable =
            invite.channel === 'whatsapp' && invitee.phoneNumber?.endsWith(UNDELIVERABLE_SUFFIX);
          invite.stage = undeliverable ? 'undelivered' : 'viewed';
          store.put(d);
          await send(undeliverable ? 'dossier.invite.undelivered' : 'dossier.invite.viewed', d, {
            invitee,
            invite,
          });
        } else if (invite.stage === 'viewed') {
          invite.stage = 'signed';
          invitee.state = 'signed';
          invitee.stateChanged = iso(now);
          if (d.invitees.every((i) => i.state === 'signed')) d.state = 'completed';
          store.put(d);
          await send('dossier.invitee.state.updated', d, { invitee, invite });
          if (d.state === 'completed') await send('dossier.state.updated', d, {});
        }
      }
    },
    state: () => ({ dossiers: store.all(), webhooks: { enabled: webhooksEnabled, deliveries } }),
  };
}
