import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { z } from 'zod';
import { clock } from '../../clock.js';
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
 * CM.com Sign sandbox, written from CM's documents (not from our client):
 * - [S1] https://developers.cm.com/sign/docs — a dossier holds files (PDFs) and invitees; fields
 *   belong to a file and an invitee; expiry 30 days by default, at most 90.
 * - [S2] https://developers.cm.com/sign/docs/getting-started — HS256 JWT, header `kid`, iat/nbf/exp.
 * - [S3] https://developers.cm.com/sign/docs/events — webhooks: POST /clients/{kid}/webhooks with
 *   an https URL, events (default: dossier.state.updated, dossier.prepared,
 *   dossier.invite.undelivered) and custom headers sent with every callback; the 8 event names.
 * - [S6] https://developers.cm.com/sign/docs/create-a-dossier-based-on-a-template — `template`,
 *   as many invitees as the template has placeholders, fields come from the template.
 * - [SEED] shared/provider-docs/000_9e068384ecebf775.txt — dossier and WhatsApp invite shapes.
 * - POST /upload (https://developers.cm.com/sign/reference/post_upload): multipart, part `file`
 *   (third-party code; shared/provider-docs/references/cm-sign.md §3).
 * Checked against the recorded examples in test/fixtures/providers/cm-sign/.
 *
 * Strict where CM is: a dossier needs its documents (uploaded files or a template), an invite
 * needs something to sign (the invitee has a field in one of the dossier's files), a webhook
 * URL must be https. Where CM's behaviour is not confirmed the sandbox picks the strict or the
 * minimal reading, and says so: an upload must be a PDF of at most 10 MB (CM's dashboard limit;
 * UNCONFIRMED(cm-sign.upload-limit)); a callback body is the minimal
 * `{event, dossierId}` (UNCONFIRMED(cm-sign.callback-body)), sent to each registered webhook
 * with its custom headers. One deviation, for the local stack only: nothing on 127.0.0.1 speaks
 * TLS, so the local stack's own origin (`localOrigin`) may be registered over http; any other
 * http URL is refused as CM refuses it.
 *
 * Time: after invites go out, each tick moves the latest invite one step: viewed, then signed
 * (dossier completed). A WhatsApp invite to a number ending in 0000 is undelivered instead (an
 * email invite then works). Dossiers past their expiry expire.
 */

const creds = SANDBOX_CREDENTIALS['cm-sign'];
export const UNDELIVERABLE_SUFFIX = '0000';
/** A template every sandbox client has: one placeholder recipient, a signature on page 1. */
export const SANDBOX_TEMPLATE_ID = '06c2e210-54a8-417f-adf2-fc767c31c929';
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const EVENTS = [
  'dossier.invite.created',
  'dossier.invite.expired',
  'dossier.invite.undelivered',
  'dossier.invite.viewed',
  'dossier.invitee.state.updated',
  'dossier.prepared',
  'dossier.state.updated',
  'dossier.invitee.reassignRequest.state.updated',
] as const;
type EventName = (typeof EVENTS)[number];
const DEFAULT_EVENTS: EventName[] = [
  'dossier.state.updated',
  'dossier.prepared',
  'dossier.invite.undelivered',
];

interface UploadRecord {
  id: string;
  name: string;
  hash: string;
  pages: number;
  size: number;
  uploadDateTime: string;
}
interface FieldRecord {
  id: string;
  name: string;
  type: string;
  required: boolean;
  invitee: string;
  file: string;
  locations: Array<Record<string, unknown>>;
}
interface WebhookRecord {
  id: string;
  kid: string;
  url: string;
  events: EventName[];
  headers: Record<string, string> | null;
  disabled: boolean;
  updatedAt: string;
  createdAt: string;
}

interface InviteeRecord {
  id: string;
  name: string;
  email: string | null;
  phoneNumber: string | null;
  /** The caller's own reference for the invitee, as sent (SEED: echoed in the response). */
  reference?: string | null;
  state: string | null;
  stateChanged: string | null;
  fields: FieldRecord[];
}
interface InviteRecord {
  id: string;
  inviteeId: string;
  channel: 'email' | 'whatsapp' | null;
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
  files: Array<{ id: string; name: string }>;
  template: string | null;
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
const Location = z.object({
  range: z.string().regex(/^\d+(-\d+)?$/, { error: 'must be a page or page range like 1 or 2-3' }),
  unit: z.literal('point').optional(),
  x: z.number().min(0),
  y: z.number().min(0),
  width: z.number().positive().optional(),
  height: z.number().positive().optional(),
});
const Field = z.object({
  type: z.enum([
    'signature',
    'initials',
    'signatureDate',
    'text',
    'textarea',
    'label',
    'checkbox',
    'radio',
    'stamp',
  ]),
  file: z.string().min(1),
  required: z.boolean().optional(),
  locations: z.array(Location).min(1),
});
const CreateBody = z.object({
  name: z.string().min(1).max(255),
  reminderIn: z.number().int().min(3600).optional(),
  files: z.array(z.object({ id: z.string().min(1) })).optional(),
  template: z.string().min(1).optional(),
  invitees: z
    .array(
      z.object({
        name: z.string().min(1).max(255),
        email: z.email().optional(),
        phoneNumber: z.string().regex(E164, { error: 'must be in E.164 format' }).optional(),
        reference: z.string().max(255).optional(),
        fields: z.array(Field).optional(),
      }),
    )
    .min(1),
});
const WebhookBody = z.object({
  url: z.string().url(),
  events: z.array(z.enum(EVENTS)).min(1).optional(),
  headers: z.record(z.string().min(1).max(100), z.string().max(1000)).optional(),
});
const InvitesBody = z
  .array(
    z.object({
      inviteeId: z.string().min(1),
      // Omitted or null: no delivery by CM; the answer carries an inviteUri to hand out (S5).
      channel: z.enum(['email', 'whatsapp']).nullish(),
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
    files: d.files,
    invitees: d.invitees.map(({ fields, ...i }, n) => ({
      ...i,
      fields: fields.map(({ file: _file, ...f }) => f),
      authenticationMethods: [],
      identificationMethods: [],
      reference: i.reference ?? null,
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
  const uploads = new RecordStore<UploadRecord>(
    ctx.dataDir ? join(ctx.dataDir, 'sandbox', 'cm-sign-uploads.jsonl') : undefined,
  );
  const webhooks = new RecordStore<WebhookRecord>(
    ctx.dataDir ? join(ctx.dataDir, 'sandbox', 'cm-sign-webhooks.jsonl') : undefined,
  );
  const template = {
    id: SANDBOX_TEMPLATE_ID,
    placeholders: 1,
    file: { id: 'b7f3c1de-0000-4000-8000-00000000a001', name: 'Sandbox template.pdf', pages: 1 },
  };
  const key = new TextEncoder().encode(creds.secret);
  const localOrigin = new URL(ctx.url).origin;
  let webhooksEnabled = true;
  /** Test control: the next invites request is applied but its answer never comes. */
  let loseNextInvites = false;
  /** Test control: the next invites request is refused as CM refuses a channel it will not use. */
  let refuseNextInvites = false;
  const deliveries: Array<{ type: string; status: number }> = [];

  let lastKid = '';
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
      lastKid = protectedHeader.kid;
      if (!payload.iat || !payload.nbf || !payload.exp)
        return problem(401, 'Token must carry iat, nbf and exp');
      if (payload.exp - payload.iat > 3600) return problem(401, 'Token lifetime is too long');
      return undefined;
    } catch (err) {
      return problem(401, `Invalid token: ${(err as Error).message}`);
    }
  }

  /** One callback per registered webhook that follows the event, with its custom headers. */
  async function send(type: EventName, d: DossierRecord) {
    for (const hook of webhooks.all()) {
      if (hook.disabled || !hook.events.includes(type)) continue;
      if (!webhooksEnabled) {
        deliveries.push({ type, status: -1 });
        continue;
      }
      const status = await deliverWebhook(hook.url, { event: type, dossierId: d.id }, () => ({
        ...(hook.headers ?? {}),
      }));
      deliveries.push({ type, status });
    }
  }

  async function readUpload(req: SandboxRequest): Promise<SandboxResponse> {
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('multipart/form-data')) {
      return problem(415, 'File uploads must be multipart/form-data');
    }
    let form: FormData;
    try {
      form = await new Request('http://sandbox/upload', {
        method: 'POST',
        headers: { 'content-type': type },
        body: new Uint8Array(req.rawBody),
      }).formData();
    } catch {
      return problem(400, 'The multipart body could not be read');
    }
    const file = form.get('file');
    if (!file || typeof file === 'string') {
      return problem(400, 'One or more validation errors occurred.', { file: ['A file is required'] });
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      return problem(400, 'One or more validation errors occurred.', { file: ['The file exceeds 10 MB'] });
    }
    const bytes = Buffer.from(await file.arrayBuffer());
    let pages = 0;
    try {
      if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('not a PDF');
      const { PDFDocument } = await import('pdf-lib');
      pages = (await PDFDocument.load(bytes, { updateMetadata: false })).getPageCount();
    } catch {
      return problem(400, 'One or more validation errors occurred.', { file: ['The file must be a PDF'] });
    }
    if (pages < 1) {
      return problem(400, 'One or more validation errors occurred.', { file: ['The PDF has no pages'] });
    }
    const record: UploadRecord = {
      id: randomUUID(),
      name: file.name || 'document.pdf',
      hash: createHash('sha256').update(bytes).digest('hex'),
      pages,
      size: bytes.length,
      uploadDateTime: iso(clock.now()),
    };
    uploads.put(record);
    const { pages: _p, size: _s, ...body } = record;
    return { status: 201, body };
  }

  /** The last page of a page range (`2`, `2-3`). */
  const lastPageOf = (range: string) => Number(range.split('-').at(-1));

  function createDossier(req: SandboxRequest): SandboxResponse {
    const parsed = CreateBody.safeParse(req.body);
    if (!parsed.success) return validationProblem(parsed.error);
    const body = parsed.data;
    if (!body.files?.length && !body.template) {
      return problem(400, 'One or more validation errors occurred.', {
        files: ['A dossier needs at least one file, or a template'],
      });
    }
    if (body.files?.length && body.template) {
      return problem(400, 'One or more validation errors occurred.', {
        template: ['Give files or a template, not both'],
      });
    }
    const now = clock.now();
    const expiresIn = 30 * 86_400;
    const id = randomUUID();
    const invitees: InviteeRecord[] = body.invitees.map((i) => ({
      id: randomUUID(),
      name: i.name,
      email: i.email ?? null,
      phoneNumber: i.phoneNumber ?? null,
      reference: i.reference ?? null,
      state: null,
      stateChanged: null,
      fields: [],
    }));
    let files: Array<{ id: string; name: string }>;
    if (body.template) {
      if (body.template !== template.id) {
        return problem(400, 'One or more validation errors occurred.', { template: ['Template not found'] });
      }
      if (body.invitees.length !== template.placeholders) {
        return problem(400, 'One or more validation errors occurred.', {
          invitees: [`The template has ${template.placeholders} recipient(s); send as many invitees`],
        });
      }
      if (body.invitees.some((i) => i.fields?.length)) {
        return problem(400, 'One or more validation errors occurred.', {
          invitees: ['Fields come from the template'],
        });
      }
      files = [{ id: template.file.id, name: template.file.name }];
      for (const invitee of invitees) {
        invitee.fields.push({
          id: randomUUID(),
          name: randomUUID().slice(0, 8).toUpperCase(),
          type: 'signature',
          required: true,
          invitee: invitee.id,
          file: template.file.id,
          locations: [{ range: '1', unit: 'point', x: 70.3448, y: 0 }],
        });
      }
    } else {
      files = [];
      for (const [n, f] of (body.files ?? []).entries()) {
        const upload = uploads.get(f.id);
        if (!upload) {
          return problem(400, 'One or more validation errors occurred.', {
            [`files[${n}].id`]: ['File not found; upload it first'],
          });
        }
        files.push({ id: upload.id, name: upload.name });
      }
      for (const [n, i] of body.invitees.entries()) {
        for (const [m, f] of (i.fields ?? []).entries()) {
          const upload = files.some((x) => x.id === f.file) ? uploads.get(f.file) : undefined;
          if (!upload) {
            return problem(400, 'One or more validation errors occurred.', {
              [`invitees[${n}].fields[${m}].file`]: ['The field must belong to one of the dossier files'],
            });
          }
          const outside = f.locations.find(
            (l) => lastPageOf(l.range) > upload.pages || lastPageOf(l.range) < 1,
          );
          if (outside) {
            return problem(400, 'One or more validation errors occurred.', {
              [`invitees[${n}].fields[${m}].locations`]: [
                `Page ${outside.range} is outside the file (${upload.pages} pages)`,
              ],
            });
          }
          const invitee = invitees[n] as InviteeRecord;
          invitee.fields.push({
            id: randomUUID(),
            name: randomUUID().slice(0, 8).toUpperCase(),
            type: f.type,
            required: f.required ?? true,
            invitee: invitee.id,
            file: f.file,
            locations: f.locations.map((l) => ({ unit: 'point', ...l })),
          });
        }
      }
    }
    const dossier: DossierRecord = {
      id,
      name: body.name,
      state: 'draft',
      reminderIn: body.reminderIn ?? null,
      expiresIn,
      expiresAt: iso(now + expiresIn * 1000),
      createdAt: iso(now),
      invitees,
      invites: [],
      files,
      template: body.template ?? null,
    };
    store.put(dossier);
    return { status: 201, body: publicDossier(dossier) };
  }

  function registerWebhook(req: SandboxRequest): SandboxResponse {
    if (req.params.kid !== lastKid) return problem(403, "The key id in the path is not the token's key id");
    const parsed = WebhookBody.safeParse(req.body);
    if (!parsed.success) return validationProblem(parsed.error);
    const url = new URL(parsed.data.url);
    // CM: "it must start with https:// for security reasons" (S3). Local stack only: its own origin.
    if (url.protocol !== 'https:' && url.origin !== localOrigin) {
      return problem(400, 'One or more validation errors occurred.', {
        url: ['The URL must start with https://'],
      });
    }
    const now = iso(clock.now());
    const hook: WebhookRecord = {
      id: randomUUID(),
      kid: lastKid,
      url: parsed.data.url,
      events: parsed.data.events ?? DEFAULT_EVENTS,
      headers: parsed.data.headers ?? null,
      disabled: false,
      updatedAt: now,
      createdAt: now,
    };
    webhooks.put(hook);
    const { kid: _kid, ...body } = hook;
    return { status: 201, body };
  }

  const guarded =
    (handler: (req: SandboxRequest) => Promise<SandboxResponse> | SandboxResponse) =>
    async (req: SandboxRequest): Promise<SandboxResponse> =>
      (await authorize(req)) ?? handler(req);

  const running = await startSandbox(
    'cm-sign',
    [
      route('POST', '/sign/v1/upload', guarded(readUpload)),
      route('POST', '/sign/v1/dossiers', guarded(createDossier)),
      route('POST', '/sign/v1/clients/:kid/webhooks', guarded(registerWebhook)),
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
          if (refuseNextInvites) {
            refuseNextInvites = false;
            return problem(400, 'Invalid invite', {
              '[0].channel': ['WhatsApp invites are not enabled for this account.'],
            });
          }
          if (d.state === 'completed' || d.state === 'expired') {
            return problem(409, `Dossier is ${d.state}; no invites can be sent`);
          }
          const now = clock.now();
          const created: InviteRecord[] = [];
          for (const [n, entry] of parsed.data.entries()) {
            const invitee = d.invitees.find((i) => i.id === entry.inviteeId);
            if (!invitee)
              return problem(400, 'Invalid invitee', { [`[${n}].inviteeId`]: ['Invitee not found'] });
            // Nothing to sign: CM invites an invitee to sign their fields in the dossier's files.
            if (d.files.length === 0 || invitee.fields.length === 0) {
              return problem(400, 'Invalid invite', {
                [`[${n}].inviteeId`]: [
                  'The dossier has nothing for this invitee to sign (no file or no field)',
                ],
              });
            }
            if (entry.channel === 'email' && !invitee.email) {
              return problem(400, 'Invalid invite', {
                [`[${n}].channel`]: ['Invitee has no email; required for channel email'],
              });
            }
            if (entry.channel === 'whatsapp' && !invitee.phoneNumber) {
              return problem(400, 'Invalid invite', {
                [`[${n}].channel`]: ['Invitee has no phoneNumber; required for channel whatsapp'],
              });
            }
            const expiresIn = entry.expiresIn ?? d.expiresIn;
            created.push({
              id: randomUUID(),
              inviteeId: invitee.id,
              channel: entry.channel ?? null,
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
      route('POST', '/_sandbox/refuse-next-invites', () => {
        refuseNextInvites = true;
        return { status: 200, body: { refuseNextInvites } };
      }),
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
      controlToken: ctx.controlToken,
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
          await send('dossier.state.updated', d);
          continue;
        }
        if (invite.stage !== 'signed' && invite.stage !== 'expired' && now > Date.parse(invite.expiresAt)) {
          invite.stage = 'expired';
          store.put(d);
          await send('dossier.invite.expired', d);
          continue;
        }
        if (invite.stage === 'expired') continue;
        if (invite.stage === 'sent') {
          const undeliverable =
            invite.channel === 'whatsapp' && invitee.phoneNumber?.endsWith(UNDELIVERABLE_SUFFIX);
          invite.stage = undeliverable ? 'undelivered' : 'viewed';
          store.put(d);
          await send(undeliverable ? 'dossier.invite.undelivered' : 'dossier.invite.viewed', d);
        } else if (invite.stage === 'viewed') {
          invite.stage = 'signed';
          invitee.state = 'signed';
          invitee.stateChanged = iso(now);
          if (d.invitees.every((i) => i.state === 'signed')) d.state = 'completed';
          store.put(d);
          await send('dossier.invitee.state.updated', d);
          if (d.state === 'completed') await send('dossier.state.updated', d);
        }
      }
    },
    state: () => ({
      dossiers: store.all(),
      uploads: uploads.all(),
      webhooks: { enabled: webhooksEnabled, registered: webhooks.all(), deliveries },
    }),
  };
}
