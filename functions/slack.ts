import { config } from '../src/config.js';
import { bodyTooLarge, type HttpEvent, type HttpResult, header, rawBody, text } from '../src/http/apigw.js';
import { logger } from '../src/log.js';
import { checkSlackRequest } from '../src/security/slack-request.js';
import { createSlackApp } from '../src/slack/app.js';

let built = { config: config(), bolt: createSlackApp().receiver.toHandler() };

/** Built once per cold start; rebuilt only if the configuration was reloaded (a restarted local stack). */
function bolt() {
  if (built.config !== config()) built = { config: config(), bolt: createSlackApp().receiver.toHandler() };
  return built.bolt;
}

/**
 * POST /slack/events: slash commands, interactivity and events. Our gate runs first (timestamp
 * within 5 minutes either way, signature, a body shaped as Slack sends it); then Bolt's
 * AwsLambdaReceiver, which checks the signature again and dispatches.
 */
export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  if (bodyTooLarge(event)) return text(413, 'request body too large');
  // Bolt decodes base64 bodies as ASCII; decode as UTF-8 here so signatures of non-ASCII JSON hold.
  const body = rawBody(event);
  const verdict = checkSlackRequest(
    {
      rawBody: body,
      contentType: header(event, 'content-type'),
      timestamp: header(event, 'x-slack-request-timestamp'),
      signature: header(event, 'x-slack-signature'),
    },
    config().slack.signingSecret,
  );
  if (!verdict.ok) {
    logger.warn('refused Slack request', { status: verdict.status, reason: verdict.reason });
    return text(verdict.status, verdict.status === 401 ? '' : 'bad request');
  }
  if (verdict.kind === 'ssl_check') return text(200, '');
  const decoded: HttpEvent = { ...event, body, isBase64Encoded: false };
  try {
    return (await bolt()(decoded as never, {} as never)) as HttpResult;
  } catch (err) {
    // Only a body Bolt cannot parse gets here (its listeners' errors are answered in Slack).
    logger.warn('unreadable Slack request', { error: err as Error });
    return text(400, 'bad request');
  }
};
