import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock, setClock } from '../../src/clock.js';
import {
  InvitationEnvelope,
  InvitationStatusChanged,
  ZavuWebhook,
} from '../../src/providers/zavu/schemas.js';
import type { ProviderSandbox } from '../../src/sandbox/providers/index.js';
import { startZavuSandbox } from '../../src/sandbox/providers/zavu.js';
import { verifyZavuSignature } from '../../src/security/signatures.js';
import { keysOf, STATUS_FIXTURES, zavuFixture } from './zavu-fixtures.js';

/**
 * The Zavu sandbox against Zavu's documented examples (the same fixtures the client's parsing
 * tests read): what it answers and what it sends must have the documented shape.
 */

const API_KEY = 'zv_test_contract_project_key';
const clock = new SimulatedClock();
let sandbox: ProviderSandbox;
let receiver: Server;
let receiverUrl: string;
const received: Array<{ header: string; raw: string }> = [];
/** Statuses the receiver answers with, in turn (then 200). */
const answers: number[] = [];

async function api(method: string, path: string, body?: unknown, key = API_KEY) {
  const res = await fetch(`${sandbox.running.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  return { status: res.status, body: (await res.json()) as any };
}
const control = (path: string, body: unknown) => api('POST', `/_sandbox/${path}`, body);

/** The events received since `from`, parsed. */
function eventsSince(from: number) {
  return received.slice(from).map((r) => ({ ...r, body: JSON.parse(r.raw) }));
}

beforeAll(async () => {
  setClock(clock);
  receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push({
      header: String(req.headers['x-zavu-signature'] ?? ''),
      raw: Buffer.concat(chunks).toString(),
    });
    res.writeHead(answers.shift() ?? 200).end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/zavu/x`;
  sandbox = await startZavuSandbox({ url: '', routes: [], slack: undefined as never, faultRate: 0 });
  expect((await control('projects', { apiKey: API_KEY })).status).toBe(200);
});
afterAll(async () => {
  await sandbox?.running.close();
  await new Promise<void>((r) => receiver?.close(() => r()));
  setClock(undefined);
});

let secret = '';

