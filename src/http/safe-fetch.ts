import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { configGeneration, definedEnv } from '../config.js';

/**
 * The one way the app fetches a URL a person gave it (a PDF to sign, a profile photo): blind
 * SSRF is the risk, so a URL is only fetched when
 * - it is `https:` on port 443 (no other scheme, no other port, no credentials in it);
 * - every address its host resolves to is a public unicast address: loopback, private
 *   (RFC 1918, CGNAT, ULA), link-local (cloud metadata 169.254.169.254 and fd00:ec2::254
 *   included), multicast, documentation and reserved ranges are refused; IPv6 forms that carry
 *   an IPv4 address are judged by it (mapped, translated, compatible, NAT64) or refused (6to4,
 *   local-use NAT64): carriedV4 below;
 * - the connection goes to the address that was checked (the lookup is pinned, so a second DNS
 *   answer cannot swap in an internal address between check and connect);
 * - each redirect (at most 3) is checked the same way before it is followed;
 * - the body stops at `maxBytes` and the whole exchange at `timeoutMs` (wall clock).
 *
 * Tests and the local stack fetch from servers on 127.0.0.1 over plain http; they name those
 * exact origins in an allowlist (`SAFE_FETCH_TEST_ALLOWLIST`, or the `allow` option). The
 * allowlist is refused outside the local stack (when KMS_KEY_ID is set, i.e. in AWS), and it
 * only opens the origins it names: every other URL is checked as above.
 */

export type SafeFetchCode =
  | 'bad_url'
  | 'not_https'
  | 'bad_port'
  | 'blocked_address'
  | 'dns_failed'
  | 'too_many_redirects'
  | 'too_large'
  | 'timeout'
  | 'http_status'
  | 'network';

export class SafeFetchError extends Error {
  override readonly name = 'SafeFetchError';
  constructor(
    readonly code: SafeFetchCode,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SafeFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  /** Redirects followed, each checked again (default and maximum 3). */
  maxRedirects?: number;
  headers?: Record<string, string>;
  /**
   * Headers sent only while the request stays on this origin (e.g. a bearer token for Slack's
   * file host); a redirect elsewhere drops them.
   */
  originHeaders?: { origin: string; headers: Record<string, string> };
  /** Exact origins (`http://127.0.0.1:4567`) that skip the scheme, port and address checks. Tests only. */
  allow?: string[];
  /** DNS, replaceable in tests. Returns every address of the host. */
  resolve?: (host: string) => Promise<Array<{ address: string; family: number }>>;
}

export interface SafeFetchResult {
  status: number;
  url: string;
  contentType: string | undefined;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** The 16 bytes of an IPv6 address (`::` expanded, a trailing dotted quad read, a zone dropped). */
function ipv6Bytes(address: string): Uint8Array | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const quad = text.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    // Stryker disable next-line all: equivalent, isIP (checked before) has refused a dotted part over 255
    if ([a, b, c, d].some((n) => n > 255)) return undefined;
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  // Stryker disable next-line all: equivalent, isIP (checked before) has refused a second '::'
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, g] of groups.entries()) {
    // Stryker disable next-line all: equivalent, isIP (checked before) has refused a group that is not 1 to 4 hex digits
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
    const n = Number.parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 255;
  }
  return bytes;
}

const zero = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
const v4Of = (b: Uint8Array) => `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;

/**
 * How an IPv6 address that can carry an IPv4 address is judged: `v4` = by the IPv4 address in
 * its last 32 bits; `blocked` = refused whatever it carries.
 * - ::ffff:0:0/96 IPv4-mapped (RFC 4291 2.5.5.2), ::ffff:0:0:0/96 IPv4-translated (RFC 2765),
 *   ::/96 IPv4-compatible (deprecated, RFC 4291 2.5.5.1; `::7f00:1`, `::a9fe:a9fe`), and the NAT64
 *   well-known prefix 64:ff9b::/96 (RFC 6052): by the IPv4 address they carry.
 * - 64:ff9b:1::/48, NAT64 for local use (RFC 8215), where the IPv4 address sits wherever the
 *   network puts it, and 2002::/16, 6to4 (RFC 3056, relays deprecated by RFC 7526), which carries
 *   one in bits 16–47: refused outright. Teredo (2001::/32) is in the blocked 2001::/23.
 */
function carriedV4(b: Uint8Array): { v4: string } | 'blocked' | undefined {
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return { v4: v4Of(b) };
  if (zero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && zero(b, 10, 12)) return { v4: v4Of(b) };
  if (zero(b, 0, 12)) return { v4: v4Of(b) };
  const nat64 = [0, 0x64, 0xff, 0x9b];
  if (nat64.every((x, i) => b[i] === x) && zero(b, 4, 12)) return { v4: v4Of(b) };
  if (nat64.every((x, i) => b[i] === x) && b[4] === 0 && b[5] === 1) return 'blocked';
  if (b[0] === 0x20 && b[1] === 0x02) return 'blocked';
  return undefined;
}

/** True for any address the app must never connect to on a person's behalf. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const bytes = ipv6Bytes(address);
    if (!bytes) return true;
    const carried = carriedV4(bytes);
    if (carried === 'blocked') return true;
    if (carried) return blocked.check(carried.v4, 'ipv4');
    return blocked.check(address.replace(/%.*$/, ''), 'ipv6');
  }
  return true;
}

/**
 * The one answer a person gets for any URL the guard refuses or could not fetch, whatever the
 * reason: which check failed goes to our logs only, so answers cannot be used to map what lies
 * behind a URL (an internal name that resolves, an address that answers, a port that is open).
 * A document too large is the one exception callers word themselves: it was fetched from a
 * public address.
 */
export function refusalSentence(what = 'That link'): string {
  return `${what} could not be fetched: I fetch only public https:// addresses on port 443 that answer with the file.`;
}

