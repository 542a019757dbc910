import { createSlackApp } from '../src/app/bolt.js';
import { type Config, config } from '../src/config.js';
import { httpHandler } from '../src/edge/http.js';
import { bodyTooLarge, type HttpEvent, type HttpResult, header, rawBody, text } from '../src/http/apigw.js';
import { logger } from '../src/log.js';
import { recordAckLatency } from '../src/metrics.js';
import { checkSlackRequest } from '../src/security/slack-request.js';
import { slackSecrets } from '../src/slack/secrets.js';

type Bolt = ReturnType<ReturnType<typeof createSlackApp>['receiver']['toHandler']>;
type Built = { signingSecret: string; bolt: Bolt };
let built: { config: Config; secrets: Promise<unknown>; app: Promise<Built> } | undefined;

/**
 * Bolt, built once per cold start from the signing secret (src/slack/secrets.ts); built again
 * when the settings were read again with another signing secret (rotated in Parameter Store),
 * when the configuration was reloaded (a restarted local stack), or on the next request after
 * the settings could not be read (not set yet after a first deploy: the edge answers 503 meanwhile).
 */
function app(): Promise<Built> {
  const c = config();
  const secrets = slackSecrets();
  if (!built || built.config !== c || built.secrets !== secrets) {
    const before = built?.config === c ? built.app : undefined;
    const b = secrets.then(async (s) => {
      const old = await before?.catch(() => undefined);
      if (old?.signingSecret === s.signingSecret) return old;
      return { signingSecret: s.signingSecret, bolt: createSlackApp(s.signingSecret).receiver.toHandler() };
    });
    built = { config: c, secrets, app: b };
    b.catch(() => {
      if (built?.app === b) built = undefined;
    });
  }
  return built.app;
}

// Read the settings and build Bolt during the cold start, not on the first request.
app().catch(() => undefined);

/**
 * POST /slack/events: slash commands, interactivity and events. Our gate runs first (timestamp
 * within 5 minutes either way, signature, a body shaped as Slack sends it); then Bolt's
 * AwsLambdaReceiver, which checks the signature again and dispatches.
 */
export const handler = httpHandler(async (event: HttpEvent): Promise<HttpResult> => {
  const started = performance.now();
  if (bodyTooLarge(event)) return text(413, 'request body too large');
  const { signingSecret, bolt } = await app();
  // Bolt decodes base64 bodies as ASCII; decode as UTF-8 here so signatures of non-ASCII JSON hold.
  const body = rawBody(event);
  const verdict = checkSlackRequest(
    {
      rawBody: body,
      contentType: header(event, 'content-type'),
      timestamp: header(event, 'x-slack-request-timestamp'),
      signature: header(event, 'x-slack-signature'),
    },
    signingSecret,
  );
  if (!verdict.ok) {
    logger.warn('refused Slack request', { status: verdict.status, reason: verdict.reason });
    return text(verdict.status, verdict.status === 401 ? '' : 'bad request');
  }
  if (verdict.kind === 'ssl_check') return text(200, '');
  const decoded: HttpEvent = { ...event, body, isBase64Encoded: false };
  let result: HttpResult;
  try {
    result = (await bolt(decoded as never, {} as never)) as HttpResult;
  } catch (err) {
    // Only a body Bolt cannot parse gets here (its listeners' errors are answered in Slack).
    logger.warn('unreadable Slack request', { error: err as Error });
    return text(400, 'bad request');
  }
  recordAckLatency(performance.now() - started);
  return result;
});
