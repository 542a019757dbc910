import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Job, QueueMessage } from '../../src/jobs/model.js';
import { type JobQueue, setJobQueue } from '../../src/jobs/queue.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { runLane } from '../../src/jobs/runner.js';
import { DispatchState, dispatchPass, type RunMessage } from '../../src/jobs/sweep.js';
import { tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';
import { registerJobKind } from '../helpers/kinds.js';

class CapturingQueue implements JobQueue {
  sent: RunMessage[] = [];
  async send(messages: QueueMessage[]) {
    this.sent.push(...messages);
  }
}

const T1 = tenantId('T0RUNS');
const T2 = tenantId('T0OTHER');
const repo = new JobRepository();
const queue = new CapturingQueue();
const ran: string[] = [];

registerJobKind(
  'test.once',
  async () =>
    ({
      kind: 'test.once',
      payload: z.object({}),
      async step(job: Job) {
        ran.push(job.id);
        return { type: 'done' };
      },
    }) as never,
);

function due(tenant: ReturnType<typeof tenantId>, n: number, now: number): Job {
  return {
    tenant,
    id: `j${tenant.slice(3).toLowerCase()}${String(n).padStart(8, '0')}`,
    kind: 'test.once',
    subject: `job ${n}`,
    state: 'waiting',
    attempts: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
    createdBy: 'U1',
    dueAt: now - 1_000 + n,
    report: { channel: 'C1', userId: 'U1' },
    payload: {},
    data: {},
    effects: {},
  };
}

let table: Awaited<ReturnType<typeof startTestTable>>;
beforeAll(async () => {
  table = await startTestTable({ SLACK_API_URL: 'http://127.0.0.1:9/', DUE_SHARDS: '4' });
  setJobQueue(queue);
});
afterAll(async () => {
  setJobQueue(undefined);
  await table.close();
});

describe('dispatch passes and runs', () => {
  it('given backlogs in two workspaces, a pass sends each as two runs, the workers run every job once, and the next pass sends nothing again', async () => {
    const now = Date.now();
    for (let n = 0; n < 7; n++) await repo.create(due(T1, n, now));
    for (let n = 0; n < 3; n++) await repo.create(due(T2, n, now));

    // One scheduler invocation: its passes share what it handed out; nothing outlives it.
    const state = new DispatchState();
    const pass = await dispatchPass({ state });
    expect(pass).toMatchObject({ full: true, found: 10, runs: 4, dispatched: 10 });
    const runs = queue.sent.splice(0);
    expect(runs.filter((r) => r.tenant === T1).map((r) => 1 + (r.next?.length ?? 0))).toEqual([4, 3]);

    const again = await dispatchPass({ state });
    expect(again.dispatched).toBe(0);

    for (const run of runs) await runLane(run);
    expect([...ran].sort()).toEqual(
      [
        ...Array.from({ length: 7 }, (_, n) => due(T1, n, now).id),
        ...Array.from({ length: 3 }, (_, n) => due(T2, n, now).id),
      ].sort(),
    );
    const stored = await repo.get(T1, due(T1, 6, now).id);
    expect(stored?.state).toBe('succeeded');
  });

  it('given a run whose worker runs out of time, the rest goes back to the queue as a new run and nothing is lost', async () => {
    ran.length = 0;
    const now = Date.now();
    for (let n = 10; n < 14; n++) await repo.create(due(T1, n, now));
    await dispatchPass();
    const [first] = queue.sent.splice(0).filter((r) => r.tenant === T1 && r.jobId.endsWith('10'));
    expect(first).toBeDefined();
    const result = await runLane(first as RunMessage, undefined, Date.now() - 1);
    expect(result.steps).toBe(1);
    const [handed] = queue.sent.splice(0);
    expect(handed?.until).toBe(first?.until);
    await runLane(handed as RunMessage);
    expect(ran.length).toBe(1 + 1 + (handed?.next?.length ?? 0));
  });
});