describe('Zavu sandbox contract (documented shapes)', () => {
  it('refuses a missing or unknown API key', async () => {
    expect((await api('GET', '/v1/invitations', undefined, 'zv_nope_nope')).status).toBe(401);
  });

  it('registers the project webhook as documented: the secret on create only, kept on replace', async () => {
    const request = { ...zavuFixture('configure-project-webhook-request').body, url: receiverUrl };
    const first = await api('POST', '/v1/invitations/webhook', request);
    expect(first.status).toBe(200);
    expect(keysOf(first.body.webhook)).toEqual(
      keysOf(zavuFixture('configure-project-webhook-response').body.webhook),
    );
    expect(first.body.webhook).toMatchObject({
      url: receiverUrl,
      events: ['invitation.status_changed'],
      active: true,
    });
    secret = first.body.webhook.secret;
    expect(secret).toMatch(/^whsec_/);
    const again = await api('POST', '/v1/invitations/webhook', request);
    expect(again.body.webhook.secret).toBe(secret);
    const read = await api('GET', '/v1/invitations/webhook');
    expect(read.body.webhook).not.toHaveProperty('secret');
    expect(
      (
        await api('POST', '/v1/invitations/webhook', {
          url: 'http://example.com/x',
          events: ['invitation.status_changed'],
        })
      ).status,
    ).toBe(400);
    const bad = await api('POST', '/v1/invitations/webhook', {
      url: receiverUrl,
      events: ['message.inbound'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 'invalid_request',
      details: { allowed: ['invitation.status_changed'] },
    });
  });

  it('answers create with the documented invitation fields (plus the SDK additions only)', async () => {
    const res = await api('POST', '/v1/invitations', zavuFixture('create-invitation-request').body);
    expect(res.status).toBe(201);
    const documented = keysOf(zavuFixture('create-invitation-response').body.invitation);
    const sdkAdditions = ['connectedAccount', 'connectionType', 'failedAt', 'failureReason'];
    expect(keysOf(res.body.invitation)).toEqual([...documented, ...sdkAdditions].sort());
    expect(InvitationEnvelope.safeParse(res.body).success).toBe(true);
    expect(res.body.invitation).toMatchObject({
      status: 'pending',
      clientName: 'Acme Corp',
      connectionType: 'whatsapp_waba',
    });
  });

  it('refuses phoneNumberId and allowedPhoneCountries on a messenger invitation, with the documented error body', async () => {
    const res = await api('POST', '/v1/invitations', {
      clientName: 'X',
      connectionType: 'messenger',
      allowedPhoneCountries: ['US'],
    });
    expect(res.status).toBe(400);
    expect(keysOf(res.body)).toEqual(['code', 'message']);
  });

  it('sends the documented event shapes, signed v2 by default, through failed and back to in_progress', async () => {
    const inv = (await api('POST', '/v1/invitations', { clientName: 'Contract Co' })).body.invitation;
    await control(`invitations/${inv.id}/fail`, { failureReason: 'fb_cancelled' });
    const from = received.length;
    for (let i = 0; i < 4; i++) await sandbox.tick(); // in_progress, failed, in_progress, completed
    const events = eventsSince(from).filter((e) => e.body.data.invitationId === inv.id);
    expect(events.map((e) => [e.body.data.previousStatus, e.body.data.currentStatus])).toEqual([
      ['pending', 'in_progress'],
      ['in_progress', 'failed'],
      ['failed', 'in_progress'],
      ['in_progress', 'completed'],
    ]);
    const shapes = [
      STATUS_FIXTURES.in_progress,
      STATUS_FIXTURES.failed,
      STATUS_FIXTURES.in_progress,
      STATUS_FIXTURES.completed,
    ];
    events.forEach((e, i) => {
      const fixture = zavuFixture(shapes[i] as string).body;
      expect(keysOf(e.body)).toEqual(keysOf(fixture));
      expect(keysOf(e.body.data)).toEqual(keysOf(fixture.data));
      expect(e.body.id).toMatch(/^evt_\d+_\w+$/);
      expect(ZavuWebhook.safeParse(e.body).success).toBe(true);
      expect(InvitationStatusChanged.safeParse(e.body.data).success).toBe(true);
      expect(e.header).toMatch(/^t=\d+,v2=[0-9a-f]{64}$/);
      expect(verifyZavuSignature(e.raw, e.header, secret, clock.now())).toBe(true);
    });
    expect(events[1]?.body.data.failureReason).toBe('fb_cancelled');
    expect(events[3]?.body.data.connectedAccount).toMatchObject({ channel: 'whatsapp' });
  });

  it('shapes a messenger completion like the published example', async () => {
    const inv = (
      await api('POST', '/v1/invitations', {
        clientName: 'Acme Corp',
        clientEmail: 'contact@acme.com',
        connectionType: 'messenger',
      })
    ).body.invitation;
    const from = received.length;
    await sandbox.tick();
    await sandbox.tick();
    const done = eventsSince(from).find(
      (e) => e.body.data.invitationId === inv.id && e.body.data.currentStatus === 'completed',
    );
    const fixture = zavuFixture(STATUS_FIXTURES.completedMessenger).body;
    expect(keysOf(done?.body.data)).toEqual(keysOf(fixture.data));
    expect(keysOf(done?.body.data.connectedAccount)).toEqual(keysOf(fixture.data.connectedAccount));
    expect(done?.body.data.connectedAccount.channel).toBe('messenger');
  });

  it('signs v1 or v1+v2 when the project is switched, in the documented header format', async () => {
    const shapes = zavuFixture('signatures').body.headers as Record<string, string>;
    const pattern = (h: string) =>
      new RegExp(`^${h.replace(/\d{6,}/, '\\d+').replace(/[0-9a-f]{64}/g, '[0-9a-f]{64}')}$`);
    for (const version of ['v1', 'v1+v2'] as const) {
      await control('signature-version', { version, apiKey: API_KEY });
      await api('POST', '/v1/invitations', { clientName: `Signed ${version}` });
      const from = received.length;
      await sandbox.tick();
      const [e] = eventsSince(from);
      expect(e?.header).toMatch(pattern(shapes[version] as string));
      expect(
        verifyZavuSignature(e?.raw ?? '', e?.header, secret, clock.now(), undefined, { bodyOnlyV1: true }),
      ).toBe(true);
    }
    await control('signature-version', { version: 'v2', apiKey: API_KEY });
  });

  it('expires silently: no webhook, and the invitation reads as expired', async () => {
    const inv = (await api('POST', '/v1/invitations', { clientName: 'Late Ltd', expiresInDays: 1 })).body
      .invitation;
    const from = received.length;
    clock.advance(86_400_000 + 1000); // before the client ever opened it
    await sandbox.tick();
    expect(eventsSince(from).filter((e) => e.body.data.invitationId === inv.id)).toEqual([]);
    expect((await api('GET', `/v1/invitations/${inv.id}`)).body.invitation.status).toBe('expired');
  });

  it('retries a failed delivery with the same event id, re-signed, after a minute', async () => {
    await api('POST', '/v1/invitations', { clientName: 'Retry Ltd' });
    answers.push(500);
    const from = received.length;
    await sandbox.tick();
    const [first] = eventsSince(from);
    await sandbox.tick(); // not due yet: only the next step of the invitation goes out
    clock.advance(61_000);
    await sandbox.tick();
    const again = eventsSince(from).filter((e) => e.body.id === first?.body.id);
    expect(again).toHaveLength(2);
    expect(verifyZavuSignature(again[1]?.raw ?? '', again[1]?.header, secret, clock.now())).toBe(true);
  });
});
