import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock } from '../../src/clock.js';
import type { QueueMessage } from '../../src/jobs/model.js';
import { type JobQueue, setJobQueue } from '../../src/jobs/queue.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { runMessage } from '../../src/jobs/runner.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { command } from '../helpers/slack.js';
import { clickButton, job, jobIdIn, run, sandboxState, startStack, T, threadOf } from '../invites/helpers.js';

// Issue 26: Cancel means the partner link stops working, whichever door is used (the job's
// Cancel button, `/wa invite cancel`, both at once), and the thread says what Zavu did.

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

async function started(name: string) {
  const answer = await run(stack, `invite partner "${name}"`);
  const id = jobIdIn(answer.text);
  const invitationId = (await job(id)).data.invitationId as string;
  expect(invitationId).toBeTruthy();
  return { id, invitationId };
}

const zavuStatus = async (invitationId: string) =>
  (await sandboxState(stack)).zavu.invitations.find((i) => i.id === invitationId)?.status;

describe('cancelling a partner invitation', () => {
  it("the job's Cancel button cancels the link at Zavu, and the thread says what Zavu did", async () => {
    const { id, invitationId } = await started('Cancel Button Co');
    const click = await clickButton(stack, 'jobs:cancel', id);
    expect(click.status).toBe(200);
    await stack.drain();
    expect(await zavuStatus(invitationId)).toBe('cancelled');
    const t = await threadOf(stack, id);
    expect(t.job.state).toBe('cancelled');
    expect(t.posts.join('\n')).toContain(`Zavu cancelled \`${invitationId}\`, and the link no longer works`);
    // Afterwards the command has nothing left to do, and says so truthfully.
    expect((await run(stack, `invite cancel ${id}`)).text).toMatch(
      /Nothing to cancel: that invitation is already cancelled/,
    );
  });

  it('`/wa invite cancel` on a job that no longer follows a live link cancels it at Zavu', async () => {
    const { id, invitationId } = await started('Stopped Follow Co');
    // The job stopped following the invitation (as the job list's Cancel did before, or a job
    // that failed after its retries) while Zavu still accepts the link.
    expect(await new JobRepository().cancel(T, id, 'stopped', stack.clock.now())).toBe(true);
    expect(await zavuStatus(invitationId)).toBe('pending');
    const answer = await run(stack, `invite cancel ${id}`);
    expect(answer.text).toMatch(/Cancelling the partner invitation for \*Stopped Follow Co\*/);
    expect(answer.text).not.toMatch(/Nothing to cancel/);
    expect(await zavuStatus(invitationId)).toBe('cancelled');
    // Said in the invitation's own thread (the successor keeps the same card), link never shown again.
    const successor = jobIdIn(answer.text);
    expect(successor).not.toBe(id);
    const t = await threadOf(stack, successor);
    expect(t.job.report.progressTs).toBe((await job(id)).report.progressTs);
    expect(t.posts.join('\n')).toContain(`Zavu cancelled \`${invitationId}\``);
    const links = t.all.filter((m) => /Partner invitation link for \*Stopped Follow Co\*/.test(m.text ?? ''));
    expect(links).toHaveLength(1);
  });

  it('the button and the command at once: both say Cancelling, and Zavu cancels the link', async () => {
    const { id, invitationId } = await started('Both Doors Co');
    const [byButton, byCommand] = await Promise.all([
      clickButton(stack, 'jobs:cancel', id),
      command(stack.url, `invite cancel ${id}`),
    ]);
    expect(byButton.status).toBe(200);
    expect(byCommand.json.text).toMatch(/Cancelling/);
    await stack.drain();
    expect(await zavuStatus(invitationId)).toBe('cancelled');
    expect((await job(id)).state).toBe('cancelled');
  });

  it('Cancel before anything was asked of Zavu (a run that reads the job, as a retry does): nothing is created, the job ends cancelled', async () => {
    const sent: QueueMessage[] = [];
    const capture: JobQueue = { send: async (m) => void sent.push(...m) };
    setJobQueue(capture);
    let id: string;
    try {
      const answer = await command(stack.url, 'invite partner "Too Soon Co"');
      id = jobIdIn(answer.json.text);
      // The job is written and leased to its first run, which has not begun: the click joins its inbox.
      expect((await clickButton(stack, 'jobs:cancel', id)).status).toBe(200);
    } finally {
      setJobQueue(stack.queue as never);
    }
    // Run as a run that reads the job (a retry, or a claim by the scheduler); a first run carries
    // its job in the message and sees the click one step later, after the create, and cancels it.
    const first = sent.find((m) => m.jobId === id) as QueueMessage;
    await runMessage(
      { ...first, job: undefined },
      { repo: new JobRepository(), now: clock.now, random: () => 0.5 },
    );
    await stack.drain();
    expect(
      (await sandboxState(stack)).zavu.invitations.filter((i) => i.clientName === 'Too Soon Co'),
    ).toHaveLength(0);
    const j = await job(id);
    expect(j.state).toBe('cancelled');
    expect(j.lastError).toMatch(/before an invitation was created; Zavu was not called/);
  });
});
