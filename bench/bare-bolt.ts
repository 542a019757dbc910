/**
 * The yardstick for cold starts: a bare Bolt app on AwsLambdaReceiver with one command, the
 * shape of bolt-js `examples/deploy-aws-lambda/app.js`. Built with the same esbuild options as
 * our functions (bench/cold-start.ts) and imported in a fresh Node process.
 */
import { App, AwsLambdaReceiver } from '@slack/bolt';

const awsLambdaReceiver = new AwsLambdaReceiver({
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'bench-signing-secret',
});

const app = new App({
  token: process.env.SLACK_BOT_TOKEN ?? 'xoxb-bench',
  receiver: awsLambdaReceiver,
  // The example verifies the token with auth.test (at start-up, and for the bot's ids on the first
  // request); a benchmark must not depend on reaching slack.com.
  tokenVerificationEnabled: false,
  botId: 'B0BENCH',
  botUserId: 'U0BENCH',
});

app.command('/echo', async ({ command, ack }) => {
  await ack(`${command.text}`);
});

export const handler = async (event: unknown, context: unknown) => {
  const bolt = await awsLambdaReceiver.start();
  return bolt(event as never, context as never);
};
