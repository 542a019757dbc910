import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProviderHttp } from '../../src/http/client.js';
import { ProviderError } from '../../src/http/errors.js';
import { type RunningSandbox, route, startSandbox } from '../../src/sandbox/providers/framework.js';
import { tenantId } from '../../src/store/keys.js';

/** A provider whose answers each test scripts, over real HTTP on 127.0.0.1. */
let script: Array<{ status: number; body?: unknown; headers?: Record<string, string>; hang?: boolean }> = [];
let seen: Array<{ method: string; auth: string | undefined; body: unknown }> = [];
let server: RunningSandbox;

beforeAll(async () => {
  const handler = async (req: { method: string; headers: Record<string, unknown>; body: unknown }) => {
    seen.push({ method: req.method, auth: req.headers.authorization as string | undefined, body: req.body });
    const next = script.shift() ?? { status: 200, body: { ok: true } };
    if (next.hang) await new Promise((r) => setTimeout(r, 2_000));
    return next;
  };
  server = await startSandbox('scripted', [
    route('GET', '/v1/thing', handler),
    route('POST', '/v1/thing', handler),
  ]);
});
afterAll(() => server.close());

function http(timeoutMs = 500) {
  let n = 0;
  return new ProviderHttp({
    provider: 'zavu',
    baseUrl: `${server.url}/v1`,
    tenant: tenantId('T0HTTP'),
    auth: () => ({ authorization: `Bearer token-${++n}` }),
    parseError: (_status, body) => {
      const b = body as { error?: { code?: string; message?: string } } | undefined;
      return { code: b?.error?.code, detail: b?.error?.message };
    },
    timeoutMs,
  });
}

const Thing = z.object({ ok: z.literal(true) });

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
}

describe('ProviderHttp', () => {
  it('given a valid answer, returns it validated, with fresh auth headers per attempt', async () => {
    script = [
      { status: 503, body: {} },
      { status: 200, body: { ok: true } },
    ];
    seen = [];
    expect(await http().request('GET', 'thing', { schema: Thing })).toEqual({ ok: true });
    expect(seen.map((s) => s.auth)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('given an answer in the wrong shape, throws a garbage ProviderError instead of crashing', async () => {
    script = [{ status: 200, body: { ok: 'yes' } }];
    const err = await failure(http().request('GET', 'thing', { schema: Thing }));
    expect(err.kind).toBe('garbage');
    expect(err.detail).toContain('ok');
  });

  it('given an answer in the wrong shape, names the fields in words (people read the detail in Slack)', async () => {
    script = [{ status: 200, body: { ok: true, invitees: [{ phoneNumber: 5 }] } }];
    const Nested = z.object({ ok: z.boolean(), invitees: z.array(z.object({ phoneNumber: z.string() })) });
    const err = await failure(http().request('GET', 'thing', { schema: Nested }));
    expect(err.detail).toMatch(/^invitees 1 phone number: /);
    expect(err.detail).not.toMatch(/phoneNumber|\.0\./);
  });

  it("given a 4xx, fails at once as permanent with the provider's own code and detail", async () => {
    script = [
      { status: 422, body: { error: { code: 'invalid_phone', message: 'clientPhone must be E.164' } } },
    ];
    seen = [];
    const err = await failure(http().request('POST', 'thing', { schema: Thing, json: { a: 1 } }));
    expect(err).toMatchObject({ kind: 'permanent', status: 422, code: 'invalid_phone' });
    expect(err.detail).toBe('clientPhone must be E.164');
    expect(seen).toHaveLength(1);
  });

  it('given a 401, fails as an auth error (an admin must fix credentials)', async () => {
    script = [{ status: 401, body: {} }];
    expect((await failure(http().request('GET', 'thing', { schema: Thing }))).kind).toBe('auth');
  });

  it('given a 429 with a short Retry-After, waits at least that long and tries again', async () => {
    script = [
      { status: 429, body: {}, headers: { 'retry-after': '1' } },
      { status: 200, body: { ok: true } },
    ];
    const started = Date.now();
    expect(await http().request('POST', 'thing', { schema: Thing, json: {} })).toEqual({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('given a 429 whose Retry-After is longer than an in-request wait, hands it to the job engine', async () => {
    script = [{ status: 429, body: {}, headers: { 'retry-after': '120' } }];
    seen = [];
    const err = await failure(http().request('GET', 'thing', { schema: Thing }));
    expect(err).toMatchObject({ kind: 'transient', retryAfterMs: 120_000 });
    expect(seen).toHaveLength(1);
  });

  it('given a POST that got a 500, does not repeat it in-request (it may have been applied)', async () => {
    script = [
      { status: 500, body: {} },
      { status: 200, body: { ok: true } },
    ];
    seen = [];
    const err = await failure(http().request('POST', 'thing', { schema: Thing, json: { create: 1 } }));
    expect(err.transient).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('given a provider that does not answer, times out per attempt via AbortSignal', async () => {
    script = [{ status: 200, body: { ok: true }, hang: true }];
    const started = Date.now();
    const err = await failure(http(300).request('POST', 'thing', { schema: Thing, json: {} }));
    expect(err.code).toBe('timeout');
    expect(err.transient).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
