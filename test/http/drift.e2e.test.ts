import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmChannelsClient } from '../../src/providers/cm-channels/client.js';
import { CommboxClient } from '../../src/providers/commbox/client.js';
import { MetaCloudProvisioning } from '../../src/providers/meta-cloud/client.js';
import { VonageProvisioning } from '../../src/providers/vonage/client.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { webhookUrl } from '../../src/security/webhooks.js';
import { ddb, tableName } from '../../src/store/dynamo.js';
import { pkOf } from '../../src/store/keys.js';
import { command, postSlack, slackMessages } from '../helpers/slack.js';
import { CM_SECRET, startStack, T, zavuSignature } from '../invites/helpers.js';
import { metaSignature } from '../templates/support.js';

/**
 * Drift reports (issue 27): a provider answer or webhook that does not match what we assume is
 * kept as its shape (keys and types, never a value), counted per provider and operation, and
 * shown to admins. Each provider gets a recorded variant body: what a plausible change on their
 * side would look like (a snake_case id, a field renamed, a status we do not know).
 */

/** Values that must never be stored or shown: each variant body carries some. */
const SECRET_VALUES = [
  'd-SECRET-4711',
  'inv_SECRET_0815',
  'SECRET template name',
  'SECRET-UNKNOWN-STATE',
  'SECRET body text',
];

let stack: LocalStack;
let variants: Server;
let variantUrl = '';
/** What the stand-in answers, per path: a recorded variant of each provider's documented answer. */
const answers: Record<string, unknown> = {};

beforeAll(async () => {
  stack = await startStack();
  variants = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const key = Object.keys(answers).find((p) => path.endsWith(p));
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(key ? answers[key] : {}));
  });
  await new Promise<void>((resolve) => variants.listen(0, '127.0.0.1', resolve));
  variantUrl = `http://127.0.0.1:${(variants.address() as AddressInfo).port}`;
});
afterAll(async () => {
  variants?.closeAllConnections();
  variants?.close();
  await stack?.close();
});

async function driftItems() {
  const out = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
      ExpressionAttributeValues: { ':pk': pkOf(T), ':d': 'DRIFT#' },
    }),
  );
  return out.Items ?? [];
}
const itemOf = async (provider: string) => (await driftItems()).find((i) => i.provider === provider);

