import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { type HttpEvent, type HttpResult, json, text } from '../http/apigw.js';
import { logger } from '../log.js';
import { flushMetrics } from '../metrics.js';

/**
 * The one edge of every HTTP handler (functions/*.ts): middy with the Powertools logger context
 * (Lambda request id, cold start, function name; plus API Gateway's request id so a log line can
 * be matched to the access log), metrics flushed after each invocation, and every error a handler
 * lets through mapped to a response here, in one place.
 *
 * Handlers answer what they know (a bad signature, a missing field) themselves; whatever escapes
 * is an error of ours or a dependency's, logged once here with its route.
 */

/** An error that knows how it is answered (e.g. the Slack settings not being set yet). */
export interface HttpMappedError {
  httpStatus: number;
  /** Shown to the caller: must not contain anything secret. */
  publicMessage: string;
  logLevel?: 'warn' | 'error';
}

function isHttpMapped(err: unknown): err is Error & HttpMappedError {
  return (
    err instanceof Error &&
    typeof (err as Partial<HttpMappedError>).httpStatus === 'number' &&
    typeof (err as Partial<HttpMappedError>).publicMessage === 'string'
  );
}

function errorResponse(err: unknown, event: HttpEvent | undefined): HttpResult {
  const route = event?.routeKey ?? event?.rawPath;
  if (isHttpMapped(err)) {
    logger[err.logLevel ?? 'warn'](err.publicMessage, { route, error: err });
    return text(err.httpStatus, err.publicMessage);
  }
  logger.error('request failed', { route, error: err as Error });
  return json(500, { error: 'internal error' });
}

const apiRequestId = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: (request) => {
    const id = request.event?.requestContext?.requestId;
    if (id) logger.appendKeys({ api_request_id: id });
  },
});

const errors = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: (request) => {
    request.response = errorResponse(request.error, request.event);
  },
});

const metricsFlush = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  after: () => flushMetrics(),
  onError: () => flushMetrics(),
});

/**
 * Outside Lambda (the local stack, tests, benchmarks) handlers are called without a context; a
 * stand-in gives their logs a request id all the same.
 */
function localContext(): Context {
  return {
    awsRequestId: randomUUID(),
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'local',
    memoryLimitInMB: '0',
    logGroupName: 'local',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export type HttpHandler = (event: HttpEvent, context?: Context) => Promise<HttpResult>;

export function httpHandler(fn: (event: HttpEvent, context: Context) => Promise<HttpResult>): HttpHandler {
  const edged = middy<HttpEvent, HttpResult>()
    // resetKeys: keys appended during one request never leak into the next one's logs.
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(apiRequestId())
    .use(metricsFlush())
    .use(errors())
    .handler(fn);
  return (event, context) => edged(event, context ?? localContext());
}
