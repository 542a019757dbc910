import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { FakeSlack, parseWebApiBody, SANDBOX_BOT } from '../../src/sandbox/fake-slack.js';

/**
 * The fake Slack's Web API over real HTTP on 127.0.0.1, as the local stack serves it, for tests
 * that drive production code with a real WebClient without starting the whole stack.
 */
export async function startFakeSlackApi(fake = new FakeSlack()) {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '');
      calls.push(method);
      const out = fake.call(
        method,
        parseWebApiBody(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']),
        req.headers.authorization,
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  return {
    fake,
    /** Every Web API method called, in order. */
    calls,
    /** A WebClient with the sandbox workspace's bot token (or `token`), without retries. */
    client: (token = SANDBOX_BOT.token) =>
      new WebClient(token, { slackApiUrl: url, retryConfig: { retries: 0 } }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
