import { clock } from '../clock.js';
import { logger } from '../log.js';
import type { TenantId } from '../store/keys.js';
import type { KindId } from './kinds.js';
import { type Job, LEASE_MS } from './model.js';
import { jobQueue } from './queue.js';
import { JobRepository, leaseToken, newJobId } from './repository.js';

/** Slack keeps a response_url usable for 30 minutes. */
const RESPONSE_URL_TTL_MS = 30 * 60_000;

/** Who starts a job, and where its card goes. */
export interface Requester {
  tenant: TenantId;
  userId: string;
  /** Where the job's card is posted (a DM with the app when it is the person's own id). */
  channelId: string;
  /** The command's response_url, for answers only the requester sees. */
  responseUrl?: string | undefined;
  /** Start another even if an identical job is active (`--again`). */
  again?: boolean | undefined;
}

/** Who the work is for: a name as typed, and the key it is listed under. */
export interface ClientLabel {
  key: string;
  name: string;
}

export interface StartJob<P> {
  kind: KindId<P>;
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
  /**
   * The client the work is for: the job is listed under it (`/wa client`). A lookup the caller
   * started is awaited alongside the other checks; its refusal is thrown instead of writing the job.
   */
  client?: ClientLabel | Promise<ClientLabel | undefined> | undefined;
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
  ctx: Requester,
  init: StartJob<P>,
  repo = new JobRepository(),
  now = clock.now(),
): Promise<Job<P>> {
  // The checks read concurrently; a failed `requires` is said first, as if it had run alone first.
  // The short reference is numbered alongside the checks (a refused start leaves a gap, not a wait).
  const numbering = init.kind.ref ? repo.nextRef(ctx.tenant, init.kind.ref) : undefined;
  numbering?.catch(() => undefined);
  const [active, , client] = await Promise.all([
    init.target !== undefined && !ctx.again
      ? activeJobFor(ctx.tenant, ctx.userId, init.kind.id, init.target, repo)
      : undefined,
    init.requires,
    init.client,
  ]);
  if (active) throw new ActiveJobError(active);
  const ref = await numbering;
  const lease = leaseToken();
  const job: Job<P> = {
    tenant: ctx.tenant,
    id: newJobId(now),
    kind: init.kind.id,
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
    ...(client ? { client: client.name, clientKey: client.key } : {}),
    ...(ref ? { ref } : {}),
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
    // Listed under its client, written alongside it like the target's pointer.
    client ? repo.listUnderClient(job as Job, client.key, now) : undefined,
    ref ? repo.pointRef(job as Job, now) : undefined,
  ]);
  await jobQueue().send([{ tenant: job.tenant, jobId: job.id, lease, job: job as Job }]);
  return job;
}
