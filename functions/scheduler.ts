import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { dispatchLoop } from '../src/jobs/sweep.js';
import { logger } from '../src/log.js';

/** Passes stop this long before the function's timeout. */
const SAFETY_MS = 5_000;
/** At most this much of each minute is spent passing; the runs sent keep going past it. */
export const LOOP_MS = 45_000;

/**
 * EventBridge, every minute: passes over the due index for most of the minute, sending each
 * tenant's due jobs to workers as runs (src/jobs/sweep.ts dispatchLoop).
 */
export const handler = middy()
  .use(injectLambdaContext(logger))
  .handler(async (_event: unknown, context: Context) =>
    dispatchLoop({
      loopUntil: Date.now() + Math.max(0, Math.min(LOOP_MS, context.getRemainingTimeInMillis() - SAFETY_MS)),
    }),
  );
