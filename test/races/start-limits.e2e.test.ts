import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { command, interaction, issueTriggerId } from '../helpers/slack.js';
import { jobIdIn, sandboxState, startStack } from '../invites/helpers.js';

// Issue 26: a per-person and per-workspace cap on what starts jobs, through every door, with
// concurrent signed requests to the local stack. Small limits here (3 a person, 5 the workspace
// per 10 minutes) so the test reaches them; the defaults are 30 and 300.

const WINDOW_MS = 10 * 60_000;
let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack({
    START_LIMIT_PER_PERSON: '3',
    START_LIMIT_PER_WORKSPACE: '5',
    START_LIMIT_WINDOW_MINUTES: '10',
  });
  // Start at the beginning of a window, so it cannot turn during the test.
  stack.clock.advance(WINDOW_MS - (stack.clock.now() % WINDOW_MS) + 1_000);
});
afterAll(async () => {
  await stack?.close();
});

const as = (user: string) => ({ user_id: user, user_name: user.toLowerCase() });
const invitations = async () => (await sandboxState(stack)).zavu.invitations;

function submitForm(path: string, fields: Record<string, string>, user: string) {
  const values: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(fields)) values[k] = { [k]: { type: 'plain_text_input', value: v } };
  return interaction(stack.url, {
    type: 'view_submission',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
    trigger_id: issueTriggerId(),
    view: {
      id: 'VLIMITFORM1',
      type: 'modal',
      callback_id: 'form:submit',
      private_metadata: JSON.stringify({ p: path, c: 'C0SANDBOX' }),
      state: { values },
      hash: '1.abc',
    },
  });
}

describe('start limits', () => {
  it('a member who sends six starts at once gets three, and is told when to try again; queries and cancels still work', async () => {
    const before = (await invitations()).length;
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        command(stack.url, `invite partner "Limit Member ${i}"`, as('U0MEMBER')),
      ),
    );
    await stack.drain();
    const started = answers.filter((a) => /On it/.test(a.json.text ?? ''));
    const refused = answers.filter((a) =>
      /You have started 3 jobs within 10 minutes/.test(a.json.text ?? ''),
    );
    expect(started).toHaveLength(3);
    expect(refused).toHaveLength(3);
    expect(refused[0]?.json.text).toMatch(
      /nothing was started\. Try again in 10 minutes \(after \d\d:\d\d UTC\)/,
    );
    expect((await invitations()).length).toBe(before + 3);

    // The form door refuses the same way, beside the form's field.
    const byForm = await submitForm('invite partner', { clientName: 'Limit Form Co' }, 'U0MEMBER');
    expect(byForm.json.response_action).toBe('errors');
    expect(Object.values(byForm.json.errors ?? {}).join(' ')).toMatch(/You have started 3 jobs/);

    // Queries and cancels are not counted.
    const list = await command(stack.url, 'template list', as('U0MEMBER'));
    expect(list.json.text).toMatch(/Looking it up/);
    const jobs = await command(stack.url, 'jobs', as('U0MEMBER'));
    expect(jobs.status).toBe(200);
    expect(jobs.json.text ?? JSON.stringify(jobs.json.blocks)).not.toMatch(/started 3 jobs/);
    const cancel = await command(
      stack.url,
      `invite cancel ${jobIdIn(started[0]?.json.text)}`,
      as('U0MEMBER'),
    );
    expect(cancel.json.text).toMatch(/Cancelling/);
    await stack.drain();
  });

  it('the workspace limit holds across people, and both lift when the window turns', async () => {
    // The member used 3 of the workspace's 5; the admin gets 2, then the workspace is full.
    const answers = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        command(stack.url, `invite partner "Limit Admin ${i}"`, as('U0ADMIN')),
      ),
    );
    await stack.drain();
    expect(answers.filter((a) => /On it/.test(a.json.text ?? ''))).toHaveLength(2);
    expect(
      answers.filter((a) => /This workspace has started 5 jobs within 10 minutes/.test(a.json.text ?? '')),
    ).toHaveLength(1);

    stack.clock.advance(WINDOW_MS);
    const later = await command(stack.url, 'invite partner "Limit Later Co"', as('U0MEMBER'));
    expect(later.json.text).toMatch(/On it/);
    await stack.drain();
  });
});
