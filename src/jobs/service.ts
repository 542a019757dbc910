import { clock } from '../clock.js';
import type { TenantId } from '../store/keys.js';
import { admitStart } from './admission.js';
import type { KindId } from './kinds.js';
import { type Job, LEASE_MS } from './model.js';
import { jobQueue } from './queue.js';
import { JobRepository, leaseToken, newJobId, type TargetPointer } from './repository.js';

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
  /**
   * A read-only request (a lookup, a status) or a cancel: not counted against the start limits
   * (src/jobs/admission.ts). Everything else a person starts is.
   */
  query?: boolean;
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
 * A pointer whose job cannot be read yet is a start in progress (the pointer is written first,
 * the job a moment later) for this long: an identical start then is shown that job, and must not
 * take the pointer over. Older, that start failed after writing the pointer, which no longer holds.
 */
const STARTING_MS = 10_000;

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
  return (await lookTarget(tenant, userId, kind, target, repo)).active;
}

/** The target's pointer, and the active job it names, if any. */
async function lookTarget(
  tenant: TenantId,
  userId: string,
  kind: string,
  target: string,
  repo: JobRepository,
  now = clock.now(),
): Promise<{ pointer: TargetPointer | undefined; active: Job | undefined }> {
  const pointer = await repo.readTarget(tenant, userId, kind, target);
  if (pointer === undefined) return { pointer, active: undefined };
  const job = await repo.get(tenant, pointer.jobId);
  if (job) {
    const active = job.kind === kind && job.createdBy === userId && ACTIVE_STATES.includes(job.state);
    return { pointer, active: active ? job : undefined };
  }
  // Not readable yet: when asked right after losing the race (`now`), a start that is writing it.
  const starting =
    now !== undefined && pointer.createdAt !== undefined && now - pointer.createdAt < STARTING_MS;
  return { pointer, active: starting ? startingJob(tenant, userId, kind, pointer) : undefined };
}

/** The winner's job as its pointer describes it, for the answer, while it is being written. */
function startingJob(tenant: TenantId, userId: string, kind: string, pointer: TargetPointer): Job {
  const createdAt = pointer.createdAt ?? 0;
  return {
    tenant,
    id: pointer.jobId,
    ...(pointer.ref ? { ref: pointer.ref } : {}),
    kind,
    subject: pointer.subject ?? 'a job',
    state: 'queued',
    attempts: 0,
    version: 1,
    createdAt,
    updatedAt: createdAt,
    createdBy: userId,
    report: { channel: pointer.channel ?? userId, userId },
    payload: {},
    data: {},
    effects: {},
  };
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
  // The checks read concurrently; a failed `requires` is said first, as if it had run alone
  // first, then an identical active job, then the start limits. The start is counted alongside
  // (one conditional write): an attempt answered with the active job counts too. The short
  // reference is numbered alongside the checks (a refused start leaves a gap, not a wait).
  const numbering = init.kind.ref ? repo.nextRef(ctx.tenant, init.kind.ref) : undefined;
  numbering?.catch(() => undefined);
  const [look, , client, admitted] = await Promise.all([
    init.target !== undefined && !ctx.again
      ? lookTarget(ctx.tenant, ctx.userId, init.kind.id, init.target, repo, now)
      : undefined,
    init.requires,
    init.client,
    init.query
      ? undefined
      : admitStart(ctx.tenant, ctx.userId, now).then(
          () => undefined,
          (err: unknown) => err,
        ),
  ]);
  if (look?.active) throw new ActiveJobError(look.active);
  if (admitted) throw admitted;
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
  if (init.target !== undefined) await lockTarget(job as Job, init.target, ctx, look?.pointer, repo, now);
  await Promise.all([
    repo.create(job as Job),
    // Listed under its client, written alongside the job.
    client ? repo.listUnderClient(job as Job, client.key, now) : undefined,
    ref ? repo.pointRef(job as Job, now) : undefined,
  ]);
  await jobQueue().send([{ tenant: job.tenant, jobId: job.id, lease, job: job as Job }]);
  return job;
}

/**
 * The target's pointer is the lock of identical starts: it is written before the job, on the
 * condition that it still names what this start saw (no job, or an ended one). Of several
 * identical starts at once, one write holds; each other start reads the pointer again and is
 * answered with the winner's job (ActiveJobError), written or being written. `--again` writes it
 * without condition: that start asked for another, and becomes the latest.
 */
async function lockTarget(
  job: Job,
  target: string,
  ctx: Requester,
  seen: TargetPointer | undefined,
  repo: JobRepository,
  now: number,
): Promise<void> {
  if (ctx.again) {
    await repo.pointTarget(job, target, now);
    return;
  }
  let expected: string | null = seen?.jobId ?? null;
  // A few rounds: each lost round is another start that won, whose job ended at once.
  for (let round = 0; round < 3; round++) {
    if (await repo.pointTarget(job, target, now, expected)) return;
    const look = await lookTarget(ctx.tenant, ctx.userId, job.kind, target, repo, now);
    if (look.active) throw new ActiveJobError(look.active);
    expected = look.pointer?.jobId ?? null;
  }
  throw new Error(`could not start ${job.kind} on its target: too many identical starts at once`);
}
