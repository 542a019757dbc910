import { config } from '../config.js';
import { logger } from '../log.js';
import { LEASE_MS, type QueueMessage } from './model.js';
import { jobQueue } from './queue.js';
import { JobRepository, leaseToken } from './repository.js';

export interface SweepResult {
  found: number;
  claimed: number;
  ms: number;
}

/**
 * One scheduled sweep: each shard of the sparse due index is queried for jobs whose time has
 * come, each is claimed with a conditional update (only one sweeper wins a job), and the
 * claimed ones go to the queue. A job whose worker died is due again once its lease expires.
 */
export async function sweep(
  opts: { now?: number; pageSize?: number; budgetMs?: number; repo?: JobRepository } = {},
): Promise<SweepResult> {
  const started = Date.now();
  const now = opts.now ?? started;
  const repo = opts.repo ?? new JobRepository();
  const pageSize = opts.pageSize ?? 100;
  const budgetMs = opts.budgetMs ?? 40_000;
  let found = 0;
  let claimed = 0;

  await Promise.all(
    Array.from({ length: config().dueShards }, async (_, n) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await repo.due(`S#${n}`, now, pageSize, startKey);
        startKey = page.next;
        found += page.keys.length;
        const messages: QueueMessage[] = [];
        await Promise.all(
          page.keys.map(async ({ tenant, jobId }) => {
            const lease = leaseToken();
            const job = await repo.claim(tenant, jobId, lease, now, LEASE_MS);
            if (job) messages.push({ tenant, jobId, lease, job });
          }),
        );
        claimed += messages.length;
        if (messages.length) await jobQueue().send(messages);
      } while (startKey && Date.now() - started < budgetMs);
    }),
  );
  const result = { found, claimed, ms: Date.now() - started };
  if (found > 0) logger.info('sweep', { ...result });
  return result;
}
