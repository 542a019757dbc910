import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setRateLimiter } from '../../src/http/client.js';
import { ProviderError } from '../../src/http/errors.js';
import { MemoryRateLimiter } from '../../src/http/rate-limit.js';
import { MetaCloudProvisioning } from '../../src/providers/meta-cloud/client.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import type { ProviderSandbox, SandboxContext } from '../../src/sandbox/providers/index.js';
import { META_GRAPH_VERSION, startMetaCloudSandbox } from '../../src/sandbox/providers/meta-cloud.js';
import { tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';

/**
 * One set of reference examples (`test/fixtures/providers/meta-cloud/`, each with its source),
 * two sides: our Graph client reads every documented answer and sends the documented requests;
 * the Cloud API sandbox answers the same operations with the same shapes and codes.
 */

interface Fixture {
  source: string;
  operation: string;
  status: number;
  request?: Record<string, unknown>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  note?: string;
  response?: unknown;
}

const DIR = join(import.meta.dirname, '../fixtures/providers/meta-cloud');
const fixtures: Record<string, Fixture> = Object.fromEntries(
  readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Fixture]),
);
const fx = (name: string) => {
  const f = fixtures[name];
  if (!f) throw new Error(`no fixture ${name}`);
  return f;
};

const PNID = '110200345501442';
const WABA = '102290129340398';
const tenant = tenantId('T0SANDBOX');
const TOKEN = SANDBOX_CREDENTIALS['meta-cloud'].accessToken;

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
}
let replay: Server;
let replayUrl = '';
let answers: Fixture[] = [];
const seen: Seen[] = [];
let table: Awaited<ReturnType<typeof startTestTable>>;

beforeAll(async () => {
  table = await startTestTable({ SANDBOX_CREDENTIALS: 'true' });
  setRateLimiter(new MemoryRateLimiter());
  replay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        raw: Buffer.concat(chunks),
      });
      const f = answers.shift() as Fixture;
      const body = f.response === undefined ? '' : JSON.stringify(f.response);
      res.writeHead(f.status, body ? { 'content-type': 'application/json' } : {}).end(body);
    });
  });
  await new Promise<void>((r) => replay.listen(0, '127.0.0.1', r));
  replayUrl = `http://127.0.0.1:${(replay.address() as AddressInfo).port}/${META_GRAPH_VERSION}`;
});
afterAll(async () => {
  replay?.closeAllConnections();
  await new Promise((r) => replay?.close(r));
  await table?.close();
  setRateLimiter(undefined);
});

const client = () => new MetaCloudProvisioning(tenant, { baseUrl: replayUrl, timeoutMs: 2000 });

/** Runs `call` against the named answers; checks each request made the fixture's operation. */
async function against<T>(names: string[], call: (c: MetaCloudProvisioning) => Promise<T>) {
  answers = names.map(fx);
  seen.length = 0;
  const out = await call(client()).then(
    (value) => ({ value, error: undefined as unknown }),
    (error: unknown) => ({ value: undefined, error }),
  );
  names.forEach((name, i) => {
    const f = fx(name);
    const s = seen[i] as Seen;
    const [method, template] = f.operation.split(' ') as [string, string];
    expect(s?.method, name).toBe(method);
    const pattern = template.replace(/\{[^}]+\}/g, '[^/]+');
    expect(s.path, name).toMatch(new RegExp(`^/${META_GRAPH_VERSION}${pattern}$`));
    for (const k of Object.keys(f.query ?? {})) expect(s.query.has(k), `${name}: query ${k}`).toBe(true);
    // The first request is the operation under test; later ones only follow its path.
    if (f.request && i === 0) {
      const body = JSON.parse(s.raw.toString('utf8')) as Record<string, unknown>;
      expect(Object.keys(body).sort(), name).toEqual(Object.keys(f.request).sort());
    }
    for (const [k, v] of Object.entries(f.headers ?? {})) expect(s.headers[k.toLowerCase()], name).toBe(v);
  });
  return out;
}

