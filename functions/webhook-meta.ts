import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { HttpEvent, HttpResult } from '../src/http/apigw.js';
import { logger } from '../src/log.js';
import { handleMetaWebhook } from '../src/templates/webhook.js';

/** GET|POST /webhooks/meta/{hookId}: Meta's template status webhook (handshake and signed events). */
export const handler = middy<HttpEvent, HttpResult>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => handleMetaWebhook(event));
