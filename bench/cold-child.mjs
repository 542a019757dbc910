// One cold start in a fresh Node process: import a bundle, then (optionally) answer one signed
// slash command through its handler. Prints {"importMs", "firstAckMs", "fromStartMs", "cpuMs", "status"}:
// fromStartMs is performance.now() when the response is back, i.e. since this process started
// (Node's time origin), so it holds Node's own start-up, the import and the first request; cpuMs is
// the CPU time (user + system) the process had used by then, which other load on the machine
// disturbs far less than wall time.
//   node bench/cold-child.mjs <bundle.mjs> [<command> <text>]
import { createHmac } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [bundle, command, text] = process.argv.slice(2);
const t0 = performance.now();
const mod = await import(pathToFileURL(bundle).href);
const importMs = performance.now() - t0;

let firstAckMs;
let fromStartMs;
let cpuMs;
let status;
let answer;
if (command) {
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: 'T0SANDBOX',
    team_domain: 'sandbox',
    channel_id: 'C0SANDBOX',
    channel_name: 'onboarding',
    user_id: 'U0ADMIN',
    user_name: 'ada',
    command,
    text,
    api_app_id: 'A0SANDBOX',
    is_enterprise_install: 'false',
    response_url: 'http://127.0.0.1:9/response',
    trigger_id: `${Date.now()}.1.${Math.random().toString(16).slice(2)}`,
  }).toString();
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac(
    'sha256',
    process.env.BENCH_SIGNING_SECRET ?? process.env.SLACK_SIGNING_SECRET,
  )
    .update(`v0:${ts}:${body}`)
    .digest('hex')}`;
  const event = {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature,
    },
    requestContext: { http: { method: 'POST', path: '/slack/events' }, timeEpoch: Date.now() },
    body,
    isBase64Encoded: false,
  };
  const t1 = performance.now();
  const res = await mod.handler(event, {});
  firstAckMs = performance.now() - t1;
  fromStartMs = performance.now();
  const cpu = process.cpuUsage();
  cpuMs = (cpu.user + cpu.system) / 1000;
  status = res?.statusCode;
  answer = String(res?.body ?? '').slice(0, 300);
}
process.stdout.write(`${JSON.stringify({ importMs, firstAckMs, fromStartMs, cpuMs, status, answer })}\n`);
process.exit(0);
