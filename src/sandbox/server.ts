import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { clock as appClock, SimulatedClock, setClock } from '../clock.js';
import { MAX_BODY_BYTES } from '../http/apigw.js';
import type { Handler } from './context.js';
import { ControlPlane, LOCKED_PAGE, SAMPLE_DOCUMENT_PATH } from './control-plane.js';
import { installSandboxCredentials } from './credentials.js';
import {
  FakeSlack,
  issueResponseUrl,
  issueTriggerId,
  parseWebApiBody,
  SANDBOX_BOT,
  SANDBOX_CHANNEL,
  SANDBOX_CHANNELS,
  SANDBOX_TEAM,
  SANDBOX_USERS,
} from './fake-slack.js';
import { BodyTooLarge, readBody, toApiGatewayEvent, writeResult } from './http-event.js';

// The local stack (and every test that imports it) lets workspaces fall back to the sandboxes' credentials.
installSandboxCredentials();

export interface LocalStackOptions {
  port?: number;
  host?: string;
  /** Persist DynamoDB, provider sandboxes and fake Slack here; in memory when unset. */
  dataDir?: string | undefined;
  /** Extra environment for the functions (provider URLs, fault rate, ...). */
  env?: Record<string, string>;
}

export interface LocalStack {
  url: string;
  /** This start's control-plane token: send it as `x-sandbox-token` to `/_sandbox/*` (see control-plane.ts). */
  controlToken: string;
  /** The console link (`/?token=…`) that binds a browser to this stack. */
  consoleUrl: string;
  slack: FakeSlack;
  close(): Promise<void>;
  /**
   * One scheduler period (= POST /_sandbox/scheduler/tick): the simulated clock moves 60 s, provider
   * sandboxes move on, the scheduler handler runs as EventBridge invokes it, and the worker handler
   * drains the queue.
   */
  tick(): Promise<unknown>;
  /** Moves the simulated clock forward, running what falls due in order (= POST /_sandbox/clock). */
  advance(ms: number): Promise<{ now: string; periods: number }>;
  /** How often each Lambda handler ran (the local stack runs the deployed ones). */
  invocations: { scheduler: number; worker(): number };
  /** The local job queue (SQS semantics): delivery statistics and dead letters. */
  queue: Pick<import('./local-sqs.js').LocalSqsQueue, 'stats' | 'deadLetters'>;
  /** Waits until the in-process queue is idle (work started by commands has finished). */
  drain(): Promise<void>;
  /** The simulated clock every function and sandbox of this stack reads. */
  clock: SimulatedClock;
}

/** The latest simulated time any stack of this process reached (a later stack starts from there). */
let latestTime = 0;

const CONSOLE_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'console');

