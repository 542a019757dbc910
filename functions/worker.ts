import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { runMessage } from '../src/jobs/runner.js';
import { logger } from '../src/log.js';
import { tenantId } from '../src/store/keys.js';

const processor = new BatchProcessor(EventType.SQS);

const Message = z.object({
  tenant: z.string().transform(tenantId),
  jobId: z.string().min(1),
  lease: z.string().min(1),
  job: z.any().optional(),
});

/** One job step per SQS record; a failed record alone goes back to the queue (then the DLQ). */
const recordHandler = async (record: SQSRecord) => {
  await runMessage(Message.parse(JSON.parse(record.body)));
};

export const handler = middy<SQSEvent>()
  .use(injectLambdaContext(logger))
  .handler(async (event: SQSEvent, context) =>
    processPartialResponse(event, recordHandler, processor, { context }),
  );
