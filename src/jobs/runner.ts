import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { UserError } from '../errors.js';
import { backoffDelay, JOB_RETRY } from '../http/backoff.js';
import { ProviderError, RateLimitedError, retryAfterOf } from '../http/errors.js';
import { logger } from '../log.js';
import { recordJob } from '../metrics.js';
import { ddb, tableName } from '../store/dynamo.js';
import { keys } from '../store/keys.js';
import { claimAndQueue, runnerDefaults as defaults, type RunnerDeps } from './deliver.js';
import { engine, type JobReporter } from './engine.js';
import type { JobKind, StepIO } from './kinds.js';
import { type Job, LEASE_MS, type QueueMessage, type SlackMessage, type StepOutcome } from './model.js';
import { jobQueue } from './queue.js';
import { ConflictError, leaseToken, TAKEOVER_MARGIN_MS } from './repository.js';
import type { RunMessage } from './sweep.js';

/** Transient: worth another try later. Everything else fails the job at once. */
function isTransientFailure(err: unknown): boolean {
  if (err instanceof ProviderError) return err.transient;
  if (err instanceof RateLimitedError) return true;
  if (err instanceof UserError) return false;
  // Our own infrastructure (DynamoDB throttling, Slack hiccups) and bugs get the retry budget too.
  return true;
}

/** Consecutive steps one worker runs under one lease before it lets the scheduler pace the job. */
const MAX_KEPT_STEPS = 20;

/**
 * Runs the job under the lease the message carries: one step, its outcome written in one
 * conditional update. When events make the job due again at once (they arrived during the step,
 * or the step acted on events and answers `wait` until now), the lease is kept in that same write
 * and the next step runs here, up to MAX_KEPT_STEPS and while `continueUntil` (wall time) allows: no claim and no
 * due-index write between them. Otherwise the write releases the lease and sets the next due
 * time. A message whose lease is no longer held is a duplicate or a straggler, and is dropped.
 */
export async function runMessage(
  message: QueueMessage,
  deps: RunnerDeps = defaults(),
  continueUntil = Number.POSITIVE_INFINITY,
): Promise<Job | undefined> {
  const { repo } = deps;
  const parked = message.runAt !== undefined;
  // SQS delays a message at most 15 minutes: a parked step's message that comes before its time
  // is sent on for the rest (queue.ts: min(runAt - now, 900 s)), without reading or writing the
  // job (a hop: 0 WCU, 0 RCU). A message whose job was taken over or cancelled meanwhile hops on
  // too, and is dropped at its time below. Never run early: an event relies on a parked step not
  // having started before runAt (deliverAndClaim). A send that fails fails this message, which
  // the queue delivers again after its visibility timeout (and a lost one is recovered by the
  // scheduler at the job's recovery time).
  if (parked && deps.now() < (message.runAt as number) - TAKEOVER_MARGIN_MS / 2) {
    await jobQueue().send([message]);
    return undefined;
  }
  // A parked step's message at its time is read first: an event may have taken the job over, or
  // cancelled it.
  const job =
    !parked && message.job?.leaseOwner === message.lease
      ? message.job
      : await repo.get(message.tenant, message.jobId);
  // A parked step's lease may have run out while its message waited for a worker: still its own
  // as long as nobody took the job (the lease is extended below, conditionally).
  if (!job || job.leaseOwner !== message.lease || (!parked && (job.leaseUntil ?? 0) < deps.now())) {
    logger.info('dropping a message whose lease is gone', { jobId: message.jobId });
    return undefined;
  }
  if (parked) {
    const now = deps.now();
    // Came late: the step gets a whole lease, as a claimed one would (refused if the scheduler
    // took the job meanwhile).
    if ((job.leaseUntil ?? 0) - now < LEASE_MS / 2) {
      if (!(await repo.extendLease(job, message.lease, now + LEASE_MS))) return undefined;
      job.leaseUntil = now + LEASE_MS;
    }
  }
  let current: Job | undefined = job;
  for (let step = 1; ; step++) {
    const keep = step < MAX_KEPT_STEPS && Date.now() < continueUntil;
    current = await runOneStep(current, message.lease, deps, keep);
    if (!current || current.leaseOwner !== message.lease) return current;
  }
}