/**
 * The local stack: every function in-process behind the same routes as serverless.yml, fed
 * API Gateway v2 events, with an embedded dynalite, a fake Slack Web API and the console page.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const clock = new SimulatedClock();
  // Time never runs backwards: not across a restart on the same DATA_DIR, and not for a second
  // stack in the same process (whose in-memory rate-limit slots were taken on the first's clock).
  clock.ahead = Math.max(
    await loadClockOffset(options.dataDir),
    Math.max(appClock.now(), latestTime) - Date.now(),
  );
  setClock(clock);
  const dynalite = await startDynalite(options.dataDir);
  const slack = new FakeSlack(options.dataDir);

  let publicUrl = () => `http://${host}`;
  const routes: Array<{ method: string; path: RegExp; key: string; load: () => Promise<Handler> }> = [];
  let hooks: Awaited<ReturnType<typeof import('./extensions.js').start>> | undefined;
  const notReady = () => Promise.reject(new Error('the local stack is still starting'));

  // Requests still being handled when the stack closes finish before the database goes away.
  const inflight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const handling = handle(req, res)
      .catch((err) => {
        console.error('local stack error', err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
      })
      .finally(() => inflight.delete(handling));
    inflight.add(handling);
  });

  let control: ControlPlane;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    // The server listens before the functions are configured (they need its URL). Until the
    // stack is up, only what the start itself calls (the fake Slack, response URLs) and the
    // liveness check answer; everything else waits for it rather than failing.
    if (!ControlPlane.isOpen(method, url.pathname) && url.pathname !== '/healthz') await ready;
    if (url.pathname.startsWith('/_sandbox/') && !ControlPlane.isOpen(method, url.pathname)) {
      if (!control.allows(req)) {
        req.resume();
        res
          .writeHead(403, { 'content-type': 'text/plain' })
          .end(
            "forbidden: the sandbox control plane answers only this stack's console (see its console link)",
          );
        return;
      }
    }
    if (method === 'GET' && url.pathname === '/') {
      // The console link hands the browser its cookie; without it the page says where to find it.
      if (url.searchParams.has('token')) {
        if (!control.sameOrigin(req) || !control.validToken(url.searchParams.get('token'))) {
          res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' }).end(LOCKED_PAGE);
          return;
        }
        res
          .writeHead(302, { location: '/', 'set-cookie': control.cookie(), 'cache-control': 'no-store' })
          .end();
        return;
      }
      if (!control.allows(req)) {
        res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' }).end(LOCKED_PAGE);
        return;
      }
    }
    let body: string;
    try {
      body = await readBody(req, method === 'GET' ? 0 : MAX_BODY_BYTES * 4);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res
          .writeHead(413, { 'content-type': 'text/plain', connection: 'close' })
          .end('request body too large');
        return;
      }
      throw err;
    }

    if (url.pathname.startsWith('/_sandbox/slack/api/')) {
      const out = slack.call(
        url.pathname.slice('/_sandbox/slack/api/'.length),
        parseWebApiBody(body, req.headers['content-type']),
        req.headers.authorization,
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      return;
    }
    if (url.pathname.startsWith('/_sandbox/slack/files-pri/') && method === 'GET') {
      const out = slack.download(url.pathname, req.headers.authorization);
      res.writeHead(out.status, out.headers).end(out.body);
      return;
    }
    if (url.pathname === SAMPLE_DOCUMENT_PATH && method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/pdf' }).end(await samplePdf());
      return;
    }
    if (url.pathname === '/_sandbox/slack/signin') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in to Slack</body></html>');
      return;
    }
    if (url.pathname === '/_sandbox/slack/user-messages' && method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(slack.userMessageList()));
      return;
    }
    if (url.pathname === '/_sandbox/slack/files' && method === 'POST') {
      // A person shares a file in a channel (tests and the console): {name, base64, channel?, user?, text?}.
      const b = JSON.parse(body || '{}') as Record<string, string>;
      const shared = slack.shareFile({
        name: String(b.name ?? 'document.pdf'),
        bytes: Buffer.from(String(b.base64 ?? ''), 'base64'),
        ...(b.mimetype ? { mimetype: b.mimetype } : {}),
        ...(b.filetype ? { filetype: b.filetype } : {}),
        ...(b.channel ? { channel: b.channel } : {}),
        ...(b.user ? { user: b.user } : {}),
        ...(b.text ? { text: b.text } : {}),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(shared));
      return;
    }
    if (url.pathname === '/_sandbox/slack/shortcut' && method === 'POST') {
      // The message_action payload Slack would post for a message shortcut: {callbackId, messageTs, user?}.
      const b = JSON.parse(body || '{}') as { callbackId: string; messageTs: string; user?: string };
      try {
        const payload = slack.messageShortcut(b);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      } catch (err) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end((err as Error).message);
      }
      return;
    }
    if (url.pathname === '/_sandbox/slack/messages') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(slack.messages.items));
      return;
    }
    if (url.pathname.startsWith('/_sandbox/response/') && method === 'POST') {
      let payload: Record<string, unknown>;
      try {
        payload = parseWebApiBody(body, req.headers['content-type'] ?? 'application/json');
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        return;
      }
      const out = slack.respond(url.pathname.split('/').pop() ?? '', payload);
      res.writeHead(out.status, { 'content-type': 'text/plain' }).end(out.body);
      return;
    }
    if (url.pathname === '/_sandbox/slack/issue' && method === 'POST') {
      // What Slack puts in a payload it sends: a fresh trigger_id and response_url, and for a
      // slash command the text escaped as Slack escapes it (the console sends what Slack would).
      let typed: unknown;
      try {
        typed = body ? (JSON.parse(body) as { text?: unknown }).text : undefined;
      } catch {
        typed = undefined;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          trigger_id: issueTriggerId(),
          response_url: issueResponseUrl(publicUrl()),
          ...(typeof typed === 'string' ? { text: slack.commandText(typed) } : {}),
        }),
      );
      return;
    }
    if (url.pathname === '/_sandbox/slack/home-opened' && method === 'POST') {
      // The event Slack sends when a person opens the Home tab ({"user": "U…"}); the console signs it.
      let user: unknown;
      try {
        user = body ? (JSON.parse(body) as { user?: unknown }).user : undefined;
      } catch {
        user = undefined;
      }
      if (typeof user !== 'string' || !SANDBOX_USERS.some((u) => u.id === user)) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ error: `"user" must be one of ${SANDBOX_USERS.map((u) => u.id).join(', ')}` }),
          );
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(slack.homeOpenedEvent(user)));
      return;
    }
    if (url.pathname === '/_sandbox/slack/oauth/authorize') {
      // Stands in for slack.com/oauth/v2/authorize: the person "allows" and comes back with a code.
      // Slack sends the person back only to a redirect URL configured for the app (the manifest's
      // /slack/oauth_redirect on this stack); any other answers bad_redirect_uri, as Slack does
      // (docs.slack.dev/authentication/installing-with-oauth), so this page is no open redirect.
      const team = url.searchParams.get('team') ?? 'T0NEWTEAM';
      const allowed = new URL('/slack/oauth_redirect', publicUrl());
      let redirect: URL | undefined;
      try {
        redirect = new URL(url.searchParams.get('redirect_uri') ?? allowed.href, publicUrl());
      } catch {
        redirect = undefined;
      }
      if (!redirect || redirect.origin !== allowed.origin || redirect.pathname !== allowed.pathname) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad_redirect_uri');
        return;
      }
      redirect.searchParams.set('code', `sandbox-code-${team}`);
      redirect.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: redirect.toString() }).end();
      return;
    }
    if (url.pathname === '/_sandbox/scheduler/tick' && method === 'POST') {
      const out = await (hooks?.tick() ?? notReady());
      await saveClockOffset(options.dataDir, clock);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out ?? {}));
      return;
    }
    if (url.pathname === '/_sandbox/clock' && (method === 'GET' || method === 'POST')) {
      let moved: unknown;
      if (method === 'POST') {
        const advance = parseAdvance(body);
        if ('error' in advance) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(advance));
          return;
        }
        moved = await (hooks?.advance(advance.ms) ?? notReady());
        await saveClockOffset(options.dataDir, clock);
      }
      const now = clock.now();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          now: new Date(now).toISOString(),
          nowMs: now,
          aheadMs: clock.ahead,
          periodSeconds: 60,
          ...(moved ? { moved } : {}),
          due: (await hooks?.dueNext()) ?? [],
        }),
      );
      return;
    }
    if (url.pathname === '/_sandbox/try' && method === 'GET') {
      const { tryIt } = await import('./try-it.js');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tryIt()));
      return;
    }
    if (url.pathname === '/_sandbox/state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await hooks?.state()));
      return;
    }
    if (url.pathname === '/_sandbox/console/config') {
      const config = (await import('../config.js')).config();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          signingSecret: config.slack.signingSecret,
          teamId: SANDBOX_TEAM.id,
          teamDomain: SANDBOX_TEAM.domain,
          channelId: SANDBOX_CHANNEL.id,
          channelName: SANDBOX_CHANNEL.name,
          users: SANDBOX_USERS.map((u) => ({ id: u.id, name: u.name })),
          channels: SANDBOX_CHANNELS,
          shouldEscape: slack.shouldEscape,
          apiAppId: SANDBOX_BOT.appId,
          shortcuts: slack.shortcuts,
        }),
      );
      return;
    }
    if (method === 'GET' && (url.pathname === '/' || url.pathname.startsWith('/_sandbox/console/'))) {
      const file = url.pathname === '/' ? 'index.html' : url.pathname.slice('/_sandbox/console/'.length);
      if (!/^[\w.-]+$/.test(file)) {
        res.writeHead(404).end();
        return;
      }
      try {
        const content = await readFile(join(CONSOLE_DIR, file));
        const type = file.endsWith('.js')
          ? 'text/javascript'
          : file.endsWith('.css')
            ? 'text/css'
            : 'text/html; charset=utf-8';
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(content);
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
      return;
    }

    const route = routes.find((r) => r.method === method && r.path.test(url.pathname));
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const fn = await route.load();
    writeResult(res, await fn(toApiGatewayEvent(req, body, route.key)));
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 3000, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  control = new ControlPlane(url, options.env?.SANDBOX_CONTROL_TOKEN ?? process.env.SANDBOX_CONTROL_TOKEN);
  slack.baseUrl = url;
  publicUrl = () => url;

  // The functions read their configuration once; it is injected (process.env stays as it was)
  // and complete before they load. Each scheduler invocation makes one pass: the clock, not the
  // wall, decides when the next one comes.
  const { configure, config } = await import('../config.js');
  const baseEnv: Record<string, string> = {
    DYNAMODB_ENDPOINT: dynalite.url,
    SLACK_API_URL: `${url}/_sandbox/slack/api/`,
    SLACK_AUTHORIZE_URL: `${url}/_sandbox/slack/oauth/authorize`,
    PUBLIC_URL: url,
    SCHEDULER_LOOP_SECONDS: '0',
    ...options.env,
    // The fake Slack's file URLs live on this origin, over http: the SSRF guard lets exactly this
    // origin through (src/http/safe-fetch.ts; refused outside the local stack).
    SAFE_FETCH_TEST_ALLOWLIST: [
      url,
      options.env?.SAFE_FETCH_TEST_ALLOWLIST ?? process.env.SAFE_FETCH_TEST_ALLOWLIST,
    ]
      .filter(Boolean)
      .join(','),
  };
  configure(baseEnv);
  slack.tokenRotation = config().slack.tokenRotation;
  // Caches keyed by tenant would otherwise keep pointing at an earlier stack's fake Slack.
  (await import('../slack/tenant-client.js')).clearSlackClients();
  (await import('../slack/permissions.js')).clearAdminCache();
  (await import('../store/dynamo.js')).resetDdb();
  await ensureTable(dynalite.url, config().tableName);
  await seedSandboxInstallation();

  const fn = (path: string) => async () => (await import(path)).handler as Handler;
  routes.push(
    {
      method: 'POST',
      path: /^\/slack\/events$/,
      key: 'POST /slack/events',
      load: fn('../../functions/slack.js'),
    },
    {
      method: 'GET',
      path: /^\/slack\/install$/,
      key: 'GET /slack/install',
      load: fn('../../functions/oauth.js'),
    },
    {
      method: 'GET',
      path: /^\/slack\/oauth_redirect$/,
      key: 'GET /slack/oauth_redirect',
      load: fn('../../functions/oauth.js'),
    },
    { method: 'GET', path: /^\/healthz$/, key: 'GET /healthz', load: fn('../../functions/health.js') },
    {
      method: 'POST',
      path: /^\/webhooks\/zavu(\/[\w-]+)?$/,
      key: 'POST /webhooks/zavu/{hookId}',
      load: fn('../../functions/webhook-zavu.js'),
    },
    {
      method: 'POST',
      path: /^\/webhooks\/cm-sign(\/[\w-]+)?$/,
      key: 'POST /webhooks/cm-sign/{hookId}',
      load: fn('../../functions/webhook-cm-sign.js'),
    },
    {
      method: 'GET',
      path: /^\/webhooks\/meta(\/[\w-]+)?$/,
      key: 'GET /webhooks/meta/{hookId}',
      load: fn('../../functions/webhook-meta.js'),
    },
    {
      method: 'POST',
      path: /^\/webhooks\/meta(\/[\w-]+)?$/,
      key: 'POST /webhooks/meta/{hookId}',
      load: fn('../../functions/webhook-meta.js'),
    },
  );

  const extensions = await import('./extensions.js');
  const started = await extensions.start(
    { url, dataDir: options.dataDir, slack, routes, controlToken: control.token },
    clock,
  );
  configure({ ...baseEnv, ...started.env });
  (await import('../store/dynamo.js')).resetDdb();
  hooks = started;
  markReady();
  started.ready();

  return {
    url,
    controlToken: control.token,
    consoleUrl: control.consoleUrl,
    slack,
    clock,
    invocations: started.invocations,
    queue: started.queue,
    tick: async () => {
      const out = await started.tick();
      await saveClockOffset(options.dataDir, clock);
      return out;
    },
    advance: async (ms: number) => {
      const out = await started.advance(ms);
      await saveClockOffset(options.dataDir, clock);
      return out;
    },
    drain: () => started.drain(),
    async close() {
      server.close();
      await Promise.allSettled([...inflight]);
      await started.close();
      control.forget();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynalite.close();
      latestTime = Math.max(latestTime, clock.now());
      setClock(undefined);
      configure({});
    },
  };
}

export type { Route } from './context.js';

async function startDynalite(dataDir?: string) {
  const { default: dynalite } = await import('dynalite');
  const server: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const { createTableInput } = await import('../store/table.js');
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { TableNames } = await client.send(new ListTablesCommand({}));
  if (!TableNames?.includes(tableName))
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  // dynalite creates tables asynchronously (slower with a DATA_DIR): writes before ACTIVE fail.
  for (let i = 0; i < 200; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  client.destroy();
}

/**
 * T0SANDBOX is installed from the start, with the fake Slack's bot token (also the workspace the
 * tests and benchmarks that call the handlers directly install).
 */
