/**
 * DynamoDB units per job step, by kind of step, through the deployed scheduler pass, queue
 * message and worker handler (in-process queue instead of SQS, simulated clock to reach due
 * times). N jobs per phase; each phase's units are divided by the steps it ran.
 *
 * - poll: the job falls due and its step polls and waits 5 minutes. A wait of 1 minute to 2
 *   hours is parked: the next step comes by a delayed queue message under a lease kept for it (no
 *   claim); the scheduler would claim it only if that message were lost. poll-2h: 24 polls in a row.
 *   (A wait outside that range goes through the due index: claim + finish + index move.)
 * - poll-1h: a job that polls every hour, 24 polls (a day). The clock moves in steps of at most
 *   15 minutes (SQS delays a message at most 900 s, so a longer wait's message arrives early and
 *   is sent on: a hop); the scheduler passes once per poll. `messages` counts queue messages per
 *   step (the step's own and its hops).
 * - webhook: an event for a waiting job (deliverToJob, as webhooks and buttons do), the step
 *   acts on it and waits 5 minutes (the next poll from now).
 * - final: the scheduler finds the job due, the step finishes it.
 * - final, webhook: an event finishes the job.
 * - kept: an event's step goes on at once (a click's follow-up): the second step runs under the
 *   same lease, with no claim and no index write (two steps per event).
 *
 * Table units are what DynamoDB reports (ReturnConsumedCapacity INDEXES); index units for
 * queries too. dynalite reports no index units for writes, so index writes are recomputed here
 * from each written item before and after, by DynamoDB's documented rules (keys-only index:
 * enter 1, leave 1, key change 2, anything else 0), and checked against what the repository
 * reports. Failed conditional writes count 1 WCU (DynamoDB charges them). No provider call is
 * made: rate-limit slot writes (one per ~19 requests when busy, up to one per request when
 * quiet) come on top and are measured by the job-drain bench.
 *
 *   tsx bench/cost.ts [jobsPerPhase=100]
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { emit, lambdaContext, note, round, sqsEvent, startBenchTable } from './lib.js';

const N = Number(process.argv[2] ?? 100);
const WAIT_MS = 5 * 60_000;
const HOUR_MS = 60 * 60_000;

const db = await startBenchTable('bench-cost');
const { setClock, clock } = await import('../src/clock.js');
// A clock that moves only when told: per-phase step counts must not depend on how long the
// machine takes (a simulated clock that flows with wall time would make waits fall due mid-phase).
let frozen = Date.now();
const sim = { now: () => frozen, advance: (ms: number) => (frozen += ms) };
setClock(sim);
const { kindId } = await import('../src/jobs/kinds.js');
const { addJobKinds } = await import('../src/app/engine.js');
const registerJobKind = (id: string, load: () => Promise<never>) => addJobKinds({ id: kindId(id), load });
const { InProcessQueue, setJobQueue } = await import('../src/jobs/queue.js');
const { dispatchPass } = await import('../src/jobs/sweep.js');
const { startJob } = await import('../src/jobs/service.js');
const { deliverToJob } = await import('../src/jobs/deliver.js');
const { capacity, meterCapacity, resetCapacity } = await import('../src/jobs/capacity.js');
const { tenantId } = await import('../src/store/keys.js');
const worker = await import('../functions/worker.js');

let steps = 0;
let messages = 0;
type Data = { polls?: number; keepPollTime?: boolean; last?: number };
registerJobKind(
  'bench.cost',
  async () =>
    ({
      kind: 'bench.cost',
      payload: z.object({ polls: z.number(), waitMs: z.number().optional() }),
      async step(
        job: {
          id: string;
          tenant: string;
          payload: { polls: number; waitMs?: number };
          data: Data;
          dueAt?: number;
        },
        io: { now: number; inbox: Array<{ type: string }> },
      ) {
        steps += 1;
        const polls = (job.data.polls ?? 0) + 1;
        if (io.inbox.some((e) => e.type === 'finish') || polls > job.payload.polls) return { type: 'done' };
        // Acted on a click: its follow-up goes on at once (under the same lease).
        if (io.inbox.some((e) => e.type === 'follow-up'))
          return { type: 'wait', until: io.now, data: { polls } };
        const keep = io.inbox.some((e) => e.type === 'same-time') && job.data.last !== undefined;
        const until = keep ? (job.data.last as number) : io.now + (job.payload.waitMs ?? WAIT_MS);
        return { type: 'wait', until, data: { polls, last: until } };
      },
    }) as never,
);

const queue = new InProcessQueue(20);
queue.consumer = async (message) => {
  const event = sqsEvent(message);
  await worker.handler(event, lambdaContext('worker', 30_000));
};
const send = queue.send.bind(queue);
queue.send = (sent) => {
  messages += sent.length;
  return send(sent);
};
setJobQueue(queue);

const raw = new DynamoDBClient({
  endpoint: db.endpoint,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const peek = async (TableName: string, key: Record<string, unknown>) => {
  // The meter sees the document client's input (plain values) or a raw client's (marshalled).
  const plain = Object.values(key).every((v) => typeof v !== 'object');
  const Key = (plain ? marshall(key) : key) as never;
  const out = await raw.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
  return out.Item ? unmarshall(out.Item) : undefined;
};

const T = tenantId('T0COST');
const ctx = { tenant: T, userId: 'U0BENCH', channelId: 'C0BENCH', responseUrl: undefined };

async function start(polls: number, waitMs?: number) {
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    const job = await startJob(ctx, {
      kind: kindId('bench.cost'),
      subject: `cost ${i}`,
      payload: { polls, ...(waitMs === undefined ? {} : { waitMs }) },
    });
    ids.push(job.id);
  }
  await queue.drain();
  return ids;
}

/** One scheduler pass after the clock reached the jobs' due time, then the workers. */
async function schedulerStep() {
  sim.advance(WAIT_MS + 1_000);
  await dispatchPass({});
  await queue.drain();
}