const defaultResolve = (host: string) => dnsLookup(host, { all: true, verbatim: true });

let envAllowlist: { list: string[]; generation: number } | undefined;

/**
 * Origins named by SAFE_FETCH_TEST_ALLOWLIST (comma-separated). Only the local stack and tests
 * may set it: with KMS_KEY_ID set (AWS) it is an error, so it can never be on in a deployment.
 */
export function testAllowlist(env?: NodeJS.ProcessEnv): string[] {
  if (!env && envAllowlist?.generation === configGeneration()) return envAllowlist.list;
  // Without an argument: the process environment plus what the local stack injected (config.ts).
  const e = env ? definedEnv(env) : definedEnv();
  const list = (e.SAFE_FETCH_TEST_ALLOWLIST ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => new URL(s).origin);
  if (list.length && e.KMS_KEY_ID) {
    throw new Error('SAFE_FETCH_TEST_ALLOWLIST is for tests and the local stack only; it is refused in AWS');
  }
  if (!env) envAllowlist = { list, generation: configGeneration() };
  return list;
}

interface Target {
  url: URL;
  address: string;
  family: number;
}

async function check(raw: string, opts: SafeFetchOptions): Promise<Target> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SafeFetchError('bad_url', 'not a valid URL');
  }
  if (url.username || url.password) throw new SafeFetchError('bad_url', 'URLs with credentials are refused');
  const allowed = [...(opts.allow ?? []), ...testAllowlist()].includes(url.origin);
  if (allowed) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return { url, address: isIP(host) ? host : '127.0.0.1', family: isIP(host) || 4 };
  }
  if (url.protocol !== 'https:') throw new SafeFetchError('not_https', 'only https URLs are fetched');
  if (url.port !== '' && url.port !== '443') throw new SafeFetchError('bad_port', 'only port 443 is fetched');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (opts.resolve ?? defaultResolve)(host);
    } catch (err) {
      throw new SafeFetchError('dns_failed', 'the host name does not resolve', undefined, { cause: err });
    }
  }
  if (addresses.length === 0) throw new SafeFetchError('dns_failed', 'the host name does not resolve');
  // Every answer must be public: a host with one internal address is refused outright.
  if (addresses.some((a) => isBlockedAddress(a.address))) {
    throw new SafeFetchError('blocked_address', 'the host resolves to an address that is not public');
  }
  const first = addresses[0] as { address: string; family: number };
  return { url, address: first.address, family: first.family };
}

/**
 * node:http only for plain-HTTP targets (the local stack's), loaded when first needed: on Node 24 its
 * ESM form loads undici (~30 ms of a cold start), and deployed fetches are HTTPS.
 */
let httpRequest: typeof httpsRequest | undefined;

async function once(
  target: Target,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{ res: IncomingMessage }> {
  const { url, address, family } = target;
  if (url.protocol !== 'https:' && !httpRequest) httpRequest = (await import('node:http')).request;
  const request = url.protocol === 'https:' ? httpsRequest : (httpRequest as typeof httpsRequest);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { 'user-agent': 'wa-onboarding/1 (+safe-fetch)', ...headers },
        servername: isIP(url.hostname) ? undefined : url.hostname,
        signal,
        // Pinned: the socket goes to the address that was checked, whatever DNS says now.
        lookup: ((_h: string, o: { all?: boolean }, cb: (...args: unknown[]) => void) => {
          if (o?.all) cb(null, [{ address, family }]);
          else cb(null, address, family);
        }) as never,
      },
      (res) => resolve({ res }),
    );
    req.on('error', reject);
    req.end();
  });
}

async function readCapped(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw new SafeFetchError('too_large', `larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      res.destroy();
      throw new SafeFetchError('too_large', `larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** GET `url` under the rules above; a non-2xx final answer is an `http_status` error. */
export async function safeFetch(url: string, opts: SafeFetchOptions): Promise<SafeFetchResult> {
  const maxRedirects = Math.min(opts.maxRedirects ?? 3, 3);
  const controller = new AbortController();
  // Wall-clock duration of this exchange, not app time: Date-based on purpose.
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      const target = await check(current, opts);
      const headers = {
        ...opts.headers,
        ...(opts.originHeaders && target.url.origin === opts.originHeaders.origin
          ? opts.originHeaders.headers
          : {}),
      };
      let res: IncomingMessage;
      try {
        ({ res } = await once(target, headers, controller.signal));
      } catch (err) {
        if (controller.signal.aborted) throw new SafeFetchError('timeout', 'the server took too long');
        throw new SafeFetchError('network', 'the server could not be reached', undefined, { cause: err });
      }
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (hop >= maxRedirects) throw new SafeFetchError('too_many_redirects', 'too many redirects');
        current = new URL(res.headers.location, target.url).toString();
        continue;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        throw new SafeFetchError('http_status', `the server answered HTTP ${status}`, status);
      }
      let body: Buffer;
      try {
        body = await readCapped(res, opts.maxBytes);
      } catch (err) {
        if (err instanceof SafeFetchError) throw err;
        if (controller.signal.aborted) throw new SafeFetchError('timeout', 'the server took too long');
        throw new SafeFetchError('network', 'the download broke off', undefined, { cause: err });
      }
      return {
        status,
        url: target.url.toString(),
        contentType: res.headers['content-type'],
        headers: res.headers,
        body,
      };
    }
  } finally {
    clearTimeout(timer);
  }
}
