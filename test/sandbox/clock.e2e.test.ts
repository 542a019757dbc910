import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { Job, QueueMessage } from '../../src/jobs/model.js';
import { jobQueue } from '../../src/jobs/queue.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { startJob } from '../../src/jobs/service.js';
import { type LocalStack, parseAdvance, startLocalStack } from '../../src/sandbox/server.js';
import { tenantId } from '../../src/store/keys.js';
import { kindId, registerJobKind } from '../helpers/kinds.js';
import { command, sandboxFetch } from '../helpers/slack.js';

const T = tenantId('T0SANDBOX');
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, env: { LOG_LEVEL: 'ERROR' } });
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const clockOf = async () =>
  (await (await sandboxFetch(stack.url, '/_sandbox/clock')).json()) as {
    now: string;
    nowMs: number;
    aheadMs: number;
    due: Array<{ jobId: string; kind: string; dueAt: string }>;
    moved?: { periods: number };
  };

const moveClock = (body: unknown) =>
  sandboxFetch(stack.url, '/_sandbox/clock', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function startPartnerInvite(name: string): Promise<string> {
  const res = await command(stack.url, `invite partner "${name}"`);
  expect(res.status).toBe(200);
  await stack.drain();
  const id = /job `(j[0-9a-z]+)`/.exec(res.json.text ?? '')?.[1];
  expect(id).toBeDefined();
  return id as string;
}

describe('the simulated clock', () => {
  it('parses ISO 8601 durations and seconds, and refuses what has no fixed length or goes back', () => {
    expect(parseAdvance('{"advance":"PT1H"}')).toEqual({ ms: 3_600_000 });
    expect(parseAdvance('{"advance":"P7D"}')).toEqual({ ms: 7 * 86_400_000 });
    expect(parseAdvance('{"advance":"P1DT2H30M"}')).toEqual({ ms: 95_400_000 });
    expect(parseAdvance('{"advance":90}')).toEqual({ ms: 90_000 });
    expect(parseAdvance('{"advance":"P1M"}')).toHaveProperty('error');
    expect(parseAdvance('{"advance":"PT"}')).toHaveProperty('error');
    expect(parseAdvance('{"advance":-5}')).toHaveProperty('error');
    expect(parseAdvance('{"advance":"P400D"}')).toHaveProperty('error');
    expect(parseAdvance('not json')).toHaveProperty('error');
  });

  it('starts at the real time, and a bad move answers 400 and leaves it where it was', async () => {
    const before = await clockOf();
    expect(Math.abs(before.nowMs - Date.now() - before.aheadMs)).toBeLessThan(5_000);
    const res = await moveClock({ advance: 'one hour' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/ISO 8601/);
    expect((await clockOf()).aheadMs).toBe(before.aheadMs);
  });

  it('a Tick moves the clock one scheduler period and invokes the scheduler handler once', async () => {
    const before = await clockOf();
    const scheduler = stack.invocations.scheduler;
    const res = await sandboxFetch(stack.url, '/_sandbox/scheduler/tick', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ periods: 1 });
    const after = await clockOf();
    expect(after.aheadMs - before.aheadMs).toBe(60_000);
    expect(stack.invocations.scheduler).toBe(scheduler + 1);
  });

  it('a move of an hour runs what falls due on the way, in order, and lists what is due next', async () => {
    const jobId = await startPartnerInvite('Clock client');
    const due = (await clockOf()).due.find((d) => d.jobId === jobId);
    expect(due?.kind).toBe('invite.partner');

    const res = await moveClock({ advance: 'PT1H' });
    expect(res.status).toBe(200);
    const moved = (await res.json()) as { moved: { periods: number }; aheadMs: number };
    expect(moved.moved.periods).toBeGreaterThan(0);
    // Jumps over quiet stretches: far fewer periods than the 60 minutes moved.
    expect(moved.moved.periods).toBeLessThan(60);
    const job = await new JobRepository().get(T, jobId);
    // The sandbox moves a partner invitation on per tick and says so by webhook: done within the hour.
    expect(job?.state).toBe('succeeded');
  });

  it("lists a parked job at its next step's time, not at the due index's later recovery time", async () => {
    // A template watch polls every 10 minutes: a wait short enough to be parked (runAt), with the
    // due index holding only a recovery time an hour or more later.
    const res = await command(stack.url, 'template watch 11111111-1111-4111-8111-000000000003');
    await stack.drain();
    const jobId = /job `(j[0-9a-z]+)`/.exec(res.json.text ?? '')?.[1] as string;
    const job = await new JobRepository().get(T, jobId);
    expect(job?.state).toBe('waiting');
    expect(job?.indexAt).toBeGreaterThan((job?.dueAt as number) + 30 * 60_000);
    const { due, nowMs } = await clockOf();
    const listed = due.find((d) => d.jobId === jobId);
    expect(Date.parse(listed?.dueAt ?? '')).toBe(job?.dueAt);
    expect(Date.parse(listed?.dueAt ?? '')).toBeLessThanOrEqual(nowMs + 10 * 60_000);
  });

  it('an hourly poll is parked: a +1 day move stops at each of its 15-minute hops, and each poll runs at its time', async () => {
    const HOUR = 60 * 60_000;
    const ran: Array<{ at: number; due: number }> = [];
    registerJobKind(
      'test.hourly',
      async () =>
        ({
          kind: 'test.hourly',
          payload: z.object({}),
          async step(job: Job, io: { now: number }) {
            ran.push({ at: io.now, due: job.dueAt as number });
            return { type: 'wait', until: io.now + HOUR };
          },
        }) as never,
    );
    const job = await startJob(
      { tenant: T, userId: 'U0CLOCK', channelId: 'C0CLOCK', responseUrl: undefined },
      { kind: kindId('test.hourly'), subject: 'hourly', payload: {} },
    );
    await stack.drain();
    expect(ran).toHaveLength(1);
    const sends: number[] = [];
    const queue = jobQueue(); // the local SQS the stack installed
    const send = queue.send.bind(queue);
    vi.spyOn(queue, 'send').mockImplementation(async (messages: QueueMessage[]) => {
      for (const m of messages) if (m.jobId === job.id) sends.push(stack.clock.now());
      return send(messages);
    });
    const started = Date.now();
    const res = await moveClock({ advance: 'P1D' });
    expect(res.status).toBe(200);
    const { moved } = (await res.json()) as { moved: { periods: number } };
    const polls = ran.slice(1);
    // A day of hourly polls, each at its time (never early, within the second the delay rounds to).
    expect(polls.length).toBeGreaterThanOrEqual(23);
    for (const p of polls) {
      expect(p.at).toBeGreaterThanOrEqual(p.due);
      expect(p.at - p.due).toBeLessThan(5_000);
    }
    // Each poll's message was sent and sent on 3 times (0, 15, 30, 45 min), the clock stopping at each.
    expect(sends.length).toBeGreaterThanOrEqual(4 * polls.length);
    expect(moved.periods).toBeGreaterThanOrEqual(4 * polls.length);
    console.log(
      JSON.stringify({
        hourlyPollDay: {
          polls: polls.length,
          sends: sends.length,
          periods: moved.periods,
          wallMs: Date.now() - started,
        },
      }),
    );
    expect((await new JobRepository().get(T, job.id))?.state).toBe('waiting');
  });
});

describe('the local stack runs the deployed handlers', () => {
  it('a worker failure is reported as a batch item failure and SQS redelivers the record after its visibility timeout', async () => {
    const failed = stack.queue.stats.failed;
    const redelivered = stack.queue.stats.redelivered;
    // The worker's write of a step's outcome fails once (DynamoDB throttling, say): the record fails.
    const finish = vi.spyOn(JobRepository.prototype, 'finishStep');
    finish.mockRejectedValueOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const jobId = await startPartnerInvite('Redelivered client');
    expect(finish).toHaveBeenCalledTimes(1);
    expect(stack.queue.stats.failed).toBe(failed + 1);

    // Still invisible one period later (VisibilityTimeout 180 s)...
    await stack.tick();
    expect(stack.queue.stats.redelivered).toBe(redelivered);
    // ...and delivered again, with ApproximateReceiveCount 2, once it has passed.
    await stack.advance(3 * 60_000);
    expect(stack.queue.stats.redelivered).toBe(redelivered + 1);
    expect(stack.queue.stats.maxReceiveCount).toBeGreaterThanOrEqual(2);
    expect(stack.queue.deadLetters).toHaveLength(0);

    // The job was never lost: its lease ran out and the scheduler handed it out again.
    await stack.advance(60 * 60_000);
    expect((await new JobRepository().get(T, jobId))?.state).toBe('succeeded');
  });
});
