import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { logger } from '../log.js';
import type { CommandContext } from '../slack/command.js';
import { ddb, tableName } from '../store/dynamo.js';
import { keys, type TenantId } from '../store/keys.js';
import { type InboxEvent, type Job, LEASE_MS } from './model.js';
import { jobQueue } from './queue.js';
import { JobRepository, leaseToken, newJobId } from './repository.js';
import { deliverAndRun } from './runner.js';

/** Slack keeps a response_url usable for 30 minutes. */
const RESPONSE_URL_TTL_MS = 30 * 60_000;

export interface StartJob<P> {
  kind: string;
  subject: string;
  payload: P;
  /** Reports go in this thread (a follow-up to an earlier job), if given. */
  threadTs?: string;
  /**
   * The status card this job keeps current, when it continues an earlier job's work (a
   * deployment revived for a delete): the card, and its channel, are adopted.
   */
  card?: { channel: string; ts: string };
  data?: Record<string, unknown>;
  /**
   * What the job acts on (an invitee, a number, a client), lower-cased by the caller. A person
   * who starts an identical job (same kind, same target) while theirs is still active is shown
   * that job instead, unless they ask for another (`--again`, or the form's checkbox).
   */
  target?: string;
  /**
   * A check that must pass before the job is written (the provider's credentials being there),
   * already started by the caller: it runs alongside the active-job lookup, and its failure is
   * thrown instead of writing the job.
   */
  requires?: Promise<unknown>;
}

/** The same person already has an active job of this kind on this target. */
export class ActiveJobError extends Error {
  override readonly name = 'ActiveJobError';
  readonly code = 'active_job';
  constructor(readonly job: Job) {
    super(`job ${job.id} already does this`);
  }
}

const ACTIVE_STATES = ['queued', 'running', 'waiting'];

/**
 * The requester's active job of this kind on this target, if any: the job the target's item
 * points to (their latest one), read in full and checked to be still active.
 */
export async function activeJobFor(
  tenant: TenantId,
  userId: string,
  kind: string,
  target: string,
  repo = new JobRepository(),
): Promise<Job | undefined> {
  const jobId = await repo.latestForTarget(tenant, userId, kind, target);
  if (jobId === undefined) return undefined;
  const job = await repo.get(tenant, jobId);
  return job && job.kind === kind && job.createdBy === userId && ACTIVE_STATES.includes(job.state)
    ? job
    : undefined;
}

/**
 * Writes the job, already leased to its first run, and queues it. If the queue message is
 * lost, the job is still due and the scheduler runs it once the lease expires: nothing is lost.
 */
export async function startJob<P>(
  ctx: Pick<CommandContext, 'tenant' | 'userId' | 'channelId' | 'responseUrl'> & {
    again?: boolean | undefined;
  },
  init: StartJob<P>,
  repo = new JobRepository(),
  now = clock.now(),
): Promise<Job<P>> {
  // The checks read concurrently; a failed `requires` is said first, as if it had run alone first.
  const [active] = await Promise.all([
    init.target !== undefined && !ctx.again
      ? activeJobFor(ctx.tenant, ctx.userId, init.kind, init.target, repo)
      : undefined,
    init.requires,
  ]);
  if (active) throw new ActiveJobError(active);
  const lease = leaseToken();
  const job: Job<P> = {
    tenant: ctx.tenant,
    id: newJobId(now),
    kind: init.kind,
    subject: init.subject,
    state: 'queued',
    attempts: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
    createdBy: ctx.userId,
    dueAt: now,
    leaseOwner: lease,
    leaseUntil: now + LEASE_MS,
    report: {
      channel: init.card?.channel ?? ctx.channelId,
      userId: ctx.userId,
      threadTs: init.card?.ts ?? init.threadTs,
      progressTs: init.card?.ts,
      responseUrl: ctx.responseUrl,
      responseUrlUntil: ctx.responseUrl ? now + RESPONSE_URL_TTL_MS : undefined,
      responseUrlUses: 0,
    },
    payload: init.payload,
    ...(init.target !== undefined ? { target: init.target } : {}),
    data: init.data ?? {},
    effects: {},
  };
  await Promise.all([
    repo.create(job as Job),
    // The target's pointer to its latest job, written alongside it (a pointer to a job that was
    // not written finds nothing); kept as long as a finished job is. Best effort: without it the
    // next identical command starts another job instead of pointing to this one.
    init.target !== undefined
      ? repo
          .pointTarget(job as Job, init.target, now)
          .catch((err: unknown) =>
            logger.warn('could not record the job of a target', { jobId: job.id, error: err as Error }),
          )
      : undefined,
  ]);
  await jobQueue().send([{ tenant: job.tenant, jobId: job.id, lease, job: job as Job }]);
  return job;
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
