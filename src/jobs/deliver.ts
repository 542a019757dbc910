import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { ddb, tableName } from '../store/dynamo.js';
import { keys, type TenantId } from '../store/keys.js';
import { type InboxEvent, type Job, LEASE_MS } from './model.js';
import { jobQueue } from './queue.js';
import { JobRepository, leaseToken } from './repository.js';

/**
 * Events for jobs and claims that hand a job to the queue: what a webhook, a button or the
 * runner does to make a job run. Nothing here runs a step (the worker does), so the ack path and
 * the webhook functions load no worker code.
 */

export interface RunnerDeps {
  repo: JobRepository;
  now: () => number;
  random: () => number;
}

export const runnerDefaults = (): RunnerDeps => ({
  repo: new JobRepository(),
  now: clock.now,
  random: Math.random,
});

/** Claims a due job for a run and hands it to the queue. */
export async function claimAndQueue(
  job: Pick<Job, 'tenant' | 'id'>,
  deps: RunnerDeps = runnerDefaults(),
): Promise<boolean> {
  const lease = leaseToken();
  const claimed = await deps.repo.claim(job.tenant, job.id, lease, deps.now(), LEASE_MS);
  if (!claimed) return false;
  await jobQueue().send([{ tenant: job.tenant, jobId: job.id, lease, job: claimed }]);
  return true;
}

/**
 * A webhook or user event for a job: kept in its inbox and run at once. One write when nobody
 * holds the job (the event and the claim together); when a worker holds it, the event waits in
 * the inbox and that worker runs the job again as soon as its step ends. False when the job is no
 * longer active.
 */
export async function deliverAndRun(
  tenant: Job['tenant'],
  jobId: string,
  event: InboxEvent,
  deps: RunnerDeps = runnerDefaults(),
): Promise<boolean> {
  const lease = leaseToken();
  const out = await deps.repo.deliverAndClaim(tenant, jobId, event, deps.now(), lease, LEASE_MS);
  if (out === 'gone') return false;
  if (out !== 'held') await jobQueue().send([{ tenant, jobId, lease, job: out.claimed }]);
  return true;
}

/** The job following a provider object, if any (webhooks use this). */
export async function jobIdForRef(
  tenant: TenantId,
  provider: string,
  objectId: string,
): Promise<string | undefined> {
  const out = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: keys.ref(tenant, provider, objectId) }),
  );
  return out.Item?.jobId as string | undefined;
}

/**
 * A provider event for the job following `objectId`: kept in the job's inbox and run at once
 * (or right after a step in progress finishes). Returns false when no active job follows it.
 */
export async function deliverEvent(
  tenant: TenantId,
  provider: string,
  objectId: string,
  event: Omit<InboxEvent, 'at'>,
  repo = new JobRepository(),
  now = clock.now(),
): Promise<boolean> {
  const jobId = await jobIdForRef(tenant, provider, objectId);
  if (!jobId) return false;
  return deliverToJob(tenant, jobId, event, repo, now);
}

/**
 * An event for a job known by id (a button click, a code typed in a modal): kept in its inbox
 * and run at once. Returns false when the job is no longer active.
 */
export async function deliverToJob(
  tenant: TenantId,
  jobId: string,
  event: Omit<InboxEvent, 'at'>,
  repo = new JobRepository(),
  now = clock.now(),
): Promise<boolean> {
  return deliverAndRun(tenant, jobId, { ...event, at: now }, { repo, now: () => now, random: Math.random });
}
