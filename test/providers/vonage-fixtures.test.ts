import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setRateLimiter } from '../../src/http/client.js';
import { ProviderError } from '../../src/http/errors.js';
import { MemoryRateLimiter } from '../../src/http/rate-limit.js';
import { vonageAuthHeader } from '../../src/providers/vonage/auth.js';
import { VonageProvisioning } from '../../src/providers/vonage/client.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import type { ProviderSandbox, SandboxContext } from '../../src/sandbox/providers/index.js';
import { startVonageSandbox, VONAGE_BASE_PATH } from '../../src/sandbox/providers/vonage.js';
import { tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';

/**
 * One set of reference fixtures (`test/fixtures/providers/vonage/`, each with its source), two
 * sides: our client must read every documented answer and send the documented requests; the
 * sandbox must answer the same operations with the same shapes. A client and a sandbox can no
 * longer agree on a shape Vonage does not send.
 */

interface Fixture {
  source: string;
  operation: string;
  status: number;
  request?: Record<string, unknown>;
  response?: unknown;
}

const DIR = join(import.meta.dirname, '../fixtures/providers/vonage');
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

const ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const tenant = tenantId('T0SANDBOX');

// A replay server: answers the next request with the fixture it was given, and records it.
let replay: Server;
let replayUrl = '';
let answer: Fixture | undefined;
const seen: Array<{ method: string; path: string; body: unknown }> = [];
let table: Awaited<ReturnType<typeof startTestTable>>;

beforeAll(async () => {
  table = await startTestTable({ SANDBOX_CREDENTIALS: 'true' });
  setRateLimiter(new MemoryRateLimiter());
  replay = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', body: raw ? JSON.parse(raw) : undefined });
      const f = answer as Fixture;
      const body = f.response === undefined ? '' : JSON.stringify(f.response);
      res.writeHead(f.status, body ? { 'content-type': 'application/json' } : {}).end(body);
    });
  });
  await new Promise<void>((r) => replay.listen(0, '127.0.0.1', r));
  replayUrl = `http://127.0.0.1:${(replay.address() as AddressInfo).port}`;
});
afterAll(async () => {
  replay?.closeAllConnections();
  await new Promise((r) => replay?.close(r));
  await table?.close();
  setRateLimiter(undefined);
});

const client = () => new VonageProvisioning(tenant, { baseUrl: replayUrl, timeoutMs: 2000 });

