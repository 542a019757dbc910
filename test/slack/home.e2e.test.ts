import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startJob } from '../../src/jobs/service.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { tenantId } from '../../src/store/keys.js';
import { templateLookupKind } from '../../src/templates/kinds.js';
import { kindId, registerJobKind } from '../helpers/kinds.js';
import {
  command,
  interaction,
  issueTriggerId,
  postSlack,
  sandboxFetch,
  slackMessages,
} from '../helpers/slack.js';

/**
 * App Home through the local stack: the tab as the app publishes it on app_home_opened, and
 * clicks on it as Slack sends them (block_actions from a `home` view: no response_url).
 */
let stack: LocalStack;

registerJobKind(
  'test.home',
  async () =>
    ({
      kind: 'test.home',
      payload: z.object({ label: z.string() }),
      async step(_job: unknown, io: { now: number }) {
        return { type: 'wait', until: io.now + 3_600_000, progress: { text: 'waiting' } };
      },
    }) as never,
);

beforeAll(async () => {
  stack = await startLocalStack({ port: 0 });
});
afterAll(async () => {
  await stack.close();
});

const T = tenantId('T0SANDBOX');
const job = (userId: string, subject: string) =>
  startJob(
    { tenant: T, userId, channelId: 'C0SANDBOX', responseUrl: undefined },
    { kind: kindId('test.home'), subject, payload: { label: subject } },
  );

type HomeView = { id: string; private_metadata?: string; blocks: unknown[]; hash?: string };

async function openHome(user: string): Promise<HomeView> {
  const event = await (
    await sandboxFetch(stack.url, '/_sandbox/slack/home-opened', {
      method: 'POST',
      body: JSON.stringify({ user }),
    })
  ).json();
  const res = await postSlack(stack.url, JSON.stringify(event), { contentType: 'application/json' });
  expect(res.status).toBe(200);
  return lastHome(user);
}

async function lastHome(user: string): Promise<HomeView> {
  const published = (await slackMessages(stack.url)).filter(
    (m) => m.kind === 'views.publish' && m.user === user,
  );
  return published.at(-1)?.view as HomeView;
}

/** A click on a button of the person's Home tab, as Slack sends it. */
function clickOnHome(user: string, view: HomeView, actionId: string, value: string) {
  return interaction(stack.url, {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
    trigger_id: issueTriggerId(),
    container: { type: 'view', view_id: view.id },
    view: { ...view, type: 'home', team_id: 'T0SANDBOX', state: { values: {} } },
    actions: [
      { type: 'button', action_id: actionId, block_id: 'b', value, action_ts: `${Date.now() / 1000}` },
    ],
  });
}

const text = (v: HomeView) => JSON.stringify(v.blocks);

describe('App Home', () => {
  it("lists the person's own jobs first, without the app's helper jobs, each linking to its card", async () => {
    const mine = await job('U0MEMBER', 'Member own job');
    const theirs = await job('U0ADMIN', 'Admin job');
    const helper = await startJob(
      { tenant: T, userId: 'U0MEMBER', channelId: 'C0SANDBOX', responseUrl: undefined },
      { kind: templateLookupKind, subject: 'Send form lookup', payload: { op: 'form', viewId: 'V0NOPE' } },
    );
    await stack.drain();

    const home = await openHome('U0MEMBER');
    expect(text(home)).toContain(mine.id);
    expect(text(home)).not.toContain(theirs.id);
    expect(text(home)).not.toContain(helper.id);
    // The card's address as Slack gives it (chat.getPermalink), though the event has no domain.
    expect(text(home)).toMatch(/<https:\/\/sandbox\.slack\.com\/archives\/C0SANDBOX\/p\d+\|card and thread>/);

    // The switch shows everyone's, and the tab remembers it on the next open.
    expect((await clickOnHome('U0MEMBER', home, 'home:scope:all', 'all')).status).toBe(200);
    const all = await lastHome('U0MEMBER');
    expect(text(all)).toContain(theirs.id);
    expect(text(all)).toContain(mine.id);
    expect(text(all)).not.toContain(helper.id);
    // Nor in /wa jobs --all.
    const listed = await command(stack.url, 'jobs --all', { user_id: 'U0MEMBER' });
    expect(listed.json.text).toContain(mine.id);
    expect(listed.json.text).not.toContain(helper.id);
    expect(text(await openHome('U0MEMBER'))).toContain(theirs.id);
    await clickOnHome('U0MEMBER', await lastHome('U0MEMBER'), 'home:scope:mine', 'mine');
    expect(text(await lastHome('U0MEMBER'))).not.toContain(theirs.id);
  });

  it('answers a refused Cancel on the tab itself, and an admin’s cancel republishes the list', async () => {
    const target = await job('U0ADMIN', 'Admin owns this');
    await stack.drain();
    // The member switches to everyone's jobs and clicks Cancel on the admin's job.
    let home = await openHome('U0MEMBER');
    await clickOnHome('U0MEMBER', home, 'home:scope:all', 'all');
    home = await lastHome('U0MEMBER');
    const before = (await slackMessages(stack.url)).length;
    expect((await clickOnHome('U0MEMBER', home, 'jobs:cancel', target.id)).status).toBe(200);
    const refused = await lastHome('U0MEMBER');
    expect(JSON.stringify(refused.blocks[0])).toMatch(/Only <@U0ADMIN>/);
    expect(text(refused)).toContain('jobs:cancel');
    // Nothing went anywhere else: no response_url post, no ephemeral message.
    const after = (await slackMessages(stack.url)).slice(before);
    expect(after.filter((m) => m.kind === 'response_url' || m.kind === 'chat.postEphemeral')).toEqual([]);

    // The admin cancels from their own Home: the notice says so and the job shows as cancelled.
    const adminHome = await openHome('U0ADMIN');
    expect(text(adminHome)).toContain(target.id);
    await clickOnHome('U0ADMIN', adminHome, 'jobs:cancel', target.id);
    const done = await lastHome('U0ADMIN');
    expect(JSON.stringify(done.blocks[0])).toMatch(/Cancelled/);
    const line = JSON.stringify(done.blocks.slice(1).find((b) => JSON.stringify(b).includes(target.id)));
    expect(line).toContain('cancelled');
    expect(line).not.toContain('jobs:cancel');
  });
});
