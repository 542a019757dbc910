import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { ddb, tableName } from '../../src/store/dynamo.js';

/**
 * The end of the install flow when it does not succeed: Slack's `error` in the redirect
 * (access_denied when the person cancels) and the errors oauth.v2.access documents each get
 * a page that says what happened (never a 500), and nothing is installed.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, env: { LOG_LEVEL: 'ERROR' } });
});
afterAll(async () => {
  await stack?.close();
});

async function installed(team: string) {
  const out = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: { pk: `T#${team}`, sk: 'INSTALL' } }),
  );
  return Boolean(out.Item);
}

/** Starts an install as a browser does: the state cookie and the authorize URL's state. */
async function startInstall() {
  const install = await fetch(`${stack.url}/slack/install`, { redirect: 'manual' });
  const cookie = install.headers.get('set-cookie')?.split(';')[0] ?? '';
  const state = new URL(install.headers.get('location') ?? '').searchParams.get('state') ?? '';
  return { cookie, state };
}

async function redirect(query: string, cookie = '') {
  const res = await fetch(`${stack.url}/slack/oauth_redirect?${query}`, {
    headers: cookie ? { cookie } : {},
  });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

describe('GET /slack/oauth_redirect when the installation does not complete', () => {
  it('error=access_denied (the person cancelled) shows "Installation cancelled", not a 500', async () => {
    const { cookie, state } = await startInstall();
    const page = await redirect(`error=access_denied&state=${state}`, cookie);
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.body).toContain('Installation cancelled');
    expect(page.body).toContain(`${stack.url}/slack/install`);
    // Without the browser's state, too (a person reopening the page later).
    const bare = await redirect('error=access_denied');
    expect([bare.status, bare.body.includes('Installation cancelled')]).toEqual([200, true]);
  });

  it('every error Slack documents for the redirect and the code exchange gets its own page below 500', async () => {
    const documented = [
      'access_denied',
      'invalid_scope',
      'invalid_code',
      'code_already_used',
      'bad_redirect_uri',
      'invalid_client_id',
      'bad_client_secret',
      'invalid_grant_type',
      'oauth_authorization_url_mismatch',
      'invalid_team_for_non_distributed_app',
      'unapproved_app',
      'cannot_install_an_org_installed_app',
      'team_added_to_org',
      'preview_feature_not_available',
      'ratelimited',
    ];
    for (const code of documented) {
      const page = await redirect(`error=${code}&state=x`);
      expect(page.status, code).toBeLessThan(500);
      expect(page.body, code).toMatch(/<h1>[^<]+<\/h1><p>.+<\/p>/);
      expect(page.body, code).not.toContain('Something Went Wrong');
    }
  });

  it('an error nobody documents is named (escaped) and still not a 500', async () => {
    const page = await redirect(`error=${encodeURIComponent('brand_new_error')}`);
    expect([page.status, page.body.includes('brand_new_error')]).toEqual([400, true]);
    const hostile = await redirect(`error=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(hostile.status).toBe(400);
    expect(hostile.body).not.toContain('<script>');
  });

  it('a missing or foreign state and a missing code are explained with 400, and nothing is installed', async () => {
    const forged = await redirect('code=sandbox-code-T0FORGED&state=forged');
    expect(forged.status).toBe(400);
    expect(forged.body).toContain('Installation link expired');
    const noState = await redirect('code=sandbox-code-T0FORGED');
    expect(noState.status).toBe(400);
    const { cookie, state } = await startInstall();
    const noCode = await redirect(`state=${state}`, cookie);
    expect(noCode.status).toBe(400);
    expect(await installed('T0FORGED')).toBe(false);
  });

  it('a code Slack refuses (oauth.v2.access: invalid_code) is explained with 400, and nothing is installed', async () => {
    const { cookie, state } = await startInstall();
    const page = await redirect(`code=not-a-sandbox-code&state=${state}`, cookie);
    expect(page.status).toBe(400);
    expect(page.body).toContain('Installation link expired');
  });
});
