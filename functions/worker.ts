import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
// The engine, wired with every feature's job kinds and the Slack status card.
import '../src/app/engine.js';
import { runLane } from '../src/jobs/runner.js';
import { logger } from '../src/log.js';
import { tenantId } from '../src/store/keys.js';

const processor = new BatchProcessor(EventType.SQS);

/** A run starts no step later than this before the function's timeout (a step's worst case). */
export const STEP_RESERVE_MS = 10_000;

const Message = z.object({
  tenant: z.string().transform(tenantId),
  jobId: z.string().min(1),
  lease: z.string().min(1),
  job: z.any().optional(),
  next: z.array(z.string().min(1)).max(5_000).optional(),
  until: z.number().optional(),
  runAt: z.number().optional(),
});

/**
 * One run per SQS record (a job step, then the tenant's next due jobs while time allows); the
 * records of a batch run in parallel. A failed record alone goes back to the queue (then the DLQ).
 */
const recordHandler = async (record: SQSRecord, context?: Context) => {
  const deadline = context
    ? Date.now() + context.getRemainingTimeInMillis() - STEP_RESERVE_MS
    : Number.POSITIVE_INFINITY;
  await runLane(Message.parse(JSON.parse(record.body)), undefined, deadline);
};

export const handler = middy<SQSEvent>()
  .use(injectLambdaContext(logger))
  .handler(async (event: SQSEvent, context) =>
    processPartialResponse(event, recordHandler, processor, { context }),
  );
