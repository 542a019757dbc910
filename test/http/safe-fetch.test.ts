import { readFileSync } from 'node:fs';
import http, { createServer, type Server } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../src/config.js';
import {
  isBlockedAddress,
  refusalSentence,
  SafeFetchError,
  safeFetch,
  testAllowlist,
} from '../../src/http/safe-fetch.js';

/** A local server (allowlisted by origin, as tests do) whose routes script redirects and bodies. */
let server: Server;
let origin: string;
let other: Server;
let otherOrigin: string;
const hangs = new Set<import('node:http').ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const to = url.searchParams.get('to');
    if (url.pathname === '/redirect' && to) return res.writeHead(302, { location: to }).end();
    if (url.pathname === '/chain') {
      const n = Number(url.searchParams.get('n'));
      if (n > 0) return res.writeHead(302, { location: `/chain?n=${n - 1}` }).end();
      return res.writeHead(200, { 'content-type': 'text/plain' }).end('end of chain');
    }
    if (url.pathname === '/big')
      return res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
    if (url.pathname === '/big-chunked') {
      res.writeHead(200);
      for (let i = 0; i < 10; i++) res.write('y'.repeat(500));
      return res.end();
    }
    if (url.pathname === '/hang') {
      hangs.add(res);
      return;
    }
    if (url.pathname === '/sized') {
      const n = Number(url.searchParams.get('n'));
      return res.writeHead(200, { 'content-length': String(n) }).end('z'.repeat(n));
    }
    if (url.pathname === '/chunked') {
      const n = Number(url.searchParams.get('n'));
      res.writeHead(200);
      for (let i = 0; i < n; i += 100) res.write('c'.repeat(Math.min(100, n - i)));
      return res.end();
    }
    if (url.pathname === '/declares-huge') {
      // Declares 10 MB, sends 10 bytes and waits: only a check of the declared length ends it at once.
      hangs.add(res);
      res.writeHead(200, { 'content-length': String(10_000_000) });
      return res.write('0123456789');
    }
    if (url.pathname === '/stalls') {
      hangs.add(res);
      res.writeHead(200);
      return res.write('a start');
    }
    if (url.pathname === '/breaks') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only ten..');
      return setTimeout(() => res.destroy(), 20);
    }
    if (url.pathname === '/status') {
      const code = Number(url.searchParams.get('code'));
      const location = url.searchParams.get('location');
      return res.writeHead(code, location ? { location } : {}).end(`status ${code}`);
    }
    if (url.pathname === '/ua') return res.writeHead(200).end(String(req.headers['user-agent']));
    if (url.pathname === '/auth') return res.writeHead(200).end(String(req.headers.authorization ?? 'none'));
    if (url.pathname === '/missing') return res.writeHead(404).end('no');
    res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.4 small');
  });
  other = createServer((req, res) => res.writeHead(200).end(String(req.headers.authorization ?? 'none')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const r of hangs) r.destroy();
  server.closeAllConnections();
  other.closeAllConnections();
  await new Promise((r) => server.close(r));
  await new Promise((r) => other.close(r));
});

/**
 * No packet of this file leaves the machine, whatever the code under test (or a mutant of it)
 * does: Node's global agents are replaced for the whole file. Plain HTTP connects only when the
 * checked address is loopback, 127.0.0.1 or ::1 (the allowlisted test servers) and is refused otherwise; HTTPS
 * records where the socket would go (the pinned address, the port, the TLS server name) and is
 * connected to a local HTTPS server holding a certificate for files.example.com
 * (test/fixtures/tls), so a public host can be fetched for real without reaching it.
 */
const cert = readFileSync(new URL('../fixtures/tls/files.example.com.crt', import.meta.url));
const key = readFileSync(new URL('../fixtures/tls/files.example.com.key', import.meta.url));
const PUBLIC_V4 = '93.184.216.34';
const PUBLIC_V6 = '2606:4700::1111';
const REMOTE = '%PDF-1.7 remote';
let tlsServer: import('node:https').Server;
let tlsPort: number;
const seen: Array<{ path: string; host: string; sni: string | false | null }> = [];
type Dialed = {
  scheme: string;
  host: string;
  port: number;
  servername?: string;
  address?: string;
  family?: number;
};
const dialed: Dialed[] = [];
const saved = { https: https.globalAgent, http: http.globalAgent };

