import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock } from '../../src/clock.js';
import { LEASE_MS, type QueueMessage } from '../../src/jobs/model.js';
import { setJobQueue } from '../../src/jobs/queue.js';
import { runMessage } from '../../src/jobs/runner.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { CaptureQueue, KilledAfterEffect } from '../helpers/crash.js';
import { jobIdIn, run, sandboxState, startStack, threadOf } from '../invites/helpers.js';

// Issue 26: under kill -9 a flow left orphan CM.com Sign draft dossiers. CM.com Sign documents no
// way to find a dossier (no list, no search by reference: shared/provider-docs/references/cm-sign.md,
// T1's 17 operations), so a create whose answer was lost cannot be reconciled. What the job does:
// every draft carries a key we choose (the invitee reference = the job id), and a lost create is
// said in the thread. The worker here is killed after CM created the draft, before the job kept it.

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('a dossier create whose answer was lost', () => {
  it('is said in the thread, and every draft carries the job id as its invitee reference; one invite goes out', async () => {
    const capture = new CaptureQueue();
    setJobQueue(capture);
    let jobId: string;
    try {
      const reply = await run(
        stack,
        'invite sign "Lou Lost" lou@example.com +31612345671 --template 06c2e210-54a8-417f-adf2-fc767c31c929 --dossier "Lost answer"',
      );
      jobId = jobIdIn(reply.text);
      const message = capture.sent.find((m) => m.jobId === jobId) as QueueMessage;
      const repo = new KilledAfterEffect('dossier');
      void runMessage(message, { repo, now: clock.now, random: () => 0.5 });
      for (let i = 0; i < 100 && !repo.killed; i++) await new Promise((r) => setTimeout(r, 20));
      expect(repo.killed).toBe(true);
    } finally {
      setJobQueue(stack.queue as never);
    }
    stack.clock.advance(LEASE_MS + 60_000);
    await stack.tick();

    const drafts = (await sandboxState(stack))['cm-sign'].dossiers.filter((d) => d.name === 'Lost answer');
    expect(drafts).toHaveLength(2);
    for (const d of drafts) expect(d.invitees[0]?.reference).toBe(jobId);
    expect(drafts.flatMap((d) => d.invites)).toHaveLength(1);
    const t = await threadOf(stack, jobId);
    expect(t.posts.join('\n')).toMatch(
      new RegExp(
        `CM.com Sign may also hold an unused draft “Lost answer” \\(invitee reference \`${jobId}\`;`,
      ),
    );
  });
});
