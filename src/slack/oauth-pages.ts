import type { HttpResult } from '../http/apigw.js';

/**
 * The pages a person sees at the end of the install flow. Slack's redirect carries `code` and
 * `state`, or `error` (`access_denied` when the person cancels)
 * (https://api.slack.com/authentication/oauth-v2, "Asking for scopes" / "Denied requests");
 * the code exchange can fail with the errors oauth.v2.access documents
 * (https://api.slack.com/methods/oauth.v2.access#errors); @slack/oauth adds its own state and
 * code checks. Each gets a page that says what happened and what to do, never a 500 with a
 * stack: a 500 is left for our own faults (storage down), and even then the page is plain.
 */

export interface OAuthPage {
  status: number;
  title: string;
  message: string;
}

const AGAIN = 'You can start again from <a href="{install}">the install link</a>.';
const ADMIN =
  'This needs the app owner: the app configuration (client id, secret or redirect URL) does not match Slack. Tell them this code.';

/** Errors Slack puts in the redirect, and errors oauth.v2.access answers, by code. */
const SLACK_ERRORS: Record<string, OAuthPage> = {
  access_denied: {
    status: 200,
    title: 'Installation cancelled',
    message: `The app was not installed: the installation was cancelled in Slack, so nothing was changed. ${AGAIN}`,
  },
  invalid_scope: {
    status: 400,
    title: 'Installation failed',
    message: `Slack refused the permissions the app asks for. ${ADMIN}`,
  },
  invalid_code: {
    status: 400,
    title: 'Installation link expired',
    message: `Slack's one-time code was not valid any more (it works once, for ten minutes). ${AGAIN}`,
  },
  code_already_used: {
    status: 400,
    title: 'Installation link already used',
    message: `This page was already used to finish an installation. ${AGAIN}`,
  },
  bad_redirect_uri: { status: 400, title: 'Installation failed', message: ADMIN },
  invalid_client_id: { status: 400, title: 'Installation failed', message: ADMIN },
  bad_client_secret: { status: 400, title: 'Installation failed', message: ADMIN },
  invalid_grant_type: { status: 400, title: 'Installation failed', message: ADMIN },
  oauth_authorization_url_mismatch: { status: 400, title: 'Installation failed', message: ADMIN },
  invalid_team_for_non_distributed_app: {
    status: 400,
    title: 'Installation not allowed',
    message: 'This app is not distributed to other workspaces yet, so this workspace cannot install it.',
  },
  unapproved_app: {
    status: 400,
    title: 'Installation needs approval',
    message: "Your workspace's admins must approve this app before it can be installed.",
  },
  cannot_install_an_org_installed_app: {
    status: 400,
    title: 'Already installed for your organization',
    message: 'The app is installed for your whole Enterprise Grid organization; nothing more to do here.',
  },
  team_added_to_org: {
    status: 400,
    title: 'Installation failed',
    message: `The workspace was moving into an organization during the installation. ${AGAIN}`,
  },
  preview_feature_not_available: { status: 400, title: 'Installation failed', message: ADMIN },
  ratelimited: {
    status: 429,
    title: 'Slack is busy',
    message: `Slack asked us to slow down. Wait a minute, then ${AGAIN.charAt(0).toLowerCase()}${AGAIN.slice(1)}`,
  },
};

/** @slack/oauth's own checks, by its error code. */
const LIBRARY_ERRORS: Record<string, OAuthPage> = {
  slack_oauth_missing_state: {
    status: 400,
    title: 'Installation link expired',
    message: `This page was opened without the installation it belongs to. ${AGAIN}`,
  },
  slack_oauth_invalid_state: {
    status: 400,
    title: 'Installation link expired',
    message: `This installation was started in another browser, or too long ago. ${AGAIN}`,
  },
  slack_oauth_missing_code: {
    status: 400,
    title: 'Installation failed',
    message: `Slack's answer did not carry the code the installation needs. ${AGAIN}`,
  },
};

const UNKNOWN_SLACK_ERROR = (code: string): OAuthPage => ({
  status: 400,
  title: 'Installation failed',
  message: `Slack ended the installation with the error “${escapeHtml(code)}”. ${AGAIN}`,
});

const OUR_FAULT: OAuthPage = {
  status: 500,
  title: 'Installation not completed',
  message: `Something went wrong on our side while saving the installation. ${AGAIN}`,
};

/** `error` from the redirect's query string (Slack's own words), if any. */
export function redirectError(rawQuery: string | undefined): string | undefined {
  const error = new URLSearchParams(rawQuery ?? '').get('error');
  return error === null ? undefined : error;
}

export function pageForSlackError(code: string): OAuthPage {
  // Only a plain code is shown; anything else is someone typing into the address bar.
  if (!/^[a-z0-9_]{1,64}$/.test(code)) return UNKNOWN_SLACK_ERROR('unknown');
  return SLACK_ERRORS[code] ?? UNKNOWN_SLACK_ERROR(code);
}

/** A failure @slack/oauth hands its `failure` callback, to a page. */
export function pageForFailure(error: Error): OAuthPage {
  const code = (error as { code?: string }).code ?? '';
  if (LIBRARY_ERRORS[code]) return LIBRARY_ERRORS[code];
  // A Web API error from oauth.v2.access carries Slack's code in data.error.
  const slackCode = (error as { data?: { error?: unknown } }).data?.error;
  if (typeof slackCode === 'string') return pageForSlackError(slackCode);
  // @slack/oauth wraps some causes; look one level in.
  const original = (error as { original?: unknown }).original;
  const inner = (original as { data?: { error?: unknown } } | undefined)?.data?.error;
  if (typeof inner === 'string') return pageForSlackError(inner);
  return OUR_FAULT;
}

export function renderPage(page: OAuthPage, installUrl: string): HttpResult {
  const message = page.message.replaceAll('{install}', escapeHtml(installUrl));
  return {
    statusCode: page.status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: `<!doctype html><meta charset="utf-8"><title>${escapeHtml(page.title)}</title><h1>${escapeHtml(page.title)}</h1><p>${message}</p>`,
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
