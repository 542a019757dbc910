import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock } from '../../src/clock.js';
import { LEASE_MS, type QueueMessage } from '../../src/jobs/model.js';
import { setJobQueue } from '../../src/jobs/queue.js';
import { runMessage } from '../../src/jobs/runner.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { CaptureQueue, KilledAfterEffect } from '../helpers/crash.js';
import { slackMessages } from '../helpers/slack.js';
import { jobIdIn, run, sandboxState, startStack, threadOf } from '../invites/helpers.js';

// Issue 26: under kill -9 a partner link was posted twice to its requester. The worker is killed
// right after Slack took the link and before the job recorded it: the next run must not post the
// link (a credential) again; it tells the requester it may not have arrived instead.

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const linkPosts = async (name: string) =>
  (await slackMessages(stack.url)).filter((m) =>
    new RegExp(`Partner invitation link for \\*${name}\\*`).test(m.text ?? ''),
  );

describe('the partner link is posted once per invitation', () => {
  it('given a worker killed after posting the link, when the job runs again, the link is not posted again and the requester is told', async () => {
    const capture = new CaptureQueue();
    setJobQueue(capture);
    let jobId: string;
    try {
      const reply = await run(stack, 'invite partner "Link Once Co"');
      jobId = jobIdIn(reply.text);
      const message = capture.sent.find((m) => m.jobId === jobId) as QueueMessage;
      const repo = new KilledAfterEffect('link-shown');
      void runMessage(message, { repo, now: clock.now, random: () => 0.5 });
      for (let i = 0; i < 100 && !repo.killed; i++) await new Promise((r) => setTimeout(r, 20));
      expect(repo.killed).toBe(true);
    } finally {
      setJobQueue(stack.queue as never);
    }
    expect(await linkPosts('Link Once Co')).toHaveLength(1);

    // The lease runs out; the scheduler hands the job to a worker again.
    stack.clock.advance(LEASE_MS + 60_000);
    await stack.tick();
    expect(await linkPosts('Link Once Co')).toHaveLength(1);
    const notes = (await slackMessages(stack.url)).filter((m) =>
      /may not have reached you/.test(m.text ?? ''),
    );
    expect(notes).toHaveLength(1);
    expect(notes[0]?.text).not.toMatch(/https?:/);
    const t = await threadOf(stack, jobId);
    expect(t.job.effects['link-shown']?.status).toBe('done');
    expect(
      (await sandboxState(stack)).zavu.invitations.filter((i) => i.clientName === 'Link Once Co'),
    ).toHaveLength(1);
  });
});