export async function seedSandboxInstallation(): Promise<void> {
  const { DynamoInstallationStore } = await import('../slack/installation-store.js');
  await new DynamoInstallationStore().storeInstallation({
    team: { id: SANDBOX_TEAM.id, name: SANDBOX_TEAM.name },
    enterprise: undefined,
    user: { id: 'U0ADMIN', token: undefined, scopes: undefined },
    bot: {
      token: SANDBOX_BOT.token,
      scopes: ['commands', 'chat:write', 'chat:write.public', 'users:read', 'files:read'],
      id: SANDBOX_BOT.botId,
      userId: SANDBOX_BOT.userId,
    },
    appId: SANDBOX_BOT.appId,
    tokenType: 'bot',
    isEnterpriseInstall: false,
    authVersion: 'v2',
  });
}

/** The simulated clock's lead over real time survives a restart on the same DATA_DIR, as the data does. */
async function loadClockOffset(dataDir: string | undefined): Promise<number> {
  if (!dataDir) return 0;
  try {
    const saved = JSON.parse(await readFile(join(dataDir, 'clock.json'), 'utf8')) as { aheadMs?: unknown };
    return typeof saved.aheadMs === 'number' && saved.aheadMs > 0 ? saved.aheadMs : 0;
  } catch {
    return 0;
  }
}

