/**
 * Job drain and DynamoDB cost: N due jobs over W workspaces, through the scheduler's dispatch
 * loop, the queue and the worker handler exactly as deployed (in-process queue instead of SQS,
 * a fake Lambda context with the deployed timeouts). Each job's one step makes one provider call
 * through ProviderHttp with a 600/min per-workspace limit, to a sandbox answering in 50 ms that
 * counts every workspace's requests per sliding minute.
 *
 *   tsx bench/drain.ts [jobs ...]     (default: 1000 5000 10000; the last one also gives the cost)
 */
import { BatchWriteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { emit, itemSize, lambdaContext, note, round, sleep, sqsEvent, startBenchTable } from './lib.js';

const PER_MINUTE = 600;
const LATENCY_MS = 50;
const WORKSPACES = Number(process.env.BENCH_WORKSPACES ?? 10);
/** How many worker invocations may run at once (the worker's reserved concurrency in AWS). */
const WORKER_CONCURRENCY = 100;
const WORKER_TIMEOUT_MS = 30_000;
const SCHEDULER_TIMEOUT_MS = 50_000;
const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const RUNS = sizes.length ? sizes : [1_000, 5_000, 10_000];

const db = await startBenchTable('bench-drain');

const { startSandbox, route } = await import('../src/sandbox/providers/framework.js');
const { ProviderHttp } = await import('../src/http/client.js');
const { kindId } = await import('../src/jobs/kinds.js');
const { addJobKinds } = await import('../src/app/engine.js');
const registerJobKind = (id: string, load: () => Promise<never>) => addJobKinds({ id: kindId(id), load });
const { InProcessQueue, setJobQueue } = await import('../src/jobs/queue.js');
const { shardOf } = await import('../src/jobs/repository.js');
const { dispatchLoop } = await import('../src/jobs/sweep.js');
const { capacity, meterCapacity, resetCapacity } = await import('../src/jobs/capacity.js');
const { keys, tenantId } = await import('../src/store/keys.js');
const { config } = await import('../src/config.js');
const LOOP_MS = config().schedulerLoopMs;
const worker = await import('../functions/worker.js');

// The provider: 50 ms per answer; every workspace's requests counted per sliding minute.
const arrivals = new Map<string, number[]>();
let violations = 0;
let maxPerMinute = 0;
const sandbox = await startSandbox('bench', [
  route('POST', '/ws/:tenant/ping', async (req) => {
    const now = Date.now();
    const tenant = req.params.tenant as string;
    const seen = arrivals.get(tenant) ?? [];
    arrivals.set(tenant, seen);
    let head = 0;
    while (head < seen.length && (seen[head] as number) <= now - 60_000) head++;
    if (head > 0) seen.splice(0, head);
    seen.push(now);
    if (seen.length > PER_MINUTE) violations += 1;
    maxPerMinute = Math.max(maxPerMinute, seen.length);
    await sleep(LATENCY_MS);
    return { status: 200, body: { ok: true } };
  }),
]);

let stepsRun = 0;
let done = 0;
let lastDoneAt = 0;
const Pong = z.object({ ok: z.boolean() });
registerJobKind(
  'bench.ping',
  async () =>
    ({
      kind: 'bench.ping',
      payload: z.object({ n: z.number() }),
      async step(job: { tenant: string }) {
        stepsRun += 1;
        const http = new ProviderHttp({
          provider: 'zavu',
          baseUrl: sandbox.url,
          tenant: job.tenant as never,
          auth: () => ({}),
          rateLimit: { perMinute: PER_MINUTE },
        });
        await http.request('POST', `/ws/${job.tenant}/ping`, { schema: Pong, idempotent: true });
        done += 1;
        lastDoneAt = Date.now();
        return { type: 'done' };
      },
    }) as never,
);

// SQS + the worker Lambda: each message is one invocation of the deployed handler.
const queue = new InProcessQueue(WORKER_CONCURRENCY);
queue.consumer = async (message) => {
  const event = sqsEvent(message);
  const out = (await worker.handler(event, lambdaContext('worker', WORKER_TIMEOUT_MS))) as {
    batchItemFailures: unknown[];
  };
  if (out.batchItemFailures.length) note('worker reported a failed record');
};
setJobQueue(queue);

const raw = new DynamoDBClient({
  endpoint: db.endpoint,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** N due jobs spread evenly over the workspaces, written straight to the table (not measured). */
async function seed(jobs: number, prefix: string, now: number) {
  const tenants = Array.from({ length: WORKSPACES }, (_, i) =>
    tenantId(`T${prefix}${String(i).padStart(3, '0')}`),
  );
  const items = Array.from({ length: jobs }, (_, i) => {
    const tenant = tenants[i % tenants.length] as ReturnType<typeof tenantId>;
    const id = `j${prefix}${String(i).padStart(6, '0')}`;
    return {
      ...keys.job(tenant, id),
      id,
      kind: 'bench.ping',
      subject: `ping ${i}`,
      state: 'waiting',
      attempts: 0,
      version: 1,
      createdAt: now - 1000,
      updatedAt: now - 1000,
      createdBy: 'U0BENCH',
      dueAt: now - 1000 + (i % 997),
      dueShard: shardOf(id),
      report: { channel: 'C0BENCH', userId: 'U0BENCH' },
      payload: { n: i },
      data: {},
      effects: {},
    };
  });
  for (let i = 0; i < items.length; i += 25) {
    await raw.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [config().tableName]: items
            .slice(i, i + 25)
            .map((Item) => ({ PutRequest: { Item: marshall(Item, { removeUndefinedValues: true }) } })),
        },
      }),
    );
  }
  return { tenants, ids: items.map((i) => ({ pk: i.pk, sk: i.sk })) };
}

