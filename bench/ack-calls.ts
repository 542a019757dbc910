/**
 * What one warm ack does: every DynamoDB call (command, table, time against dynalite) made while
 * the handler of functions/slack.ts answers `/wa help` and `/wa invite partner "Acme n"`, the
 * time of the whole ack, and a bare GetItem / PutItem round trip against the same dynalite
 * process, so the dynalite share of the ack can be read apart from our own CPU. Same setup as
 * bench/ack.ts (signed API Gateway v2 events, dynalite in its own process, jobs captured).
 *
 *   npx tsx bench/ack-calls.ts            # one JSON line on stdout
 *   BENCH_ACK_SAMPLES=100 npx tsx bench/ack-calls.ts
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { HttpEvent, HttpResult } from '../src/http/apigw.js';
import type { QueueMessage } from '../src/jobs/model.js';
import { slackLambdaEvent, slashCommandBody } from '../test/helpers/slack.js';
import { emit, median, percentile, round, startBenchTable } from './lib.js';

const WARMUP = 30;
const SAMPLES = Number(process.env.BENCH_ACK_SAMPLES ?? 200);

const db = await startBenchTable('bench-ack-calls', {
  SANDBOX_CREDENTIALS: 'true',
  // Nothing on the measured path may call Slack or a provider: a closed port makes any such call fail.
  SLACK_API_URL: 'http://127.0.0.1:9/slack/api/',
  PUBLIC_URL: 'http://127.0.0.1:3000',
  ZAVU_BASE_URL: 'http://127.0.0.1:9/zavu',
});
await (await import('../src/sandbox/server.js')).seedSandboxInstallation();
const { config } = await import('../src/config.js');

const { setJobQueue } = await import('../src/jobs/queue.js');
const captured: QueueMessage[] = [];
let queueSends = 0;
setJobQueue({
  send: async (messages) => {
    queueSends += 1;
    captured.push(...messages);
  },
});

// Every DynamoDB call: its command and how long it took (request out to response parsed).
const { ddb } = await import('../src/store/dynamo.js');
type Call = { command: string; ms: number; key: string; start: number; end: number };
let calls: Call[] = [];
ddb().middlewareStack.add(
  (next, context) => async (args) => {
    const t0 = performance.now();
    try {
      return await next(args);
    } finally {
      const input = args.input as {
        Key?: { sk?: string };
        Item?: { sk?: string };
        KeyConditionExpression?: string;
      };
      const key = String(input.Key?.sk ?? input.Item?.sk ?? input.KeyConditionExpression ?? '').replace(
        /#.*/,
        '#…',
      );
      const end = performance.now();
      calls.push({ command: String(context.commandName), ms: end - t0, key, start: t0, end });
    }
  },
  { step: 'initialize', name: 'benchAckCalls', priority: 'high' },
);

const { handler } = await import('../functions/slack.js');

function event(text: string): HttpEvent {
  return slackLambdaEvent(slashCommandBody('http://127.0.0.1:9', text, { user_id: 'U0ADMIN' }));
}

/** How long at least one DynamoDB call was in flight (calls made concurrently count once). */
function inFlight(list: Call[]): number {
  let total = 0;
  let until = Number.NEGATIVE_INFINITY;
  for (const c of [...list].sort((a, b) => a.start - b.start)) {
    if (c.end <= until) continue;
    total += c.end - Math.max(c.start, until);
    until = c.end;
  }
  return total;
}

async function measure(text: (n: number) => string) {
  const acks: number[] = [];
  const dynamo: number[] = [];
  const perCommand: Record<string, number[]> = {};
  let callsPerAck: Record<string, number> = {};
  let sends = 0;
  let failures = 0;
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    calls = [];
    const sendsBefore = queueSends;
    const e = event(text(i));
    const t0 = performance.now();
    const res = (await handler(e)) as HttpResult;
    const ms = performance.now() - t0;
    if (res.statusCode !== 200 || /warning|:x:|went wrong/i.test(String(res.body))) failures += 1;
    if (i < WARMUP) continue;
    acks.push(ms);
    dynamo.push(inFlight(calls));
    for (const c of calls) {
      perCommand[c.command] ??= [];
      perCommand[c.command]?.push(c.ms);
    }
    callsPerAck = {};
    for (const c of calls) {
      const name = `${c.command.replace(/Command$/, '')} ${c.key}`;
      callsPerAck[name] = (callsPerAck[name] ?? 0) + 1;
    }
    sends = queueSends - sendsBefore;
    await new Promise((r) => setImmediate(r));
  }
  return {
    ackP50: round(median(acks)),
    ackP99: round(percentile(acks, 99)),
    dynamoCallsPerAck: callsPerAck,
    queueSendsPerAck: sends,
    // Wall time with at least one DynamoDB call in flight (concurrent calls counted once).
    dynamoMsP50: round(median(dynamo)),
    dynamoMsP99: round(percentile(dynamo, 99)),
    // The ack's time with no DynamoDB call in flight: our CPU (Bolt, parsing, zod, JSON) and waits.
    restMsP50: round(median(acks.map((a, i) => a - (dynamo[i] as number)))),
    restMsP99: round(
      percentile(
        acks.map((a, i) => a - (dynamo[i] as number)),
        99,
      ),
    ),
    perCommandP50: Object.fromEntries(Object.entries(perCommand).map(([k, v]) => [k, round(median(v))])),
    failures,
  };
}

const help = await measure(() => 'help');
const invite = await measure((n) => `invite partner "Acme ${n}"`);

// A bare round trip against the same dynalite process, through the same client.
const bare: Record<string, number[]> = { GetItem: [], PutItem: [] };
const key = { pk: 'T#TBENCH', sk: 'BARE' };
for (let i = 0; i < WARMUP + SAMPLES; i++) {
  let t0 = performance.now();
  await ddb().send(new PutCommand({ TableName: config().tableName, Item: { ...key, n: i } }));
  const put = performance.now() - t0;
  t0 = performance.now();
  await ddb().send(new GetCommand({ TableName: config().tableName, Key: key, ConsistentRead: true }));
  const get = performance.now() - t0;
  if (i >= WARMUP) {
    bare.PutItem?.push(put);
    bare.GetItem?.push(get);
  }
}

emit({
  bench: 'ack-calls',
  samples: SAMPLES,
  help,
  invite: { ...invite, jobsWritten: captured.length },
  bareDynalite: Object.fromEntries(
    Object.entries(bare).map(([k, v]) => [k, { p50: round(median(v)), p99: round(percentile(v, 99)) }]),
  ),
});
await db.close();
process.exit(0);
