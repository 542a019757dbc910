import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlockedAddress, SafeFetchError, safeFetch, testAllowlist } from '../../src/http/safe-fetch.js';

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