const pinned = (options: { host?: string; lookup?: (...a: unknown[]) => void }) =>
  new Promise<{ address?: string; family?: number }>((resolve) => {
    if (!options.lookup) return resolve({});
    options.lookup(options.host, {}, (_e: unknown, address: string, family: number) =>
      resolve({ address, family }),
    );
  });

class HttpsToLocal extends https.Agent {
  override createConnection(options: Record<string, unknown>, cb: (err: Error | null, s?: Duplex) => void) {
    void pinned(options).then((to) => {
      dialed.push({
        scheme: 'https',
        host: String(options.host),
        port: Number(options.port),
        servername: options.servername as string | undefined,
        ...to,
      });
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: tlsPort,
        servername: (options.servername as string | undefined) ?? 'files.example.com',
        ca: cert,
      });
      socket.once('secureConnect', () => cb(null, socket));
      socket.once('error', (e) => cb(e));
    });
    return undefined as never;
  }
}
class HttpLoopbackOnly extends http.Agent {
  override createConnection(options: Record<string, unknown>, cb: (err: Error | null, s?: Duplex) => void) {
    void pinned(options).then((to) => {
      dialed.push({ scheme: 'http', host: String(options.host), port: Number(options.port), ...to });
      if (to.address === '127.0.0.1' || to.address === '::1') cb(null, netConnect(options as never));
      else cb(new Error('plain HTTP off this machine: never connected in tests'));
    });
    return undefined as never;
  }
}

beforeAll(async () => {
  tlsServer = https.createServer({ cert, key }, (req, res) => {
    seen.push({
      path: req.url ?? '',
      host: String(req.headers.host),
      sni: (req.socket as import('node:tls').TLSSocket).servername,
    });
    if (req.url === '/moved')
      return res.writeHead(301, { location: 'https://files.example.com/doc.pdf' }).end();
    res
      .writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(REMOTE.length) })
      .end(REMOTE);
  });
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  tlsPort = (tlsServer.address() as AddressInfo).port;
  Object.assign(https, { globalAgent: new HttpsToLocal({ keepAlive: false }) });
  Object.assign(http, { globalAgent: new HttpLoopbackOnly({ keepAlive: false }) });
});
afterAll(async () => {
  (https.globalAgent as https.Agent).destroy();
  (http.globalAgent as http.Agent).destroy();
  Object.assign(https, { globalAgent: saved.https });
  Object.assign(http, { globalAgent: saved.http });
  tlsServer.closeAllConnections();
  await new Promise((r) => tlsServer.close(r));
});

const opts = (extra: Partial<Parameters<typeof safeFetch>[1]> = {}) => ({
  maxBytes: 1000,
  timeoutMs: 2_000,
  allow: [origin],
  ...extra,
});

async function refusal(url: string, extra: Partial<Parameters<typeof safeFetch>[1]> = {}) {
  try {
    await safeFetch(url, opts(extra));
  } catch (err) {
    expect(err).toBeInstanceOf(SafeFetchError);
    return (err as SafeFetchError).code;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::a9fe:a9fe',
    // IPv6 forms that carry an IPv4 address, judged by it: IPv4-compatible (::/96), IPv4-translated
    // (::ffff:0:0:0/96), NAT64 with a dotted tail; and refused whatever they carry: local-use NAT64
    // (64:ff9b:1::/48) and 6to4 (2002::/16), even around a public IPv4 address.
    '::7f00:1',
    '::a9fe:a9fe',
    '::ffff:0:7f00:1',
    '::ffff:0:a9fe:a9fe',
    '64:ff9b::10.0.0.5',
    '64:ff9b::7f00:1',
    '64:ff9b:1::a00:5',
    '64:ff9b:1::808:808',
    '2002:7f00:1::1',
    '2002:808:808::1',
    '0:0:0:0:0:ffff:127.0.0.1',
    'fe80::1%eth0',
    // NAT64 and IPv4-mapped forms written with the dotted IPv4 address they carry.
    '64:ff9b::100.64.10.25',
    '::ffff:172.16.10.10',
    '::ffff:169.254.169.254',
    '::10.0.0.5',
    '64:FF9B::0A00:0005',
    '0:0:0:0:0:ffff:a00:5',
    '::ffff:0:10.0.0.5',
    '64:ff9b:1:0:0:0:a00:5',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '::ffff:0:808:808',
    '64:ff9b::93.184.216.34',
    '::ffff:5db8:d822',
    // Public IPv6 addresses whose last 32 bits merely look like a private IPv4 address, or whose
    // first bytes come near the carrying prefixes: judged as IPv6, and public.
    '2606:4700::ffff:a00:5',
    '2606:4700::ffff:0:a00:5',
    '2606:4700::a00:5',
    '2001:4860:4860::8888',
    '2a02:26f0::1',
    '2606:4700:4700::',
    '2a00:1450:4001:829:0:0:0:200e',
    '2A00:1450:4001:829::200E',
  ])('allows public %s', (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });
});

