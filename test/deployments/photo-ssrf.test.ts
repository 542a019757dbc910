import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage, IMAGE_REFUSED } from '../../src/deployments/image.js';
import { pngHead } from './images.js';

/**
 * `/wa deploy photo <url>` (issue 14, item 3): the image is fetched through the shared SSRF
 * guard, and everything refused gets the same one sentence, so the answer tells nothing about
 * what is behind the URL. `allowed` is on the explicit test allowlist; `hidden` is not, and
 * stands for anything inside our network: it must never be reached.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
async function serve(handler: Handler): Promise<{ server: Server; origin: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

let allowed: Awaited<ReturnType<typeof serve>>;
let hidden: Awaited<ReturnType<typeof serve>>;
const png = Buffer.concat([pngHead(256, 256), Buffer.alloc(1000)]);

beforeAll(async () => {
  hidden = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' }).end(png);
  });
  allowed = await serve((req, res) => {
    const path = req.url ?? '/';
    if (path === '/ok.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    else if (path === '/to-hidden') res.writeHead(302, { location: `${hidden.origin}/secret.png` }).end();
    else if (path === '/to-loopback-https') res.writeHead(302, { location: 'https://127.0.0.1/x.png' }).end();
    else if (path === '/to-metadata')
      res.writeHead(301, { location: 'https://169.254.169.254/latest/meta-data/' }).end();
    else if (path === '/huge-declared')
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(6 * 1024 * 1024) }).end();
    else if (path === '/huge-chunked') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(512 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 12 && res.write(chunk)) sent++;
        if (sent < 12) res.once('drain', more);
        else res.end();
      };
      more();
    } else res.writeHead(404).end();
  });
});
afterAll(async () => {
  for (const s of [allowed, hidden]) {
    s?.server.closeAllConnections();
    await new Promise((r) => s?.server.close(r));
  }
});

describe('/wa deploy photo: one answer for everything refused', () => {
  it('loopback, private ranges, metadata, redirect to loopback, http, port 8443, oversize: all "could not use that image"', async () => {
    const before = hidden.hits.length;
    const allow = [allowed.origin];
    const urls = [
      'https://127.0.0.1/x.png',
      'https://[::1]/x.png',
      'https://localhost/x.png',
      'https://10.0.0.1/x.png',
      'https://172.16.5.4/x.png',
      'https://192.168.0.10/x.png',
      'https://169.254.169.254/latest/meta-data/',
      'https://[fd00:ec2::254]/latest/meta-data/',
      'https://224.0.0.1/x.png',
      `${allowed.origin}/to-hidden`,
      `${allowed.origin}/to-loopback-https`,
      `${allowed.origin}/to-metadata`,
      `${hidden.origin}/secret.png`,
      'http://images.example/x.png',
      'https://images.example:8443/x.png',
      `${allowed.origin}/huge-declared`,
      `${allowed.origin}/huge-chunked`,
      `${allowed.origin}/missing.png`,
    ];
    const answers = await Promise.all(urls.map((url) => checkImage(url, { allow })));
    for (const [i, a] of answers.entries()) {
      expect(a, urls[i]).toEqual({ ok: false, refused: true, problem: IMAGE_REFUSED });
    }
    expect(IMAGE_REFUSED.startsWith('could not use that image')).toBe(true);
    // Nothing reached the server that is not on the allowlist, not even through a redirect.
    expect(hidden.hits.length).toBe(before);
  });

  it('a host name resolving to a private address is refused the same way', async () => {
    const resolve = async () => [{ address: '10.1.2.3', family: 4 }];
    expect(await checkImage('https://images.example/x.png', { resolve })).toEqual({
      ok: false,
      refused: true,
      problem: IMAGE_REFUSED,
    });
  });

  it('a fetched public image is checked and described', async () => {
    expect(await checkImage(`${allowed.origin}/ok.png`, { allow: [allowed.origin] })).toMatchObject({
      ok: true,
      format: 'png',
      width: 256,
      height: 256,
    });
  });
});