async function against<T>(name: string, call: (c: VonageProvisioning) => Promise<T>) {
  answer = fx(name);
  seen.length = 0;
  const out = await call(client()).then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );
  const [method, template] = fx(name).operation.split(' ') as [string, string];
  // The client called the operation of the fixture, with the documented body when there is one.
  expect(seen[0]?.method).toBe(method);
  expect(seen[0]?.path).toMatch(new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`));
  if (fx(name).request) expect(seen[0]?.body).toEqual(fx(name).request);
  return out;
}

const providerError = (e: unknown) => {
  expect(e).toBeInstanceOf(ProviderError);
  const p = e as ProviderError;
  return { kind: p.kind, code: p.code };
};

describe('every fixture has its source', () => {
  it('names where it comes from', () => {
    expect(Object.keys(fixtures).length).toBeGreaterThanOrEqual(20);
    for (const [name, f] of Object.entries(fixtures)) {
      expect(f.source, name).toMatch(/https:\/\//);
      expect(f.operation, name).toMatch(/^(GET|POST|PATCH|DELETE) \/deployments/);
    }
  });
});

describe('our client reads every documented answer', () => {
  it('provisions with the documented request and reads the 202', async () => {
    const r = fx('deployment-create').request as Record<string, string>;
    const out = await against('deployment-create', (c) =>
      c.provision({
        countryCode: r.country_code as string,
        number: r.number as string,
        certificate: r.vname_certificate as string,
        method: 'sms',
        wabaId: r.waba_id as string,
        pin: r.pin,
      }),
    );
    expect(out.value).toEqual({
      kind: 'created',
      deployment: expect.objectContaining({ id: ID, state: 'INITIALIZING', countryCode: '44' }),
    });
  });

  it('reads number-in-use with the existing id, and invalid-json as a refusal', async () => {
    const req = {
      countryCode: '44',
      number: '8675309',
      certificate: 'c',
      method: 'sms' as const,
      wabaId: '1',
    };
    const inUse = await against('deployment-create-number-in-use', (c) => c.provision(req));
    expect(inUse.value).toMatchObject({
      kind: 'number-in-use',
      existingId: '21801df5-a3f6-4bd6-8b66-5bde51a909c7',
    });
    const bad = await against('deployment-create-invalid-json', (c) => c.provision(req));
    expect(providerError(bad.error)).toEqual({ kind: 'permanent', code: 'invalid-json' });
  });

  it('reads a deployment: documented, minimal (every field optional), and in a state it does not know', async () => {
    expect((await against('deployment-get', (c) => c.get(ID))).value).toMatchObject({
      id: ID,
      state: 'INITIALIZING',
      detail: 'Initializing deployment',
    });
    expect((await against('deployment-get-minimal', (c) => c.get('d-1'))).value).toEqual(
      expect.objectContaining({ id: 'd-1', state: 'CODE_SENT' }),
    );
    const unknown = (await against('deployment-get-unknown-state', (c) => c.get(ID))).value;
    expect(unknown).toMatchObject({
      id: ID,
      state: 'UNKNOWN',
      title: 'MIGRATING_TO_CLOUD_API',
      detail: 'Migrating',
    });
  });

  it('reads 404 and 401 as the documented errors', async () => {
    expect(providerError((await against('deployment-get-not-found', (c) => c.get(ID))).error)).toEqual({
      kind: 'permanent',
      code: 'not-found',
    });
    expect(providerError((await against('deployment-get-unauthorized', (c) => c.get(ID))).error).kind).toBe(
      'auth',
    );
  });

  it('reads a delete refused in a transitional state', async () => {
    expect((await against('deployment-delete-conflict', (c) => c.remove(ID))).value).toMatchObject({
      ok: false,
      reason: 'conflict-deployment-state',
    });
  });

  it('resends the OTP with the documented body, and reads the conflict', async () => {
    expect((await against('resend-otp', (c) => c.resendOtp(ID, 'sms'))).value).toEqual({ ok: true });
    expect((await against('resend-otp-conflict', (c) => c.resendOtp(ID, 'sms'))).value).toMatchObject({
      ok: false,
      reason: 'conflict-resend-otp',
    });
  });

  it('verifies with the documented body, and reads verification-failed', async () => {
    const code = (fx('verify').request as { code: string }).code;
    expect((await against('verify', (c) => c.verify(ID, code))).value).toEqual({ ok: true });
    expect((await against('verify-failed', (c) => c.verify(ID, code))).value).toMatchObject({
      ok: false,
      reason: 'verification-failed',
      detail: expect.stringContaining('code: Invalid code provided'),
    });
  });

  it('reads and writes the profile with the documented bodies', async () => {
    expect((await against('profile-get', (c) => c.getProfile(ID))).value).toEqual(fx('profile-get').response);
    const patch = fx('profile-update').request as Record<string, string>;
    expect((await against('profile-update', (c) => c.updateProfile(ID, patch))).value).toEqual(
      fx('profile-update').response,
    );
    const invalid = await against('profile-update-invalid', (c) => c.updateProfile(ID, patch));
    expect(providerError(invalid.error)).toEqual({ kind: 'permanent', code: 'unprocessable-profile-update' });
  });

  it('sets the photo with the documented body', async () => {
    const url = (fx('photo-update').request as { image_url: string }).image_url;
    expect((await against('photo-update', (c) => c.setPhoto(ID, url))).value).toEqual({ imageUrl: url });
  });

  it('lists and creates stickerpacks as seed 004 shows them (paths unconfirmed)', async () => {
    const listed = (await against('stickerpacks-list', (c) => c.listStickerpacks(ID))).value;
    expect(listed).toEqual([
      {
        id: undefined,
        name: 'sticker-pack-name',
        publisher: 'sticker-pack-publisher',
        iosAppStoreLink: 'https://itunes.apple.com/app/id3133333',
        androidAppStoreLink: 'https://play.google.com/store/apps/details?id=com.example',
      },
    ]);
    const r = fx('stickerpack-create').request as Record<string, string>;
    const created = await against('stickerpack-create', (c) =>
      c.createStickerpack(ID, {
        name: r.name as string,
        publisher: r.publisher as string,
        iosAppStoreLink: r.ios_app_store_link,
        androidAppStoreLink: r.android_app_store_link,
      }),
    );
    expect(created.value).toHaveLength(1);
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
    sandbox = await startVonageSandbox({
      url: 'http://127.0.0.1:9',
      faultRate: 0,
    } as unknown as SandboxContext);
    base = `${sandbox.running.url}${VONAGE_BASE_PATH}`;
  });
  afterAll(async () => {
    await sandbox?.running.close();
  });

  async function send(method: string, path: string, body?: unknown, auth = true) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(auth ? await vonageAuthHeader(SANDBOX_CREDENTIALS.vonage) : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Same status as the fixture; every key of the fixture present, with the same JSON type. */
  function like(got: { status: number; body: unknown }, name: string) {
    const f = fx(name);
    expect(got.status, name).toBe(f.status);
    expect(shape(got.body), name).toMatchObject(shape(f.response) as object);
  }

  it('deployments, OTP, profile, photo and stickerpacks', async () => {
    const create = fx('deployment-create').request;
    const created = await send('POST', '/deployments', create);
    like(created, 'deployment-create');
    const id = (created.body as { deployment_id: string }).deployment_id;
    like(await send('POST', '/deployments', create), 'deployment-create-number-in-use');
    like(await send('POST', '/deployments', []), 'deployment-create-invalid-json');
    like(await send('DELETE', `/deployments/${id}`), 'deployment-delete-conflict');
    like(
      await send('POST', `/deployments/${id}/resend-otp`, fx('resend-otp').request),
      'resend-otp-conflict',
    );
    let dep = await send('GET', `/deployments/${id}`);
    like(dep, 'deployment-get');
    for (
      let i = 0;
      i < 3 && (dep.body as { current_state: { title: string } }).current_state.title !== 'CODE_SENT';
      i++
    )
      dep = await send('GET', `/deployments/${id}`);
    like(dep, 'deployment-get-minimal');
    like(await send('POST', `/deployments/${id}/resend-otp`, fx('resend-otp').request), 'resend-otp');
    like(await send('POST', `/deployments/${id}/verify`, { code: '000000' }), 'verify-failed');
    like(await send('POST', `/deployments/${id}/verify`, { code: '123456' }), 'verify');
    like(await send('PATCH', `/deployments/${id}/profile`, fx('profile-update').request), 'profile-update');
    like(await send('GET', `/deployments/${id}/profile`), 'profile-get');
    like(
      await send('PATCH', `/deployments/${id}/profile`, { about: 'x'.repeat(140) }),
      'profile-update-invalid',
    );
    like(await send('POST', `/deployments/${id}/profile/photo`, fx('photo-update').request), 'photo-update');
    like(await send('GET', `/deployments/${id}/profile/photo`), 'photo-get');
    like(
      await send('POST', `/deployments/${id}/stickerpacks`, fx('stickerpack-create').request),
      'stickerpack-create',
    );
    like(await send('GET', `/deployments/${id}/stickerpacks`), 'stickerpacks-list');
    like(await send('GET', '/deployments/00000000-0000-4000-8000-000000000000'), 'deployment-get-not-found');
    like(await send('GET', `/deployments/${id}`, undefined, false), 'deployment-get-unauthorized');
  });
});