async function runOneStep(
  claimed: Job,
  lease: string,
  deps: RunnerDeps,
  keep: boolean,
): Promise<Job | undefined> {
  const { repo } = deps;
  let job = claimed;
  const kind = await engine().kind(job.kind);
  const reporter = engine().reporterFor(job, deps.now);
  const consumed = job.inbox?.length ?? 0;
  let outcome: StepOutcome;

  if (!kind) {
    outcome = { type: 'fail', reason: `unknown job kind ${job.kind}` };
  } else {
    const payload = kind.payload.safeParse(job.payload);
    if (!payload.success) {
      outcome = { type: 'fail', reason: 'the job payload is not valid for its kind' };
    } else {
      job = { ...job, payload: payload.data };
      outcome = await runStep(kind, job, lease, reporter, deps);
    }
  }

  recordJob(job.kind, 'step');
  if (outcome.type === 'done') recordJob(job.kind, 'finished');
  else if (outcome.type === 'fail') recordJob(job.kind, 'failed');
  else if (outcome.type === 'retry') recordJob(job.kind, 'retry');

  // A step that chose to fail has said so in its own progress; a thrown failure gets the kind's
  // words. A kind with a card shows the failure on it (below) and keeps the words in the thread.
  if (outcome.type === 'fail' && kind && !('progress' in outcome && outcome.progress)) {
    const data = { ...job.data, ...(outcome.data ?? {}) };
    const msg =
      kind.failureMessage?.({ ...job, data } as never, outcome.reason) ??
      engine().failed(job, outcome.reason);
    const card = kind.card as ((j: Job) => SlackMessage) | undefined;
    const say = outcome.asker
      ? reporter.answer(engine().inputFailed(job, msg, kind.edit?.(job as never)))
      : kind.readOnly?.(job as never)
        ? reporter.answer(msg)
        : card
          ? (async () => {
              // A job that fails before its card was posted still gets one (showing the failure),
              // so the words below have a thread to go in.
              if (!reporter.report.progressTs) {
                await reporter.progress(card({ ...job, data, state: 'failed', lastError: outcome.reason }));
              }
              await reporter.post(msg);
            })()
          : reporter.progress(msg);
    await say.catch((err) => logger.warn('could not report failure', { error: err as Error }));
  }

  try {
    const now = deps.now();
    const park = kind ? leaseToken() : undefined;
    const finished = await repo.finishStep(
      { ...job, report: reporter.report },
      lease,
      outcome,
      now,
      // A step that failed transiently has not acted on its events: keep them for the retry.
      outcome.type === 'retry' ? 0 : consumed,
      keep && kind ? { leaseUntil: now + LEASE_MS } : undefined,
      park ? { lease: park } : undefined,
    );
    if (park && finished.leaseOwner === park) {
      // Parked: the next step's message, delayed to its due time (hops of ≤ 15 min), carries the
      // lease kept for it.
      try {
        await jobQueue().send([
          { tenant: finished.tenant, jobId: finished.id, lease: park, runAt: finished.dueAt },
        ]);
      } catch (err) {
        logger.warn('could not queue a parked step; the scheduler takes it at its due time', {
          jobId: finished.id,
          error: err as Error,
        });
        await repo.unpark(finished, park).catch(() => undefined);
      }
    }
    if (kind?.card) await showCard(kind, finished, reporter);
    if (finished.state === 'waiting' && (finished.inbox?.length ?? 0) > 0) {
      // Webhook events arrived while this step ran: go again now rather than at the next scheduler pass.
      // (A step that merely asks to be due now waits for the scheduler, which paces polling.)
      await claimAndQueue(finished, deps);
    }
    return finished;
  } catch (err) {
    if (err instanceof ConflictError) {
      logger.warn('lost the lease before finishing', { jobId: job.id });
      return undefined;
    }
    throw err;
  }
}

async function runStep(
  kind: JobKind,
  job: Job,
  lease: string,
  reporter: JobReporter,
  deps: RunnerDeps,
): Promise<StepOutcome> {
  const now = deps.now();
  const io: StepIO = {
    now,
    inbox: job.inbox ?? [],
    async effect(key, call, reconcile) {
      const seen = job.effects[key];
      if (seen?.status === 'done') return seen.result as never;
      if (seen?.status === 'started' && reconcile) {
        const found = await reconcile();
        if (found !== undefined) {
          job.effects[key] = { status: 'done', at: deps.now(), result: found };
          return found;
        }
      }
      await deps.repo.startEffect(job, lease, key, deps.now());
      job.effects[key] = { status: 'started', at: deps.now() };
      const result = await call();
      job.effects[key] = { status: 'done', at: deps.now(), result };
      // Recorded at once, not only when the step ends: a crash between here and the end of the
      // step would otherwise forget what the provider created (issue 14: orphan drafts).
      await deps.repo.finishEffect(job, lease, key, result, deps.now());
      return result;
    },
    progress: (m) => reporter.progress(m),
    post: (m) => reporter.post(m),
    ephemeral: (m) => reporter.ephemeral(m),
    answer: (m) => reporter.answer(m),
    permalink: (channel, ts) => reporter.permalink(channel, ts),
    async link(provider, objectId) {
      await ddb().send(
        new PutCommand({
          TableName: tableName(),
          Item: { ...keys.ref(job.tenant, provider, objectId), jobId: job.id },
        }),
      );
      job.refs = [...new Set([...(job.refs ?? []), `${provider}#${objectId}`])];
    },
  };

  try {
    const result = await kind.step(job, io);
    if (result.progress && kind.card) {
      // A kind with a card renders it from the state after the step (runMessage): what the
      // step said is history, in the card's thread (under a card posted first if none yet).
      if (!reporter.report.progressTs) {
        await reporter.progress(kind.card({ ...job, data: { ...job.data, ...(result.data ?? {}) } } as Job));
      }
      await reporter.post(result.progress);
    } else if (result.progress) await reporter.progress(result.progress);
    return result;
  } catch (err) {
    if (err instanceof RateLimitedError) {
      // Our own limit, not a failure: come back when the window has room, without using a retry.
      return { type: 'wait', until: now + err.retryAfterMs + Math.floor(deps.random() * 250) };
    }
    const reason = engine().describe(err);
    if (!isTransientFailure(err)) {
      logger.info('job step failed permanently', { jobId: job.id, kind: job.kind, error: err as Error });
      return { type: 'fail', reason };
    }
    const budget = kind.maxAttempts ?? JOB_RETRY.maxAttempts;
    if (job.attempts + 1 >= budget) {
      logger.warn('job out of retries', { jobId: job.id, kind: job.kind, error: err as Error });
      return { type: 'fail', reason: `${reason} We tried ${budget} times.` };
    }
    const delay = backoffDelay(job.attempts, JOB_RETRY, retryAfterOf(err), deps.random);
    logger.info('job step will retry', { jobId: job.id, kind: job.kind, delay, error: err as Error });
    return { type: 'retry', until: now + delay, error: reason };
  }
}

