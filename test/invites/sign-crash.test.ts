import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock } from '../../src/clock.js';
import { type Job, LEASE_MS, type QueueMessage, type StepOutcome } from '../../src/jobs/model.js';
import { setJobQueue } from '../../src/jobs/queue.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { runMessage } from '../../src/jobs/runner.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { CaptureQueue } from '../helpers/crash.js';
import { jobIdIn, run, sandboxState, startStack, threadOf } from './helpers.js';

/** A worker killed (-9) after its provider calls returned but before the step's end was written. */
class KilledBeforeTheEnd extends JobRepository {
  override async finishStep(
    _job: Job,
    _lease: string,
    _result: StepOutcome,
    _now: number,
    _n: number,
  ): Promise<Job> {
    throw new Error('killed -9');
  }
}

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('a crash after the dossier was created (issue 14 item 12)', () => {
  it('given a worker killed after creating the dossier and sending the invite, when the job runs again, then no second draft and no second invite', async () => {
    const capture = new CaptureQueue();
    setJobQueue(capture);
    let jobId: string;
    try {
      const reply = await run(
        stack,
        'invite sign "Kai Crash" kai@example.com +31612345670 --template 06c2e210-54a8-417f-adf2-fc767c31c929 --dossier "Crash dossier"',
      );
      jobId = jobIdIn(reply.text);
      const message = capture.sent.find((m) => m.jobId === jobId) as QueueMessage;
      await expect(
        runMessage(message, { repo: new KilledBeforeTheEnd(), now: clock.now, random: () => 0.5 }),
      ).rejects.toThrow('killed -9');
    } finally {
      setJobQueue(stack.queue as never);
    }
    const crashed = (await sandboxState(stack))['cm-sign'].dossiers.filter((d) => d.name === 'Crash dossier');
    expect(crashed).toHaveLength(1);
    expect(crashed[0]?.invites).toHaveLength(1);

    // The lease runs out; the scheduler hands the job to a worker again.
    stack.clock.advance(LEASE_MS + 60_000);
    await stack.tick();
    const dossiers = (await sandboxState(stack))['cm-sign'].dossiers.filter(
      (d) => d.name === 'Crash dossier',
    );
    expect(dossiers).toHaveLength(1);
    expect(dossiers[0]?.invites).toHaveLength(1);
    const t = await threadOf(stack, jobId);
    expect(t.job.data.dossierId).toBe(dossiers[0]?.id);
  });
});
