import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { clock } from '../clock.js';
import type { QueueMessage } from '../jobs/model.js';
import { type JobQueue, visibleAfterDelay } from '../jobs/queue.js';

/**
 * The local stand-in for the job queue and its Lambda event source mapping, with SQS's
 * semantics as the deployed worker sees them (serverless.yml: batchSize 10,
 * ReportBatchItemFailures, VisibilityTimeout 180 s, maxReceiveCount 5):
 * - messages are delivered to the worker handler in batches of up to 10, as an `SQSEvent`;
 * - a record listed in `batchItemFailures` (or every record, if the handler throws) stays in the
 *   queue, invisible for the visibility timeout, then is delivered again with a higher
 *   `ApproximateReceiveCount`; after `maxReceiveCount` receives it goes to the dead-letter queue;
 * - a message is delivered after the request that sent it has returned (the ack never waits);
 * - a parked step's message (`runAt`) is invisible for its DelaySeconds from the send: whole
 *   seconds, at most 900 ("Valid values: 0 to 900. Maximum: 15 minutes.", SQS API Reference,
 *   SendMessageBatchRequestEntry; see src/jobs/queue.ts), not until its runAt. One for later
 *   arrives early and the worker sends it on.
 * The visibility timeout runs on the app's clock, so moving the sandbox clock redelivers.
 */
export interface LocalSqsOptions {
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;
  batchSize?: number;
  visibilityTimeoutMs?: number;
  maxReceiveCount?: number;
  /** Batches in flight at once (the worker's concurrency). */
  concurrency?: number;
  /** The worker function's timeout, for the context's remaining time. */
  functionTimeoutMs?: number;
}

interface Stored {
  messageId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  visibleAt: number;
  firstReceivedAt?: number;
}

export class LocalSqsQueue implements JobQueue {
  private readonly pending: Stored[] = [];
  private readonly idle: Array<() => void> = [];
  private running = 0;
  private closed = false;
  readonly deadLetters: Stored[] = [];
  readonly stats = {
    sent: 0,
    batches: 0,
    received: 0,
    redelivered: 0,
    failed: 0,
    deadLettered: 0,
    /** The highest ApproximateReceiveCount handed to the worker. */
    maxReceiveCount: 0,
  };

  constructor(private readonly options: LocalSqsOptions) {}

  async send(messages: QueueMessage[]): Promise<void> {
    if (this.closed) throw new Error('queue closed');
    for (const m of messages) {
      const now = clock.now();
      const visibleAt = visibleAfterDelay(m, now);
      this.pending.push({
        messageId: randomUUID(),
        body: JSON.stringify(m),
        sentAt: now,
        receiveCount: 0,
        // DelaySeconds (a parked job's next step): invisible for ≤ 900 s on the app's clock.
        visibleAt,
      });
      // The clock also flows with real time: look again when the delay is over.
      if (visibleAt > now)
        setTimeout(() => {
          if (!this.closed) this.pump();
        }, visibleAt - now).unref();
    }
    this.stats.sent += messages.length;
    setImmediate(() => this.pump());
  }

  /** Messages waiting out a visibility timeout: the earliest time one becomes visible again. */
  nextVisibleAt(): number | undefined {
    const now = clock.now();
    const times = this.pending.filter((m) => m.visibleAt > now).map((m) => m.visibleAt);
    return times.length ? Math.min(...times) : undefined;
  }

  get size(): number {
    return this.pending.length + this.running;
  }

  /** Resolves once no visible message is pending and no batch is running. */
  drain(): Promise<void> {
    return new Promise((resolve) => {
      this.idle.push(resolve);
      setImmediate(() => this.pump());
    });
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
  }

  private visible(): Stored[] {
    const now = clock.now();
    return this.pending.filter((m) => m.visibleAt <= now);
  }

  private pump(): void {
    const concurrency = this.options.concurrency ?? 4;
    const batchSize = this.options.batchSize ?? 10;
    while (this.running < concurrency) {
      const batch = this.visible().slice(0, batchSize);
      if (batch.length === 0) break;
      const visibility = this.options.visibilityTimeoutMs ?? 180_000;
      const now = clock.now();
      for (const m of batch) {
        m.receiveCount += 1;
        m.firstReceivedAt ??= now;
        m.visibleAt = now + visibility; // in flight: invisible until deleted or timed out
        if (m.receiveCount > 1) this.stats.redelivered += 1;
        this.stats.maxReceiveCount = Math.max(this.stats.maxReceiveCount, m.receiveCount);
      }
      this.stats.received += batch.length;
      this.stats.batches += 1;
      this.running += 1;
      this.invoke(batch).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
    if (this.running === 0 && this.visible().length === 0)
      for (const resolve of this.idle.splice(0)) resolve();
  }

  private async invoke(batch: Stored[]): Promise<void> {
    const event: SQSEvent = { Records: batch.map((m) => this.record(m)) };
    const timeout = this.options.functionTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeout;
    const context = lambdaContext('worker', deadline);
    let failed: Set<string>;
    try {
      const response = await this.options.handler(event, context);
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      // A handler that throws fails the whole batch, as with the real event source mapping.
      console.error(
        `worker invocation failed: ${(err as Error).name}: ${(err as Error).message.split('\n')[0]}`,
      );
      failed = new Set(batch.map((m) => m.messageId));
    }
    for (const m of batch) {
      const at = this.pending.indexOf(m);
      if (at < 0) continue;
      if (!failed.has(m.messageId)) {
        this.pending.splice(at, 1); // deleted: the event source mapping deletes what succeeded
        continue;
      }
      this.stats.failed += 1;
      if (m.receiveCount >= (this.options.maxReceiveCount ?? 5)) {
        this.pending.splice(at, 1);
        this.deadLetters.push(m);
        this.stats.deadLettered += 1;
      }
      // Otherwise it stays invisible until its visibility timeout has passed on the clock.
    }
  }

  private record(m: Stored): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: `${m.messageId}#${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'LOCALSTACK',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:local:000000000000:wa-onboarding-jobs',
      awsRegion: 'local',
    };
  }
}

/** A Lambda context for a local invocation, with the function's real remaining time. */
export function lambdaContext(functionName: string, deadline: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:wa-onboarding-local-${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/wa-onboarding-local-${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