describe('safeFetch', () => {
  it('fetches an allowlisted origin and returns body and content type', async () => {
    const out = await safeFetch(`${origin}/doc.pdf`, opts());
    expect(out.body.toString()).toBe('%PDF-1.4 small');
    expect(out.contentType).toBe('application/pdf');
  });

  it('refuses http, other ports, credentials and garbage before connecting', async () => {
    expect(await refusal('http://example.com/a.pdf')).toBe('not_https');
    expect(await refusal('https://example.com:8443/a.pdf')).toBe('bad_port');
    expect(await refusal('https://user:pw@example.com/a.pdf')).toBe('bad_url');
    expect(await refusal('ftp://example.com/a.pdf')).toBe('not_https');
    expect(await refusal('not a url')).toBe('bad_url');
    // The allowlist names an origin, not a host: another port on 127.0.0.1 is not in it.
    expect(await refusal(`${otherOrigin}/`)).toBe('not_https');
  });

  it('refuses literal and resolved internal addresses (loopback, private, metadata, IPv6)', async () => {
    expect(await refusal('https://127.0.0.1/a.pdf')).toBe('blocked_address');
    expect(await refusal('https://[::1]/a.pdf')).toBe('blocked_address');
    expect(await refusal('https://169.254.169.254/latest/meta-data')).toBe('blocked_address');
    const resolve = async (host: string) =>
      host === 'mixed.example'
        ? [
            { address: '93.184.216.34', family: 4 },
            { address: '10.0.0.5', family: 4 },
          ]
        : [{ address: '169.254.169.254', family: 4 }];
    expect(await refusal('https://metadata.example/x', { resolve })).toBe('blocked_address');
    expect(await refusal('https://mixed.example/x', { resolve })).toBe('blocked_address');
    const none = async () => {
      throw new Error('ENOTFOUND');
    };
    expect(await refusal('https://nowhere.example/x', { resolve: none })).toBe('dns_failed');
  });

  it('checks every redirect: to plain http, to loopback, to metadata', async () => {
    const via = (to: string) => `${origin}/redirect?to=${encodeURIComponent(to)}`;
    expect(await refusal(via(`${otherOrigin}/`))).toBe('not_https');
    expect(await refusal(via('https://127.0.0.1/'))).toBe('blocked_address');
    expect(await refusal(via('https://169.254.169.254/latest/meta-data'))).toBe('blocked_address');
  });

  it('follows at most 3 redirects', async () => {
    expect((await safeFetch(`${origin}/chain?n=3`, opts())).body.toString()).toBe('end of chain');
    expect(await refusal(`${origin}/chain?n=4`)).toBe('too_many_redirects');
  });

  it('caps the size by declared length and by bytes read', async () => {
    expect(await refusal(`${origin}/big`)).toBe('too_large');
    expect(await refusal(`${origin}/big-chunked`)).toBe('too_large');
  });

  it('gives up after the time limit', async () => {
    expect(await refusal(`${origin}/hang`, { timeoutMs: 200 })).toBe('timeout');
  });

  it('reports a non-2xx answer', async () => {
    expect(await refusal(`${origin}/missing`)).toBe('http_status');
  });

  it('sends origin-bound headers only to that origin, never after a redirect elsewhere', async () => {
    const originHeaders = { origin, headers: { authorization: 'Bearer xoxb-secret' } };
    const same = await safeFetch(`${origin}/auth`, opts({ originHeaders }));
    expect(same.body.toString()).toBe('Bearer xoxb-secret');
    const moved = await safeFetch(`${origin}/redirect?to=${encodeURIComponent(`${otherOrigin}/`)}`, {
      ...opts({ originHeaders }),
      allow: [origin, otherOrigin],
    });
    expect(moved.body.toString()).toBe('none');
  });

  it('refuses the test allowlist when running in AWS (KMS_KEY_ID set)', () => {
    expect(() =>
      testAllowlist({ SAFE_FETCH_TEST_ALLOWLIST: 'http://127.0.0.1:9', KMS_KEY_ID: 'arn:aws:kms:x' }),
    ).toThrow(/refused in AWS/);
    expect(testAllowlist({ SAFE_FETCH_TEST_ALLOWLIST: 'http://127.0.0.1:9/' })).toEqual([
      'http://127.0.0.1:9',
    ]);
  });
});

