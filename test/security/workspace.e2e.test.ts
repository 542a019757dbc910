import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { startLocalStack } from '../../src/sandbox/server.js';
import { captureOutput } from '../helpers/output.js';
import { command, issueTriggerId, slackMessages, slackSignature } from '../helpers/slack.js';

/**
 * Workspace security end to end on the local stack: the admin permission matrix, the admin
 * allowlist and restrictions, `/wa connect` (set, bad values, replace, remove) with secrets
 * checked absent from logs and Slack, `/wa audit`, Slack retries, and size limits.
 */

let stack: LocalStack;
const captured: string[] = [];
const TEAM = 'T0SANDBOX';
const ADMIN = 'U0ADMIN';
const MEMBER = 'U0MEMBER';
/** Unknown to the fake Slack: users.info says user_not_found, so never an admin. */
const OTHER = 'U0OTHER';

beforeAll(async () => {
  captureOutput(captured);
  stack = await startLocalStack({ port: 0 });
});

afterAll(async () => {
  await stack?.close();
  vi.restoreAllMocks();
});

/** A signed POST to /slack/events with any headers (Slack's retry headers among them). */
async function signedPost(
  body: string,
  opts: { contentType?: string; headers?: Record<string, string> } = {},
) {
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(`${stack.url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': slackSignature(body, ts),
      ...opts.headers,
    },
    body,
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const seq = 0;
const trigger = () => issueTriggerId();

function interaction(payload: Record<string, unknown>, headers?: Record<string, string>) {
  return signedPost(
    `payload=${encodeURIComponent(
      JSON.stringify({
        team: { id: TEAM, domain: 'sandbox' },
        api_app_id: 'A0SANDBOX',
        token: 'legacy',
        is_enterprise_install: false,
        ...payload,
      }),
    )}`,
    headers ? { headers } : {},
  );
}

const userOf = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: TEAM });

function clickInModal(
  user: string,
  actionId: string,
  view: { id: string; callback_id: string },
  headers?: Record<string, string>,
) {
  return interaction(
    {
      type: 'block_actions',
      user: userOf(user),
      trigger_id: trigger(),
      container: { type: 'view', view_id: view.id },
      view: {
        ...view,
        team_id: TEAM,
        type: 'modal',
        hash: `h${seq}`,
        private_metadata: '',
        state: { values: {} },
      },
      actions: [{ type: 'button', action_id: actionId, block_id: 'b', action_ts: `${Date.now() / 1000}` }],
    },
    headers,
  );
}

function submitForm(user: string, provider: string, values: Record<string, string>) {
  return interaction({
    type: 'view_submission',
    user: userOf(user),
    trigger_id: trigger(),
    view: {
      id: 'VFORM',
      team_id: TEAM,
      type: 'modal',
      callback_id: 'connect:form',
      private_metadata: JSON.stringify({ provider }),
      hash: 'h',
      state: {
        values: Object.fromEntries(
          Object.entries(values).map(([k, v]) => [
            `f_${k}`,
            { value: { type: 'plain_text_input', value: v } },
          ]),
        ),
      },
    },
    response_urls: [],
  });
}

async function views(kind?: string) {
  return (await slackMessages(stack.url)).filter(
    (m) => m.kind.startsWith('views.') && (!kind || m.kind === kind),
  );
}

const text = (r: { json?: { text?: string } }) => r.json?.text ?? '';
const REFUSED = /:no_entry:.*is for workspace admins/;
const PROBE = '--zz-probe-not-a-flag';

describe('permissions', () => {
  it('admin commands: members are refused saying who can; admins and allowlisted people get through', async () => {
    const { commands } = await import('../../src/app/catalog.js');
    const built = commands.filter((c) => c.handler);
    const adminSpecs = built.filter((c) => c.access === 'admin');
    expect(adminSpecs.map((c) => c.path)).toEqual(
      expect.arrayContaining(['connect', 'audit', 'admins add', 'admins remove', 'admins restrict']),
    );

    // A probe flag no command declares: a command that passes the access check then fails
    // validation with "unknown option", so nothing runs.
    for (const spec of built) {
      const asMember = await command(stack.url, `${spec.path} ${PROBE}`, { user_id: MEMBER });
      if (spec.access === 'admin') {
        expect(text(asMember), spec.path).toMatch(REFUSED);
        expect(text(asMember)).toContain(`/wa ${spec.path}`);
      } else {
        expect(text(asMember), spec.path).toContain('unknown option');
      }
      const asAdmin = await command(stack.url, `${spec.path} ${PROBE}`, { user_id: ADMIN });
      expect(text(asAdmin), spec.path).toContain('unknown option');
    }

    // Allowlisting the member (as Slack sends a mention) lets them through.
    const added = await command(stack.url, `admins add <@${MEMBER}|max.member>`, { user_id: ADMIN });
    expect(text(added)).toContain(`<@${MEMBER}> can now run admin commands`);
    for (const spec of adminSpecs) {
      const asAllowlisted = await command(stack.url, `${spec.path} ${PROBE}`, { user_id: MEMBER });
      expect(text(asAllowlisted), spec.path).toContain('unknown option');
    }
    // Someone else is refused, and the refusal now names the allowlist.
    const other = await command(stack.url, 'audit', { user_id: OTHER });
    expect(text(other)).toMatch(new RegExp(`is for workspace admins/owners and <@${MEMBER}>`));

    // Taken off the list, the member is refused again.
    const removed = await command(stack.url, `admins remove <@${MEMBER}>`, { user_id: ADMIN });
    expect(text(removed)).toContain('is off the allowlist');
    expect(text(await command(stack.url, 'audit', { user_id: MEMBER }))).toMatch(REFUSED);
  }, 60_000); // every command twice, and the allowlist: slow on a loaded machine

  it('admins add/remove/list answer wrong input clearly and change nothing', async () => {
    expect(text(await command(stack.url, 'admins add max.member', { user_id: ADMIN }))).toMatch(
      /is not a user: mention them with @/,
    );
    expect(text(await command(stack.url, 'admins add', { user_id: ADMIN }))).toMatch(/missing the user/);
    expect(text(await command(stack.url, `admins add <@${OTHER}>`, { user_id: ADMIN }))).toMatch(
      /cannot be an admin here/,
    );
    expect(text(await command(stack.url, `admins remove <@${OTHER}>`, { user_id: ADMIN }))).toMatch(
      /is not on the admin allowlist/,
    );
    expect(text(await command(stack.url, 'admins restrict everything on', { user_id: ADMIN }))).toMatch(
      /the group is one of invites, optins, verify, templates/,
    );
    const list = await command(stack.url, 'admins list', { user_id: MEMBER });
    expect(text(list)).toContain('_nobody yet_');
    expect(text(list)).toContain('`invites` (sending and cancelling invites): everyone');
  });

  it('an admin can make member commands admin-only for the workspace, and open them again', async () => {
    expect(text(await command(stack.url, 'admins restrict invites on', { user_id: ADMIN }))).toContain(
      'for admins only',
    );
    expect(text(await command(stack.url, 'admins restrict invites on', { user_id: ADMIN }))).toContain(
      'already admin-only',
    );
    expect(text(await command(stack.url, 'admins list', { user_id: MEMBER }))).toContain(
      ':lock: admins only',
    );
    const { commands } = await import('../../src/app/catalog.js');
    const inviteSpecs = commands.filter((c) => c.handler && c.restrict === 'invites');
    for (const spec of inviteSpecs) {
      const refused = await command(stack.url, `${spec.path} ${PROBE}`, { user_id: MEMBER });
      expect(text(refused)).toMatch(REFUSED);
      expect(text(refused)).toContain('restricted sending and cancelling invites to admins');
      expect(text(await command(stack.url, `${spec.path} ${PROBE}`, { user_id: ADMIN }))).toContain(
        'unknown option',
      );
    }
    expect(text(await command(stack.url, 'admins restrict invites off', { user_id: ADMIN }))).toContain(
      'open to everyone',
    );
    for (const spec of inviteSpecs) {
      expect(text(await command(stack.url, `${spec.path} ${PROBE}`, { user_id: MEMBER }))).toContain(
        'unknown option',
      );
    }
  });
});

describe('/wa connect', () => {
  const zavu = { apiKey: 'zv_live_TOPSECRET_key_9f8e7d', webhookSecret: 'whsec_TOPSECRET_hook_1a2b3c' };
  const zavu2 = { apiKey: 'zv_live_ROTATED_key_5566778' };

  it('sets, validates, replaces and removes credentials without ever showing or logging them', async () => {
    const { getStoredCredentials } = await import('../../src/providers/credentials.js');
    const { tenantId } = await import('../../src/store/keys.js');
    const tenant = tenantId(TEAM);

    // When an admin runs /wa connect, the home view opens with every provider and the webhook URLs
    const opened = await command(stack.url, 'connect', { user_id: ADMIN });
    expect(text(opened)).toContain('Opened the provider credentials form');
    const home = (await views('views.open')).at(-1);
    expect(home?.callback_id).toBe('connect:home');
    const homeText = JSON.stringify(home?.blocks);
    for (const label of ['CM.com Sign', 'CM.com Channels', 'Zavu', 'CommBox', 'Vonage', 'Meta'])
      expect(homeText).toContain(label);
    // The local stack's sandboxes stand in until the workspace sets its own.
    expect(homeText).toContain('sandbox credentials in use');
    for (const p of ['zavu', 'cm-sign', 'meta']) {
      expect(homeText).toMatch(new RegExp(`${stack.url}/webhooks/${p}/[\\w-]{16,64}`));
    }

    // Choosing Zavu turns the modal into its form: inputs with length limits, never prefilled
    const homeView = { id: home?.view_id as string, callback_id: 'connect:home' };
    expect((await clickInModal(ADMIN, 'connect:edit:zavu', homeView)).status).toBe(200);
    const form = (await views('views.update')).at(-1);
    expect(form?.callback_id).toBe('connect:form');
    const inputs = (
      (form?.blocks ?? []) as Array<{
        type: string;
        element?: { max_length?: number; initial_value?: string };
      }>
    ).filter((b) => b.type === 'input');
    expect(inputs).toHaveLength(3);
    for (const input of inputs) {
      expect(input.element?.max_length).toBeGreaterThan(0);
      expect(input.element?.initial_value).toBeUndefined();
    }

    // Bad values are answered per block, without echoing them
    const bad = await submitForm(ADMIN, 'zavu', { apiKey: 'short' });
    expect(bad.json).toEqual({
      response_action: 'errors',
      // The webhook secret is optional: saving a key registers the webhook with Zavu.
      errors: { f_apiKey: expect.stringMatching(/Too short/) },
    });
    expect(bad.text).not.toContain('short"');
    const tooLong = await submitForm(ADMIN, 'zavu', {
      apiKey: 'k'.repeat(600),
      webhookSecret: 'whsec_123456789',
    });
    expect(tooLong.json).toMatchObject({
      response_action: 'errors',
      errors: { f_apiKey: expect.stringMatching(/Too long/) },
    });
    expect(await getStoredCredentials(tenant, 'zavu')).toBeUndefined();

    // Good values are saved (sealed) and the modal returns to the home view with a notice
    const saved = await submitForm(ADMIN, 'zavu', zavu);
    expect(saved.json?.response_action).toBe('update');
    const savedText = JSON.stringify(saved.json);
    expect(savedText).toContain('Zavu credentials saved');
    expect(savedText).toContain(`last changed by <@${ADMIN}>`);
    expect(await getStoredCredentials(tenant, 'zavu')).toEqual(zavu);

    // A member's forged submission is refused and changes nothing
    const forged = await submitForm(OTHER, 'zavu', {
      apiKey: 'zv_attacker_key_123',
      webhookSecret: 'whsec_attacker',
    });
    expect(JSON.stringify(forged.json)).toContain('can change credentials');
    expect(await getStoredCredentials(tenant, 'zavu')).toEqual(zavu);

    // Replacing one field keeps the other
    const replaced = await submitForm(ADMIN, 'zavu', { apiKey: zavu2.apiKey, webhookSecret: '' });
    expect(replaced.json?.response_action).toBe('update');
    expect(await getStoredCredentials(tenant, 'zavu')).toEqual({ ...zavu, ...zavu2 });

    // Remove (a confirmed button in the form) deletes them
    await clickInModal(ADMIN, 'connect:remove:zavu', { id: 'VFORM', callback_id: 'connect:form' });
    expect(await getStoredCredentials(tenant, 'zavu')).toBeUndefined();
    expect(JSON.stringify((await views('views.update')).at(-1)?.blocks)).toContain(
      'Zavu credentials removed',
    );

    // A member cannot remove, either
    await submitForm(ADMIN, 'zavu', zavu);
    await clickInModal(MEMBER, 'connect:remove:zavu', { id: 'VFORM', callback_id: 'connect:form' });
    expect(await getStoredCredentials(tenant, 'zavu')).toEqual(zavu);

    // The secrets appear nowhere: not in anything sent to Slack, not in any log line
    const everything = JSON.stringify(await slackMessages(stack.url)) + captured.join('\n');
    for (const secret of [zavu.apiKey, zavu.webhookSecret, zavu2.apiKey, 'TOPSECRET', 'ROTATED']) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe('/wa audit', () => {
  it('shows admins the trail newest first: who, what, when, outcome, and no secrets', async () => {
    const reply = await command(stack.url, 'audit', { user_id: ADMIN });
    const blocks = JSON.stringify(reply.json?.blocks);
    for (const action of [
      'credentials.set',
      'credentials.removed',
      'admins.added',
      'admins.removed',
      'command.refused',
      'access.restricted',
    ]) {
      expect(blocks).toContain(action);
    }
    expect(blocks).toContain(`<@${ADMIN}>`);
    expect(blocks).toMatch(/<!date\^\d+\^/);
    // Shown as Slack dates with a plain fallback, never a raw ISO string.
    expect(blocks).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(blocks).not.toContain('TOPSECRET');
    // Newest first: the fallback text lists ISO times in descending order.
    const times = (reply.json?.text ?? '')
      .split('\n')
      .slice(1)
      .map((l) => l.split(' ')[0] as string);
    expect(times.length).toBeGreaterThan(5);
    expect([...times].sort().reverse()).toEqual(times);
  });
});

describe('Slack retries', () => {
  it('an interaction redelivered with X-Slack-Retry-Num does not run again', async () => {
    const before = (await views('views.update')).length;
    const payload = {
      type: 'block_actions',
      user: userOf(ADMIN),
      trigger_id: trigger(),
      container: { type: 'view', view_id: 'VRETRY' },
      view: {
        id: 'VRETRY',
        team_id: TEAM,
        type: 'modal',
        callback_id: 'connect:home',
        hash: 'h',
        state: { values: {} },
      },
      actions: [{ type: 'button', action_id: 'connect:back', block_id: 'b', action_ts: '1760000000.000001' }],
    };
    expect((await interaction(payload)).status).toBe(200);
    const retry = await interaction(payload, {
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(retry.status).toBe(200);
    expect((await views('views.update')).length).toBe(before + 1);
  });

  it('an event redelivered with X-Slack-Retry-Num does not run again', async () => {
    const event = JSON.stringify({
      token: 'legacy',
      team_id: TEAM,
      api_app_id: 'A0SANDBOX',
      type: 'event_callback',
      event_id: `Ev${Date.now()}`,
      event_time: Math.floor(Date.now() / 1000),
      event: {
        type: 'app_home_opened',
        user: MEMBER,
        channel: 'D0HOME',
        tab: 'home',
        event_ts: `${Date.now() / 1000}`,
      },
      authorizations: [
        { team_id: TEAM, user_id: 'U0BOT', is_bot: true, enterprise_id: null, is_enterprise_install: false },
      ],
    });
    const published = async () =>
      (await slackMessages(stack.url)).filter((m) => m.kind === 'views.publish').length;
    const before = await published();
    expect((await signedPost(event, { contentType: 'application/json' })).status).toBe(200);
    const once = await published();
    for (const n of ['1', '2']) {
      const r = await signedPost(event, {
        contentType: 'application/json',
        headers: { 'x-slack-retry-num': n },
      });
      expect(r.status).toBe(200);
    }
    // The App Home listener published once for the first delivery, and not for the retries.
    expect(once).toBe(before + 1);
    expect(await published()).toBe(once);
  });
});

describe('webhook routes (those that exist)', () => {
  const hasRoute = (name: string) =>
    existsSync(new URL(`../../functions/webhook-${name}.ts`, import.meta.url));

  it.runIf(hasRoute('meta'))(
    'meta: forged and cross-tenant signatures are refused; the handshake needs the token',
    async () => {
      const { setCredentials } = await import('../../src/providers/credentials.js');
      const { webhookIdFor } = await import('../../src/security/webhooks.js');
      const { signMeta } = await import('../../src/security/signatures.js');
      const { tenantId } = await import('../../src/store/keys.js');
      const t1 = tenantId(TEAM);
      const t2 = tenantId('T0SECOND2');
      const secret1 = 'meta-secret-of-tenant-one';
      const secret2 = 'meta-secret-of-tenant-two';
      await setCredentials(t1, 'meta', { appSecret: secret1, verifyToken: 'verify-one-123' }, ADMIN);
      await setCredentials(t2, 'meta', { appSecret: secret2, verifyToken: 'verify-two-123' }, ADMIN);
      const [hook1, hook2] = [await webhookIdFor(t1), await webhookIdFor(t2)];
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'w1',
            time: 1,
            changes: [
              {
                field: 'message_template_status_update',
                value: { event: 'APPROVED', message_template_name: 'nobody_watches' },
              },
            ],
          },
        ],
      });
      const post = (hook: string, signature: string) =>
        fetch(`${stack.url}/webhooks/meta/${hook}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          body,
        });
      expect((await post(hook1, signMeta(body, secret1))).status).toBe(200);
      // A replay of the same delivery is answered without error (the route drops it by event id).
      expect((await post(hook1, signMeta(body, secret1))).status).toBe(200);
      expect((await post(hook1, `sha256=${'0'.repeat(64)}`)).status).toBe(401);
      expect((await post(hook1, signMeta(`${body} `, secret1))).status).toBe(401);
      expect((await post(hook1, '')).status).toBe(401);
      // T1's hook id with T2's secret, and T2's hook id with T1's secret: neither tenant can act as the other.
      expect((await post(hook1, signMeta(body, secret2))).status).toBe(401);
      expect((await post(hook2, signMeta(body, secret1))).status).toBe(401);
      expect((await post('not-a-real-hook-id-0000', signMeta(body, secret1))).status).toBe(404);

      const handshake = (hook: string, token: string) =>
        fetch(
          `${stack.url}/webhooks/meta/${hook}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=12345`,
        );
      const ok = await handshake(hook1, 'verify-one-123');
      expect([ok.status, await ok.text()]).toEqual([200, '12345']);
      expect((await handshake(hook1, 'verify-two-123')).status).toBe(403);
      expect((await handshake(hook2, 'verify-one-123')).status).toBe(403);
    },
  );

  it.runIf(hasRoute('zavu'))(
    'zavu: forged, stale, replayed and cross-tenant deliveries are refused or dropped',
    async () => {
      const { setCredentials } = await import('../../src/providers/credentials.js');
      const { webhookIdFor } = await import('../../src/security/webhooks.js');
      const { signZavu } = await import('../../src/security/signatures.js');
      const { tenantId } = await import('../../src/store/keys.js');
      const [t1, t2] = [tenantId(TEAM), tenantId('T0SECOND2')];
      const [s1, s2] = ['whsec_zavu_tenant_one', 'whsec_zavu_tenant_two'];
      await setCredentials(t1, 'zavu', { apiKey: 'zv_key_tenant_one', webhookSecret: s1 }, ADMIN);
      await setCredentials(t2, 'zavu', { apiKey: 'zv_key_tenant_two', webhookSecret: s2 }, ADMIN);
      const [hook1, hook2] = [await webhookIdFor(t1), await webhookIdFor(t2)];
      const body = JSON.stringify({
        id: `evt_${Date.now()}`,
        type: 'invitation.status_changed',
        timestamp: Date.now(),
        data: {
          invitationId: 'inv_nobody_follows',
          clientName: null,
          clientEmail: null,
          connectionType: 'whatsapp_waba',
          previousStatus: 'pending',
          currentStatus: 'in_progress',
        },
      });
      const post = async (hook: string, signature: string) => {
        const res = await fetch(`${stack.url}/webhooks/zavu/${hook}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-zavu-signature': signature },
          body,
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect((await post(hook1, signZavu(body, s1))).status).toBe(200);
      // Replayed (within the window): accepted as a duplicate and dropped by event id.
      expect(await post(hook1, signZavu(body, s1))).toEqual({
        status: 200,
        body: expect.objectContaining({ duplicate: true }),
      });
      // Stale (6 minutes old), future, forged, and signed with the other tenant's secret.
      expect((await post(hook1, signZavu(body, s1, Date.now() - 6 * 60_000))).status).toBe(401);
      expect((await post(hook1, signZavu(body, s1, Date.now() + 6 * 60_000))).status).toBe(401);
      expect((await post(hook1, `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`)).status).toBe(401);
      expect((await post(hook1, signZavu(body, s2))).status).toBe(401);
      expect((await post(hook2, signZavu(body, s1))).status).toBe(401);
    },
  );

  it.runIf(hasRoute('cm-sign'))('cm-sign: a wrong, missing or other-tenant secret is refused', async () => {
    const { setCredentials } = await import('../../src/providers/credentials.js');
    const { webhookIdFor } = await import('../../src/security/webhooks.js');
    const { tenantId } = await import('../../src/store/keys.js');
    const [t1, t2] = [tenantId(TEAM), tenantId('T0SECOND2')];
    const [s1, s2] = ['cm-sign-hook-secret-tenant-1', 'cm-sign-hook-secret-tenant-2'];
    await setCredentials(
      t1,
      'cm-sign',
      { keyId: 'k1', secret: 'cm-sign-api-secret-0001', webhookSecret: s1 },
      ADMIN,
    );
    await setCredentials(
      t2,
      'cm-sign',
      { keyId: 'k2', secret: 'cm-sign-api-secret-0002', webhookSecret: s2 },
      ADMIN,
    );
    const [hook1, hook2] = [await webhookIdFor(t1), await webhookIdFor(t2)];
    const body = JSON.stringify({
      id: `cm_${Date.now()}`,
      type: 'dossier.state.updated',
      data: { dossier: { id: 'dossier-nobody-follows', state: 'completed' } },
    });
    const post = (hook: string, secret?: string) =>
      fetch(`${stack.url}/webhooks/cm-sign/${hook}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret === undefined ? {} : { 'x-webhook-secret': secret }),
        },
        body,
      }).then((r) => r.status);
    expect(await post(hook1, s1)).toBe(200);
    expect(await post(hook1, s1)).toBe(200); // replay: dropped by event id
    expect(await post(hook1)).toBe(401);
    expect(await post(hook1, `${s1}x`)).toBe(401);
    expect(await post(hook1, s2)).toBe(401);
    expect(await post(hook2, s1)).toBe(401);
  });

  for (const route of ['zavu', 'cm-sign', 'meta']) {
    if (!hasRoute(route)) continue;
    it(`${route}: bodies over 64 KB are refused before anything else`, async () => {
      const { webhookIdFor } = await import('../../src/security/webhooks.js');
      const { tenantId } = await import('../../src/store/keys.js');
      const res = await fetch(`${stack.url}/webhooks/${route}/${await webhookIdFor(tenantId(TEAM))}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'a'.repeat(70 * 1024) }),
      });
      expect(res.status).toBe(413);
    });
  }
});

describe('limits', () => {
  it('refuses command text over 2000 characters and oversized Slack bodies', async () => {
    expect(text(await command(stack.url, `help ${'x'.repeat(2100)}`, { user_id: ADMIN }))).toMatch(
      /the limit is 2000/,
    );
    expect((await signedPost(`payload=${'a'.repeat(70 * 1024)}`)).status).toBe(413);
  });
});
