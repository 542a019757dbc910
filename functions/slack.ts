import { config } from '../src/config.js';
import { bodyTooLarge, type HttpEvent, type HttpResult, rawBody, text } from '../src/http/apigw.js';
import { logger } from '../src/log.js';
import { createSlackApp } from '../src/slack/app.js';

let built = { config: config(), bolt: createSlackApp().receiver.toHandler() };

/** Built once per cold start; rebuilt only if the configuration was reloaded (a restarted local stack). */
function bolt() {
  if (built.config !== config()) built = { config: config(), bolt: createSlackApp().receiver.toHandler() };
  return built.bolt;
}

/**
 * POST /slack/events: slash commands, interactivity and events, through Bolt's
 * AwsLambdaReceiver (which checks the signature and the 5-minute window).
 */
export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  if (bodyTooLarge(event)) return text(413, 'request body too large');
  // Bolt decodes base64 bodies as ASCII; decode as UTF-8 here so signatures of non-ASCII JSON hold.
  const decoded: HttpEvent = { ...event, body: rawBody(event), isBase64Encoded: false };
  try {
    return (await bolt()(decoded as never, {} as never)) as HttpResult;
  } catch (err) {
    // Only a body Bolt cannot parse gets here (its listeners' errors are answered in Slack).
    logger.warn('unreadable Slack request', { error: err as Error });
    return text(400, 'bad request');
  }
};
