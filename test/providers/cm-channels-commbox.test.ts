import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setRateLimiter } from '../../src/http/client.js';
import { ProviderError } from '../../src/http/errors.js';
import { MemoryRateLimiter } from '../../src/http/rate-limit.js';
import { CmChannelsClient } from '../../src/providers/cm-channels/client.js';
import { CommboxClient } from '../../src/providers/commbox/client.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import { startCmChannelsSandbox, TEMPLATE_IDS } from '../../src/sandbox/providers/cm-channels.js';
import { startCommboxSandbox } from '../../src/sandbox/providers/commbox.js';
import type { ProviderSandbox, SandboxContext } from '../../src/sandbox/providers/index.js';
import { tenantId } from '../../src/store/keys.js';

// The clients against their sandboxes over real HTTP, without the rest of the stack.
const tenant = tenantId('T0SANDBOX');
const ctx = { url: 'http://127.0.0.1:9', faultRate: 0 } as unknown as SandboxContext;
let cm: ProviderSandbox;
let commbox: ProviderSandbox;

beforeAll(async () => {
  setRateLimiter(new MemoryRateLimiter());
  [cm, commbox] = await Promise.all([startCmChannelsSandbox(ctx), startCommboxSandbox(ctx)]);
});
afterAll(async () => {
  await Promise.all([cm?.running.close(), commbox?.running.close()]);
  setRateLimiter(undefined);
});

const cmClient = (creds = SANDBOX_CREDENTIALS['cm-channels']) =>
  new CmChannelsClient(tenant, creds, `${cm.running.url}${cm.basePath}`);
const commboxClient = (creds = SANDBOX_CREDENTIALS.commbox) =>
  new CommboxClient(tenant, creds, { baseUrl: commbox.running.url, perMinute: 6000 });

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('CM.com Channels client and sandbox', () => {
  it('pages and filters templates and reads one in full', async () => {
    const page = await cmClient().listTemplates({ skip: 1, take: 2 });
    expect(page).toHaveLength(2);
    expect((await cmClient().listTemplates({ q: 'welcome' })).map((t) => t.name)).toEqual([
      'welcome_message',
    ]);
    const full = await cmClient().getTemplate(TEMPLATE_IDS.welcome);
    expect(full.settings?.replacementFields?.map((f) => f.name)).toEqual(['first_name', 'company']);
    expect(full.languages.Dutch?.isActive).toBe(true);
  });

  it('refuses a wrong product token as an auth error and an unknown template as 404', async () => {
    const auth = await rejection(
      cmClient({ ...SANDBOX_CREDENTIALS['cm-channels'], productToken: 'wrong-token' }).listTemplates(),
    );
    expect(auth.kind).toBe('auth');
    const missing = await rejection(cmClient().getTemplate('99999999-9999-4999-8999-999999999999'));
    expect([missing.status, missing.kind, missing.detail]).toEqual([404, 'permanent', 'Template not found.']);
  });

  it('refuses to validate an incomplete template with the reason', async () => {
    const err = await rejection(cmClient().requestValidation(TEMPLATE_IDS.accountAlert));
    expect(err.status).toBe(400);
    expect(err.detail).toContain('incomplete: Dutch');
  });
});

describe('CommBox client and sandbox', () => {
  it('uploads media as multipart field pic and records it', async () => {
    const out = await commboxClient().uploadMedia(
      new Blob(['%PDF-1.4 test'], { type: 'application/pdf' }),
      'invoice.pdf',
    );
    expect(out.filename).toBe('invoice.pdf');
    expect((commbox.state() as { uploads: unknown[] }).uploads).toEqual([
      expect.objectContaining({ id: out.id, filename: 'invoice.pdf', type: 'application/pdf', size: 13 }),
    ]);
  });

  it('answers per recipient: a bad item fails alone with its reason, an empty request is refused locally', async () => {
    const client = commboxClient();
    const sent = await client.sendTemplate([
      { to: '+31612345678', name: 'welcome_message', language: 'en_US', components: [] },
    ]);
    expect(sent.httpStatus).toBe(200);
    expect(sent.results[0]).toMatchObject({ recipient: '31612345678', outcome: 'sent' });
    const mixed = await client.sendTemplate([
      { to: '+31612345678', name: 'welcome_message', language: 'en_US', components: [] },
      {
        to: '+31612345679',
        name: 'x',
        language: 'en',
        components: [{ type: 'body', parameters: [{ type: 'text' }] }],
      },
    ]);
    expect(mixed.httpStatus).toBe(206);
    expect(mixed.results[1]).toMatchObject({ recipient: '31612345679', outcome: 'failed' });
    expect(mixed.results[1]?.reason).toContain('a text parameter needs text');
    await expect(client.sendTemplate([])).rejects.toThrow(RangeError);
  });

  it('URL-encodes the stream id: the same id sent raw reaches no stream', async () => {
    const raw = await fetch(
      `${commbox.running.url}/whatsapp/validatecontact/${SANDBOX_CREDENTIALS.commbox.streamId}/31612345678`,
      { headers: { authorization: `Bearer ${SANDBOX_CREDENTIALS.commbox.apiKey}` } },
    );
    expect(SANDBOX_CREDENTIALS.commbox.streamId).toMatch(/[/+].*==$/);
    expect(raw.status).toBe(404);
    expect(await commboxClient().validateContact('+31612345678')).toEqual({ valid: true });
  });

  it('refuses a wrong API key as an auth error and validates contacts', async () => {
    const err = await rejection(
      commboxClient({ ...SANDBOX_CREDENTIALS.commbox, apiKey: 'wrong-key-123' }).validateContact(
        '+31612345678',
      ),
    );
    expect(err.kind).toBe('auth');
    expect(await commboxClient().validateContact('+31612345678')).toEqual({ valid: true });
    expect(await commboxClient().validateContact('+31612340000')).toEqual({ valid: false });
  });
});
