import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SimulatedClock, setClock } from '../../src/clock.js';
import type { HttpEvent, HttpResult } from '../../src/http/apigw.js';
import { logger } from '../../src/log.js';
import { slackSignature } from '../../src/sandbox/slack-requests.js';
import { REFRESH_MS, RETRY_MS } from '../../src/slack/secrets.js';
import { startTestTable } from '../helpers/dynamo.js';
import { type FakeAws, startFakeAws } from './fake-aws.js';

/**
 * A first deploy, as configured in AWS (serverless.yml's environment: a KMS key, the SSM path of
 * the Slack settings, no Slack secret in the environment), against witnesses of DynamoDB and SSM:
 * the deployment comes up before the Slack app exists, says what to set, refuses the local
 * stack's sandbox values, and picks the settings up once set, without a redeploy.
 */
const API_URL = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';
const PREFIX = '/wa-onboarding/dev/slack/';
const clock = new SimulatedClock();
let aws: FakeAws;
let table: Awaited<ReturnType<typeof startTestTable>>;
type Handler = (event: HttpEvent) => Promise<HttpResult>;
let fns: { health: Handler; oauth: Handler; slack: Handler };

function event(method: string, path: string, body = '', headers: Record<string, string> = {}): HttpEvent {
  const [rawPath = '', rawQueryString = ''] = path.split('?');
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString,
    headers: { host: new URL(API_URL).host, ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: new URL(API_URL).host,
      domainPrefix: 'a1b2c3d4e5',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

function signedEvent(body: string, secret: string): HttpEvent {
  const ts = Math.floor(Date.now() / 1000);
  return event('POST', '/slack/events', body, {
    'content-type': 'application/json',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': slackSignature(body, ts, secret),
  });
}

function put(name: string, value: string) {
  aws.parameters.set(`${PREFIX}${name}`, { type: 'SecureString', value });
}

beforeAll(async () => {
  aws = await startFakeAws();
  setClock(clock);
  table = await startTestTable({
    STAGE: 'dev',
    KMS_KEY_ID: aws.kmsKeyId,
    SLACK_PARAMETERS: PREFIX,
    PUBLIC_URL: API_URL,
    AWS_ENDPOINT_URL_SSM: aws.url,
    AWS_ENDPOINT_URL_KMS: aws.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  for (const k of ['SLACK_SIGNING_SECRET', 'SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET']) {
    delete process.env[k];
  }
  fns = {
    health: (await import('../../functions/health.js')).handler,
    oauth: (await import('../../functions/oauth.js')).handler,
    slack: (await import('../../functions/slack.js')).handler,
  };
});

afterAll(async () => {
  setClock(undefined);
  await table.close();
  await aws.close();
});

describe('a first deploy, before the Slack app exists', () => {
  it('answers the health check and shows, on the install page, what to set next with the URL to paste', async () => {
    expect((await fns.health(event('GET', '/healthz'))).statusCode).toBe(200);
    const page = await fns.oauth(event('GET', '/slack/install'));
    expect(page.statusCode).toBe(200);
    const body = String(page.body);
    expect(body).toContain(API_URL);
    // Slack verified the events URL when the app was created, before the signing secret existed here.
    expect(body).toMatch(/Event Subscriptions.*Retry.*\/slack\/events/s);
    for (const name of ['signing-secret', 'client-id', 'client-secret', 'state-secret']) {
      expect(body).toContain(
        `aws ssm put-parameter --region eu-west-1 --type SecureString --name ${PREFIX}${name}`,
      );
    }
  });

  it('answers Slack 503 with a clear log line, not a crash', async () => {
    const errors = vi.spyOn(logger, 'error');
    clock.advance(RETRY_MS);
    const res = await fns.slack(signedEvent('{"type":"url_verification","challenge":"c"}', 'anything'));
    expect(res.statusCode).toBe(503);
    expect(String(res.body)).toMatch(/not set up yet.*\/slack\/install/);
    const logged = JSON.stringify(errors.mock.calls);
    errors.mockRestore();
    expect(logged).toContain('Slack settings are not set yet');
    expect(logged).toContain(`${PREFIX}signing-secret`);
  });

  it("refuses the local stack's sandbox values loudly", async () => {
    put('signing-secret', 'sandbox-signing-secret-not-for-production');
    put('client-id', 'sandbox-client-id');
    put('client-secret', 'sandbox-client-secret');
    put('state-secret', 'sandbox-state-secret');
    clock.advance(RETRY_MS);
    const res = await fns.oauth(event('GET', '/slack/install'));
    expect(res.statusCode).toBe(500);
    expect(String(res.body)).toMatch(/misconfigured/);
    expect(String(res.body)).not.toContain('sandbox');
  });

  it('picks the settings up once they are set, without a redeploy, and reads them once', async () => {
    put('signing-secret', 'f00dfeedf00dfeedf00dfeedf00dfeed');
    put('client-id', '1234567890.987654321');
    put('client-secret', 'c0ffeec0ffeec0ffeec0ffeec0ffee00');
    put('state-secret', 'a-long-random-state-secret-of-the-operator');
    clock.advance(RETRY_MS);
    const install = await fns.oauth(event('GET', '/slack/install'));
    expect(install.statusCode).toBe(302);
    expect(String(install.headers?.Location ?? install.headers?.location)).toContain(
      'client_id=1234567890.987654321',
    );
    const challenge = await fns.slack(
      signedEvent('{"type":"url_verification","challenge":"c-1"}', 'f00dfeedf00dfeedf00dfeedf00dfeed'),
    );
    expect(challenge.statusCode).toBe(200);
    expect(String(challenge.body)).toContain('c-1');
    const reads = aws.calls.filter((c) => c === 'AmazonSSM.GetParameters').length;
    clock.advance(RETRY_MS);
    await fns.slack(
      signedEvent('{"type":"url_verification","challenge":"c-2"}', 'f00dfeedf00dfeedf00dfeedf00dfeed'),
    );
    await fns.oauth(event('GET', '/slack/install'));
    expect(aws.calls.filter((c) => c === 'AmazonSSM.GetParameters').length).toBe(reads);
  });

  it('takes up a rotated signing secret and client id within minutes, without a redeploy', async () => {
    const challenge = (secret: string) =>
      fns.slack(signedEvent('{"type":"url_verification","challenge":"r"}', secret)).then((r) => r.statusCode);
    const oldSecret = 'f00dfeedf00dfeedf00dfeedf00dfeed';
    const newSecret = 'beadbeadbeadbeadbeadbeadbeadbead';
    put('signing-secret', newSecret);
    put('client-id', '1234567890.111111111');
    // Within the refresh period the settings read before still hold.
    expect(await challenge(oldSecret)).toBe(200);
    clock.advance(REFRESH_MS);
    expect(await challenge(newSecret)).toBe(200);
    expect(await challenge(oldSecret)).toBe(401);
    const install = await fns.oauth(event('GET', '/slack/install'));
    expect(String(install.headers?.Location ?? install.headers?.location)).toContain(
      'client_id=1234567890.111111111',
    );
  });

  it('keeps the settings it has when a later read fails', async () => {
    aws.parameters.delete(`${PREFIX}signing-secret`);
    const errors = vi.spyOn(logger, 'error');
    clock.advance(REFRESH_MS);
    const res = await fns.slack(
      signedEvent('{"type":"url_verification","challenge":"k"}', 'beadbeadbeadbeadbeadbeadbeadbead'),
    );
    const logged = JSON.stringify(errors.mock.calls);
    errors.mockRestore();
    expect(res.statusCode).toBe(200);
    expect(logged).toContain('keeping the ones read before');
  });
});
