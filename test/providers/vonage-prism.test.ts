import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFetch, setRateLimiter } from '../../src/http/client.js';
import { ProviderError } from '../../src/http/errors.js';
import { MemoryRateLimiter } from '../../src/http/rate-limit.js';
import { vonageAuthHeader } from '../../src/providers/vonage/auth.js';
import { VonageProvisioning } from '../../src/providers/vonage/client.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import { tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';

/**
 * Our Vonage client against an independent mock: Stoplight Prism (`@stoplight/prism-cli`,
 * devDependency) serving the vendored description `spec/vonage/whatsapp-provisioning.yml`, on
 * 127.0.0.1 at a free port, started here and killed after. Prism validates every request
 * against the description (body, path, the bearer security scheme) and, with `--errors`,
 * answers a violation with an error instead of a mock; every answer's `sl-violations` header
 * is recorded, and must stay empty for everything our client sends. Error answers are asked
 * for with Prism's `Prefer: code=<status>` header and come from the description's examples.
 * Stickerpacks are not in the description: Prism does not know them (asserted below), so their
 * requests are not checked against Prism, on purpose; they are checked against the fixtures
 * modelled on seed 004 (vonage-fixtures.test.ts), and every place they show says they are not in
 * Vonage's published API (STICKERPACK_NOTE).
 */

const ROOT = join(import.meta.dirname, '../..');
const SPEC = join(ROOT, 'spec/vonage/whatsapp-provisioning.yml');
const PRISM = join(
  dirname(createRequire(import.meta.url).resolve('@stoplight/prism-cli/package.json')),
  'dist/index.js',
);
const ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const tenant = tenantId('T0PRISM');

let prism: ChildProcess | undefined;
let base = '';
let table: Awaited<ReturnType<typeof startTestTable>>;
const violations: string[] = [];
const seen: Array<{ method: string; path: string; status: number }> = [];
let prefer: string | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function startPrism(): Promise<void> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [PRISM, 'mock', '--errors', '-h', '127.0.0.1', '-p', String(port), SPEC],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    },
  );
  prism = child;
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Prism is listening')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Prism exited (${code}) before listening:\n${output}`)));
  });
  // Keep reading so the pipe never fills.
  child.stdout?.resume();
  child.stderr?.resume();
  base = `http://127.0.0.1:${port}`;
}

async function stopPrism(): Promise<void> {
  const child = prism;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  table = await startTestTable({ SANDBOX_CREDENTIALS: 'true' });
  setRateLimiter(new MemoryRateLimiter());
  await startPrism();
  setFetch(async (input, init) => {
    const headers = new Headers(init?.headers);
    if (prefer) headers.set('prefer', prefer);
    const res = await fetch(input, { ...init, headers });
    const url = new URL(String(input));
    seen.push({ method: init?.method ?? 'GET', path: url.pathname, status: res.status });
    const v = res.headers.get('sl-violations');
    if (v) violations.push(`${init?.method} ${url.pathname}: ${v}`);
    return res;
  });
}, 120_000);

afterAll(async () => {
  setFetch(undefined);
  setRateLimiter(undefined);
  await stopPrism();
  await table?.close();
}, 30_000);

const client = () => new VonageProvisioning(tenant, { baseUrl: base, timeoutMs: 10_000 });

async function asking<T>(code: number | undefined, call: () => Promise<T>): Promise<T> {
  prefer = code ? `code=${code}` : undefined;
  try {
    return await call();
  } finally {
    prefer = undefined;
  }
}

const request = {
  countryCode: '44',
  number: '7700900000',
  wabaId: '123456789123',
  certificate: 'AbCdEFGHiJK123456',
  method: 'sms' as const,
  pin: '123456',
};

describe('Vonage client against Prism (request validation on)', () => {
  it('Prism refuses a request that breaks the description, so the checks below mean something', async () => {
    const auth = await vonageAuthHeader(SANDBOX_CREDENTIALS.vonage);
    const bad = await fetch(`${base}/deployments`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ country_code: '44', method: 'fax' }),
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.headers.get('sl-violations')).toMatch(/number|waba_id|method/);
    const noAuth = await fetch(`${base}/deployments/${ID}`);
    expect(noAuth.status).toBe(401);
  });

  it('every operation we use, as the description defines it', async () => {
    violations.length = 0;
    seen.length = 0;
    const c = client();
    const created = await c.provision(request);
    expect(created).toMatchObject({ kind: 'created', deployment: { id: ID, state: 'INITIALIZING' } });
    expect(await c.get(ID)).toMatchObject({ id: ID, state: 'INITIALIZING' });
    expect(await c.resendOtp(ID, 'voice')).toEqual({ ok: true });
    expect(await c.verify(ID, '674639')).toEqual({ ok: true });
    expect(await c.getProfile(ID)).toMatchObject({
      about: 'about your business',
      vertical: 'Automotive', // Prism answers an enum with its first value
    });
    expect(
      await c.updateProfile(ID, {
        about: 'Fresh bread',
        vertical: 'Restaurant',
        websites: ['https://bakery.example'],
        email: 'hello@bakery.example',
      }),
    ).toMatchObject({ about: 'about your business' });
    expect(await c.setPhoto(ID, 'https://bakery.example/logo.png')).toEqual({
      imageUrl: 'https://www.example.com/img.png',
    });
    expect(await c.remove(ID)).toEqual({ ok: true });
    expect(seen.map((s) => `${s.method} ${s.status}`)).toEqual([
      'POST 202',
      'GET 200',
      'POST 202',
      'POST 201',
      'GET 200',
      'PATCH 200',
      'POST 200',
      'DELETE 204',
    ]);
    expect(violations).toEqual([]);
  });

  it('the documented refusals, as the description words them', async () => {
    violations.length = 0;
    const c = client();
    expect(await asking(409, () => c.provision(request))).toMatchObject({
      kind: 'number-in-use',
      existingId: '21801df5-a3f6-4bd6-8b66-5bde51a909c7',
    });
    expect(await asking(422, () => c.verify(ID, '000000'))).toMatchObject({
      ok: false,
      reason: 'verification-failed',
    });
    expect(await asking(409, () => c.resendOtp(ID, 'sms'))).toMatchObject({
      ok: false,
      reason: 'conflict-resend-otp',
    });
    expect(await asking(409, () => c.remove(ID))).toMatchObject({
      ok: false,
      reason: 'conflict-deployment-state',
    });
    expect(await asking(404, () => c.remove(ID))).toMatchObject({ ok: false, reason: 'not-found' });
    const missing = await asking(404, () => c.get(ID)).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ProviderError);
    expect((missing as ProviderError).code).toBe('not-found');
    const invalid = await asking(422, () => c.updateProfile(ID, { about: 'x' })).catch((e: unknown) => e);
    expect((invalid as ProviderError).code).toBe('unprocessable-profile-update');
    expect(violations).toEqual([]);
  });

  it('stickerpacks are not in the description (modelled on seed 004): Prism does not know them', async () => {
    const err = await client()
      .listStickerpacks(ID)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBe(404);
  });
});

describe('Prism is stopped after the tests', () => {
  it('is a child of this test only, still running until afterAll', () => {
    expect(prism?.pid).toBeGreaterThan(0);
    expect(prism?.exitCode).toBeNull();
  });
});
