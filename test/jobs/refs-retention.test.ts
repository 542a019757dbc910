import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jobIdForRef } from '../../src/jobs/deliver.js';
import type { StepIO } from '../../src/jobs/kinds.js';
import type { Job, QueueMessage, StepResult } from '../../src/jobs/model.js';
import { type JobQueue, setJobQueue } from '../../src/jobs/queue.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { runMessage } from '../../src/jobs/runner.js';
import { startJob } from '../../src/jobs/service.js';
import { ddb, tableName } from '../../src/store/dynamo.js';
import { keys, tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';
import { kindId, registerJobKind } from '../helpers/kinds.js';

/**
 * A job's provider references (`REF#<provider>#<id>`, how a webhook finds the job) get the job's
 * retention TTL when the job ends, however it ends, unless they now name another job.
 */
class CapturingQueue implements JobQueue {
  sent: QueueMessage[] = [];
  async send(messages: QueueMessage[]) {
    this.sent.push(...messages);
  }
  take() {
    return this.sent.splice(0);
  }
}

const T1 = tenantId('T0REFS');
const ctx = { tenant: T1, userId: 'U1', channelId: 'C1', responseUrl: undefined };
const repo = new JobRepository();
const queue = new CapturingQueue();
let outcome: StepResult = { type: 'done' };

registerJobKind(
  'test.linked',
  async () =>
    ({
      kind: 'test.linked',
      payload: z.object({ objectId: z.string() }),
      async step(job: Job<{ objectId: string }>, io: StepIO) {
        await io.link('zavu', job.payload.objectId);
        return outcome;
      },
    }) as never,
);

let table: Awaited<ReturnType<typeof startTestTable>>;
beforeAll(async () => {
  table = await startTestTable({ SLACK_API_URL: 'http://127.0.0.1:9/', JOB_RETENTION_DAYS: '30' });
  setJobQueue(queue);
});
afterAll(async () => {
  setJobQueue(undefined);
  await table.close();
});
beforeEach(() => {
  queue.take();
});

// The app clock is the system clock here: a claimed lease runs from now.
const NOW = Date.now();
/** The job's retention TTL (JOB_RETENTION_DAYS, 30 here) in epoch seconds, as DynamoDB's TTL reads it. */
const retentionTtl = (at: number) => Math.floor(at / 1000) + 30 * 86_400;
const refTtl = async (objectId: string) =>
  (await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.ref(T1, 'zavu', objectId) }))).Item
    ?.ttl;

async function startLinked(objectId: string) {
  const job = await startJob(ctx, { kind: kindId('test.linked'), subject: objectId, payload: { objectId } });
  const m = queue.take().find((x) => x.jobId === job.id);
  if (!m) throw new Error('no message queued');
  await runMessage(m, { repo, now: () => NOW, random: () => 0.5 });
  return job;
}

describe('REF# items leave with their job', () => {
  it('a job that ends gives its references its retention TTL', async () => {
    outcome = { type: 'done' };
    const job = await startLinked('inv_done');
    expect(await jobIdForRef(T1, 'zavu', 'inv_done')).toBe(job.id);
    expect(await refTtl('inv_done')).toBe(retentionTtl(NOW));
  });

  it('a job still running keeps its references without a TTL', async () => {
    outcome = { type: 'wait', until: NOW + 60_000 };
    await startLinked('inv_waiting');
    expect(await refTtl('inv_waiting')).toBeUndefined();
  });

  it('a cancelled job gives its references its retention TTL', async () => {
    outcome = { type: 'wait', until: NOW + 60_000 };
    const job = await startLinked('inv_cancelled');
    expect(await repo.cancel(T1, job.id, 'stopped', NOW + 1000)).toBe(true);
    expect(await refTtl('inv_cancelled')).toBe(retentionTtl(NOW + 1000));
  });

  it('a reference that now names another job is left alone', async () => {
    outcome = { type: 'wait', until: NOW + 60_000 };
    const first = await startLinked('inv_shared');
    const second = await startLinked('inv_shared');
    expect(await jobIdForRef(T1, 'zavu', 'inv_shared')).toBe(second.id);
    expect(await repo.cancel(T1, first.id, 'stopped', NOW)).toBe(true);
    expect(await refTtl('inv_shared')).toBeUndefined();
  });
});
