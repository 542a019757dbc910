import { clock as appClock } from '../clock.js';
import { config } from '../config.js';
import { logger } from '../log.js';
import type { TenantId } from '../store/keys.js';
import { LEASE_MS, type QueueMessage } from './model.js';
import { jobQueue } from './queue.js';
import { JobRepository, leaseToken } from './repository.js';

/**
 * A run: a claimed job plus more of the same tenant's due jobs that the worker takes next, one
 * after another, claiming each as it gets to it, until `until`. A worker whose own time runs out
 * first hands the rest to the queue as a new run.
 */
export interface RunMessage extends QueueMessage {
  next?: string[] | undefined;
  until?: number | undefined;
}

export interface DispatchOptions {
  /** No pass starts after this time. */
  loopUntil: number;
  /** Runs per tenant per pass: enough to keep a provider's rate limit busy while a step waits on it. */
  lanes?: number;
  /** How long a run keeps taking jobs. */
  runMs?: number;
  /** Pause between passes. */
  passEveryMs?: number;
  /** Job ids per run (a queue message stays far below SQS's 256 KB). */
  maxRun?: number;
  repo?: JobRepository;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Ends the loop early (tools and benchmarks). */
  signal?: AbortSignal;
  /** What this invocation has handed out so far (one per dispatchLoop call; a fresh one is a full pass). */
  state?: DispatchState;
}

export interface DispatchResult {
  passes: number;
  fullPasses: number;
  found: number;
  runs: number;
  dispatched: number;
  ms: number;
}

const DISPATCH = {
  lanes: 2,
  runMs: 60_000,
  passEveryMs: 1_000,
  maxRun: 1_000,
  /** A full pass reads the whole due index; between them, passes read only what fell due since. */
  fullEveryMs: 60_000,
  /** Incremental passes look back this far, for writes that landed after the previous pass read. */
  overlapMs: 5_000,
  pageSize: 1_000,
};

/**
 * What one scheduler invocation has handed out, kept across its passes only: job (at its due
 * time) -> until when a run holds it, and due entries whose claim failed (leased elsewhere).
 * Nothing survives the invocation, so any number of schedulers may run at once (an overlap at
 * the minute, a retried invocation): the conditional claim in DynamoDB is what decides which run
 * gets a job, and a job handed out twice is merely skipped by the run that loses the claim.
 */
export class DispatchState {
  readonly reserved = new Map<string, number>();
  readonly skipped = new Map<string, number>();
  lastPassAt: number | undefined;
  lastFullAt = 0;
  forceFull = false;
}

/**
 * The deployed scheduler: instead of one sweep a minute, passes every second for most of the
 * minute. Each pass finds due jobs not already handed out, groups them by tenant, and sends each
 * tenant's in a few runs (`lanes`): the worker claims and runs them one after another, so a
 * tenant's backlog flows at its provider's rate limit without a sweep per job, without waiting
 * for the next minute, and without a burst of claims that the limit would only turn back.
 */
export async function dispatchLoop(opts: DispatchOptions): Promise<DispatchResult> {
  // The loop's own pacing is wall time (a Lambda's minute); what is due is the app's clock.
  const wall = Date.now;
  const state = opts.state ?? new DispatchState();
  const sleep =
    opts.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        opts.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      }));
  const started = wall();
  const total: DispatchResult = { passes: 0, fullPasses: 0, found: 0, runs: 0, dispatched: 0, ms: 0 };
  for (;;) {
    const pass = await dispatchPass({ ...opts, state });
    total.passes += 1;
    total.fullPasses += pass.full ? 1 : 0;
    total.found += pass.found;
    total.runs += pass.runs;
    total.dispatched += pass.dispatched;
    const every = opts.passEveryMs ?? DISPATCH.passEveryMs;
    if (wall() + every >= opts.loopUntil || opts.signal?.aborted) break;
    await sleep(every);
    if (opts.signal?.aborted) break;
  }
  total.ms = wall() - started;
  if (total.dispatched > 0) logger.info('dispatch', { ...total });
  return total;
}

export async function dispatchPass(
  opts: Omit<DispatchOptions, 'loopUntil'> = {},
): Promise<{ full: boolean; found: number; runs: number; dispatched: number }> {
  const clock = opts.clock ?? appClock.now;
  const repo = opts.repo ?? new JobRepository();
  const lanes = opts.lanes ?? DISPATCH.lanes;
  const maxRun = opts.maxRun ?? DISPATCH.maxRun;
  const now = clock();
  const state = opts.state ?? new DispatchState();
  const { reserved, skipped } = state;

  let lapsed = false;
  for (const [key, until] of reserved)
    if (until <= now) {
      reserved.delete(key);
      lapsed = true;
    }
  for (const [key, until] of skipped) if (until <= now) skipped.delete(key);
  const full =
    state.lastPassAt === undefined ||
    lapsed ||
    state.forceFull ||
    now - state.lastFullAt >= DISPATCH.fullEveryMs;
  const after = full ? undefined : (state.lastPassAt as number) - DISPATCH.overlapMs;
  state.forceFull = false;

  const byTenant = new Map<TenantId, Array<{ jobId: string; dueAt: number; key: string }>>();
  let found = 0;
  await Promise.all(
    Array.from({ length: config().dueShards }, async (_, n) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await repo.due(`S#${n}`, now, DISPATCH.pageSize, startKey, after);
        startKey = page.next;
        for (const { tenant, jobId, dueAt } of page.keys) {
          const key = `${tenant}#${jobId}#${dueAt}`;
          if (reserved.has(key) || skipped.has(key)) continue;
          found += 1;
          const list = byTenant.get(tenant) ?? [];
          byTenant.set(tenant, list);
          list.push({ jobId, dueAt, key });
        }
      } while (startKey);
    }),
  );
  state.lastPassAt = now;
  if (full) state.lastFullAt = now;

  // A run's time is wall time: it is how long a worker keeps taking jobs, not a due time.
  const until = Date.now() + (opts.runMs ?? DISPATCH.runMs);
  const messages: RunMessage[] = [];
  let dispatched = 0;
  await Promise.all(
    [...byTenant].map(async ([tenant, due]) => {
      due.sort((a, b) => a.dueAt - b.dueAt);
      if (due.length > lanes * maxRun) {
        due.length = lanes * maxRun;
        state.forceFull = true; // the rest is older than an incremental pass looks
      }
      const count = Math.min(lanes, due.length);
      const runs = Array.from({ length: count }, (_, i) => due.filter((_, j) => j % count === i));
      await Promise.all(
        runs.map(async (run) => {
          // The head is claimed here; the worker claims the others as it reaches them.
          while (run.length > 0) {
            const head = run.shift() as (typeof run)[number];
            const lease = leaseToken();
            const job = await repo.claim(tenant, head.jobId, lease, now, LEASE_MS);
            if (!job) {
              skipped.set(head.key, now + LEASE_MS);
              continue;
            }
            for (const r of [head, ...run]) reserved.set(r.key, now + (until - Date.now()) + 250);
            messages.push({ tenant, jobId: head.jobId, lease, job, next: run.map((r) => r.jobId), until });
            dispatched += 1 + run.length;
            return;
          }
        }),
      );
    }),
  );
  if (messages.length) await jobQueue().send(messages);
  return { full, found, runs: messages.length, dispatched };
}
