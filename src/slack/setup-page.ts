import type { Config } from '../config.js';
import type { HttpResult } from '../http/apigw.js';
import { PARAMETER_NAMES, type SlackSecrets } from './secrets.js';

/** Where each setting is found, in the order Slack's pages show them. */
const WHERE: Record<keyof SlackSecrets, string> = {
  clientId: 'Basic Information → App Credentials → Client ID',
  clientSecret: 'Basic Information → App Credentials → Client Secret',
  signingSecret: 'Basic Information → App Credentials → Signing Secret',
  stateSecret: 'any long random string of yours, e.g. the output of <code>openssl rand -hex 32</code>',
};

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * GET /slack/install before the Slack settings exist (right after a first deploy): what to set
 * next, with this deployment's URL to paste into the app manifest. It shows parameter names and
 * the public URL only, never a value.
 */
export function setupPage(c: Config, missing: string[]): HttpResult {
  const base = c.publicUrl;
  const region = c.region;
  const rows = (Object.keys(PARAMETER_NAMES) as Array<keyof SlackSecrets>)
    .map((key) => {
      const name = `${c.slack.parameters ?? ''}${PARAMETER_NAMES[key]}`;
      const state = missing.includes(name) ? 'not set' : 'set';
      return `<tr><td><code>${esc(name)}</code></td><td>${state}</td><td>${WHERE[key]}</td></tr>`;
    })
    .join('');
  const commands = missing
    .map(
      (name) =>
        `aws ssm put-parameter --region ${esc(region)} --type SecureString --name ${esc(name)} --value '…'`,
    )
    .join('\n');
  const body = `<!doctype html><meta charset="utf-8"><title>Set up the WhatsApp onboarding app</title>
<h1>This deployment is up; the Slack app is not set up yet</h1>
<ol>
<li><p>Create the Slack app at <a href="https://api.slack.com/apps">api.slack.com/apps</a> → Create New App → From an app manifest,
with <code>slack/manifest.json</code> from the repository, replacing every <code>https://YOUR-API-ID.execute-api.eu-west-1.amazonaws.com</code> with this deployment's URL (the <code>ApiUrl</code> output of the deploy):</p>
<pre>${esc(base)}</pre></li>
<li><p>Put its settings in SSM Parameter Store (SecureString), in region <code>${esc(region)}</code>:</p>
<table><tr><th>parameter</th><th>now</th><th>value from</th></tr>${rows}</table>
<pre>${commands}</pre></li>
<li><p>Reload this page: no redeploy is needed. Once all four are set it becomes the install link.</p></li>
<li><p>Then, in the Slack app's settings, open <b>Event Subscriptions</b> and press <b>Retry</b> beside the Request URL
(<code>${esc(base)}/slack/events</code>) until it shows <i>Verified</i>. Slack checked that URL when the app was created,
before the signing secret was set here, and it failed then; until it is verified again Slack sends no events, and App Home stays empty.</p></li>
</ol>`;
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body,
  };
}
