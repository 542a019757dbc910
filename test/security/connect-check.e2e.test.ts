import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCredentialMeta } from '../../src/providers/credentials.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import { scriptFaults } from '../../src/sandbox/providers/cm-channels.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { tenantId } from '../../src/store/keys.js';
import { command, interaction, issueTriggerId, sandboxFetch, slackMessages } from '../helpers/slack.js';

/**
 * `/wa connect` checks what it saves: one read-only call per provider, by a job (the ack never
 * waits on a provider), its answer shown in the modal that saved them and kept beside them.
 * Through the local stack: signed view_submissions, the provider sandboxes over HTTP.
 */
const T = tenantId('T0SANDBOX');
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, env: { LOG_LEVEL: 'ERROR' } });
});
afterAll(async () => {
  await stack?.close();
});

let n = 0;
/** The connect form of a provider submitted as Slack sends it; the modal's id is returned. */
async function save(provider: string, values: Record<string, string>) {
  n += 1;
  const id = `VCHECK${n}`;
  const res = await interaction(stack.url, {
    type: 'view_submission',
    user: { id: 'U0ADMIN', username: 'ada.admin', name: 'ada.admin', team_id: 'T0SANDBOX' },
    trigger_id: issueTriggerId(),
    view: {
      id,
      type: 'modal',
      callback_id: 'connect:form',
      private_metadata: JSON.stringify({ provider }),
      hash: '1.h',
      state: {
        values: Object.fromEntries(
          Object.entries(values).map(([k, v]) => [
            `f_${k}`,
            { value: { type: 'plain_text_input', value: v } },
          ]),
        ),
      },
    },
  });
  expect(res.status).toBe(200);
  return { id, ack: JSON.stringify(res.json) };
}

/** The modal as the check job left it. */
async function checked(viewId: string) {
  await stack.drain();
  const update = (await slackMessages(stack.url))
    .filter((m) => m.kind === 'views.update' && m.view_id === viewId)
    .at(-1);
  return JSON.stringify(update?.blocks ?? []);
}

const requests = async () =>
  (
    (await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as {
      'cm-channels': { stats: { byRoute: Record<string, number> } };
    }
  )['cm-channels'].stats.byRoute;

describe('/wa connect checks the credentials it saves', () => {
  it('before anything is saved, the local stack says its sandbox credentials are in use', async () => {
    const res = await command(stack.url, 'connect');
    expect(res.status).toBe(200);
    const home = (await slackMessages(stack.url)).filter((m) => m.kind === 'views.open').at(-1);
    const text = JSON.stringify(home?.blocks);
    expect(text).toContain('sandbox credentials in use');
    expect(text).not.toContain('not set');
  });

  it('accepted credentials: the ack says it is checking, the modal then says accepted', async () => {
    const before = await requests();
    const { id, ack } = await save('cm-channels', SANDBOX_CREDENTIALS['cm-channels']);
    expect(ack).toContain('Checking them with CM.com Channels');
    const view = await checked(id);
    expect(view).toContain('accepted by CM.com Channels');
    // One call, the template list (read-only).
    const after = await requests();
    const calls = Object.entries(after).filter(([k, v]) => v !== (before[k] ?? 0));
    expect(calls).toEqual([
      [expect.stringMatching(/^GET .*templates/), (before[calls[0]?.[0] ?? ''] ?? 0) + 1],
    ]);
    const meta = (await listCredentialMeta(T)).find((m) => m.provider === 'cm-channels');
    expect(meta?.check).toEqual({ status: 'valid' });
  });

  it('refused credentials are shown as refused, in the provider’s words, and never as valid', async () => {
    const { id } = await save('cm-channels', {
      ...SANDBOX_CREDENTIALS['cm-channels'],
      productToken: 'not-the-right-token',
    });
    const view = await checked(id);
    expect(view).toContain('refused by CM.com Channels');
    expect(view).toContain('invalid or missing X-CM-PRODUCTTOKEN');
    expect(view).toContain(':red_circle:');
    expect(view).not.toContain('not-the-right-token');
    const meta = (await listCredentialMeta(T)).find((m) => m.provider === 'cm-channels');
    expect(meta?.check?.status).toBe('refused');
  });

  it('a provider that does not answer is reported unreachable', async () => {
    scriptFaults('cm-channels', ['500', '500', '500']);
    const { id } = await save('cm-channels', SANDBOX_CREDENTIALS['cm-channels']);
    const view = await checked(id);
    expect(view).toContain('CM.com Channels could not be reached to check them');
    expect((await listCredentialMeta(T)).find((m) => m.provider === 'cm-channels')?.check?.status).toBe(
      'unreachable',
    );
  });

  it.each([
    [
      'cm-sign',
      { keyId: 'wrong-key-id', secret: 'wrong-secret-0123456789abcdef' },
      /refused by CM\.com Sign/,
    ],
    ['cm-sign', SANDBOX_CREDENTIALS['cm-sign'], /accepted by CM\.com Sign/],
    ['zavu', { apiKey: 'zv_wrong_api_key' }, /refused by Zavu/],
    ['zavu', { apiKey: SANDBOX_CREDENTIALS.zavu.apiKey }, /accepted by Zavu/],
    ['vonage', SANDBOX_CREDENTIALS.vonage, /accepted by Vonage/],
    [
      'vonage',
      {
        applicationId: '5a4d1b3c-0e6f-4a7b-9c8d-000000000001',
        privateKey: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----',
      },
      /refused by Vonage\*: the private key could not be read/,
    ],
    ['commbox', SANDBOX_CREDENTIALS.commbox, /not checked: CommBox documents no read-only call/],
    ['meta-cloud', SANDBOX_CREDENTIALS['meta-cloud'], /accepted by Meta \(WhatsApp Cloud API\)/],
    [
      'meta-cloud',
      { ...SANDBOX_CREDENTIALS['meta-cloud'], accessToken: 'EAAwrongtokenwrongtoken0123' },
      /refused by Meta \(WhatsApp Cloud API\)/,
    ],
    ['meta', SANDBOX_CREDENTIALS.meta, /not checked: these are never sent to Meta/],
  ] as const)('%s, case %#: checked with the provider', async (provider, values, expected) => {
    const { id } = await save(provider, values as Record<string, string>);
    expect(await checked(id)).toMatch(expected);
  });
});
