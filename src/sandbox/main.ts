import { DEV_SIGNING_SECRET } from '../config.js';
import { startLocalStack } from './server.js';

const stack = await startLocalStack({
  port: Number(process.env.PORT ?? 3000),
  dataDir: process.env.DATA_DIR || undefined,
});

console.log(`WhatsApp onboarding local stack on ${stack.url}
  console:          ${stack.url}/
  slack endpoint:   ${stack.url}/slack/events
  install:          ${stack.url}/slack/install
  data:             ${process.env.DATA_DIR ? process.env.DATA_DIR : 'in memory (set DATA_DIR to keep it)'}${
    process.env.SLACK_SIGNING_SECRET
      ? ''
      : `\n  signing secret:   ${DEV_SIGNING_SECRET} (development default)`
  }`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stack.close().finally(() => process.exit(0));
  });
}
