import { writeFileSync } from 'node:fs';
import { DEV_SIGNING_SECRET } from '../src/config.js';
import { slackSignature, slashCommandBody } from '../src/sandbox/slack-requests.js';

/**
 * Writes sample Lambda events for `sls invoke local` into events/. Slack events carry a
 * signature over a timestamp Slack checks against a 5-minute window, so regenerate them
 * (`npm run events`) right before invoking; SLACK_SIGNING_SECRET is used when set.
 */
const secret = process.env.SLACK_SIGNING_SECRET || DEV_SIGNING_SECRET;

function apiEvent(method: string, path: string, body: string, headers: Record<string, string>) {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'local', ...headers },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'local',
      domainPrefix: 'local',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Slackbot 1.0' },
      requestId: 'sample',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
}

function slashCommand(text: string) {
  const body = slashCommandBody('http://127.0.0.1:3000', text, {
    response_url: 'http://127.0.0.1:3000/_sandbox/response/sample',
    trigger_id: '1.2.3',
  });
  const ts = Math.floor(Date.now() / 1000);
  return apiEvent('POST', '/slack/events', body, {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': slackSignature(body, ts, secret),
  });
}

const files: Record<string, unknown> = {
  'slack-help.json': slashCommand('help'),
  'slack-jobs.json': slashCommand('jobs --all'),
  'health.json': apiEvent('GET', '/healthz', '', {}),
  'scheduler.json': {
    version: '0',
    id: 'sample',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: ['arn:aws:events:eu-west-1:000000000000:rule/wa-onboarding-scheduler'],
    detail: {},
  },
  'worker.json': {
    Records: [
      {
        messageId: 'sample-1',
        receiptHandle: 'sample',
        body: JSON.stringify({ tenant: 'T0SANDBOX', jobId: 'jsample', lease: 'sample-lease' }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'sample',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:wa-onboarding-jobs',
        awsRegion: 'eu-west-1',
      },
    ],
  },
};

for (const [name, event] of Object.entries(files)) {
  writeFileSync(`events/${name}`, `${JSON.stringify(event, null, 2)}\n`);
  console.log(`events/${name}`);
}
