import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmSignToken } from '../../src/providers/cm-sign/client.js';
import {
  CreateDossierRequest,
  Dossier,
  InviteList,
  InviteRequest,
  parseCallback,
  Upload,
  Webhook,
  WebhookRequest,
} from '../../src/providers/cm-sign/schemas.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import { SANDBOX_TEMPLATE_ID, startCmSignSandbox } from '../../src/sandbox/providers/cm-sign.js';
import type { ProviderSandbox } from '../../src/sandbox/providers/index.js';

/** The recorded CM.com Sign examples: the client parses them and the sandbox answers in their shape. */
const DIR = join(import.meta.dirname, '../fixtures/providers/cm-sign');
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as {
    source: string;
    example: any;
    alternatives?: unknown[];
  };
const keysOf = (o: object) => Object.keys(o).sort();

describe('CM.com Sign fixtures', () => {
  it('each fixture names its source URL', () => {
    for (const file of readdirSync(DIR)) {
      expect(JSON.parse(readFileSync(join(DIR, file), 'utf8')).source, file).toMatch(
        /https:\/\/|shared\/provider-docs/,
      );
    }
  });

  it('the client parses every documented answer and accepts every documented request', () => {
    expect(Dossier.safeParse(fixture('create-dossier.response').example).success).toBe(true);
    expect(InviteList.safeParse(fixture('invites.response').example).success).toBe(true);
    expect(InviteList.safeParse(fixture('invites-no-channel.response').example).success).toBe(true);
    expect(InviteRequest.safeParse(fixture('invites.request').example).success).toBe(true);
    expect(Upload.safeParse(fixture('upload.response').example).success).toBe(true);
    expect(Webhook.safeParse(fixture('webhook.response').example).success).toBe(true);
    expect(WebhookRequest.safeParse(fixture('webhook.request').example).success).toBe(true);
    expect(CreateDossierRequest.safeParse(fixture('create-dossier-template.request').example).success).toBe(
      true,
    );
    expect(CreateDossierRequest.safeParse(fixture('create-dossier-files.request').example).success).toBe(
      true,
    );
  });

  it('the client refuses to build a dossier with nothing to sign', () => {
    const bare = { name: 'Purchase contract', invitees: [{ name: 'Invitee', phoneNumber: '+31612345678' }] };
    expect(CreateDossierRequest.safeParse(bare).success).toBe(false);
  });

  it('a callback, in any of the shapes we accept, yields its dossier id', () => {
    const cb = fixture('callback.minimal');
    expect(parseCallback(cb.example)).toEqual({
      event: 'dossier.state.updated',
      dossierId: cb.example.dossierId,
    });
    for (const alt of cb.alternatives ?? []) expect(parseCallback(alt)?.dossierId).toBe(cb.example.dossierId);
    expect(parseCallback({ event: 'dossier.state.updated' })).toBeUndefined();
    expect(parseCallback('nonsense')).toBeUndefined();
  });
});