describe('drift reports keep the shape of what providers sent, never its values', () => {
  it('CM.com Sign: a callback carrying dossier_id in snake case is refused and reported', async () => {
    const body = JSON.stringify({
      dossier_id: 'd-SECRET-4711',
      event: 'dossier.signed',
      note: 'SECRET body text',
    });
    const res = await fetch(await webhookUrl(T, 'cm-sign'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-secret': CM_SECRET },
      body,
    });
    expect(res.status).toBe(400);
    const item = await itemOf('cm-sign');
    expect(item).toMatchObject({ operation: 'webhook', kind: 'webhook', count: 1 });
    expect(item?.shape).toEqual({ dossier_id: 'string', event: 'string', note: 'string' });
  });

  it('Zavu: an invitation event whose data names its fields otherwise is refused and reported', async () => {
    const raw = JSON.stringify({
      id: 'evt_1',
      type: 'invitation.status_changed',
      timestamp: Math.floor(Date.now() / 1000),
      data: { invitation_id: 'inv_SECRET_0815', current_status: 'completed' },
    });
    const res = await fetch(await webhookUrl(T, 'zavu'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-zavu-signature': zavuSignature(raw) },
      body: raw,
    });
    expect(res.status).toBe(400);
    const item = await itemOf('zavu');
    expect(item?.kind).toBe('webhook');
    expect(JSON.stringify(item?.shape)).toContain('invitation_id');
  });

  it('Meta: a template status change without the template name is skipped and reported', async () => {
    const raw = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          time: Math.floor(Date.now() / 1000),
          changes: [
            {
              field: 'message_template_status_update',
              value: {
                event: 'APPROVED',
                message_template_id: 594425479261596,
                template_title: 'SECRET template name',
              },
            },
          ],
        },
      ],
    });
    const res = await fetch(await webhookUrl(T, 'meta'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(raw) },
      body: raw,
    });
    expect(res.status).toBe(200);
    const item = await itemOf('meta');
    expect(item?.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'value.message_template_name' })]),
    );
  });

  it('CM.com Channels: a template list whose items lost their name is reported with the operation, ids left out', async () => {
    const creds = SANDBOX_CREDENTIALS['cm-channels'];
    answers['/templates'] = [{ id: '3f2b6c1e-0c4d-4e5f-8a9b-1c2d3e4f5a6b', title: 'SECRET template name' }];
    await expect(new CmChannelsClient(T, creds, variantUrl).listTemplates()).rejects.toThrow(
      /shape we do not understand/,
    );
    const item = await itemOf('cm-channels');
    expect(item?.kind).toBe('answer');
    expect(item?.operation).not.toContain(creds.accountId);
    expect(item?.operation).toMatch(/^GET .*\{id\}/);
  });

  it('CommBox: a validation answer outside its envelope is reported', async () => {
    answers['/31612345678'] = { ok: true, body: 'SECRET body text' };
    await expect(
      new CommboxClient(T, SANDBOX_CREDENTIALS.commbox, {
        baseUrl: variantUrl,
        perMinute: 6000,
      }).validateContact('+31612345678'),
    ).rejects.toThrow();
    expect((await itemOf('commbox'))?.kind).toBe('answer');
  });

  it('Vonage: a deployment state outside the description is reported as a value we do not know', async () => {
    answers['/deployments/aaaaaaaa-bbbb-cccc-dddd-0123456789ab'] = {
      deployment_id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
      current_state: { title: 'SECRET-UNKNOWN-STATE' },
    };
    const dep = await new VonageProvisioning(T, { baseUrl: variantUrl }).get(
      'aaaaaaaa-bbbb-cccc-dddd-0123456789ab',
    );
    expect(dep.state).toBe('UNKNOWN');
    const item = await itemOf('vonage');
    expect(item).toMatchObject({ kind: 'value', shape: { current_state: { title: 'string' } } });
  });

  it('Meta (WhatsApp Cloud API): a number node whose id became a number and whose status an object is reported', async () => {
    answers['/106540352242922'] = {
      id: 106540352242922,
      code_verification_status: { value: 'SECRET body text' },
    };
    await expect(
      new MetaCloudProvisioning(T, { baseUrl: variantUrl }).get('106540352242922'),
    ).rejects.toThrow(/shape we do not understand/);
    const item = await itemOf('meta-cloud');
    expect(item?.kind).toBe('answer');
    expect(item?.operation).toBe('GET /{id}');
  });

  it('no drift item holds a value from a body', async () => {
    const stored = JSON.stringify(await driftItems());
    for (const v of SECRET_VALUES) expect(stored).not.toContain(v);
  });

  it('a second identical variant counts, not a second report', async () => {
    const body = JSON.stringify({ dossier_id: 'd-other', event: 'dossier.viewed', note: 'x' });
    await fetch(await webhookUrl(T, 'cm-sign'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-secret': CM_SECRET },
      body,
    });
    const items = (await driftItems()).filter((i) => i.provider === 'cm-sign');
    expect(items).toHaveLength(1);
    expect(items[0]?.count).toBe(2);
  });
});

describe('admins see what was seen, what it means and what still works', () => {
  it('/wa admins contracts lists every report for an admin, and is refused to a member', async () => {
    const res = await command(stack.url, 'admins contracts');
    const text = JSON.stringify(res.json);
    for (const label of [
      'CM.com Sign',
      'Zavu',
      'Meta',
      'CM.com Channels',
      'CommBox',
      'Vonage',
      'Meta (WhatsApp Cloud API)',
    ])
      expect(text).toContain(label);
    expect(text).toContain('dossier_id: string');
    expect(text).toContain('Jobs still follow the provider by polling');
    for (const v of SECRET_VALUES) expect(text).not.toContain(v);
    const member = await command(stack.url, 'admins contracts', {
      user_id: 'U0MEMBER',
      user_name: 'u0member',
    });
    expect(member.json.text).toContain(':no_entry:');
  });

  it('App Home tells admins, and only admins', async () => {
    const home = async (user: string) => {
      const body = JSON.stringify({
        token: 'legacy-token',
        team_id: 'T0SANDBOX',
        api_app_id: 'A0SANDBOX',
        type: 'event_callback',
        event_id: `EvDrift${user}${Date.now()}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home', event_ts: '1.1' },
        authorizations: [
          { team_id: 'T0SANDBOX', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false },
        ],
      });
      await postSlack(stack.url, body, { contentType: 'application/json' });
      await stack.drain();
      const views = (await slackMessages(stack.url)).filter((m) => m.kind === 'views.publish');
      return JSON.stringify(views.at(-1)?.view);
    };
    expect(await home('U0ADMIN')).toContain('Provider contracts');
    expect(await home('U0MEMBER')).not.toContain('Provider contracts');
  });
});