describe('safeFetch: what is read, and how it ends', () => {
  it('given a declared length up to the cap, when fetched, then it is read; one byte over, refused', async () => {
    expect((await safeFetch(`${origin}/sized?n=1000`, opts())).body.length).toBe(1000);
    expect((await safeFetch(`${origin}/sized?n=999`, opts())).body.toString()).toBe('z'.repeat(999));
    expect(await refusal(`${origin}/sized?n=1001`)).toBe('too_large');
  });

  it('given an undeclared length of exactly the cap, when fetched, then it is read; one byte over, refused', async () => {
    expect((await safeFetch(`${origin}/chunked?n=1000`, opts())).body.length).toBe(1000);
    expect(await refusal(`${origin}/chunked?n=1001`)).toBe('too_large');
  });

  it('given a declared length over the cap, when fetched, then it is refused at once, before the body', async () => {
    const started = Date.now();
    expect(await refusal(`${origin}/declares-huge`, { timeoutMs: 1_500 })).toBe('too_large');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('given a body that stalls, when the time is up, then it is a timeout', async () => {
    expect(await refusal(`${origin}/stalls`, { timeoutMs: 200 })).toBe('timeout');
  });

  it('given a connection cut mid-body, when fetched, then it is a network error', async () => {
    const err = await safeFetch(`${origin}/breaks`, opts()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network', cause: expect.any(Error) });
  });

  it('given nobody listening, when fetched, then it is a network error, not a timeout', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    const err = await safeFetch(`${gone}/x`, opts({ allow: [gone] })).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'network',
      message: 'the server could not be reached',
      cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
    });
  });

  it('given a 3xx without a Location, or a 300, when fetched, then it is an HTTP status error', async () => {
    const err = await safeFetch(`${origin}/status?code=302`, opts()).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SafeFetchError', code: 'http_status', status: 302 });
    expect(await refusal(`${origin}/status?code=300`)).toBe('http_status');
  });

  it('given a 200 carrying a Location header, when fetched, then its body is the answer', async () => {
    const out = await safeFetch(`${origin}/status?code=200&location=/missing`, opts());
    expect(out.body.toString()).toBe('status 200');
  });

  it('given fewer redirects allowed, when a chain is longer, then it stops there; more than 3 is never allowed', async () => {
    expect(await refusal(`${origin}/chain?n=2`, { maxRedirects: 1 })).toBe('too_many_redirects');
    expect((await safeFetch(`${origin}/chain?n=1`, opts({ maxRedirects: 1 }))).body.toString()).toBe(
      'end of chain',
    );
    expect(await refusal(`${origin}/chain?n=4`, { maxRedirects: 10 })).toBe('too_many_redirects');
  });

  it('given any request, then it says who is asking', async () => {
    expect((await safeFetch(`${origin}/ua`, opts())).body.toString()).toBe('wa-onboarding/1 (+safe-fetch)');
  });

  it('given an allowlisted origin on the IPv6 loopback ([::1]), when fetched, then it goes to ::1', async () => {
    const v6 = createServer((_req, res) => res.writeHead(200).end('from ::1'));
    await new Promise<void>((r) => v6.listen(0, '::1', r));
    const at = `http://[::1]:${(v6.address() as AddressInfo).port}`;
    try {
      expect((await safeFetch(`${at}/`, opts({ allow: [at] }))).body.toString()).toBe('from ::1');
    } finally {
      v6.closeAllConnections();
      await new Promise((r) => v6.close(r));
    }
  });

  it('given an allowlisted origin named by host name, when fetched, then it goes to 127.0.0.1', async () => {
    const byName = origin.replace('127.0.0.1', 'localhost');
    expect((await safeFetch(`${byName}/doc.pdf`, opts({ allow: [byName] }))).body.toString()).toBe(
      '%PDF-1.4 small',
    );
  });

  it('given each refusal, then it says why in words', async () => {
    const why = async (url: string, extra: Partial<Parameters<typeof safeFetch>[1]> = {}) =>
      safeFetch(url, opts(extra)).catch((e: SafeFetchError) => `${e.code}: ${e.message}`);
    const none = async () => [];
    expect(await why('not a url')).toBe('bad_url: not a valid URL');
    expect(await why('https://user@example.com/')).toBe('bad_url: URLs with credentials are refused');
    expect(await why('https://:pw@example.com/')).toBe('bad_url: URLs with credentials are refused');
    expect(await why('http://example.com/')).toBe('not_https: only https URLs are fetched');
    expect(await why('https://example.com:8443/')).toBe('bad_port: only port 443 is fetched');
    expect(await why('https://example.com:443/', { resolve: none })).toBe(
      'dns_failed: the host name does not resolve',
    );
    expect(await why('https://10.0.0.5/')).toBe(
      'blocked_address: the host resolves to an address that is not public',
    );
    expect(await why(`${origin}/missing`)).toBe('http_status: the server answered HTTP 404');
    expect(await why(`${origin}/chain?n=4`)).toBe('too_many_redirects: too many redirects');
    expect(await why(`${origin}/sized?n=1001`)).toBe('too_large: larger than 1000 bytes');
    expect(await why(`${origin}/chunked?n=1001`)).toBe('too_large: larger than 1000 bytes');
    expect(await why(`${origin}/stalls`, { timeoutMs: 200 })).toBe('timeout: the server took too long');
    expect(await why(`${origin}/breaks`)).toBe('network: the download broke off');
    expect(await why(`${origin}/hang`, { timeoutMs: 200 })).toBe('timeout: the server took too long');
    const failing = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    const dnsErr = await safeFetch('https://nowhere.example/', opts({ resolve: failing })).catch(
      (e: unknown) => e,
    );
    expect(dnsErr).toMatchObject({
      code: 'dns_failed',
      message: 'the host name does not resolve',
      cause: expect.objectContaining({ code: 'ENOTFOUND' }),
    });
  });

  it('given the system resolver, when a name resolves to loopback (localhost), then it is refused', async () => {
    expect(await refusal('https://localhost/x')).toBe('blocked_address');
  });
});

