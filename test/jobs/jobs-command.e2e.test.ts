import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startJob } from '../../src/jobs/service.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { tenantId } from '../../src/store/keys.js';
import { kindId, registerJobKind } from '../helpers/kinds.js';
import { clickButton, command, slackMessages } from '../helpers/slack.js';

let stack: LocalStack;

registerJobKind(
  'test.progress',
  async () =>
    ({
      kind: 'test.progress',
      payload: z.object({ label: z.string() }),
      async step(job: { payload: { label: string }; data: { polls?: number } }, io: { now: number }) {
        const polls = (job.data.polls ?? 0) + 1;
        const text = `:hourglass_flowing_sand: ${job.payload.label}: poll ${polls}`;
        return polls >= 3
          ? {
              type: 'done',
              data: { polls },
              progress: { text: `:white_check_mark: ${job.payload.label}: done` },
            }
          : // App time (io.now), not Date.now(): the stack's clock runs ahead once a test ticks it.
            { type: 'wait', until: io.now + 300, data: { polls }, progress: { text } };
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
const where = { tenant: T, userId: 'U0MEMBER', channelId: 'C0SANDBOX', responseUrl: undefined };

describe('/wa jobs and job progress in Slack', () => {
  it('given a running job, /wa jobs lists it; progress is one message kept current with chat.update', async () => {
    const job = await startJob(where, {
      kind: kindId('test.progress'),
      subject: 'Demo job',
      payload: { label: 'demo' },
    });
    await stack.drain();
    const listed = await command(stack.url, 'jobs');
    expect(listed.json.text).toContain(job.id);
    expect(JSON.stringify(listed.json.blocks)).toContain('jobs:cancel');

    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 310));
      await stack.tick();
    }
    const messages = (await slackMessages(stack.url)).filter((m) => String(m.text).includes('demo'));
    const posts = messages.filter((m) => m.kind === 'chat.postMessage');
    const updates = messages.filter((m) => m.kind === 'chat.update');
    expect(posts).toHaveLength(1);
    expect(updates.length).toBe(2);
    expect(updates.every((u) => u.ts === posts[0]?.ts)).toBe(true);
    expect(updates.at(-1)?.text).toContain('done');

    expect((await command(stack.url, 'jobs')).json.text).not.toContain(job.id);
    const all = await command(stack.url, 'jobs --all');
    expect(all.json.text).toContain(`${job.id} test.progress succeeded`);
    // Only the asker sees the list, and each job with a card links to it (Slack's permalink form).
    expect(all.json.response_type).toBe('ephemeral');
    const line = JSON.stringify(all.json.blocks?.find((b) => JSON.stringify(b).includes(job.id)));
    expect(line).toContain(
      `<https://sandbox.slack.com/archives/C0SANDBOX/p${String(posts[0]?.ts).replace('.', '')}|card and thread>`,
    );
  });

  it('given a waiting job, its requester cancels it with the button; another member cannot', async () => {
    const job = await startJob(where, {
      kind: kindId('test.progress'),
      subject: 'Cancel me',
      payload: { label: 'c' },
    });
    await stack.drain();
    const click = (user: string) =>
      clickButton(stack.url, 'jobs:cancel', job.id, { user, responseUrlId: `cancel-${user}` });
    expect((await click('U0OTHER')).status).toBe(200);
    const refused = (await slackMessages(stack.url)).filter((m) => m.responseUrlId === 'cancel-U0OTHER');
    expect(refused.at(-1)?.text).toMatch(/Only <@U0MEMBER>/);
    expect((await click('U0MEMBER')).status).toBe(200);
    const done = (await slackMessages(stack.url)).filter((m) => m.responseUrlId === 'cancel-U0MEMBER');
    expect(done.at(-1)?.text).toMatch(/Cancelled/);
    expect((await command(stack.url, 'jobs --all')).json.text).toContain(`${job.id} test.progress cancelled`);
  });
});