async function saveClockOffset(dataDir: string | undefined, clock: SimulatedClock): Promise<void> {
  if (!dataDir) return;
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, 'clock.json'), JSON.stringify({ aheadMs: clock.ahead }));
}

const MAX_ADVANCE_MS = 366 * 86_400_000;

/**
 * `{"advance": "PT1H"}` (an ISO 8601 duration in weeks, days, hours, minutes and seconds; years and
 * months have no fixed length and are refused) or `{"advance": 3600}` (seconds).
 */
export function parseAdvance(body: string): { ms: number } | { error: string } {
  let value: unknown;
  try {
    value = (JSON.parse(body || '{}') as { advance?: unknown }).advance;
  } catch {
    return { error: 'the body must be JSON like {"advance": "PT1H"} or {"advance": 3600}' };
  }
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value * 1000;
  else if (typeof value === 'string') {
    const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
    if (m && value.trim() !== 'P' && !value.trim().endsWith('T')) {
      const [w, d, h, min, sec] = m.slice(1).map((x) => Number(x ?? 0)) as [
        number,
        number,
        number,
        number,
        number,
      ];
      ms = ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + sec) * 1000;
    }
  }
  if (ms === undefined)
    return {
      error: '"advance" must be an ISO 8601 duration such as "PT1H" or "P7D", or a number of seconds',
    };
  if (ms <= 0) return { error: 'the clock only moves forward: "advance" must be more than zero' };
  if (ms > MAX_ADVANCE_MS) return { error: '"advance" may be at most 366 days' };
  return { ms: Math.round(ms) };
}

let sample: Promise<Uint8Array> | undefined;
/** A one-page contract to sign, made once per process (pdf-lib, as the CM.com Sign sandbox reads it). */
function samplePdf(): Promise<Uint8Array> {
  sample ??= (async () => {
    const { PDFDocument, StandardFonts } = await import('pdf-lib');
    const doc = await PDFDocument.create();
    const page = doc.addPage([595, 842]);
    const font = await doc.embedFont(StandardFonts.Helvetica);
    page.drawText('Sample contract (local stack)', { x: 72, y: 760, size: 18, font });
    page.drawText('Signed here over WhatsApp through the CM.com Sign sandbox.', {
      x: 72,
      y: 730,
      size: 11,
      font,
    });
    return doc.save();
  })();
  return sample;
}