describe('the one sentence a person gets for a refused link', () => {
  it('given any refusal, then the answer names what could not be fetched and says what is fetched, never which check failed', () => {
    expect(refusalSentence()).toBe(
      'That link could not be fetched: I fetch only public https:// addresses on port 443 that answer with the file.',
    );
    expect(refusalSentence('The photo link')).toBe(
      'The photo link could not be fetched: I fetch only public https:// addresses on port 443 that answer with the file.',
    );
  });
});

describe('safeFetch: the test allowlist from the environment', () => {
  const saved = process.env.SAFE_FETCH_TEST_ALLOWLIST;
  afterAll(() => {
    if (saved === undefined) delete process.env.SAFE_FETCH_TEST_ALLOWLIST;
    else process.env.SAFE_FETCH_TEST_ALLOWLIST = saved;
    resetConfig();
  });

  it('given SAFE_FETCH_TEST_ALLOWLIST names an origin (spaces and paths allowed), when fetched, then it is allowed; once changed and the configuration reloaded, no longer', async () => {
    process.env.SAFE_FETCH_TEST_ALLOWLIST = ` ${otherOrigin}/some/path , `;
    resetConfig();
    expect(testAllowlist()).toEqual([otherOrigin]);
    expect((await safeFetch(`${otherOrigin}/`, opts({ allow: [] }))).status).toBe(200);
    process.env.SAFE_FETCH_TEST_ALLOWLIST = '';
    // Kept until the configuration changes (read once per configuration, not per fetch)...
    expect(testAllowlist()).toEqual([otherOrigin]);
    // ...and read again when it does.
    resetConfig();
    expect(testAllowlist()).toEqual([]);
    process.env.SAFE_FETCH_TEST_ALLOWLIST = otherOrigin;
    resetConfig();
    expect(testAllowlist()).toEqual([otherOrigin]);
    process.env.SAFE_FETCH_TEST_ALLOWLIST = '';
    resetConfig();
    expect(await refusal(`${otherOrigin}/`, { allow: [] })).toBe('not_https');
  });

  it('given an explicit environment, when read, then the process one is left as it was', () => {
    process.env.SAFE_FETCH_TEST_ALLOWLIST = otherOrigin;
    resetConfig();
    expect(testAllowlist({ SAFE_FETCH_TEST_ALLOWLIST: origin })).toEqual([origin]);
    expect(testAllowlist()).toEqual([otherOrigin]);
  });
});