async function drain(jobs: number, prefix: string, metered: boolean) {
  const seeded = await seed(jobs, prefix, Date.now());
  stepsRun = 0;
  done = 0;
  violations = 0;
  maxPerMinute = 0;
  arrivals.clear();
  if (metered) {
    meterCapacity();
    resetCapacity();
  }

  // EventBridge: the scheduler every minute, as the deployed handler runs it.
  const started = Date.now();
  const stop = new AbortController();
  const invocations: Promise<unknown>[] = [];
  const schedule = (async () => {
    for (let minute = 0; !stop.signal.aborted; minute++) {
      const context = lambdaContext('scheduler', SCHEDULER_TIMEOUT_MS);
      const loopUntil =
        Date.now() + Math.max(0, Math.min(LOOP_MS, context.getRemainingTimeInMillis() - 5_000));
      invocations.push(dispatchLoop({ loopUntil, signal: stop.signal }));
      const next = started + (minute + 1) * 60_000;
      while (Date.now() < next && !stop.signal.aborted) await sleep(Math.min(250, next - Date.now()));
    }
  })();
  const cap = Date.now() + 150_000;
  while (done < jobs && Date.now() < cap) await sleep(50);
  stop.abort();
  await schedule;
  await Promise.all(invocations);
  await queue.drain();
  meterCapacity(false);

  const seconds = (lastDoneAt - started) / 1000;
  const perWorkspace = Math.ceil(jobs / WORKSPACES);
  const boundSeconds = (perWorkspace * 60) / PER_MINUTE;

  let itemBytesMax = 0;
  let itemBytesSum = 0;
  const sample = seeded.ids.filter((_, i) => i % Math.max(1, Math.floor(jobs / 200)) === 0);
  for (const key of sample) {
    const out = await raw.send(
      new GetItemCommand({ TableName: config().tableName, Key: marshall(key), ConsistentRead: true }),
    );
    const size = itemSize(out.Item ?? {});
    itemBytesMax = Math.max(itemBytesMax, size);
    itemBytesSum += size;
  }
  return {
    jobs,
    done,
    stepsRun,
    seconds: round(seconds),
    boundSeconds: round(boundSeconds),
    efficiency: round(boundSeconds / seconds, 3),
    msPerJob: round((seconds * 1000) / jobs, 3),
    limitViolations: violations,
    maxRequestsInASlidingMinute: maxPerMinute,
    itemBytesAvg: Math.round(itemBytesSum / sample.length),
    itemBytesMax,
  };
}

const series: Array<Awaited<ReturnType<typeof drain>>> = [];
for (const [n, jobs] of RUNS.entries()) {
  const last = n === RUNS.length - 1;
  note(`drain: ${jobs} jobs over ${WORKSPACES} workspaces ...`);
  const r = await drain(jobs, String.fromCharCode(65 + n), last);
  note(JSON.stringify(r));
  series.push(r);
  if (last) {
    const steps = r.stepsRun;
    emit({
      bench: 'job-drain',
      jobs: r.jobs,
      workspaces: WORKSPACES,
      perMinutePerWorkspace: PER_MINUTE,
      providerLatencyMs: LATENCY_MS,
      seconds: r.seconds,
      boundSeconds: r.boundSeconds,
      efficiency: r.efficiency,
      limitViolations: r.limitViolations,
      maxRequestsInASlidingMinute: r.maxRequestsInASlidingMinute,
      stepsRun: r.stepsRun,
      scaling: series.map((s) => ({
        jobs: s.jobs,
        seconds: s.seconds,
        msPerJob: s.msPerJob,
        efficiency: s.efficiency,
      })),
    });
    const table = capacity.wcu;
    emit({
      bench: 'dynamodb-cost-drain',
      steps,
      wcuPerStep: round((table + capacity.indexWcu) / steps, 3),
      rcuPerStep: round(capacity.rcu / steps, 3),
      indexRcuPerStep: round(capacity.indexRcu / steps, 3),
      tableWcuPerStep: round(table / steps, 3),
      indexWcuPerStep: round(capacity.indexWcu / steps, 3),
      failedConditionalWrites: capacity.failedConditions,
      byOperation: Object.fromEntries(
        Object.entries(capacity.byOperation).map(([op, v]) => [
          op,
          { calls: v.calls, wcu: round(v.wcu, 1), rcu: round(v.rcu, 1) },
        ]),
      ),
      itemBytesAvg: r.itemBytesAvg,
      itemBytesMax: r.itemBytesMax,
      indexWrites:
        'One-step jobs found by the scheduler (claim, finish, leave the due index). dynalite reports table units for writes and index units for queries; the repository adds due-index writes from the index attributes each write sets or removes: 1 when an item enters or leaves the index, 2 when its dueAt changes (delete + put); keys-only projection, 1 unit each. Failed conditional writes are counted at 1 WCU (DynamoDB charges them; dynalite reports nothing).',
    });
  }
}

await sandbox.close();
raw.destroy();
await db.close();
process.exit(0);
