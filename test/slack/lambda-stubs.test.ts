import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionBuildOptions, OAUTH_ONLY, stubbedFor } from '../../scripts/build.js';
import type { HttpEvent, HttpResult } from '../../src/http/apigw.js';
import { SANDBOX_BOT, SANDBOX_TEAM } from '../../src/sandbox/fake-slack.js';
import { DynamoInstallationStore } from '../../src/slack/installation-store.js';
import { startTestTable } from '../helpers/dynamo.js';
import { slackLambdaEvent, slashCommandBody } from '../helpers/slack.js';

/**
 * The slack function is built with Bolt's HTTP/Express/Socket Mode receivers, express,
 * body-parser, raw-body, @slack/socket-mode and jsonwebtoken (OAuth state, the oauth function's
 * alone) replaced by stubs that record any call and throw (scripts/build.ts). The built bundle, imported as Lambda imports it, must answer every kind of
 * Slack request we handle without touching one.
 */

type Handler = (event: HttpEvent) => Promise<HttpResult>;
const OUT = join('node_modules/.cache', `wa-lambda-stubs-${process.pid}`);
const stubCalls = () => (globalThis as { __waLambdaStubCalls?: string[] }).__waLambdaStubCalls ?? [];
let table: Awaited<ReturnType<typeof startTestTable>>;
let api: Server;
let apiUrl: string;
const apiCalls: string[] = [];
let metafile: Metafile;
let handler: Handler;

beforeAll(async () => {
  // Slack's Web API, answering every method; users.info says the user is an admin.
  api = createServer((req, res) => {
    apiCalls.push(req.url ?? '');
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        ok: true,
        user: { id: 'U0ADMIN', is_admin: true, deleted: false, is_bot: false, tz: 'UTC' },
        channel: 'C0SANDBOX',
        ts: '1.1',
      }),
    );
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  table = await startTestTable({
    SLACK_API_URL: `${apiUrl}/api/`,
    SANDBOX_CREDENTIALS: 'true',
    LOG_LEVEL: 'ERROR',
  });
  await new DynamoInstallationStore().storeInstallation({
    team: { id: SANDBOX_TEAM.id, name: SANDBOX_TEAM.name },
    enterprise: undefined,
    user: { id: 'U0ADMIN', token: undefined, scopes: undefined },
    bot: {
      token: SANDBOX_BOT.token,
      scopes: ['commands'],
      id: SANDBOX_BOT.botId,
      userId: SANDBOX_BOT.userId,
    },
    appId: SANDBOX_BOT.appId,
    tokenType: 'bot',
    isEnterpriseInstall: false,
    authVersion: 'v2',
  });
  mkdirSync(OUT, { recursive: true });
  const out = await build(functionBuildOptions('functions/slack.ts', join(OUT, 'slack')));
  metafile = out.metafile as Metafile;
  ({ handler } = (await import(pathToFileURL(join(process.cwd(), OUT, 'slack/index.mjs')).href)) as {
    handler: Handler;
  });
}, 120_000);

afterAll(async () => {
  rmSync(OUT, { recursive: true, force: true });
  api?.closeAllConnections();
  api?.close();
  await table?.close();
});

const signed = (body: string, contentType: string) => slackLambdaEvent(body, { 'content-type': contentType });

const form = (text: string) => signed(slashCommandBody(apiUrl, text), 'application/x-www-form-urlencoded');
const interaction = (payload: Record<string, unknown>) =>
  signed(
    `payload=${encodeURIComponent(
      JSON.stringify({
        team: { id: 'T0SANDBOX', domain: 'sandbox' },
        user: { id: 'U0ADMIN', username: 'ada', name: 'ada', team_id: 'T0SANDBOX' },
        api_app_id: 'A0SANDBOX',
        token: 'legacy-token',
        is_enterprise_install: false,
        enterprise: null,
        trigger_id: `${Date.now()}.1.abc`,
        ...payload,
      }),
    )}`,
    'application/x-www-form-urlencoded',
  );
const event = (payload: Record<string, unknown>) => signed(JSON.stringify(payload), 'application/json');