describe('CM.com Sign sandbox contract', () => {
  let sandbox: ProviderSandbox;
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ headers: Record<string, unknown>; body: any }> = [];
  const base = () => `${sandbox.running.url}/sign/v1`;
  const auth = async () => ({ authorization: `Bearer ${await cmSignToken(SANDBOX_CREDENTIALS['cm-sign'])}` });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base()}/${path}`, {
      method: 'POST',
      headers: { ...(await auth()), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  async function upload(pages = 2) {
    const doc = await PDFDocument.create();
    for (let i = 0; i < pages; i++) doc.addPage([595, 842]);
    const form = new FormData();
    form.append(
      'file',
      new Blob([new Uint8Array(await doc.save())], { type: 'application/pdf' }),
      'contract.pdf',
    );
    const res = await fetch(`${base()}/upload`, { method: 'POST', headers: await auth(), body: form });
    return { status: res.status, body: (await res.json()) as any };
  }

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(raw) });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    sandbox = await startCmSignSandbox({
      url: receiverUrl,
      faultRate: 0,
      routes: [],
      slack: undefined as never,
    });
  });
  afterAll(async () => {
    await sandbox?.running.close();
    receiver?.closeAllConnections();
    await new Promise((r) => receiver?.close(r));
  });

  it('refuses the seed example, a dossier with invitees but no document', async () => {
    const seed = {
      name: 'Purchase contract',
      reminderIn: 604800,
      invitees: [{ name: 'Invitee', email: 'i@example.com', phoneNumber: '+31612345678' }],
    };
    const out = await post('dossiers', seed);
    expect(out.status).toBe(400);
    expect(out.body.errors.files[0]).toMatch(/at least one file, or a template/);
  });

  it('uploads a PDF (multipart `file`) in the documented shape and refuses anything else', async () => {
    const ok = await upload();
    expect(ok.status).toBe(201);
    expect(keysOf(ok.body)).toEqual(keysOf(fixture('upload.response').example));
    const form = new FormData();
    form.append('file', new Blob(['hello']), 'notes.txt');
    const bad = await fetch(`${base()}/upload`, { method: 'POST', headers: await auth(), body: form });
    expect(bad.status).toBe(400);
  });

  it('creates a dossier from files and fields in the documented shape; an invitee without a field has nothing to sign', async () => {
    const file = (await upload(2)).body.id;
    const request = structuredClone(fixture('create-dossier-files.request').example);
    request.files = [{ id: file }];
    request.invitees[0].fields[0].file = file;
    request.invitees[0].fields[0].locations[0].range = '2';
    const created = await post('dossiers', request);
    expect(created.status).toBe(201);
    expect(Dossier.safeParse(created.body).success).toBe(true);
    for (const key of keysOf(fixture('create-dossier.response').example))
      expect(created.body).toHaveProperty(key);
    const invite = structuredClone(fixture('invites.request').example);
    invite[0].inviteeId = created.body.invitees[0].id;
    const sent = await post(`dossiers/${created.body.id}/invites`, invite);
    expect(sent.status).toBe(201);
    expect(keysOf(sent.body[0])).toEqual(keysOf(fixture('invites.response').example[0]));
    // Without a channel CM sends nothing: the invite's channel is null and it carries its link.
    const own = await post(`dossiers/${created.body.id}/invites`, [
      { inviteeId: created.body.invitees[0].id },
    ]);
    expect(own.status).toBe(201);
    expect(own.body[0]).toMatchObject({ channel: null, inviteUri: expect.stringMatching(/^https:\/\//) });
    expect(keysOf(own.body[0])).toEqual(keysOf(fixture('invites-no-channel.response').example[0]));
    expect(InviteList.safeParse(own.body).success).toBe(true);

    const outside = structuredClone(request);
    outside.invitees[0].fields[0].locations[0].range = '3';
    expect((await post('dossiers', outside)).status).toBe(400);

    const noField = structuredClone(request);
    delete noField.invitees[0].fields;
    const bare = await post('dossiers', noField);
    expect(bare.status).toBe(201);
    const refused = await post(`dossiers/${bare.body.id}/invites`, [
      { inviteeId: bare.body.invitees[0].id, channel: 'whatsapp', expiresIn: 2592000 },
    ]);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('nothing for this invitee to sign');
  });

  it('creates a dossier from the template, with fields shaped like the documented ones', async () => {
    const request = { ...fixture('create-dossier-template.request').example, template: SANDBOX_TEMPLATE_ID };
    const created = await post('dossiers', request);
    expect(created.status).toBe(201);
    expect(keysOf(created.body.invitees[0].fields[0])).toEqual(
      keysOf(fixture('template-field.response').example),
    );
    expect(
      (await post('dossiers', { ...request, template: '00000000-0000-4000-8000-000000000000' })).status,
    ).toBe(400);
  });

  it('registers webhooks as documented (https only, kid is the token’s) and calls them back with our header', async () => {
    const kid = SANDBOX_CREDENTIALS['cm-sign'].keyId;
    const http = await post(`clients/${kid}/webhooks`, { url: 'http://example.com/hook' });
    expect(http.status).toBe(400);
    expect((await post('clients/someone-else/webhooks', fixture('webhook.request').example)).status).toBe(
      403,
    );
    const hook = await post(`clients/${kid}/webhooks`, {
      url: `${receiverUrl}/hook`,
      events: ['dossier.invite.viewed', 'dossier.state.updated'],
      headers: { 'x-webhook-secret': 'our-secret-0123456789' },
    });
    expect(hook.status).toBe(201);
    expect(keysOf(hook.body)).toEqual(keysOf(fixture('webhook.response').example));

    const created = await post('dossiers', {
      name: 'Callback dossier',
      template: SANDBOX_TEMPLATE_ID,
      invitees: [{ name: 'Cal', phoneNumber: '+31612345678' }],
    });
    await post(`dossiers/${created.body.id}/invites`, [
      { inviteeId: created.body.invitees[0].id, channel: 'whatsapp', expiresIn: 2592000 },
    ]);
    await sandbox.tick();
    const viewed = received.find((r) => r.body.dossierId === created.body.id);
    expect(viewed?.headers['x-webhook-secret']).toBe('our-secret-0123456789');
    expect(parseCallback(viewed?.body)).toEqual({
      event: 'dossier.invite.viewed',
      dossierId: created.body.id,
    });
  });
});
