import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { startStack } from '../deployments/support.js';
import { clickButton, command, interaction, slackMessages } from '../helpers/slack.js';

/** The launcher covers the admin actions too: a person picker for the allowlist, selects for restrictions. */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const lastOpened = async () => (await slackMessages(stack.url)).filter((m) => m.kind === 'views.open').at(-1);

describe('admin actions from the launcher', () => {
  it('the add-an-admin form picks a person, and its submission adds them as the command does', async () => {
    await clickButton(stack.url, 'form:open:admins-add', 'admins add');
    const opened = await lastOpened();
    const text = JSON.stringify(opened?.view);
    expect(text).toContain('"type":"users_select"');
    const res = await interaction(stack.url, {
      type: 'view_submission',
      user: { id: 'U0ADMIN', username: 'u0admin', name: 'u0admin', team_id: 'T0SANDBOX' },
      trigger_id: `${Date.now()}.9.abc`,
      view: {
        id: 'VADDADMIN',
        type: 'modal',
        callback_id: 'form:submit',
        private_metadata: JSON.stringify({ p: 'admins add', c: 'C0SANDBOX' }),
        state: { values: { user: { user: { type: 'users_select', selected_user: 'U0MEMBER' } } } },
        hash: '1.abc',
      },
    });
    expect(res.json.response_action).toBe('update');
    const list = await command(stack.url, 'admins list');
    expect(list.json.text).toContain('<@U0MEMBER>');
  });

  it('a member is not offered the admin actions', async () => {
    await clickButton(stack.url, 'form:launcher', '', { user: 'U0OTHER' });
    const opened = await lastOpened();
    expect((opened?.view as { callback_id?: string } | undefined)?.callback_id).toBe('form:launcher');
    const view = JSON.stringify(opened?.view);
    expect(view).toContain('Look up a client');
    expect(view).not.toContain('Add an admin');
  });
});
