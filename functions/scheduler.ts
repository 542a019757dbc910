import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { sweep } from '../src/jobs/sweep.js';
import { logger } from '../src/log.js';

/** EventBridge, every minute: claim the jobs whose time has come and queue them. */
export const handler = middy()
  .use(injectLambdaContext(logger))
  .handler(async () => sweep());