const graphError = (e: unknown) => {
  expect(e).toBeInstanceOf(ProviderError);
  const p = e as ProviderError;
  return { kind: p.kind, code: p.code, detail: p.detail };
};

describe('every fixture has its source', () => {
  it('names where it comes from, and says when it is constructed', () => {
    expect(Object.keys(fixtures).length).toBeGreaterThanOrEqual(18);
    for (const [name, f] of Object.entries(fixtures)) {
      expect(f.source, name).toMatch(/https:\/\//);
      if (f.status >= 400) expect(f.note, name).toMatch(/Constructed/);
    }
  });
});

describe('our client reads every documented answer', () => {
  it('adds a number with cc, phone_number and verified_name and reads its id', async () => {
    const out = await against(['phone-numbers-create'], (c) =>
      c.provision({
        countryCode: '1',
        number: '4195551518',
        wabaId: WABA,
        method: 'sms',
        displayName: 'Lucky Shrub',
      }),
    );
    expect(out.value).toEqual({
      kind: 'created',
      deployment: expect.objectContaining({ id: PNID, state: 'INITIALIZING' }),
    });
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('reads 200000 as the number in use, after looking for it on the WABA', async () => {
    const out = await against(['phone-numbers-create-refused', 'phone-numbers-list'], (c) =>
      c.provision({
        countryCode: '1',
        number: '6315555555',
        wabaId: WABA,
        method: 'sms',
        displayName: 'X Y',
      }),
    );
    expect(out.value).toMatchObject({ kind: 'number-in-use', existingId: '1906385232743451' });
    expect((out.value as { detail: string }).detail).toMatch(
      /cannot be added.*Graph error 200000.*check the number/,
    );
  });

  it('finds a number on the WABA by its digits (the reconcile after a crash)', async () => {
    const found = await against(['phone-numbers-list'], (c) =>
      c.find({ countryCode: '1', number: '6315555555', wabaId: WABA, method: 'sms' }),
    );
    expect(found.value).toMatchObject({ id: '1906385232743451', state: 'CODE_VERIFIED' });
  });

  it('reads the node: verified, name approved, quality GREEN', async () => {
    const out = await against(['number-get'], (c) => c.get('106853218861309'));
    expect(out.value).toMatchObject({ id: '106853218861309', state: 'CODE_VERIFIED' });
    expect(out.value?.facts).toEqual(
      expect.arrayContaining([
        ['Verification', 'VERIFIED'],
        ['Quality rating', 'GREEN'],
      ]),
    );
  });

  it('requests a code with code_method and language, and reads 136024 as throttled', async () => {
    expect((await against(['request-code'], (c) => c.requestCode(PNID, 'sms'))).value).toEqual({ ok: true });
    expect(seen[0]?.query.get('code_method')).toBe('SMS');
    expect((await against(['request-code'], (c) => c.requestCode(PNID, 'voice'))).value).toEqual({
      ok: true,
    });
    expect(seen[0]?.query.get('code_method')).toBe('VOICE');
    const refused = await against(['request-code-error'], (c) => c.requestCode(PNID, 'sms'));
    expect(refused.value).toMatchObject({
      ok: false,
      reason: 'code-throttled',
      detail: expect.stringMatching(/wait an hour/),
    });
  });

  it('verifies the code and reads 136025 as a wrong code', async () => {
    expect((await against(['verify-code'], (c) => c.verify(PNID, '123830'))).value).toEqual({ ok: true });
    expect(seen[0]?.query.get('code')).toBe('123830');
    expect((await against(['verify-code-wrong'], (c) => c.verify(PNID, '000000'))).value).toMatchObject({
      ok: false,
      reason: 'verification-failed',
    });
  });

  it('sets the PIN and registers, and reads a PIN mismatch and the registration limit as refusals', async () => {
    expect((await against(['two-step-pin'], (c) => c.setPin(PNID, '123456'))).error).toBeUndefined();
    expect((await against(['register'], (c) => c.register(PNID, '123456'))).value).toEqual({ ok: true });
    expect((await against(['register-pin-mismatch'], (c) => c.register(PNID, '654321'))).value).toMatchObject(
      {
        ok: false,
        reason: 'pin-mismatch',
      },
    );
    const limited = await against(['register-throttled'], (c) => c.register(PNID, '123456'));
    expect(limited.value).toMatchObject({
      ok: false,
      reason: 'register-throttled',
      detail: expect.stringMatching(/72 hours/),
    });
  });

  it('deregisters', async () => {
    expect((await against(['deregister'], (c) => c.remove(PNID))).value).toEqual({ ok: true });
  });

  it('reads the profile (unknown verticals kept) and updates it with messaging_product, reading it back', async () => {
    const got = await against(['profile-get'], (c) => c.getProfile(PNID));
    expect(got.value).toMatchObject({
      about: 'My Butterfly Business sells butterflies',
      vertical: 'INDUSTRY',
    });
    const updated = await against(['profile-update', 'profile-get'], (c) =>
      c.updateProfile(PNID, { about: 'Succulent specialists!', vertical: 'Shopping and Retail' }),
    );
    expect(updated.error).toBeUndefined();
    expect(JSON.parse(seen[0]?.raw.toString() ?? '{}')).toEqual(fx('profile-update').request);
  });

  it('uploads a photo with the resumable upload API: session, bytes with OAuth and file_offset, then the handle', async () => {
    const bytes = Buffer.from('fake-jpeg-bytes');
    const out = await against(['upload-session', 'upload-file', 'profile-update'], (c) =>
      c.setPhoto(PNID, 'https://example.com/p.jpg', { bytes, type: 'image/jpeg' }),
    );
    expect(out.error).toBeUndefined();
    expect(seen[0]?.path).toBe(
      `/${META_GRAPH_VERSION}/${SANDBOX_CREDENTIALS['meta-cloud'].applicationId}/uploads`,
    );
    expect(seen[0]?.query.get('file_length')).toBe(String(bytes.length));
    expect(seen[1]?.headers.authorization).toBe(`OAuth ${TOKEN}`);
    expect(seen[1]?.raw.equals(bytes)).toBe(true);
    expect(JSON.parse(seen[2]?.raw.toString() ?? '{}')).toEqual({
      messaging_product: 'whatsapp',
      profile_picture_handle: '2:c2FtcGxl...',
    });
  });

  it('reads a bad token as an auth error, naming what to do', async () => {
    const e = graphError((await against(['error-token'], (c) => c.get(PNID))).error);
    expect(e).toMatchObject({ kind: 'auth', code: '190' });
    expect(e.detail).toMatch(/\/wa connect/);
  });
});

/** The JSON type of every key, recursively: what "the same shape" means here. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

describe('the sandbox answers the same operations with the same shapes', () => {
  let sandbox: ProviderSandbox;
  let base = '';
  beforeAll(async () => {
    sandbox = await startMetaCloudSandbox({
      url: 'http://127.0.0.1:9',
      faultRate: 0,
    } as unknown as SandboxContext);
    base = `${sandbox.running.url}/${META_GRAPH_VERSION}`;
  });
  afterAll(async () => {
    await sandbox?.running.close();
  });

  async function send(
    method: string,
    path: string,
    opts: { json?: unknown; raw?: Buffer; headers?: Record<string, string>; auth?: string } = {},
  ) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: opts.auth ?? `Bearer ${TOKEN}`,
        ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      ...(opts.json !== undefined
        ? { body: JSON.stringify(opts.json) }
        : opts.raw
          ? { body: new Uint8Array(opts.raw) }
          : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const q = (o: Record<string, string>) => `?${new URLSearchParams(o)}`;

  /** Same status; every key of the fixture present with the same JSON type; the same Graph code. */
  function like(got: { status: number; body: unknown }, name: string) {
    const f = fx(name);
    expect(got.status, name).toBe(f.status);
    expect(shape(got.body), name).toMatchObject(shape(f.response) as object);
    const code = (f.response as { error?: { code?: number } }).error?.code;
    if (code) expect((got.body as { error: { code: number } }).error.code, name).toBe(code);
  }

  it('add, code, verify, PIN, register, profile, photo and deregister, as the examples show them', async () => {
    const add = { cc: '44', phone_number: '7911123459', verified_name: 'Lucky Shrub' };
    const created = await send('POST', `/${WABA}/phone_numbers`, { json: add });
    like(created, 'phone-numbers-create');
    const id = (created.body as { id: string }).id;
    like(await send('POST', '/111111111111111/phone_numbers', { json: add }), 'phone-numbers-create-refused');
    like(await send('POST', `/${id}/verify_code${q({ code: '123456' })}`), 'verify-code-wrong');
    like(await send('POST', `/${id}/request_code${q(fx('request-code').query ?? {})}`), 'request-code');
    like(await send('POST', `/${id}/verify_code${q({ code: '123456' })}`), 'verify-code');
    like(
      await send(
        'GET',
        `/${WABA}/phone_numbers${q({ fields: 'id,display_phone_number,verified_name,quality_rating,code_verification_status' })}`,
      ),
      'phone-numbers-list',
    );
    like(await send('POST', `/${id}`, { json: fx('two-step-pin').request }), 'two-step-pin');
    like(
      await send('POST', `/${id}/register`, { json: { messaging_product: 'whatsapp', pin: '654321' } }),
      'register-pin-mismatch',
    );
    like(await send('POST', `/${id}/register`, { json: fx('register').request }), 'register');
    like(
      await send(
        'GET',
        `/${id}${q({ fields: 'id,verified_name,quality_rating,name_status,code_verification_status' })}`,
      ),
      'number-get',
    );
    const bytes = Buffer.from('fake-jpeg-bytes');
    const session = await send(
      'POST',
      `/${SANDBOX_CREDENTIALS['meta-cloud'].applicationId}/uploads${q({ file_name: 'p.jpg', file_length: String(bytes.length), file_type: 'image/jpeg' })}`,
    );
    like(session, 'upload-session');
    const sid = (session.body as { id: string }).id;
    // The transfer step wants the token as `OAuth`, and the offset as a header.
    expect((await send('POST', `/${sid}`, { raw: bytes, headers: { file_offset: '0' } })).status).toBe(401);
    const file = await send('POST', `/${sid}`, {
      raw: bytes,
      headers: { file_offset: '0' },
      auth: `OAuth ${TOKEN}`,
    });
    like(file, 'upload-file');
    const h = (file.body as { h: string }).h;
    like(
      await send('POST', `/${id}/whatsapp_business_profile`, {
        json: {
          ...fx('profile-update').request,
          address: 'a',
          description: 'd',
          email: 'a@b.co',
          websites: ['https://x.example/'],
          profile_picture_handle: h,
        },
      }),
      'profile-update',
    );
    like(
      await send('GET', `/${id}/whatsapp_business_profile${q(fx('profile-get').query ?? {})}`),
      'profile-get',
    );
    expect(
      (await send('POST', `/${id}/whatsapp_business_profile`, { json: { about: 'no product' } })).status,
    ).toBe(400);
    like(await send('POST', `/${id}/deregister`), 'deregister');
    for (let i = 0; i < 9; i++) await send('POST', `/${id}/register`, { json: fx('register').request });
    like(await send('POST', `/${id}/register`, { json: fx('register').request }), 'register-throttled');
    like(await send('GET', `/${id}`, { auth: 'Bearer EAAwrong' }), 'error-token');
  });

  it('asks for no more than 5 codes an hour, then answers 136024 like the example', async () => {
    const created = await send('POST', `/${WABA}/phone_numbers`, {
      json: { cc: '44', phone_number: '7911000001', verified_name: 'Five Codes' },
    });
    const id = (created.body as { id: string }).id;
    for (let i = 0; i < 5; i++)
      like(
        await send('POST', `/${id}/request_code${q({ code_method: 'SMS', language: 'en_US' })}`),
        'request-code',
      );
    like(
      await send('POST', `/${id}/request_code${q({ code_method: 'SMS', language: 'en_US' })}`),
      'request-code-error',
    );
  });
});
