import { DEV_SIGNING_SECRET } from '../config.js';
import { startLocalStack } from './server.js';

const stack = await startLocalStack({
  port: Number(process.env.PORT ?? 3000),
  dataDir: process.env.DATA_DIR || undefined,
});

console.log(`WhatsApp onboarding local stack on ${stack.url}
  console:          ${stack.consoleUrl}
                    (the link carries this start's control token; /_sandbox/* answers only it)
  slack endpoint:   ${stack.url}/slack/events
  install:          ${stack.url}/slack/install
  data:             ${process.env.DATA_DIR ? process.env.DATA_DIR : 'in memory (set DATA_DIR to keep it)'}${
    process.env.SLACK_SIGNING_SECRET
      ? ''
      : `\n  signing secret:   ${DEV_SIGNING_SECRET} (development default)`
  }`);

// In AWS EventBridge invokes the scheduler every minute; here the sandbox clock ticks (one 60 s period) every
// SCHEDULE_SECONDS (0 turns it off; the console's Tick button and POST /_sandbox/scheduler/tick remain).
const every = Number(process.env.SCHEDULE_SECONDS ?? 10);
if (every > 0) {
  let running = false;
  setInterval(() => {
    if (running) return;
    running = true;
    stack
      .tick()
      .catch((err) => console.error('scheduled tick failed', err))
      .finally(() => {
        running = false;
      });
  }, every * 1000).unref();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stack.close().finally(() => process.exit(0));
  });
}
