import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { ddb, tableName } from '../../src/store/dynamo.js';
import {
  command,
  issueResponseUrl,
  postSlack,
  sandboxFetch,
  slackMessages,
  slashCommandBody,
} from '../helpers/slack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, env: { SLACK_TOKEN_ROTATION: 'true' } });
  stack.slack.tokenTtlSeconds = 3_600; // inside InstallProvider's 2-hour refresh window
});
afterAll(async () => {
  await stack.close();
});

describe('POST /slack/events (signed as Slack signs)', () => {
  it('answers /wa help in milliseconds with the whole command surface', async () => {
    await command(stack.url, 'help'); // warm: the first request loads the function
    const started = performance.now();
    const res = await command(stack.url, 'help');
    const ms = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.json.response_type).toBe('ephemeral');
    expect(res.json.text).toContain('/wa invite sign');
    expect(res.json.text).toContain('/wa deploy start');
    expect(ms).toBeLessThan(1_000); // Slack allows 3 s; the bench measures the real figure
  });

  it('refuses a forged signature with 401 and runs nothing', async () => {
    const before = (await slackMessages(stack.url)).length;
    const res = await postSlack(stack.url, slashCommandBody(stack.url, 'help'), { secret: 'not-the-secret' });
    expect(res.status).toBe(401);
    expect(res.text).toBe('');
    expect((await slackMessages(stack.url)).length).toBe(before);
  });

  it('refuses a request signed more than 5 minutes ago with 401', async () => {
    const res = await postSlack(stack.url, slashCommandBody(stack.url, 'help'), {
      ts: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(res.status).toBe(401);
  });

  it('tells a workspace that has not installed the app how to install it', async () => {
    const res = await command(stack.url, 'help', { team_id: 'T0STRANGER' });
    expect(res.status).toBe(200);
    expect(res.json.text).toMatch(/not installed/);
    expect(res.json.text).toContain(`${stack.url}/slack/install`);
  });

  it('names an unknown subcommand', async () => {
    const res = await command(stack.url, 'frobnicate');
    expect(res.status).toBe(200);
    expect(res.json.text).toMatch(/Unknown subcommand `frobnicate`/);
  });

  it('says why a phone number is refused, and shows the usage line', async () => {
    const res = await command(stack.url, 'invite sign "Ada Lovelace" ada@example.com 0612345678');
    expect(res.status).toBe(200);
    expect(res.json.response_type).toBe('ephemeral');
    expect(res.json.text).toMatch(/E\.164/);
    expect(res.json.text).toContain('Usage: `/wa invite sign');
  });

  it('answers hostile command text with 200 and a clear ephemeral message', async () => {
    for (const text of ['"unbalanced', 'help\u0001\u0002', 'x'.repeat(3_000), '--all --all', '<script>']) {
      const res = await command(stack.url, text);
      expect(res.status).toBe(200);
      expect(res.json.response_type).toBe('ephemeral');
    }
  });

  it('refuses an oversized body with 413, never a 5xx', async () => {
    const res = await postSlack(stack.url, slashCommandBody(stack.url, 'x'.repeat(300_000)));
    expect(res.status).toBe(413);
  });

  it('answers a body it cannot parse with 400', async () => {
    const res = await postSlack(stack.url, '{not json', { contentType: 'application/json' });
    expect(res.status).toBe(400);
  });
});

describe('multi-workspace install', () => {
  it('installs a new workspace through /slack/install and the OAuth redirect, storing the token sealed', async () => {
    const install = await fetch(`${stack.url}/slack/install`, { redirect: 'manual' });
    expect(install.status).toBe(302);
    const cookie = install.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(cookie).toContain('slack-app-oauth-state=');
    const authorize = new URL(install.headers.get('location') ?? '');
    authorize.searchParams.set('team', 'T0NEWTEAM');
    const back = await fetch(authorize, { redirect: 'manual' });
    const redirect = back.headers.get('location') ?? '';
    expect(redirect).toContain('/slack/oauth_redirect?code=');
    const done = await fetch(redirect, { headers: { cookie } });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Installed');

    const item = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: { pk: 'T#T0NEWTEAM', sk: 'INSTALL' } }),
    );
    expect(item.Item?.sealed).toMatch(/^v1\./);
    expect(JSON.stringify(item.Item)).not.toMatch(/xox[be]-/);

    const res = await command(stack.url, 'help', { team_id: 'T0NEWTEAM' });
    expect(res.json.text).toContain('/wa invite sign');
  });

  it('refreshes a rotated bot token that is about to expire, through InstallProvider.authorize', async () => {
    const before = stack.slack.refreshes;
    const res = await command(stack.url, 'help', { team_id: 'T0NEWTEAM' });
    expect(res.status).toBe(200);
    expect(stack.slack.refreshes).toBeGreaterThan(before);
  });

  it('refuses an OAuth redirect whose state does not match the browser cookie', async () => {
    const res = await fetch(`${stack.url}/slack/oauth_redirect?code=sandbox-code-T0EVIL&state=forged`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const item = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: { pk: 'T#T0EVIL', sk: 'INSTALL' } }),
    );
    expect(item.Item).toBeUndefined();
  });
});

describe('local stack', () => {
  it('serves /healthz, the console page and the sandbox control plane', async () => {
    expect(await (await fetch(`${stack.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await sandboxFetch(stack.url, '/')).text()).toContain('<html');
    const tick = await sandboxFetch(stack.url, '/_sandbox/scheduler/tick', { method: 'POST' });
    expect(tick.status).toBe(200);
    expect(await tick.json()).toMatchObject({ periods: 1 });
    // A response_url is one the fake Slack issued (as Slack puts one in each payload).
    const posted = await fetch(issueResponseUrl(stack.url, 'abc'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'via response_url', response_type: 'ephemeral' }),
    });
    expect(posted.status).toBe(200);
    const last = (await slackMessages(stack.url)).at(-1);
    expect(last).toMatchObject({ kind: 'response_url', text: 'via response_url', responseUrlId: 'abc' });
  });
});
