import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { definedEnv } from '../../config.js';
import { constantTimeEqual } from '../../security/signatures.js';
import type { ExtensionContext } from '../context.js';
import { CONTROL_HEADER, forgetControlToken, rememberControlToken } from '../control-plane.js';

/**
 * What every provider sandbox shares: a real HTTP server on 127.0.0.1, JSON helpers, a tiny
 * router with :params, and fault injection. With SANDBOX_FAULT_RATE = r, a share r of requests
 * gets a 500, a 429 with Retry-After, or no answer at all (the client must time out), in equal parts;
 * half of the unanswered requests were applied before the answer was lost.
 */
export interface SandboxRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
}

export interface SandboxResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type SandboxHandler = (req: SandboxRequest) => Promise<SandboxResponse> | SandboxResponse;

export interface SandboxRoute {
  method: string;
  pattern: string;
  handler: SandboxHandler;
}

export interface FaultOptions {
  rate: number;
  /** Deterministic runs for tests; Math.random otherwise. */
  random?: () => number;
  /** Fault kinds to draw from (default all three). */
  kinds?: Array<'500' | '429' | 'hang'>;
  /** Provider-specific error bodies for injected faults (RFC 7807 for Vonage, envelopes for CommBox). */
  errorBody?: (status: 500 | 429) => unknown;
  /**
   * Not a fault: when set (a sandbox of the local stack), the sandbox's own control routes
   * (`/_sandbox/*`) answer only requests carrying it in `x-sandbox-token`, as the stack's control
   * plane does (src/sandbox/control-plane.ts), so another process on this machine cannot drop
   * webhooks, lose answers or fail invitations. Unset: a sandbox a test started alone.
   */
  controlToken?: string | undefined;
}

export interface RunningSandbox {
  name: string;
  url: string;
  server: Server;
  stats: { requests: number; faults: number; byRoute: Record<string, number> };
  close(): Promise<void>;
}

export function route(method: string, pattern: string, handler: SandboxHandler): SandboxRoute {
  return { method, pattern, handler };
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(s[i] as string);
    else if (seg !== s[i]) return undefined;
  }
  return params;
}

export async function startSandbox(
  name: string,
  routes: SandboxRoute[],
  faults: FaultOptions = { rate: 0 },
): Promise<RunningSandbox> {
  const stats = { requests: 0, faults: 0, byRoute: {} as Record<string, number> };
  const hanging = new Set<ServerResponse>();
  const random = faults.random ?? seededFromEnv(name) ?? Math.random;

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    stats.requests += 1;

    if (url.pathname.startsWith('/_sandbox/') && faults.controlToken) {
      const given = req.headers[CONTROL_HEADER];
      if (typeof given !== 'string' || !constantTimeEqual(given, faults.controlToken)) {
        send(res, { status: 403, body: { error: 'the local stack control token is required' } });
        return;
      }
    }

    // The sandbox's own control routes (`/_sandbox/...`) never fail.
    let withholdAnswer = false;
    if (faults.rate > 0 && !url.pathname.startsWith('/_') && random() < faults.rate) {
      stats.faults += 1;
      const kinds = faults.kinds ?? ['500', '429', 'hang'];
      const kind = kinds[Math.floor(random() * kinds.length)] ?? '500';
      if (kind === 'hang') {
        hanging.add(res);
        // Half the time the provider did the work and only the answer is lost, as with a real
        // timeout: the client cannot tell which, so it must reconcile before trying again.
        if (random() < 0.5) return;
        withholdAnswer = true;
      } else {
        const status = kind === '429' ? 429 : 500;
        send(res, {
          status,
          body: faults.errorBody?.(status) ?? { error: status === 429 ? 'throttled' : 'internal error' },
          headers: status === 429 ? { 'retry-after': '1' } : {},
        });
        return;
      }
    }
    const reply = (out: SandboxResponse) => {
      if (!withholdAnswer) send(res, out);
    };

    for (const r of routes) {
      if (r.method !== req.method) continue;
      const params = match(r.pattern, url.pathname);
      if (!params) continue;
      stats.byRoute[`${r.method} ${r.pattern}`] = (stats.byRoute[`${r.method} ${r.pattern}`] ?? 0) + 1;
      let body: unknown;
      if (rawBody.length && String(req.headers['content-type'] ?? '').includes('json')) {
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          reply({ status: 400, body: { error: 'body is not valid JSON' } });
          return;
        }
      }
      try {
        reply(
          await r.handler({
            method: req.method,
            path: url.pathname,
            params,
            query: url.searchParams,
            headers: req.headers,
            rawBody,
            body,
          }),
        );
      } catch (err) {
        reply({ status: 500, body: { error: (err as Error).message } });
      }
      return;
    }
    reply({ status: 404, body: { error: `no route ${req.method} ${url.pathname}` } });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (faults.controlToken) rememberControlToken(url, faults.controlToken);
  return {
    name,
    url,
    server,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        forgetControlToken(url);
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, out: SandboxResponse): void {
  const headers: Record<string, string> = { ...out.headers };
  let payload = '';
  if (out.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    payload = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
  }
  res.writeHead(out.status, headers).end(payload);
}

/** Posts a webhook to the app as the provider would, without waiting on or failing the caller. */
export async function deliverWebhook(
  url: string,
  body: unknown,
  headers: (raw: string) => Record<string, string>,
): Promise<number> {
  // A string is sent as is (Meta's bodies carry integers above 2^53 that JSON.stringify cannot write).
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers(raw) },
      body: raw,
      signal: AbortSignal.timeout(5_000),
    });
    return res.status;
  } catch {
    return 0;
  }
}

export const hmacHex = (secret: string, data: string) =>
  createHmac('sha256', secret).update(data).digest('hex');

/**
 * With SANDBOX_FAULT_SEED set, each sandbox draws its faults from its own repeatable sequence
 * (mulberry32, seeded with the seed and the sandbox's name), so a fault test can be replayed.
 */
export function seededFromEnv(
  name: string,
  env: NodeJS.ProcessEnv = definedEnv(),
): (() => number) | undefined {
  const seed = Number(env.SANDBOX_FAULT_SEED);
  if (!env.SANDBOX_FAULT_SEED || !Number.isFinite(seed)) return undefined;
  let a = seed >>> 0;
  for (const ch of name) a = (Math.imul(a, 31) + ch.charCodeAt(0)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fault rate from the environment, clamped to [0, 1]. */
export function faultRateFromEnv(env: NodeJS.ProcessEnv = definedEnv()): number {
  const rate = Number(env.SANDBOX_FAULT_RATE ?? 0);
  return Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : 0;
}

/**
 * A provider sandbox: a real HTTP server following the provider's documented state machine.
 * `tick` advances time-driven transitions (and sends the webhooks the provider would send).
 */
export interface ProviderSandbox {
  name: string;
  /** Environment variable that points the app at this sandbox, e.g. ZAVU_BASE_URL. */
  envVar: string;
  /** Path under the server's root that is the API's base (e.g. `/v1` is in the paths, so ''). */
  basePath: string;
  running: RunningSandbox;
  tick(): Promise<void>;
  state(): unknown;
}

export interface SandboxContext extends ExtensionContext {
  faultRate: number;
}