/** An hour in steps of 15 minutes (what the queue holds a message at most), then a scheduler pass. */
async function hourStep() {
  for (let i = 0; i < 4; i++) {
    sim.advance(i === 3 ? 15 * 60_000 + 1_000 : 15 * 60_000);
    await queue.drain();
  }
  await dispatchPass({});
  await queue.drain();
}

async function events(ids: string[], type: string) {
  sim.advance(1_000);
  const before = clock.now();
  for (const id of ids) await deliverToJob(T, id, { type, data: {} });
  await queue.drain();
  // The parked messages the events overtook come at their old times and are dropped after a
  // read: part of what an event costs. (The steps' new parked messages come later.)
  sim.advance(before + WAIT_MS - 500 - clock.now());
  await queue.drain();
}

const phases: Array<Record<string, unknown>> = [];
async function measure(name: string, what: string, run: () => Promise<void>) {
  steps = 0;
  messages = 0;
  meterCapacity(true, { check: { peek, indexKeys: ['dueShard', 'dueAt'] } });
  resetCapacity();
  await run();
  meterCapacity(false);
  const per = (n: number) => round(n / steps, 3);
  const figures = {
    step: name,
    what,
    steps,
    wcu: per(capacity.wcu + capacity.indexWcuChecked),
    tableWcu: per(capacity.wcu),
    indexWcu: per(capacity.indexWcuChecked),
    indexWcuByRepository: per(capacity.indexWcu),
    rcu: per(capacity.rcu),
    tableRcu: per(capacity.tableRcu),
    indexRcu: per(capacity.indexRcu),
    failedConditionalWrites: capacity.failedConditions,
    messages: per(messages),
    calls: Object.fromEntries(Object.entries(capacity.byOperation).map(([op, v]) => [op, v.calls])),
  };
  note(JSON.stringify(figures));
  phases.push(figures);
}

const t0 = Date.now();
const polling = await start(40);
await measure(
  'poll',
  'the job is due: its parked message comes (or the scheduler claims it); the step polls and waits 5 min',
  schedulerStep,
);
await measure('poll-2h', 'as poll, 24 times in a row: the due index moves about once an hour', async () => {
  for (let i = 0; i < 24; i++) await schedulerStep();
});
await events(polling, 'finish'); // (not measured) so that only the next set falls due
const hourly = await start(30, HOUR_MS);
await measure(
  'poll-1h',
  'a job that polls every hour, 24 polls in a row (a day); the clock moves 15 min at a time',
  async () => {
    for (let i = 0; i < 24; i++) await hourStep();
  },
);
// (not measured) finished, and their messages run out, so that only the next set falls due
await events(hourly, 'finish');
await hourStep();
const waiting = await start(10);
await measure('webhook', 'an event wakes the waiting job; the step waits 5 min from now', () =>
  events(waiting, 'status'),
);
// (not measured) so that only the next set falls due
await events(waiting, 'finish');
await start(1);
await measure('final', 'scheduler claims the due job; the step finishes it', schedulerStep);
const woken = await start(10);
await measure('final-webhook', 'an event finishes the waiting job', () => events(woken, 'finish'));
const followed = await start(10);
await measure(
  'kept',
  'an event (a click) wakes the job, the step acts on it and its follow-up runs at once under the same lease, then waits 5 min: two steps',
  () => events(followed, 'follow-up'),
);
const byName = Object.fromEntries(phases.map((p) => [p.step, p]));
emit({
  bench: 'dynamodb-cost',
  jobsPerPhase: N,
  perStep: Object.fromEntries(
    phases.map((p) => [
      p.step,
      {
        wcu: p.wcu,
        tableWcu: p.tableWcu,
        indexWcu: p.indexWcu,
        rcu: p.rcu,
        tableRcu: p.tableRcu,
        indexRcu: p.indexRcu,
        failedConditionalWrites: p.failedConditionalWrites,
        messages: p.messages,
        steps: p.steps,
      },
    ]),
  ),
  pollingStepWcu: (byName.poll as { wcu: number }).wcu,
  hourlyPollWcu: (byName['poll-1h'] as { wcu: number }).wcu,
  indexCheck: phases.every((p) => p.indexWcu === p.indexWcuByRepository)
    ? 'index writes recomputed from the items by the rules = what the repository reports'
    : 'MISMATCH between recomputed and reported index writes (see stderr)',
  seconds: round((Date.now() - t0) / 1000, 1),
  clock: new Date(clock.now()).toISOString(),
  notes:
    "Units per step. Table WCU/RCU as DynamoDB reports them (dynalite: ReturnConsumedCapacity INDEXES; it reports index units for queries, not for writes). indexWcu: due-index writes computed from each written item before and after by DynamoDB's rules (keys-only GSI: enter 1, leave 1, key change 2, else 0). Failed conditional writes at 1 WCU. No provider calls: rate-limit slot writes come on top (job-drain bench).",
});

raw.destroy();
await db.close();
process.exit(0);
