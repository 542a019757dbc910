import { randomUUID } from 'node:crypto';
import type { ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { clock, type SimulatedClock } from '../clock.js';
import { config } from '../config.js';
import { setJobQueue } from '../jobs/queue.js';
import { JobRepository } from '../jobs/repository.js';
import type { ExtensionContext } from './context.js';
import { LocalSqsQueue, lambdaContext } from './local-sqs.js';

export type { ExtensionContext } from './context.js';

/** EventBridge's schedule (serverless.yml `rate(1 minute)`): one scheduler invocation per period. */
export const SCHEDULER_PERIOD_MS = 60_000;
/** serverless.yml: worker timeout 30 s, queue VisibilityTimeout 180 s, maxReceiveCount 5. */
const WORKER = { timeoutMs: 30_000, visibilityTimeoutMs: 180_000, maxReceiveCount: 5, concurrency: 4 };
const SCHEDULER_TIMEOUT_MS = 55_000;
/** One clock move runs at most this many scheduler periods (+7 days jumps between due times). */
const MAX_TICKS_PER_ADVANCE = 2_000;

export interface DueEntry {
  tenant: string;
  jobId: string;
  dueAt: string;
  kind?: string | undefined;
  subject?: string | undefined;
  state?: string | undefined;
}

/**
 * The local stack's scheduling: the same Lambda handlers as AWS. The worker handler
 * (functions/worker.ts) takes SQS-shaped batches from a local queue with SQS's redelivery rules;
 * the scheduler handler (functions/scheduler.ts) is invoked with EventBridge's scheduled event
 * each period of the simulated clock. Provider sandboxes start here too.
 */
export async function start(ctx: ExtensionContext, simulated: SimulatedClock) {
  const worker = (await import('../../functions/worker.js')).handler as unknown as (
    event: SQSEvent,
    context: ReturnType<typeof lambdaContext>,
  ) => Promise<SQSBatchResponse>;
  const scheduler = (await import('../../functions/scheduler.js')).handler as unknown as (
    event: ScheduledEvent,
    context: ReturnType<typeof lambdaContext>,
  ) => Promise<unknown>;

  const queue = new LocalSqsQueue({
    handler: (event, context) => worker(event, context),
    batchSize: 10,
    visibilityTimeoutMs: WORKER.visibilityTimeoutMs,
    maxReceiveCount: WORKER.maxReceiveCount,
    concurrency: WORKER.concurrency,
    functionTimeoutMs: WORKER.timeoutMs,
  });
  setJobQueue(queue);
  const invocations = { scheduler: 0, worker: () => queue.stats.batches };

  const { startProviderSandboxes } = await import('./providers/index.js');
  const providers = await startProviderSandboxes(ctx);
  // Started by ready() once the stack's configuration points at the sandboxes; in the background,
  // so the stack answers at once; periods, drain and close wait for it.
  let registered: Promise<void> = Promise.resolve();

  /** One scheduler period at the clock's current time: providers move on, the scheduler runs, workers drain. */
  async function runPeriod() {
    await registered;
    await providers.tick();
    invocations.scheduler += 1;
    const dispatched = await scheduler(
      scheduledEvent(),
      lambdaContext('scheduler', Date.now() + SCHEDULER_TIMEOUT_MS),
    );
    await queue.drain();
    return dispatched;
  }

  const repo = new JobRepository();

  /** The earliest time something falls due: a job in the due index or a message waiting out its visibility. */
  async function nextDueAt(): Promise<number | undefined> {
    const times: number[] = [];
    for (let n = 0; n < config().dueShards; n++) {
      const page = await repo.due(`S#${n}`, Number.MAX_SAFE_INTEGER, 1);
      const first = page.keys[0];
      if (first) times.push(first.dueAt);
    }
    const visible = queue.nextVisibleAt();
    if (visible !== undefined) times.push(visible);
    return times.length ? Math.min(...times) : undefined;
  }

  let moving: Promise<unknown> = Promise.resolve();

  /**
   * Moves the clock forward by `ms`, running what falls due in order: a scheduler period at each
   * due time (or every period while work is due period after period), then one at the end.
   * Stretches where nothing is due are jumped over, so +7 days takes as many periods as there are
   * due times in it. Moves are serialised: two callers never interleave.
   */
  function advance(ms: number) {
    const run = moving.then(async () => {
      const target = simulated.now() + ms;
      let periods = 0;
      while (periods < MAX_TICKS_PER_ADVANCE) {
        const now = simulated.now();
        if (now >= target) break;
        const due = await nextDueAt();
        let to = Math.min(target, now + SCHEDULER_PERIOD_MS);
        // Nothing due within the period: jump to the next due time (never past the target).
        if (due === undefined || due > to) to = Math.min(target, Math.max(to, due ?? target));
        simulated.advance(to - now);
        await runPeriod();
        periods += 1;
      }
      return { now: new Date(simulated.now()).toISOString(), periods };
    });
    moving = run.catch(() => undefined);
    return run;
  }

  /**
   * What falls due next, soonest first (the console's "due next" list). A parked job's index key
   * is only its recovery time (an hour or more on): its next step is at `runAt`, which `repo.get` reads
   * as its `dueAt`. So more keys than shown are read, and sorted by the job's own due time.
   */
  async function dueNext(limit = 10): Promise<DueEntry[]> {
    const keys: Array<{ tenant: string; jobId: string }> = [];
    for (let n = 0; n < config().dueShards; n++) {
      const page = await repo.due(`S#${n}`, Number.MAX_SAFE_INTEGER, limit * 5);
      keys.push(...page.keys);
    }
    const jobs = await Promise.all(keys.map((k) => repo.get(k.tenant as never, k.jobId)));
    return jobs
      .filter((job) => job?.dueAt !== undefined)
      .map((job) => job as NonNullable<typeof job>)
      .sort((a, b) => (a.dueAt as number) - (b.dueAt as number))
      .slice(0, limit)
      .map((job) => ({
        tenant: job.tenant,
        jobId: job.id,
        dueAt: new Date(job.dueAt as number).toISOString(),
        kind: job.kind,
        subject: job.subject,
        state: job.state,
      }));
  }

  return {
    env: providers.env,
    invocations,
    queue,
    /** One scheduler period: the clock moves 60 s and what is due runs. */
    tick: () => advance(SCHEDULER_PERIOD_MS),
    advance,
    dueNext,
    state: async () => providers.state(),
    /** Call after the stack is configured: registers the sandbox workspace's webhooks. */
    ready: () => {
      registered = registerSandboxWebhooks();
    },
    close: async () => {
      await registered;
      await moving;
      await queue.close();
      setJobQueue(undefined);
      await providers.close();
    },
    drain: async () => {
      await registered;
      await queue.drain();
    },
  };
}

function scheduledEvent(): ScheduledEvent {
  const rule = 'arn:aws:events:local:000000000000:rule/wa-onboarding-local-scheduler';
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'local',
    resources: [rule],
    detail: {},
  };
}

/**
 * What an admin's `/wa connect` does for a real workspace, done once for the sandbox workspace
 * (whose credentials are the sandboxes' own): register its CM.com Sign webhook, through the
 * production code, with the sandbox. A fault-injecting sandbox may refuse a try; three tries.
 */
async function registerSandboxWebhooks(): Promise<void> {
  const [{ registerCmSignWebhook }, { tenantId }, { clock }] = await Promise.all([
    import('../invites/cm-sign-webhook.js'),
    import('../store/keys.js'),
    import('../clock.js'),
  ]);
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      // A short timeout: a fault-injecting sandbox may swallow a try, and start-up must not wait long.
      await registerCmSignWebhook(tenantId('T0SANDBOX'), clock.now(), 500);
      return;
    } catch (err) {
      if (attempt === 3)
        console.warn('sandbox: could not register the CM.com Sign webhook', (err as Error).message);
    }
  }
}
