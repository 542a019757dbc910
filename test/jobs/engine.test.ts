import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../../src/http/errors.js';
import { capacity, meterCapacity, resetCapacity } from '../../src/jobs/capacity.js';
import { deliverEvent, deliverToJob } from '../../src/jobs/deliver.js';
import type { StepIO } from '../../src/jobs/kinds.js';
import type { Job, QueueMessage, StepResult } from '../../src/jobs/model.js';
import { delaySeconds, InProcessQueue, type JobQueue, setJobQueue } from '../../src/jobs/queue.js';
import { JobRepository, PARK_MAX_MS } from '../../src/jobs/repository.js';
import { runMessage } from '../../src/jobs/runner.js';
import { startJob } from '../../src/jobs/service.js';
import { dispatchPass } from '../../src/jobs/sweep.js';
import { tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';
import { kindId, registerJobKind } from '../helpers/kinds.js';

/** Captures messages instead of running them, so each test drives the worker by hand. */
class CapturingQueue implements JobQueue {
  sent: QueueMessage[] = [];
  async send(messages: QueueMessage[]) {
    this.sent.push(...messages);
  }
  take() {
    return this.sent.splice(0);
  }
}

const T1 = tenantId('T0ENGINE');
const ctx = { tenant: T1, userId: 'U1', channelId: 'C1', responseUrl: undefined };
const repo = new JobRepository();
const queue = new CapturingQueue();

let script: Array<(job: Job) => StepResult | Promise<StepResult>> = [];
let calls = 0;
let sideEffects = 0;

/**
 * A scripted job without side effects, its first step run at `now`: the job, and the message that
 * step queued (the parked step's, for a wait of 1 minute to 2 hours).
 */
async function startAndStep(subject: string, n: number, now: number) {
  const job = await startJob(ctx, {
    kind: kindId('test.scripted'),
    subject,
    payload: { n },
    data: { effect: false },
  });
  await runMessage(queue.take()[0] as QueueMessage, { repo, now: () => now, random: () => 0.5 });
  return { job, queued: queue.take()[0] as QueueMessage };
}

registerJobKind(
  'test.scripted',
  async () =>
    ({
      kind: 'test.scripted',
      payload: z.object({ n: z.number() }),
      async step(job: Job, io: StepIO) {
        calls += 1;
        if ((job.data as { effect?: boolean }).effect !== false) {
          await io.effect('create', async () => ++sideEffects);
        }
        const next = script.shift();
        if (!next) throw new Error('script ran out');
        return next(job);
      },
    }) as never,
);

let table: Awaited<ReturnType<typeof startTestTable>>;
beforeAll(async () => {
  table = await startTestTable({ SLACK_API_URL: 'http://127.0.0.1:9/', DUE_SHARDS: '4' });
  setJobQueue(queue);
});
afterAll(async () => {
  setJobQueue(undefined);
  await table.close();
});
beforeEach(() => {
  queue.take();
  script = [];
  calls = 0;
  sideEffects = 0;
});

/** A wait longer than any parked one: the due index and the scheduler's claim take it. */
const UNPARKED_MS = PARK_MAX_MS + 60 * 60_000;

/** Reporting to Slack is not under test here: a job whose steps report nothing posts nothing. */
const silentWait = (until: number): StepResult => ({ type: 'wait', until });

/** What one delivery of a message cost, and when it came. */
interface Delivery {
  at: number;
  /** Steps run in it. */
  steps: number;
  reads: number;
  writes: number;
  indexWcu: number;
}

/**
 * Delivers a parked step's message as SQS does: each send makes it invisible for its
 * DelaySeconds (whole seconds, ≤ 900) from the send, and the worker sends it on (the same
 * message) while it comes before its time. Runs until it is not sent on (it ran, or was
 * dropped). `before` runs before each delivery. Returns every delivery with what it cost, the
 * last delivery's result, and what else was sent.
 */
async function followParked(
  message: QueueMessage,
  sentAt: number,
  before?: (at: number) => Promise<void>,
): Promise<{ deliveries: Delivery[]; sends: number; result: Job | undefined; sent: QueueMessage[] }> {
  const deliveries: Delivery[] = [];
  let at = sentAt;
  let sends = 1;
  for (;;) {
    at += delaySeconds(message.runAt as number, at) * 1000;
    await before?.(at);
    const now = at;
    meterCapacity();
    resetCapacity();
    let result: Job | undefined;
    const stepsBefore = calls;
    try {
      result = await runMessage(message, { repo, now: () => now, random: () => 0.5 });
      deliveries.push({
        at,
        steps: calls - stepsBefore,
        reads: capacity.byOperation.GetItemCommand?.calls ?? 0,
        writes:
          (capacity.byOperation.UpdateItemCommand?.calls ?? 0) +
          (capacity.byOperation.PutItemCommand?.calls ?? 0),
        indexWcu: capacity.indexWcu,
      });
    } finally {
      meterCapacity(false);
    }
    const sent = queue.take();
    const again = sent.filter((m) => m.lease === message.lease && m.runAt === message.runAt);
    if (again.length === 0) return { deliveries, sends, result, sent };
    expect(again).toEqual([message]);
    sends += 1;
  }
}

describe('job engine', () => {
  it('given a started job, when its message runs, then the step runs once and the job waits for its next due time', async () => {
    script = [() => silentWait(Date.now() + 5 * 60_000)];
    const job = await startJob(ctx, { kind: kindId('test.scripted'), subject: 'demo', payload: { n: 1 } });
    const [message] = queue.take();
    expect(message?.jobId).toBe(job.id);
    const after = await runMessage(message as QueueMessage);
    expect(after?.state).toBe('waiting');
    expect(calls).toBe(1);
    const stored = await repo.get(T1, job.id);
    expect(stored?.dueAt).toBeGreaterThan(Date.now());
    // A wait this short is parked: the next step's message waits for its time, holding a lease
    // kept for it; the due index keeps only a later recovery time.
    const [parked] = queue.take();
    expect(parked).toMatchObject({ jobId: job.id, runAt: stored?.dueAt, lease: stored?.leaseOwner });
    expect(stored?.leaseUntil).toBe((stored?.dueAt ?? 0) + 2 * 60_000);
    expect(stored?.indexAt).toBeGreaterThanOrEqual(stored?.leaseUntil ?? Number.POSITIVE_INFINITY);
  });

  it('given three schedulers racing for one due job, exactly one claims it', async () => {
    // Longer than a parked wait: the scheduler is what finds it due. Earlier tests' jobs are
    // cancelled, so that the passes, hours on, find this one only.
    for (const j of await repo.list(T1)) await repo.cancel(T1, j.id, 'test over', Date.now());
    script = [() => silentWait(Date.now() + UNPARKED_MS)];
    const job = await startJob(ctx, { kind: kindId('test.scripted'), subject: 'race', payload: { n: 2 } });
    await runMessage(queue.take()[0] as QueueMessage);
    const now = Date.now() + UNPARKED_MS + 1000;
    // Three scheduler invocations at once (no reserved concurrency): the conditional claim decides.
    const results = await Promise.all([1, 2, 3].map(() => dispatchPass({ clock: () => now })));
    const claimed = queue.take().filter((m) => m.jobId === job.id);
    expect(claimed).toHaveLength(1);
    expect(results.reduce((n, r) => n + r.runs, 0)).toBe(1);
  });

  it('given a worker that crashed mid-step, when its lease expires, then the scheduler runs the job again and the side effect is not repeated', async () => {
    script = [() => silentWait(Date.now() + 60_000)];
    const job = await startJob(ctx, { kind: kindId('test.scripted'), subject: 'crash', payload: { n: 3 } });
    const first = queue.take()[0] as QueueMessage;
    // The worker recorded the effect and then died: simulate by recording it and dropping the message.
    await repo.startEffect(first.job as Job, first.lease, 'create', Date.now());
    expect(await dispatchPass({ clock: () => Date.now() })).toMatchObject({ runs: 0 });
    const later = Date.now() + 3 * 60_000;
    await dispatchPass({ clock: () => later, lanes: 100 });
    const retried = queue.take();
    expect(retried.map((m) => m.jobId)).toContain(job.id);
    // The earlier call never reached the provider: with no reconcile the effect runs once now.
    const runAt = later;
    const after = await runMessage(retried.find((m) => m.jobId === job.id) as QueueMessage, {
      repo,
      now: () => runAt,
      random: () => 0.5,
    });
    expect(after?.state).toBe('waiting');
    expect(sideEffects).toBe(1);
  });

  it('given a transient provider failure, then the job retries with backoff honouring Retry-After, and fails visibly after the budget', async () => {
    const throttled = () => {
      throw new ProviderError({
        provider: 'zavu',
        kind: 'transient',
        status: 429,
        message: 'slow down',
        retryAfterMs: 90_000,
      });
    };
    script = Array.from({ length: 8 }, () => throttled);
    const job = await startJob(ctx, { kind: kindId('test.scripted'), subject: 'flaky', payload: { n: 4 } });
    let message = queue.take()[0] as QueueMessage;
    let now = Date.now();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const before = now;
      const after = await runMessage(message, { repo, now: () => now, random: () => 0 });
      if (after?.state === 'failed') break;
      expect(after?.state).toBe('waiting');
      delays.push((after?.dueAt ?? 0) - before);
      now = (after?.dueAt ?? now) + 1;
      await dispatchPass({ clock: () => now, lanes: 100 }); // a run per job: each is its own message
      message = queue.take().find((m) => m.jobId === job.id) as QueueMessage;
    }
    // random() = 0 makes full jitter 0, so every delay is exactly the Retry-After.
    expect(delays.every((d) => d === 90_000)).toBe(true);
    const stored = await repo.get(T1, job.id);
    expect(stored?.state).toBe('failed');
    expect(stored?.lastError).toMatch(/tried 8 times/);
  });

  it('given a permanent provider error, then the job fails at once with the provider detail', async () => {
    script = [
      () => {
        throw new ProviderError({
          provider: 'vonage',
          kind: 'permanent',
          status: 409,
          code: 'number-in-use',
          detail: 'The number is already provisioned',
          message: 'conflict',
        });
      },
    ];
    const job = await startJob(ctx, { kind: kindId('test.scripted'), subject: 'perm', payload: { n: 5 } });
    const after = await runMessage(queue.take()[0] as QueueMessage);
    expect(after?.state).toBe('failed');
    expect(after?.lastError).toContain('number-in-use');
    expect(after?.lastError).toContain('already provisioned');
    expect((await repo.get(T1, job.id))?.dueAt).toBeUndefined();
  });

  it('given a webhook event for a waiting job, then it is delivered to the inbox and the job runs at once', async () => {
    const seen: unknown[] = [];
    script = [
      () => silentWait(Date.now() + UNPARKED_MS),
      (job) => {
        seen.push(...(job.inbox ?? []).map((e) => e.type));
        return { type: 'done' };
      },
    ];
    const job = await startJob(ctx, { kind: kindId('test.scripted'), subject: 'hook', payload: { n: 6 } });
    const first = queue.take()[0] as QueueMessage;
    const waiting = await runMessage(first);
    expect(waiting?.state).toBe('waiting');
    await repo.get(T1, job.id);
    // Link it so the webhook can find it.
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { ddb, tableName } = await import('../../src/store/dynamo.js');
    const { keys } = await import('../../src/store/keys.js');
    await ddb().send(
      new PutCommand({ TableName: tableName(), Item: { ...keys.ref(T1, 'zavu', 'inv_1'), jobId: job.id } }),
    );
    expect(
      await deliverEvent(T1, 'zavu', 'inv_1', {
        type: 'invitation.status_changed',
        data: { status: 'completed' },
      }),
    ).toBe(true);
    const run = queue.take().find((m) => m.jobId === job.id) as QueueMessage;
    const done = await runMessage(run);
    expect(seen).toEqual(['invitation.status_changed']);
    expect(done?.state).toBe('succeeded');
    expect((await repo.get(T1, job.id))?.inbox).toEqual([]);
    expect(await deliverEvent(T1, 'zavu', 'inv_1', { type: 'late', data: {} })).toBe(false);
  });

  it('given a stale message whose lease was taken over, then the worker drops it without running the step', async () => {
    script = [() => silentWait(Date.now() + 60_000)];
    await startJob(ctx, { kind: kindId('test.scripted'), subject: 'stale', payload: { n: 7 } });
    const message = queue.take()[0] as QueueMessage;
    const stale = { ...message, lease: 'someone-else', job: undefined };
    expect(await runMessage(stale)).toBeUndefined();
    expect(calls).toBe(0);
  });

  it('given events that make a job due again at once, the worker runs the next steps under the same lease: one write each, no claim and no due-index write until the job really waits', async () => {
    const now = Date.now();
    let jobId = '';
    const seen: string[][] = [];
    script = [
      async (j) => {
        seen.push((j.inbox ?? []).map((e) => e.type));
        // A webhook arrives while this step runs.
        expect(await deliverToJob(T1, jobId, { type: 'arrived', data: {} }, repo, now)).toBe(true);
        return silentWait(now + UNPARKED_MS);
      },
      (j) => {
        seen.push((j.inbox ?? []).map((e) => e.type));
        return silentWait(now); // acted on the event; its follow-up goes on at once
      },
      (j) => {
        seen.push((j.inbox ?? []).map((e) => e.type));
        return silentWait(now + UNPARKED_MS);
      },
    ];
    const job = await startJob(ctx, {
      kind: kindId('test.scripted'),
      subject: 'chain',
      payload: { n: 8 },
      data: { effect: false },
    });
    jobId = job.id;
    const first = queue.take()[0] as QueueMessage;
    meterCapacity();
    resetCapacity();
    try {
      const after = await runMessage(first, { repo, now: () => now, random: () => 0.5 });
      expect(seen).toEqual([[], ['arrived'], []]);
      expect(after?.state).toBe('waiting');
      expect(after?.leaseOwner).toBeUndefined();
      // Three finishes, the first one twice (the event moved the version under it); the event: a
      // claim-with-event refused (the worker holds the job), then the append. No claim at all.
      expect(capacity.byOperation.UpdateItemCommand?.calls).toBe(6);
      expect(capacity.failedConditions).toBe(2);
      // The due index moved once, when the job started to wait an hour (delete + put).
      expect(capacity.indexWcu).toBe(2);
    } finally {
      meterCapacity(false);
    }
    expect(queue.take()).toEqual([]);
    const stored = await repo.get(T1, job.id);
    expect(stored?.dueAt).toBe(now + UNPARKED_MS);
    expect(stored?.leaseOwner).toBeUndefined();
  });

  it('given a poll that asks to be due now with no event, the worker does not run it again in place: the scheduler paces it', async () => {
    const now = Date.now();
    script = [() => silentWait(now)];
    const job = await startJob(ctx, {
      kind: kindId('test.scripted'),
      subject: 'poll',
      payload: { n: 12 },
      data: { effect: false },
    });
    const after = await runMessage(queue.take()[0] as QueueMessage, {
      repo,
      now: () => now,
      random: () => 0.5,
    });
    expect(calls).toBe(1);
    expect(after?.leaseOwner).toBeUndefined();
    expect((await repo.get(T1, job.id))?.leaseOwner).toBeUndefined();
  });

  it('given a worker that dies between two kept steps, the scheduler takes the job once the lease has run out and it goes on from the last step written; the dead worker cannot finish', async () => {
    const now = Date.now();
    let release: () => void = () => {};
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: unknown[] = [];
    let jobId = '';
    script = [
      async () => {
        expect(await deliverToJob(T1, jobId, { type: 'arrived', data: {} }, repo, now)).toBe(true);
        return { type: 'wait', until: now + UNPARKED_MS, data: { first: 'written' } };
      },
      async () => {
        await hung; // the worker dies here: its step never ends (until the test lets it go)
        return { type: 'done' };
      },
      (j) => {
        seen.push(j.data);
        return { type: 'done' };
      },
    ];
    const job = await startJob(ctx, {
      kind: kindId('test.scripted'),
      subject: 'kept-crash',
      payload: { n: 9 },
      data: { effect: false },
    });
    jobId = job.id;
    const first = queue.take()[0] as QueueMessage;
    const dead = runMessage(first, { repo, now: () => now, random: () => 0.5 });
    await vi.waitUntil(() => calls === 2);
    const held = await repo.get(T1, job.id);
    expect(held).toMatchObject({ state: 'running', leaseOwner: first.lease, data: { first: 'written' } });
    expect(held?.dueAt).toBeLessThanOrEqual(Date.now()); // its creation time: due at once
    // Before the lease runs out nobody else may take it; after, the scheduler does.
    await dispatchPass({ clock: () => now + 60_000, lanes: 100 });
    expect(queue.take().filter((m) => m.jobId === job.id)).toEqual([]);
    const later = now + 3 * 60_000;
    await dispatchPass({ clock: () => later, lanes: 100 });
    const retried = queue.take().find((m) => m.jobId === job.id) as QueueMessage;
    expect(retried).toBeDefined();
    const done = await runMessage(retried, { repo, now: () => later, random: () => 0.5 });
    expect(done?.state).toBe('succeeded');
    expect(seen).toEqual([{ effect: false, first: 'written' }]);
    release();
    expect(await dead).toBeUndefined(); // its finish is refused: the lease is gone
    expect((await repo.get(T1, job.id))?.state).toBe('succeeded');
  });

  it('given an event for a waiting job, delivering it and claiming the job are one write, and the due index is not touched', async () => {
    const now = Date.now();
    script = [() => silentWait(now + UNPARKED_MS), () => silentWait(now + UNPARKED_MS)];
    const job = await startJob(ctx, {
      kind: kindId('test.scripted'),
      subject: 'woken',
      payload: { n: 10 },
      data: { effect: false },
    });
    await runMessage(queue.take()[0] as QueueMessage, { repo, now: () => now, random: () => 0.5 });
    meterCapacity();
    resetCapacity();
    try {
      expect(await deliverToJob(T1, job.id, { type: 'clicked', data: {} }, repo, now + 1_000)).toBe(true);
      expect(capacity.byOperation.UpdateItemCommand?.calls).toBe(1);
      expect(capacity.indexWcu).toBe(0);
    } finally {
      meterCapacity(false);
    }
    const [run] = queue.take();
    expect(run?.jobId).toBe(job.id);
    const after = await runMessage(run as QueueMessage, { repo, now: () => now + 1_000, random: () => 0.5 });
    expect(after?.state).toBe('waiting');
    expect(after?.inbox).toEqual([]);
    // The step asked for the same poll time as before: the index key did not move at all.
    expect((await repo.get(T1, job.id))?.dueAt).toBe(now + UNPARKED_MS);
  });

  it('given an event for a job a worker holds, it joins the inbox and that worker runs the job again right after its step, with no new message', async () => {
    const now = Date.now();
    const seen: string[] = [];
    let jobId = '';
    script = [
      async () => {
        // The webhook arrives while this step runs.
        expect(await deliverToJob(T1, jobId, { type: 'arrived', data: {} }, repo, now)).toBe(true);
        return silentWait(now + UNPARKED_MS);
      },
      (j) => {
        seen.push(...(j.inbox ?? []).map((e) => e.type));
        return { type: 'done' };
      },
    ];
    const job = await startJob(ctx, {
      kind: kindId('test.scripted'),
      subject: 'busy',
      payload: { n: 11 },
      data: { effect: false },
    });
    jobId = job.id;
    const first = queue.take()[0] as QueueMessage;
    const after = await runMessage(first, { repo, now: () => now, random: () => 0.5 });
    expect(queue.take()).toEqual([]);
    expect(seen).toEqual(['arrived']);
    expect(after?.state).toBe('succeeded');
    expect((await repo.get(T1, job.id))?.inbox).toEqual([]);
  });

  it('given a poll waiting 5 minutes, its next step comes by its delayed message under the lease kept for it: one write, one read, no claim, no index write', async () => {
    const now = Date.now();
    script = [() => silentWait(now + 5 * 60_000), () => silentWait(now + 10 * 60_000)];
    const { job, queued: parked } = await startAndStep('park', 13, now);
    expect(parked.runAt).toBe(now + 5 * 60_000);
    // Nothing for the scheduler meanwhile, even once the poll is due.
    await dispatchPass({ clock: () => now + 5 * 60_000 + 1, lanes: 100 });
    expect(queue.take().filter((m) => m.jobId === job.id)).toEqual([]);
    const at = now + 5 * 60_000;
    meterCapacity();
    resetCapacity();
    try {
      const after = await runMessage(parked, { repo, now: () => at, random: () => 0.5 });
      expect(after?.dueAt).toBe(now + 10 * 60_000);
      expect(capacity.byOperation.UpdateItemCommand?.calls).toBe(1);
      expect(capacity.byOperation.GetItemCommand?.calls).toBe(1);
      expect(capacity.indexWcu).toBe(0);
    } finally {
      meterCapacity(false);
    }
    expect(calls).toBe(2);
    expect(queue.take()[0]?.runAt).toBe(now + 10 * 60_000);
    expect((await repo.get(T1, job.id))?.indexAt).toBeGreaterThan(now + 10 * 60_000);
  });

  it('given an event for a parked job before its step can start, the event takes the job over at once and the delayed message is dropped when it comes', async () => {
    const now = Date.now();
    const seen: string[][] = [];
    script = [
      () => silentWait(now + 5 * 60_000),
      (j) => {
        seen.push((j.inbox ?? []).map((e) => e.type));
        return { type: 'done' };
      },
    ];
    const { job, queued: parked } = await startAndStep('takeover', 14, now);
    expect(await deliverToJob(T1, job.id, { type: 'signed', data: {} }, repo, now + 60_000)).toBe(true);
    const woken = queue.take()[0] as QueueMessage;
    expect(woken.lease).not.toBe(parked.lease);
    expect((await runMessage(woken, { repo, now: () => now + 60_000, random: () => 0.5 }))?.state).toBe(
      'succeeded',
    );
    expect(seen).toEqual([['signed']]);
    expect(
      await runMessage(parked, { repo, now: () => now + 5 * 60_000, random: () => 0.5 }),
    ).toBeUndefined();
    expect(calls).toBe(2);
  });

  it('given an event for a parked job whose step may already be starting, the event only joins the inbox and that step acts on it', async () => {
    const now = Date.now();
    const seen: string[][] = [];
    script = [
      () => silentWait(now + 5 * 60_000),
      (j) => {
        seen.push((j.inbox ?? []).map((e) => e.type));
        return { type: 'done' };
      },
    ];
    const { job, queued: parked } = await startAndStep('late-event', 15, now);
    const at = now + 5 * 60_000 - 1_000; // within the margin before runAt
    expect(await deliverToJob(T1, job.id, { type: 'signed', data: {} }, repo, at)).toBe(true);
    expect(queue.take()).toEqual([]);
    expect((await runMessage(parked, { repo, now: () => now + 5 * 60_000, random: () => 0.5 }))?.state).toBe(
      'succeeded',
    );
    expect(seen).toEqual([['signed']]);
  });

  it('given a parked step whose message is lost, the scheduler takes the job once its lease has run out, and not before', async () => {
    const now = Date.now();
    script = [() => silentWait(now + 5 * 60_000), () => ({ type: 'done' })];
    const { job } = await startAndStep('lost', 16, now); // its queued (delayed) message is lost
    const stored = (await repo.get(T1, job.id)) as Job;
    await dispatchPass({ clock: () => (stored.leaseUntil as number) - 1, lanes: 100 });
    expect(queue.take().filter((m) => m.jobId === job.id)).toEqual([]);
    const later = stored.indexAt as number;
    await dispatchPass({ clock: () => later, lanes: 100 });
    const recovered = queue.take().find((m) => m.jobId === job.id) as QueueMessage;
    expect(recovered).toBeDefined();
    expect((await runMessage(recovered, { repo, now: () => later, random: () => 0.5 }))?.state).toBe(
      'succeeded',
    );
    expect(calls).toBe(2);
  });

  it('given a parked step whose message comes early, it is sent again for its time and the step does not run', async () => {
    const now = Date.now();
    script = [() => silentWait(now + 5 * 60_000)];
    const { queued: parked } = await startAndStep('early', 17, now);
    expect(await runMessage(parked, { repo, now: () => now + 60_000, random: () => 0.5 })).toBeUndefined();
    expect(calls).toBe(1);
    expect(queue.take()).toEqual([parked]);
  });

  it('given an hourly poll, it is parked: its message hops every 15 minutes without reading or writing the job, the step runs at its time and not before, and the due index does not move on the next poll', async () => {
    const now = Date.now();
    const HOUR = 60 * 60_000;
    const ranAt: number[] = [];
    const poll = (j: Job): StepResult => {
      ranAt.push(j.dueAt as number);
      return silentWait((j.dueAt as number) + HOUR);
    };
    script = [() => silentWait(now + HOUR), poll, poll];
    const { job, queued: parked } = await startAndStep('hourly', 18, now);
    expect(parked.runAt).toBe(now + HOUR);
    const stored = (await repo.get(T1, job.id)) as Job;
    expect(stored.leaseOwner).toBe(parked.lease);
    // Recovery time: at least one bucket (3 waits) after the lease, less than two.
    expect(stored.indexAt).toBeGreaterThanOrEqual((stored.leaseUntil as number) + 3 * HOUR);
    expect(stored.indexAt).toBeLessThan((stored.leaseUntil as number) + 6 * HOUR);
    // Nothing for the scheduler meanwhile, even once the poll is due.
    await dispatchPass({ clock: () => now + 30 * 60_000, lanes: 100 });
    await dispatchPass({ clock: () => now + HOUR + 1, lanes: 100 });
    expect(queue.take().filter((m) => m.jobId === job.id)).toEqual([]);

    const first = await followParked(parked, now);
    // 900 s at a time: sent at 0, 15, 30 and 45 minutes, run at 60.
    expect(first.sends).toBeGreaterThanOrEqual(4);
    const hops = first.deliveries.slice(0, -1);
    expect(hops.map((d) => d.at)).toEqual([15, 30, 45].map((m) => now + m * 60_000));
    expect(hops.every((d) => d.steps === 0 && d.reads === 0 && d.writes === 0 && d.indexWcu === 0)).toBe(
      true,
    );
    expect(first.deliveries.at(-1)).toEqual({ at: now + HOUR, steps: 1, reads: 1, writes: 1, indexWcu: 0 });
    expect(ranAt).toEqual([now + HOUR]);
    expect(calls).toBe(2);
    // Parked again for the next hour, the recovery time where it was.
    const next = first.sent.find((m) => m.jobId === job.id) as QueueMessage;
    expect(next.runAt).toBe(now + 2 * HOUR);
    expect((await repo.get(T1, job.id))?.indexAt).toBe(stored.indexAt);
    const second = await followParked(next, now + HOUR);
    expect(second.deliveries.slice(0, -1).every((d) => d.steps === 0 && d.reads === 0)).toBe(true);
    expect(second.deliveries.at(-1)).toEqual({
      at: now + 2 * HOUR,
      steps: 1,
      reads: 1,
      writes: 1,
      indexWcu: 0,
    });
    expect(ranAt).toEqual([now + HOUR, now + 2 * HOUR]);
  });

  it('given a parked message whose hop cannot be sent, the delivery fails (SQS delivers it again) with nothing written, and the redelivery hops on to its time', async () => {
    const now = Date.now();
    const HOUR = 60 * 60_000;
    script = [() => silentWait(now + HOUR), () => ({ type: 'done' }) as StepResult];
    const { job, queued: parked } = await startAndStep('hop fails', 22, now);
    const before = (await repo.get(T1, job.id)) as Job;
    const send = vi.spyOn(queue, 'send').mockRejectedValueOnce(new Error('SQS is unavailable'));
    try {
      await expect(
        runMessage(parked, { repo, now: () => now + 15 * 60_000, random: () => 0.5 }),
      ).rejects.toThrow('SQS is unavailable');
    } finally {
      send.mockRestore();
    }
    expect(queue.take()).toEqual([]);
    expect(await repo.get(T1, job.id)).toEqual(before);
    // The redelivery (after the visibility timeout) hops on, and the step runs once, at its time.
    expect(
      await runMessage(parked, { repo, now: () => now + 18 * 60_000, random: () => 0.5 }),
    ).toBeUndefined();
    expect(queue.take()).toEqual([parked]);
    expect(calls).toBe(1);
    await runMessage(parked, { repo, now: () => now + HOUR, random: () => 0.5 });
    expect(calls).toBe(2);
    expect((await repo.get(T1, job.id))?.state).toBe('succeeded');
  });

  it('given an event for a job parked for an hour, it takes the job over mid-wait, and the chained message hops on and is dropped at its time without running the step', async () => {
    const now = Date.now();
    const seen: string[][] = [];
    script = [
      () => silentWait(now + 60 * 60_000),
      (j) => {
        seen.push((j.inbox ?? []).map((e) => e.type));
        return { type: 'done' };
      },
    ];
    const { job, queued: parked } = await startAndStep('hourly-takeover', 19, now);
    let woken = false;
    const out = await followParked(parked, now, async (at) => {
      if (woken || at < now + 30 * 60_000) return;
      woken = true;
      // Between the second and third deliveries, 40 minutes before the poll: the event wins.
      const t = now + 20 * 60_000;
      expect(await deliverToJob(T1, job.id, { type: 'signed', data: {} }, repo, t)).toBe(true);
      const run = queue.take().find((m) => m.jobId === job.id) as QueueMessage;
      expect(run.lease).not.toBe(parked.lease);
      expect(run.runAt).toBeUndefined();
      expect((await runMessage(run, { repo, now: () => t, random: () => 0.5 }))?.state).toBe('succeeded');
    });
    expect(seen).toEqual([['signed']]);
    expect(woken).toBe(true);
    // It hopped on after the takeover without a read, and was dropped at its time after one.
    expect(out.deliveries.map((d) => d.at)).toEqual([15, 30, 45, 60].map((m) => now + m * 60_000));
    expect(out.deliveries.every((d) => d.steps === 0)).toBe(true);
    expect(out.deliveries.slice(0, -1).every((d) => d.reads === 0 && d.writes === 0)).toBe(true);
    expect(out.deliveries.at(-1)).toMatchObject({ reads: 1, writes: 0 });
    expect(out.result).toBeUndefined();
    expect(calls).toBe(2);
    expect((await repo.get(T1, job.id))?.state).toBe('succeeded');
  });

  it('given a job parked for an hour whose message is lost, the scheduler recovers it at its recovery time, and not before', async () => {
    const now = Date.now();
    script = [() => silentWait(now + 60 * 60_000), () => ({ type: 'done' })];
    const { job } = await startAndStep('hourly-lost', 20, now); // its queued (delayed) message is lost
    const stored = (await repo.get(T1, job.id)) as Job;
    const recovery = stored.indexAt as number;
    // At most two buckets of three waits after the lease ran out (6 h for an hourly poll).
    expect(recovery - (stored.leaseUntil as number)).toBeLessThan(6 * 60 * 60_000);
    for (const t of [now + 60 * 60_000, (stored.leaseUntil as number) + 1, recovery - 1]) {
      await dispatchPass({ clock: () => t, lanes: 100 });
      expect(queue.take().filter((m) => m.jobId === job.id)).toEqual([]);
    }
    await dispatchPass({ clock: () => recovery, lanes: 100 });
    const recovered = queue.take().find((m) => m.jobId === job.id) as QueueMessage;
    expect(recovered).toBeDefined();
    expect(recovered.runAt).toBeUndefined();
    expect((await runMessage(recovered, { repo, now: () => recovery, random: () => 0.5 }))?.state).toBe(
      'succeeded',
    );
    expect(calls).toBe(2);
  });

  it('given the in-process queue, a parked message is held for its DelaySeconds (at most 900 s) from its send, not until its runAt', async () => {
    const { SimulatedClock, setClock } = await import('../../src/clock.js');
    const sim = new SimulatedClock();
    setClock(sim);
    try {
      const q = new InProcessQueue(1);
      const ran: number[] = [];
      q.consumer = async () => {
        ran.push(sim.now());
      };
      const sentAt = sim.now();
      await q.send([{ tenant: T1, jobId: 'a', lease: 'x', runAt: sentAt + 60 * 60_000 }]);
      sim.advance(899_000);
      await q.drain();
      expect(ran).toEqual([]);
      sim.advance(1_000);
      await q.drain();
      expect(ran).toHaveLength(1);
      expect((ran[0] as number) - sentAt).toBeGreaterThanOrEqual(900_000);
      expect((ran[0] as number) - sentAt).toBeLessThan(60 * 60_000);
    } finally {
      setClock(undefined);
    }
  });

  it('given the in-process queue, sends run after the caller returns and drain waits for them', async () => {
    const q = new InProcessQueue(2);
    const ran: string[] = [];
    q.consumer = async (m) => {
      await new Promise((r) => setTimeout(r, 5));
      ran.push(m.jobId);
    };
    await q.send([
      { tenant: T1, jobId: 'a', lease: 'x' },
      { tenant: T1, jobId: 'b', lease: 'x' },
      { tenant: T1, jobId: 'c', lease: 'x' },
    ]);
    expect(ran).toEqual([]);
    await q.drain();
    expect(ran.sort()).toEqual(['a', 'b', 'c']);
  });
});
