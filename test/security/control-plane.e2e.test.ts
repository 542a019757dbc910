import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config, DEV_SIGNING_SECRET } from '../../src/config.js';
import { CONTROL_HEADER } from '../../src/sandbox/control-plane.js';
import { SANDBOX_BOT } from '../../src/sandbox/fake-slack.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { command, issueResponseUrl, sandboxFetch, slackMessages } from '../helpers/slack.js';

/**
 * The local stack's control plane (/_sandbox/*) answers only this start's console: its token
 * (header or the cookie the console link sets) from its own origin and loopback host. Any
 * other local caller gets 403 and learns nothing (no signing secret, no messages, no state),
 * and can move neither the clock nor the scheduler. The app's own routes into the sandbox
 * (fake Slack Web API, response_url) keep working.
 */

let stack: LocalStack;
const figures = { tried: 0, refused: 0 };

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, env: { LOG_LEVEL: 'ERROR' } });
});
afterAll(async () => {
  await stack?.close();
  console.info(`control-plane attack figures: ${JSON.stringify(figures)}`);
});

/** A raw HTTP request, so Host, Origin and cookies are exactly what an attacker would send. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const { port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let data = '';
        res.on('data', (c) => {
          data += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const CONTROL: Array<[string, string]> = [
  ['GET', '/_sandbox/console/config'],
  ['GET', '/_sandbox/slack/messages'],
  ['GET', '/_sandbox/state'],
  ['POST', '/_sandbox/scheduler/tick'],
  ['GET', '/_sandbox/clock'],
  ['POST', '/_sandbox/clock'],
  ['GET', '/_sandbox/console/index.html'],
  ['GET', '/_sandbox/not-a-route'],
];

async function refused(method: string, path: string, headers: Record<string, string>) {
  figures.tried++;
  const res = await raw(method, path, headers, method === 'POST' ? '{"advance":"PT24H"}' : undefined);
  expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(403);
  expect(res.body).not.toContain(DEV_SIGNING_SECRET);
  figures.refused++;
}

describe('the sandbox control plane', () => {
  it('refuses every control route to a local caller without the token, a wrong one, or an empty one', async () => {
    await command(stack.url, 'help'); // something to leak, were it readable
    const clockBefore = stack.clock.now();
    for (const [method, path] of CONTROL) {
      await refused(method, path, {});
      await refused(method, path, { 'x-sandbox-token': 'guess' });
      await refused(method, path, { 'x-sandbox-token': '' });
      await refused(method, path, { cookie: `sandbox_console_${new URL(stack.url).port}=guess` });
      await refused(method, path, { 'x-sandbox-token': stack.controlToken.slice(0, -1) });
    }
    // The simulated clock runs with real time; a tick would have added 60 s, the clock POST 24 h.
    expect(stack.clock.now() - clockBefore).toBeLessThan(60_000);
  });

  it('refuses the right token from another origin, another site, or a rebound host name', async () => {
    const { port } = new URL(stack.url);
    const token = { 'x-sandbox-token': stack.controlToken };
    for (const [method, path] of CONTROL.slice(0, 4)) {
      await refused(method, path, { ...token, origin: 'http://evil.example' });
      await refused(method, path, { ...token, origin: `http://127.0.0.1:${Number(port) + 1}` });
      await refused(method, path, { ...token, origin: 'null' });
      await refused(method, path, { ...token, 'sec-fetch-site': 'cross-site' });
      await refused(method, path, { ...token, host: `evil.example:${port}` });
      await refused(method, path, { ...token, host: `127.0.0.1:${Number(port) + 1}` });
    }
  });

  it('answers the token from the stack itself, and hands the signing secret only then', async () => {
    const config = await sandboxFetch(stack.url, '/_sandbox/console/config');
    expect(config.status).toBe(200);
    expect(((await config.json()) as { signingSecret: string }).signingSecret).toBe(DEV_SIGNING_SECRET);
    const same = await raw('GET', '/_sandbox/state', {
      'x-sandbox-token': stack.controlToken,
      origin: new URL(stack.url).origin,
      'sec-fetch-site': 'same-origin',
    });
    expect(same.status).toBe(200);
  });

  it('the console page: locked without the link; the link sets an HttpOnly SameSite=Strict cookie that opens it', async () => {
    const locked = await raw('GET', '/');
    expect(locked.status).toBe(403);
    expect(locked.body).toContain('console link printed in the terminal');
    expect(locked.body).not.toContain(stack.controlToken);
    expect((await raw('GET', '/?token=guess')).status).toBe(403);

    const link = await raw('GET', `/?token=${encodeURIComponent(stack.controlToken)}`);
    expect(link.status).toBe(302);
    const cookie = String(link.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0] as string;
    const page = await raw('GET', '/', { cookie: pair });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<html');
    expect((await raw('GET', '/_sandbox/console/config', { cookie: pair })).status).toBe(200);
    // The cookie from another site's page is refused as any other cross-site request.
    await refused('GET', '/_sandbox/console/config', { cookie: pair, origin: 'http://evil.example' });
    // The console's script and style carry no secret and load without the token.
    expect((await raw('GET', '/_sandbox/console/console.js')).status).toBe(200);
  });

  it("keeps the app's own routes open: the fake Slack Web API (bot token) and response_url", async () => {
    const api = await raw(
      'POST',
      '/_sandbox/slack/api/auth.test',
      { authorization: `Bearer ${SANDBOX_BOT.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      '',
    );
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body).ok).toBe(true);
    const before = (await slackMessages(stack.url)).length;
    // A response_url the fake Slack issued (it refuses made-up ones, as Slack would).
    issueResponseUrl(stack.url, 'cp-test');
    const posted = await raw(
      'POST',
      '/_sandbox/response/cp-test',
      { 'content-type': 'application/json' },
      JSON.stringify({ text: 'from the app' }),
    );
    expect(posted.status).toBe(200);
    expect((await slackMessages(stack.url)).length).toBe(before + 1);
    // A slash command still gets its answer (the app reaches the fake Slack on its own).
    expect((await command(stack.url, 'help')).json.text).toContain('/wa invite sign');
  });
});

describe("the provider sandboxes' own control routes", () => {
  /** Each provider sandbox's own origin, as the app is configured to reach it. */
  const sandboxes = () => {
    const p = config().providers;
    return {
      zavu: p.zavu,
      'cm-sign': p.cmSign,
      vonage: p.vonage,
      commbox: p.commbox,
      'cm-channels': p.cmChannels,
    };
  };
  const post = (base: string, path: string, headers: Record<string, string> = {}) =>
    fetch(`${new URL(base).origin}/_sandbox/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ enabled: true }),
    });

  it("take the stack's token, and answer 403 without it or with another", async () => {
    const token = stack.controlToken;
    for (const [name, base] of Object.entries(sandboxes())) {
      for (const headers of [{}, { [CONTROL_HEADER]: 'guess' }, { [CONTROL_HEADER]: '' }] as Array<
        Record<string, string>
      >) {
        figures.tried += 1;
        const res = await post(base, 'webhooks', headers);
        expect({ name, status: res.status }).toEqual({ name, status: 403 });
        figures.refused += 1;
      }
      // With the token the route is reached (404 where the sandbox has no such control route).
      const ok = await post(base, 'webhooks', { [CONTROL_HEADER]: token });
      expect({ name, refused: ok.status === 403 }).toEqual({ name, refused: false });
    }
    const zavu = await post(sandboxes().zavu, 'webhooks', { [CONTROL_HEADER]: token });
    expect(zavu.status).toBe(200);
  });

  it('keep the provider APIs themselves open to the app, token or not', async () => {
    const res = await fetch(`${new URL(sandboxes().zavu).origin}/v1/invitations`, {
      headers: { authorization: 'Bearer wrong-key' },
    });
    expect(res.status).not.toBe(403);
  });
});

describe('the fake Slack authorize page', () => {
  const authorize = (redirect: string) =>
    raw(
      'GET',
      `/_sandbox/slack/oauth/authorize?team=T0NEW&state=s&redirect_uri=${encodeURIComponent(redirect)}`,
    );

  it("sends the browser back only to the stack's own OAuth redirect URL", async () => {
    const ok = await authorize(`${stack.url}/slack/oauth_redirect`);
    expect(ok.status).toBe(302);
    expect(String(ok.headers.location)).toBe(
      `${stack.url}/slack/oauth_redirect?code=sandbox-code-T0NEW&state=s`,
    );
    for (const elsewhere of [
      'https://evil.example/slack/oauth_redirect',
      'http://127.0.0.1:1/slack/oauth_redirect',
      `${stack.url}/_sandbox/state`,
      '//evil.example/slack/oauth_redirect',
      'javascript:alert(1)',
    ]) {
      const res = await authorize(elsewhere);
      expect({ elsewhere, status: res.status, location: res.headers.location }).toEqual({
        elsewhere,
        status: 400,
        location: undefined,
      });
    }
  });
});
