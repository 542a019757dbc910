import type { HttpEvent } from '../../src/http/apigw.js';
import { CONTROL_HEADER, controlTokenFor } from '../../src/sandbox/control-plane.js';
import { issueResponseUrl, issueTriggerId } from '../../src/sandbox/fake-slack.js';
import { slackSignature, slashCommandBody } from '../../src/sandbox/slack-requests.js';

export { issueResponseUrl, issueTriggerId, slackSignature, slashCommandBody };

export interface SignedPostOptions {
  ts?: number;
  secret?: string;
  signature?: string;
  contentType?: string;
}

/**
 * A Slack request to POST /slack/events as API Gateway (HTTP API, payload 2.0) hands it to the
 * slack function: form-encoded, signed now with the sandbox signing secret, `headers` added last
 * (a retry's `x-slack-retry-num`, a forged signature).
 */
export function slackLambdaEvent(body: string, headers: Record<string, string> = {}): HttpEvent {
  const ts = Math.floor(Date.now() / 1000);
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': slackSignature(body, ts),
      ...headers,
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'local',
      domainPrefix: 'local',
      http: {
        method: 'POST',
        path: '/slack/events',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'Slackbot 1.0 (+https://api.slack.com/robots)',
      },
      requestId: Math.random().toString(36).slice(2),
      routeKey: 'POST /slack/events',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  } as HttpEvent;
}

/** POSTs a signed Slack request to the local stack's /slack/events. */
export async function postSlack(baseUrl: string, body: string, opts: SignedPostOptions = {}) {
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const res = await fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': opts.signature ?? slackSignature(body, ts, opts.secret),
    },
    body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    text,
    json: json as {
      text?: string;
      blocks?: unknown[];
      response_type?: string;
      response_action?: string;
      errors?: Record<string, string>;
    },
  };
}

/** Runs `/wa <text>` against the local stack as the given user. */
export function command(baseUrl: string, text: string, over: Record<string, string> = {}) {
  return postSlack(baseUrl, slashCommandBody(baseUrl, text, over));
}

/**
 * A request to the local stack's control plane (`/_sandbox/...`) with that stack's token, as
 * its console sends it. Stacks started in this process are found by URL; a stack started as a
 * child process is found through SANDBOX_CONTROL_TOKEN.
 */
export function sandboxFetch(baseUrl: string, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set(CONTROL_HEADER, controlTokenFor(baseUrl) ?? '');
  return fetch(`${new URL(baseUrl).origin}${path}`, { ...init, headers });
}

export async function slackMessages(baseUrl: string) {
  const res = await sandboxFetch(baseUrl, '/_sandbox/slack/messages');
  return (await res.json()) as Array<Record<string, unknown> & { kind: string; text?: string; ts: string }>;
}

/** An interaction (button click, modal submission) from the sandbox workspace, signed as Slack signs it. */
export function interaction(baseUrl: string, payload: Record<string, unknown>) {
  return postSlack(
    baseUrl,
    `payload=${encodeURIComponent(
      JSON.stringify({
        team: { id: 'T0SANDBOX', domain: 'sandbox' },
        api_app_id: 'A0SANDBOX',
        token: 'legacy-token',
        is_enterprise_install: false,
        enterprise: null,
        ...payload,
      }),
    )}`,
  );
}

/** A click on a button of a channel message; its response_url is `/_sandbox/response/<responseUrlId>`. */
export function clickButton(
  baseUrl: string,
  actionId: string,
  value: string,
  opts: { user?: string; responseUrlId?: string } = {},
) {
  const user = opts.user ?? 'U0ADMIN';
  return interaction(baseUrl, {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
    trigger_id: issueTriggerId(),
    channel: { id: 'C0SANDBOX', name: 'onboarding' },
    container: { type: 'message', message_ts: '1.000001', channel_id: 'C0SANDBOX', is_ephemeral: false },
    response_url: issueResponseUrl(baseUrl, opts.responseUrlId),
    actions: [
      { type: 'button', action_id: actionId, block_id: 'b', value, action_ts: `${Date.now() / 1000}` },
    ],
  });
}