/**
 * Renders the job's card from its state and puts it in Slack (never failing the step for it).
 * Only a card that exists is updated: one first posted here, after the step was saved, would not
 * have its ts saved, and the next step would post a second card. (A step posts the first card,
 * and a failure before it gets one above, before the save.)
 */
async function showCard(kind: JobKind, job: Job, reporter: JobReporter): Promise<void> {
  if (!reporter.report.progressTs) return;
  try {
    await reporter.progress((kind.card as (j: Job) => SlackMessage)(job));
  } catch (err) {
    logger.warn('could not update the status card', { jobId: job.id, error: err as Error });
  }
}

/**
 * After a change made outside a step (a cancel), the job's card is rendered again from its
 * state, so it never shows a live button for something that is over.
 */
export async function refreshCard(job: Job): Promise<void> {
  if (!job.report.progressTs) return;
  const kind = await engine().kind(job.kind);
  const reporter = engine().reporterFor(job, clock.now);
  const message = kind?.card?.(job) ?? engine().plainCard(job);
  await reporter.progress(message).catch((err) => {
    logger.warn('could not update the status card', { jobId: job.id, error: err as Error });
  });
}

export interface LaneResult {
  steps: number;
  /** Jobs of the run someone else had taken, or that were no longer due. */
  skipped: number;
  /** Jobs handed to a new run because this worker's time ran out first. */
  handedOver: number;
}

/**
 * Runs a run (see dispatchLoop): its claimed job, then each next job of the same tenant, claimed
 * just before it runs, until the run's time is up. When the worker's own `deadline` comes first,
 * the rest goes back to the queue as a new run, so the tenant's backlog keeps flowing between
 * scheduler passes. A failure of the first job fails the message as before (the queue retries
 * it under the same lease); a failure of a later one is logged, and its lease expiry makes it
 * due again.
 */
export async function runLane(
  message: RunMessage,
  deps: RunnerDeps = defaults(),
  deadline = Number.POSITIVE_INFINITY,
): Promise<LaneResult> {
  const result: LaneResult = { steps: 1, skipped: 0, handedOver: 0 };
  const next = message.next ?? [];
  const until = message.until ?? 0;
  // A job due again at once keeps its lease and runs on here while the run and the worker allow.
  const continueUntil = Math.min(message.until ?? Number.POSITIVE_INFINITY, deadline);
  await runMessage(message, deps, continueUntil);
  let i = 0;
  // `until` and `deadline` are wall time: how long this worker may keep going.
  for (; i < next.length && Date.now() < Math.min(until, deadline); i++) {
    const jobId = next[i] as string;
    const lease = leaseToken();
    try {
      const job = await deps.repo.claim(message.tenant, jobId, lease, deps.now(), LEASE_MS);
      if (!job) {
        result.skipped += 1;
        continue;
      }
      await runMessage({ tenant: message.tenant, jobId, lease, job }, deps, continueUntil);
      result.steps += 1;
    } catch (err) {
      logger.error('job step failed in a run', { jobId, error: err as Error });
    }
  }
  if (i < next.length && Date.now() < until) {
    const rest = next.slice(i);
    while (rest.length > 0) {
      const jobId = rest.shift() as string;
      const lease = leaseToken();
      const job = await deps.repo.claim(message.tenant, jobId, lease, deps.now(), LEASE_MS);
      if (!job) continue;
      result.handedOver = rest.length + 1;
      await jobQueue().send([{ tenant: message.tenant, jobId, lease, job, next: rest, until } as RunMessage]);
      break;
    }
  }
  return result;
}
