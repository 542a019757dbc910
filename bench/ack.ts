/**
 * Ack latency of the slack function, in-process: a signed API Gateway v2 event into the handler
 * of functions/slack.ts, the response out, with the store on dynalite (in its own process, as
 * DynamoDB is across the network). `/wa help`, and a command that writes a job. The queue
 * captures jobs without running them while acks are measured; then the mutating command again
 * with jobs running and every provider answering after 5 s, to show that the ack
 * never waits on a provider.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpEvent, HttpResult } from '../src/http/apigw.js';
import type { QueueMessage } from '../src/jobs/model.js';
import { slackLambdaEvent, slashCommandBody } from '../test/helpers/slack.js';
import { emit, note, percentile, round, sleep, startBenchTable } from './lib.js';

const WARMUP = 30;
const SAMPLES = Number(process.env.BENCH_ACK_SAMPLES ?? 300);
const SLOW_MS = 5_000;

// Every provider: an answer after 5 s.
const slow = createServer((req, res) => {
  if (process.env.BENCH_DEBUG) note(`slow server: ${req.method} ${req.url}`);
  req.resume();
  // Slack's own Web API stays quick (users.info is on the ack path of restrictable commands).
  const slack = req.url?.startsWith('/slack/api/');
  const user = { id: 'U0ADMIN', is_admin: true, deleted: false, is_bot: false };
  setTimeout(
    () => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, ts: '1.1', channel: 'C0SANDBOX', user }));
    },
    slack ? 0 : SLOW_MS,
  );
});
await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;

const db = await startBenchTable('bench-ack', {
  SANDBOX_CREDENTIALS: 'true',
  SLACK_API_URL: `${slowUrl}/slack/api/`,
  PUBLIC_URL: 'http://127.0.0.1:3000',
  CM_SIGN_BASE_URL: `${slowUrl}/cm-sign`,
  ZAVU_BASE_URL: `${slowUrl}/zavu`,
  CM_CHANNELS_BASE_URL: `${slowUrl}/cm-channels`,
  COMMBOX_BASE_URL: `${slowUrl}/commbox`,
  VONAGE_BASE_URL: `${slowUrl}/vonage`,
});
await (await import('../src/sandbox/server.js')).seedSandboxInstallation();

const { setJobQueue, InProcessQueue } = await import('../src/jobs/queue.js');
const captured: QueueMessage[] = [];
setJobQueue({ send: async (messages) => void captured.push(...messages) });

const { findCommand } = await import('../src/app/catalog.js');
const { handler } = await import('../functions/slack.js');

/** The mutating command: the partner invite if built, else an opt-in, else any job-writing command. */
const candidates = [
  (n: number) => `invite partner "Acme ${n}"`,
  (n: number) =>
    `contact optin +3161234${String(5000 + (n % 5000)).padStart(4, '0')} --source "bench form ${n}"`,
];
let mutating: ((n: number) => string) | undefined;
for (const make of candidates) {
  const found = findCommand(
    make(1)
      .match(/"[^"]*"|\S+/g)
      ?.map((t) => t.replace(/"/g, '')) ?? [],
  );
  if (found?.spec.handler) {
    mutating = make;
    break;
  }
}
if (!mutating) throw new Error('no built command writes a job');

function event(text: string): HttpEvent {
  return slackLambdaEvent(slashCommandBody(slowUrl, text, { user_id: 'U0ADMIN' }));
}

async function measure(label: string, text: (n: number) => string, samples: number) {
  const times: number[] = [];
  let failures = 0;
  for (let i = 0; i < WARMUP + samples; i++) {
    const e = event(text(i));
    const t0 = performance.now();
    const res = (await handler(e)) as HttpResult;
    const ms = performance.now() - t0;
    if (ms > 1000) note(`${label} #${i}: ${Math.round(ms)} ms`);
    const out = String(res.body ?? '');
    if (res.statusCode !== 200 || /warning|:x:|went wrong/i.test(out)) {
      failures += 1;
      if (failures === 1) note(`${label}: unexpected answer ${res.statusCode} ${out.slice(0, 200)}`);
    }
    if (i >= WARMUP) times.push(ms);
    // Let the event loop breathe as it would between Lambda invocations.
    await new Promise((r) => setImmediate(r));
  }
  return {
    p50: round(percentile(times, 50)),
    p99: round(percentile(times, 99)),
    max: round(Math.max(...times)),
    failures,
  };
}

const help = await measure('help', () => 'help', SAMPLES);
const write = await measure('mutating', mutating, SAMPLES);
const jobsWritten = captured.length;

// Now jobs run (after each response, as the local queue runs them), against 5-second providers.
const running = new InProcessQueue(8);
// The engine, wired with the app's job kinds (as functions/worker.ts is).
await import('../src/app/engine.js');
const { runMessage } = await import('../src/jobs/runner.js');
running.consumer = async (m) => void (await runMessage(m));
setJobQueue(running);
const slowProvider = await measure(
  'mutating, 5 s providers',
  (n) => mutating(n + 100_000),
  Math.min(SAMPLES, 200),
);
const jobsStillWaitingOnProviders = running.size;

emit({
  bench: 'ack',
  p50Ms: Math.max(help.p50, write.p50),
  p99Ms: Math.max(help.p99, write.p99),
  slowProviderP99Ms: slowProvider.p99,
  help,
  mutating: { command: `/wa ${mutating(0)}`, ...write, jobsWritten },
  slowProvider: { ...slowProvider, providerDelayMs: SLOW_MS, jobsStillWaitingOnProviders },
  samples: SAMPLES,
  store: 'dynalite (separate process)',
  queue:
    'jobs captured, not run, while acks are measured; run concurrently (in-process) in the slow-provider pass',
});

slow.closeAllConnections();
slow.close();
await sleep(10);
await db.close();
process.exit(0);
