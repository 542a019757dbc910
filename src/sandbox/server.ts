import { readFile } from 'node:fs/promises';
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
import { SimulatedClock, setClock } from '../clock.js';
import type { HttpEvent, HttpResult } from '../http/apigw.js';
import { MAX_BODY_BYTES } from '../http/apigw.js';
import { ControlPlane, LOCKED_PAGE } from './control-plane.js';
import {
  FakeSlack,
  parseWebApiBody,
  SANDBOX_BOT,
  SANDBOX_CHANNEL,
  SANDBOX_TEAM,
  SANDBOX_USERS,
} from './fake-slack.js';
import { BodyTooLarge, readBody, toApiGatewayEvent, writeResult } from './http-event.js';

type Handler = (event: HttpEvent) => Promise<HttpResult>;

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
  /** Provider sandboxes advance, one sweep runs, and the queue drains (= POST /_sandbox/scheduler/tick). */
  tick(): Promise<unknown>;
  /** Waits until the in-process queue is idle (work started by commands has finished). */
  drain(): Promise<void>;
  /** The simulated clock every function and sandbox of this stack reads. */
  clock: SimulatedClock;
}

const CONSOLE_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'console');

/**
 * The local stack: every function in-process behind the same routes as serverless.yml, fed
 * API Gateway v2 events, with an embedded dynalite, a fake Slack Web API and the console page.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const clock = new SimulatedClock();
  setClock(clock);
  const dynalite = await startDynalite(options.dataDir);
  const slack = new FakeSlack(options.dataDir);

  const routes: Array<{ method: string; path: RegExp; key: string; load: () => Promise<Handler> }> = [];
  let hooks: {
    tick(): Promise<unknown>;
    state(): Promise<unknown>;
    close(): Promise<void>;
    drain(): Promise<void>;
  } = {
    tick: async () => ({ swept: 0 }),
    state: async () => ({}),
    close: async () => {},
    drain: async () => {},
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error('local stack error', err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    });
  });

  let control: ControlPlane;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
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
    if (url.pathname === '/_sandbox/slack/messages') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(slack.messages.items));
      return;
    }
    if (url.pathname.startsWith('/_sandbox/response/') && method === 'POST') {
      const payload = parseWebApiBody(body, req.headers['content-type'] ?? 'application/json');
      const { id: _id, ts: _ts, kind: _kind, ...message } = payload;
      slack.record({ ...message, kind: 'response_url', responseUrlId: url.pathname.split('/').pop() });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (url.pathname === '/_sandbox/slack/oauth/authorize') {
      // Stands in for slack.com/oauth/v2/authorize: the person "allows" and comes back with a code.
      const team = url.searchParams.get('team') ?? 'T0NEWTEAM';
      const redirect = new URL(
        url.searchParams.get('redirect_uri') ?? '/slack/oauth_redirect',
        `http://${host}`,
      );
      redirect.searchParams.set('code', `sandbox-code-${team}`);
      redirect.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: redirect.toString() }).end();
      return;
    }
    if (url.pathname === '/_sandbox/scheduler/tick' && method === 'POST') {
      const out = await hooks.tick();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out ?? {}));
      return;
    }
    if (url.pathname === '/_sandbox/state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await hooks.state()));
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
          apiAppId: SANDBOX_BOT.appId,
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

  // The functions read their configuration once, so the environment is complete before they load.
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: dynalite.url,
    SLACK_API_URL: `${url}/_sandbox/slack/api/`,
    SLACK_AUTHORIZE_URL: `${url}/_sandbox/slack/oauth/authorize`,
    PUBLIC_URL: url,
    ...options.env,
  });
  slack.tokenRotation = process.env.SLACK_TOKEN_ROTATION === 'true';
  const { resetConfig, config } = await import('../config.js');
  resetConfig();
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
  hooks = await extensions.start({ url, dataDir: options.dataDir, slack, routes });

  return {
    url,
    controlToken: control.token,
    consoleUrl: control.consoleUrl,
    slack,
    clock,
    tick: () => hooks.tick(),
    drain: () => hooks.drain(),
    async close() {
      await hooks.close();
      control.forget();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynalite.close();
      setClock(undefined);
    },
  };
}

export type Route = { method: string; path: RegExp; key: string; load: () => Promise<Handler> };

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

/** T0SANDBOX is installed from the start, with the fake Slack's bot token. */
async function seedSandboxInstallation(): Promise<void> {
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
