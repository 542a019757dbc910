import type { InstallProvider } from '@slack/oauth';
import { config } from '../src/config.js';
import { httpHandler } from '../src/edge/http.js';
import { type HttpEvent, type HttpResult, text } from '../src/http/apigw.js';
import { logger } from '../src/log.js';
import { ResponseRecorder, toIncomingMessage } from '../src/slack/node-http-adapter.js';
import { installProvider, installUrl } from '../src/slack/oauth.js';
import {
  escapeHtml,
  pageForFailure,
  pageForSlackError,
  redirectError,
  renderPage,
} from '../src/slack/oauth-pages.js';
import { SlackNotConfiguredError } from '../src/slack/secrets.js';
import { setupPage } from '../src/slack/setup-page.js';

// Read the settings and make the InstallProvider during the cold start.
installProvider().catch(() => undefined);

/**
 * GET /slack/install and GET /slack/oauth_redirect, through @slack/oauth's InstallProvider.
 * Right after a first deploy (no Slack settings yet) the install page says what to set next.
 */
export const handler = httpHandler(async (event: HttpEvent): Promise<HttpResult> => {
  const install = event.rawPath.endsWith('/slack/install');
  if (!install && !event.rawPath.endsWith('/slack/oauth_redirect')) return text(404, 'not found');
  let installer: InstallProvider;
  try {
    installer = await installProvider();
  } catch (err) {
    if (install && err instanceof SlackNotConfiguredError) return setupPage(config(), err.missing);
    throw err;
  }
  const req = toIncomingMessage(event);
  const res = new ResponseRecorder();
  let failure: HttpResult | undefined;
  try {
    if (install) {
      await installer.handleInstallPath(req, res.asResponse());
    } else {
      // Slack's own `error` (the person cancelled, scopes refused, ...) is answered before
      // anything else: there is no code to exchange and nothing to store.
      const slackError = redirectError(event.rawQueryString);
      if (slackError !== undefined) {
        logger.info('oauth redirect carried an error', { slackError: slackError.slice(0, 64) });
        return renderPage(pageForSlackError(slackError), installUrl());
      }
      await installer.handleCallback(req, res.asResponse(), {
        success: (installation, _options, _req, response) => {
          const team = installation.team?.name ?? installation.enterprise?.name ?? 'your workspace';
          response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
          response.end(
            `<!doctype html><meta charset="utf-8"><title>Installed</title><h1>Installed in ${escapeHtml(team)}</h1><p>Type <code>/wa help</code> in Slack to start.</p>`,
          );
        },
        failure: (error) => {
          logger.warn('oauth callback failed', { error });
          failure = renderPage(pageForFailure(error), installUrl());
        },
      });
    }
  } catch (err) {
    logger.error('oauth flow failed', { error: err as Error });
    return text(500, 'The installation could not be completed. Please start again from /slack/install.');
  }
  return failure ?? res.toResult();
});
