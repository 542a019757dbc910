import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { config } from '../src/config.js';
import { dispatchLoop } from '../src/jobs/sweep.js';
import { logger } from '../src/log.js';

/** Passes stop this long before the function's timeout. */
const SAFETY_MS = 5_000;

/**
 * EventBridge, every minute: passes over the due index for most of the minute
 * (SCHEDULER_LOOP_SECONDS; the runs sent keep going past it), sending each tenant's due jobs to
 * workers as runs (src/jobs/sweep.ts dispatchLoop). Stateless between invocations: claims in
 * DynamoDB say which job went to whom, so no reserved concurrency is needed. The local stack's
 * ticks invoke this same handler with an EventBridge event and a zero loop (one pass).
 */
export const handler = middy()
  .use(injectLambdaContext(logger))
  .handler(async (_event: unknown, context: Context) =>
    dispatchLoop({
      loopUntil:
        Date.now() +
        Math.max(0, Math.min(config().schedulerLoopMs, context.getRemainingTimeInMillis() - SAFETY_MS)),
    }),
  );
