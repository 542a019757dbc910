import { slackSignature, slashCommandBody } from '../../src/sandbox/slack-requests.js';

export { slackSignature, slashCommandBody };

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

export async function slackMessages(baseUrl: string) {
  const res = await fetch(`${baseUrl}/_sandbox/slack/messages`);
  return (await res.json()) as Array<Record<string, unknown> & { kind: string; text?: string; ts: string }>;
}
