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

// Created at cold start; installProvider() returns the same instance while the configuration stands.
installProvider();

/** GET /slack/install and GET /slack/oauth_redirect, through @slack/oauth's InstallProvider. */
export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const installer = installProvider();
  const req = toIncomingMessage(event);
  const res = new ResponseRecorder();
  let failure: HttpResult | undefined;
  try {
    if (event.rawPath.endsWith('/slack/install')) {
      await installer.handleInstallPath(req, res.asResponse());
    } else if (event.rawPath.endsWith('/slack/oauth_redirect')) {
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
    } else {
      return text(404, 'not found');
    }
  } catch (err) {
    logger.error('oauth flow failed', { error: err as Error });
    return text(500, 'The installation could not be completed. Please start again from /slack/install.');
  }
  return failure ?? res.toResult();
};
