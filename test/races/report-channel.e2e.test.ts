import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { interaction, issueTriggerId } from '../helpers/slack.js';
import { sandboxState, startStack } from '../invites/helpers.js';

// Issue 26: the report channel a form carries in its private_metadata comes back from the client
// and is checked as the message shortcut checks its own: a conversation id or the person's own
// id (their DM), anything else refused with nothing started.

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

function submit(metadata: Record<string, unknown>, clientName: string, user = 'U0ADMIN') {
  return interaction(stack.url, {
    type: 'view_submission',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
    trigger_id: issueTriggerId(),
    view: {
      id: 'VCHANNEL01',
      type: 'modal',
      callback_id: 'form:submit',
      private_metadata: JSON.stringify({ p: 'invite partner', ...metadata }),
      state: { values: { clientName: { clientName: { type: 'plain_text_input', value: clientName } } } },
      hash: '1.abc',
    },
  });
}

const invitationsFor = async (name: string) =>
  (await sandboxState(stack)).zavu.invitations.filter((i) => i.clientName === name);

describe("a form's report channel", () => {
  it.each([
    ['a channel name', '#general'],
    ['markup', '<#C0SANDBOX>'],
    ['a lower-case id', 'c0sandbox'],
    ["another person's id", 'U0MEMBER'],
    ['a number', 12345],
  ])('naming %s is refused beside the first field, and nothing is started', async (_what, c) => {
    const name = `Channel Check ${String(c).replace(/\W/g, '')}`;
    const res = await submit({ c }, name);
    expect(res.json.response_action).toBe('errors');
    expect(res.json.errors?.clientName).toBe('This form is out of date; open it again.');
    await stack.drain();
    expect(await invitationsFor(name)).toHaveLength(0);
  });

  it.each([
    ['a channel id', { c: 'C0SANDBOX' }],
    ['the person’s own id (their DM)', { c: 'U0ADMIN' }],
    ['no channel (a form opened from App Home)', {}],
  ])('naming %s starts the job', async (what, meta) => {
    const name = `Channel Ok ${what.replace(/\W/g, '')}`;
    const res = await submit(meta, name);
    expect(res.json.response_action).toBe('update');
    await stack.drain();
    expect(await invitationsFor(name)).toHaveLength(1);
  });
});
