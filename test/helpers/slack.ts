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