/**
 * A public host, as a person's link names one: DNS (replaced here) answers a public address, and
 * the guard must let it through, over HTTPS, to that address on port 443 (taken over at the last
 * step by the agents above).
 */
describe('safeFetch: a public host', () => {
  beforeEach(() => {
    seen.length = 0;
    dialed.length = 0;
  });

  const publicDns = (answers: Array<{ address: string; family: number }>) => async (host: string) => {
    if (host !== 'files.example.com') throw new Error(`unexpected lookup of ${host}`);
    return answers;
  };

  it('given DNS answers a public address, when fetched, then the guard lets it through over HTTPS to that address on port 443', async () => {
    const out = await safeFetch('https://files.example.com/doc.pdf?v=2', {
      maxBytes: 1000,
      timeoutMs: 2_000,
      resolve: publicDns([{ address: PUBLIC_V4, family: 4 }]),
    });
    expect(out.status).toBe(200);
    expect(out.body.toString()).toBe(REMOTE);
    expect(out.url).toBe('https://files.example.com/doc.pdf?v=2');
    expect(out.contentType).toBe('application/pdf');
    expect(dialed).toEqual([
      {
        scheme: 'https',
        host: 'files.example.com',
        port: 443,
        servername: 'files.example.com',
        address: PUBLIC_V4,
        family: 4,
      },
    ]);
    expect(seen).toEqual([{ path: '/doc.pdf?v=2', host: 'files.example.com', sni: 'files.example.com' }]);
  });

  it('given DNS answers several public addresses, when fetched, then the connection is pinned to the first one checked', async () => {
    await safeFetch('https://files.example.com/doc.pdf', {
      maxBytes: 1000,
      timeoutMs: 2_000,
      resolve: publicDns([
        { address: PUBLIC_V6, family: 6 },
        { address: PUBLIC_V4, family: 4 },
      ]),
    });
    expect(dialed).toEqual([expect.objectContaining({ address: PUBLIC_V6, family: 6, port: 443 })]);
  });

  it('given a public address written in the URL, when fetched, then no DNS is asked and the guard lets it through', async () => {
    const noDns = async () => {
      throw new Error('no lookup expected');
    };
    await safeFetch(`https://${PUBLIC_V4}/doc.pdf`, {
      maxBytes: 1000,
      timeoutMs: 2_000,
      resolve: noDns,
    }).catch(() => undefined);
    expect(dialed).toEqual([expect.objectContaining({ scheme: 'https', address: PUBLIC_V4, port: 443 })]);
    dialed.length = 0;
    await safeFetch(`https://[${PUBLIC_V6}]/doc.pdf`, {
      maxBytes: 1000,
      timeoutMs: 2_000,
      resolve: noDns,
    }).catch(() => undefined);
    expect(dialed).toEqual([
      expect.objectContaining({ scheme: 'https', host: PUBLIC_V6, address: PUBLIC_V6, family: 6, port: 443 }),
    ]);
  });

  it('given a public redirect to the same host, when fetched, then it is followed over HTTPS', async () => {
    const out = await safeFetch('https://files.example.com/moved', {
      maxBytes: 1000,
      timeoutMs: 2_000,
      resolve: publicDns([{ address: PUBLIC_V4, family: 4 }]),
    });
    expect(out.body.toString()).toBe(REMOTE);
    expect(seen.map((r) => r.path)).toEqual(['/moved', '/doc.pdf']);
    expect(dialed.every((d) => d.scheme === 'https' && d.address === PUBLIC_V4)).toBe(true);
  });
});