const requests: Array<[string, () => HttpEvent]> = [
  ['slash command /wa help', () => form('help')],
  ['slash command /wa (the launcher)', () => form('')],
  ['slash command writing a job: /wa invite partner', () => form('invite partner "Acme Stubs"')],
  [
    'block_actions (a routed button)',
    () =>
      interaction({
        type: 'block_actions',
        channel: { id: 'C0SANDBOX', name: 'onboarding' },
        container: { type: 'message', message_ts: '1.000001', channel_id: 'C0SANDBOX', is_ephemeral: false },
        response_url: `${apiUrl}/response/1`,
        actions: [{ type: 'button', action_id: 'form:open', block_id: 'b', value: 'help', action_ts: '1.1' }],
      }),
  ],
  [
    'block_actions (a link button)',
    () =>
      interaction({
        type: 'block_actions',
        response_url: `${apiUrl}/response/2`,
        actions: [{ type: 'button', action_id: 'docs:link', block_id: 'b', action_ts: '1.1' }],
      }),
  ],
  [
    'view_submission',
    () =>
      interaction({
        type: 'view_submission',
        view: {
          id: 'V0STUB',
          type: 'modal',
          callback_id: 'form:submit',
          private_metadata: '{}',
          state: { values: {} },
          hash: '1.abc',
        },
      }),
  ],
  ['global shortcut', () => interaction({ type: 'shortcut', callback_id: 'wa:launcher', action_ts: '1.1' })],
  [
    'event: app_home_opened',
    () =>
      event({
        token: 'legacy-token',
        team_id: 'T0SANDBOX',
        api_app_id: 'A0SANDBOX',
        type: 'event_callback',
        event_id: `Ev${Date.now()}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_home_opened', user: 'U0ADMIN', channel: 'D0HOME', tab: 'home', event_ts: '1.1' },
        authorizations: [
          {
            team_id: 'T0SANDBOX',
            user_id: 'U0BOT',
            is_bot: true,
            enterprise_id: null,
            is_enterprise_install: false,
          },
        ],
      }),
  ],
  [
    'event: url_verification',
    () => event({ token: 'legacy-token', challenge: 'stub-challenge', type: 'url_verification' }),
  ],
];

describe('the slack bundle without the receivers Lambda never runs', () => {
  it('contains none of the stubbed packages', () => {
    const inputs = Object.keys(metafile.inputs);
    for (const pkg of [...stubbedFor('functions/slack.ts'), 'iconv-lite', 'path-to-regexp', 'jws'])
      expect(
        inputs.filter((p) => p.includes(`node_modules/${pkg}/`)),
        pkg,
      ).toEqual([]);
    for (const receiver of ['HTTPReceiver', 'ExpressReceiver', 'SocketModeReceiver'])
      expect(
        inputs.filter((p) => p.endsWith(`bolt/dist/receivers/${receiver}.js`)),
        receiver,
      ).toEqual([]);
    // AwsLambdaReceiver is the real one.
    expect(inputs.some((p) => p.endsWith('bolt/dist/receivers/AwsLambdaReceiver.js'))).toBe(true);
  });

  it('loads libphonenumber-js only when a number or a country is read, not with the command surface', () => {
    const outputs = metafile.outputs;
    const router = Object.keys(outputs).find((f) => /chunks\/router-[^/]*\.mjs$/.test(f)) as string;
    expect(router).toBeDefined();
    const closure = new Set<string>();
    const visit = (file: string) => {
      if (closure.has(file)) return;
      closure.add(file);
      for (const i of outputs[file]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
    };
    visit(router);
    const holdsPhones = (file: string) =>
      Object.keys(outputs[file]?.inputs ?? {}).some((p) => p.includes('node_modules/libphonenumber-js/'));
    expect([...closure].filter(holdsPhones)).toEqual([]);
    // It is in the bundle, behind a dynamic import.
    expect(Object.keys(outputs).some(holdsPhones)).toBe(true);
  });

  it('loads no worker code on the ack path: no runner, job module or provider client with the command surface', () => {
    const outputs = metafile.outputs;
    const entry = Object.keys(outputs).find((f) => outputs[f]?.entryPoint === 'functions/slack.ts') as string;
    const router = Object.keys(outputs).find((f) => /chunks\/router-[^/]*\.mjs$/.test(f)) as string;
    const closure = new Set<string>();
    const visit = (file: string) => {
      if (closure.has(file)) return;
      closure.add(file);
      for (const i of outputs[file]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path);
    };
    visit(entry);
    visit(router);
    const sources = [...closure].flatMap((f) => Object.keys(outputs[f]?.inputs ?? {}));
    // What runs a step, and what only a step calls (src/jobs/engine.ts hands the engine its kinds).
    const worker =
      /src\/(jobs\/runner|[a-z]+\/[a-z-]*-job|deployments\/(job|task)|invites\/cm-sign-webhook|providers\/[a-z-]+\/client)\.ts$/;
    expect(sources.filter((p) => worker.test(p))).toEqual([]);
    // They are in the bundle, behind dynamic imports.
    const all = Object.values(outputs).flatMap((o) => Object.keys(o.inputs));
    expect(all.some((p) => p.endsWith('src/jobs/runner.ts'))).toBe(true);
    expect(all.some((p) => p.endsWith('src/invites/partner-job.ts'))).toBe(true);
  });

  it('leaves jsonwebtoken (OAuth state) in the oauth function only', () => {
    expect(stubbedFor('functions/slack.ts')).toEqual(expect.arrayContaining(OAUTH_ONLY));
    expect(stubbedFor('functions/worker.ts')).toEqual(expect.arrayContaining(OAUTH_ONLY));
    expect(stubbedFor('functions/oauth.ts')).not.toEqual(expect.arrayContaining(OAUTH_ONLY));
  });

  it.each(requests)('%s is answered without calling a stub', async (_name, make) => {
    const res = await handler(make());
    expect(res.statusCode, String(res.body)).toBe(200);
    // Listeners that go on after the ack (views.open, views.publish) finish too.
    await new Promise((r) => setTimeout(r, 300));
    expect(stubCalls()).toEqual([]);
  });

  it('the url_verification challenge and the help text come back', async () => {
    const challenge = await handler(requests.at(-1)?.[1]() as HttpEvent);
    expect(String(challenge.body)).toContain('stub-challenge');
    const help = await handler(form('help'));
    expect(String(help.body)).toContain('/wa');
    // The listeners did reach Slack's Web API through the bundle's own client.
    expect(apiCalls.some((u) => u.includes('views.publish'))).toBe(true);
    expect(apiCalls.some((u) => u.includes('views.open'))).toBe(true);
  });

  it('a stub records its call and throws (so the checks above can fail)', async () => {
    const probe = join(OUT, 'probe.ts');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      probe,
      "import { ExpressReceiver } from '@slack/bolt';\nexport const make = () => new ExpressReceiver({ signingSecret: 'x' });\n",
    );
    await build(functionBuildOptions(probe, join(OUT, 'probe')));
    const { make } = (await import(pathToFileURL(join(process.cwd(), OUT, 'probe/index.mjs')).href)) as {
      make: () => unknown;
    };
    expect(make).toThrow(/left out of the Lambda bundle/);
    expect(stubCalls()).toEqual(['@slack/bolt/ExpressReceiver']);
    (globalThis as { __waLambdaStubCalls?: string[] }).__waLambdaStubCalls = undefined;
  });
});
