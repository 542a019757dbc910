/**
 * Slack requests as Slack makes them, for tests, benchmarks and sample events: the signature
 * scheme and a slash command's form body from the sandbox workspace.
 */
import { createHmac } from 'node:crypto';
import { DEV_SIGNING_SECRET } from '../config.js';
import { issueResponseUrl, issueTriggerId } from './fake-slack.js';

/** Signs a body exactly as Slack does: v0=HMAC-SHA256(secret, `v0:${ts}:${body}`). */
export function slackSignature(body: string, ts: number, secret = DEV_SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
}

export function slashCommandBody(baseUrl: string, text: string, over: Record<string, string> = {}): string {
  return new URLSearchParams({
    token: 'legacy-token',
    team_id: 'T0SANDBOX',
    team_domain: 'sandbox',
    channel_id: 'C0SANDBOX',
    channel_name: 'onboarding',
    user_id: 'U0ADMIN',
    user_name: 'ada.admin',
    command: '/wa',
    text,
    api_app_id: 'A0SANDBOX',
    is_enterprise_install: 'false',
    response_url: issueResponseUrl(baseUrl),
    trigger_id: issueTriggerId(),
    ...over,
  }).toString();
}
