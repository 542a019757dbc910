import { type HttpEvent, type HttpResult, text } from '../src/http/apigw.js';
import { logger } from '../src/log.js';
import { ResponseRecorder, toIncomingMessage } from '../src/slack/node-http-adapter.js';
import { installProvider } from '../src/slack/oauth.js';

// Created at cold start; installProvider() returns the same instance while the configuration stands.
installProvider();

/** GET /slack/install and GET /slack/oauth_redirect, through @slack/oauth's InstallProvider. */
export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const installer = installProvider();
  const req = toIncomingMessage(event);
  const res = new ResponseRecorder();
  try {
    if (event.rawPath.endsWith('/slack/install')) {
      await installer.handleInstallPath(req, res.asResponse());
    } else if (event.rawPath.endsWith('/slack/oauth_redirect')) {
      await installer.handleCallback(req, res.asResponse(), {
        success: (installation, _options, _req, response) => {
          const team = installation.team?.name ?? installation.enterprise?.name ?? 'your workspace';
          response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
          response.end(
            `<!doctype html><meta charset="utf-8"><title>Installed</title><h1>Installed in ${escapeHtml(team)}</h1><p>Type <code>/wa help</code> in Slack to start.</p>`,
          );
        },
      });
    } else {
      return text(404, 'not found');
    }
  } catch (err) {
    logger.error('oauth flow failed', { error: err as Error });
    return text(500, 'The installation could not be completed. Please start again from /slack/install.');
  }
  return res.toResult();
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
