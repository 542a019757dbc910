import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStoredCredentials } from '../../src/providers/credentials.js';
import { zavuWebhookStatus } from '../../src/providers/zavu/registration.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { webhookUrl } from '../../src/security/webhooks.js';
import { interaction, slackMessages } from '../helpers/slack.js';
import { control, jobIdIn, run, sandboxState, startStack, T, threadOf } from './helpers.js';

/**
 * /wa connect registers the workspace's webhook with Zavu (`POST /v1/invitations/webhook`,
 * events `invitation.status_changed`) when a Zavu API key is saved, stores the secret Zavu
 * returns (sealed), and says whether the webhook is registered.
 */

const ADMIN = 'U0ADMIN';
const PROJECT_KEY = 'zv_test_connect_project_key';
let stack: LocalStack;
let n = 0;

beforeAll(async () => {
  stack = await startStack();
  // Another Zavu project (its own API key, no webhook yet) that this workspace connects to.
  await control('zavu', 'projects', { apiKey: PROJECT_KEY });
});
afterAll(async () => {
  await stack?.close();
});

const user = { id: ADMIN, username: 'admin', name: 'admin', team_id: 'T0SANDBOX' };

function submitZavu(values: Record<string, string>) {
  return interaction(stack.url, {
    type: 'view_submission',
    user,
    trigger_id: `${++n}.1.connect`,
    view: {
      id: 'VCONNECT',
      team_id: 'T0SANDBOX',
      type: 'modal',
      callback_id: 'connect:form',
      private_metadata: JSON.stringify({ provider: 'zavu' }),
      hash: `h${n}`,
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

function clickRegister() {
  return interaction(stack.url, {
    type: 'block_actions',
    user,
    trigger_id: `${++n}.1.register`,
    container: { type: 'view', view_id: 'VCONNECT' },
    view: {
      id: 'VCONNECT',
      team_id: 'T0SANDBOX',
      type: 'modal',
      callback_id: 'connect:home',
      hash: `h${n}`,
      private_metadata: '',
      state: { values: {} },
    },
    actions: [
      { type: 'button', action_id: 'connect:register:zavu', block_id: 'zavu_webhook', action_ts: '1.1' },
    ],
  });
}

const project = async () =>
  (await sandboxState(stack)).zavu as unknown as {
    projects: Array<{ id: string; webhook: { url: string; events: string[]; active: boolean } | null }>;
  };

describe('/wa connect registers the Zavu webhook', () => {
  it('says so and stores nothing extra when Zavu refuses the key; the button tries again', async () => {
    const saved = await submitZavu({ apiKey: 'zv_unknown_project_key' });
    const text = JSON.stringify(saved.json);
    expect(text).toContain('Zavu credentials saved');
    expect(text).toContain('not registered with Zavu: Zavu refused the API key');
    expect(text).toContain('Zavu webhook:* not registered, so Zavu sends no updates here');
    expect(await getStoredCredentials(T, 'zavu')).toEqual({ apiKey: 'zv_unknown_project_key' });
    expect(await zavuWebhookStatus(T)).toBeUndefined();

    // The same key again through the home view's button: still refused, still said.
    expect((await clickRegister()).status).toBe(200);
    const updated = (await slackMessages(stack.url)).filter((m) => m.kind === 'views.update').at(-1);
    expect(JSON.stringify(updated)).toContain('Zavu refused the API key');
  });

  it("registers this workspace's URL with Zavu, stores the returned secret, and Zavu's signed events then move the job", async () => {
    const saved = await submitZavu({ apiKey: PROJECT_KEY });
    const text = JSON.stringify(saved.json);
    expect(text).toContain('The webhook is registered with Zavu and its signing secret is stored');
    expect(text).toContain('Zavu webhook:* registered with Zavu for `invitation.status_changed`');

    const url = await webhookUrl(T, 'zavu');
    const stored = await getStoredCredentials(T, 'zavu');
    expect(stored).toMatchObject({ apiKey: PROJECT_KEY });
    expect(await zavuWebhookStatus(T)).toMatchObject({ url });
    expect(stored?.webhookSecret).toMatch(/^whsec_[0-9a-f]{48}$/);
    const projects = (await project()).projects;
    expect(projects.find((p) => p.webhook?.url === url)).toMatchObject({
      webhook: { url, events: ['invitation.status_changed'], active: true },
    });

    // The secret is never shown back.
    expect(JSON.stringify(await slackMessages(stack.url))).not.toContain(stored?.webhookSecret);

    // An invitation made with this key is in that project; its events are signed with the
    // secret Zavu returned, and the app verifies them with the stored one.
    const jobId = jobIdIn((await run(stack, 'invite partner "Connected Co"')).text);
    await stack.tick();
    const t = await threadOf(stack, jobId);
    expect(t.posts).toEqual([expect.stringContaining('Connected Co opened the link')]);
    const deliveries = (await sandboxState(stack)).zavu.webhooks.deliveries as Array<{ status: number }>;
    expect(deliveries.at(-1)?.status).toBe(200);

    // Registering again keeps the secret (Zavu keeps an existing one).
    await clickRegister();
    expect((await getStoredCredentials(T, 'zavu'))?.webhookSecret).toBe(stored?.webhookSecret);
  });
});
