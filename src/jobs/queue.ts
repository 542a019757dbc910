import { instrument } from '../aws/instrument.js';
import { clock } from '../clock.js';
import { config } from '../config.js';
import { logger } from '../log.js';
import type { QueueMessage } from './model.js';

/*
 * A parked step's message (`runAt`) is sent with SQS `DelaySeconds`: "The length of time, in
 * seconds, for which a specific message is delayed. Valid values: 0 to 900. Maximum: 15
 * minutes." (SendMessageBatchRequestEntry, Amazon SQS API Reference; also
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-delay-queues.html).
 * So a message for a later time arrives early and is sent on by the worker (runMessage). The
 * local stand-ins below (and src/sandbox/local-sqs.ts) hold a message for exactly that many
 * whole seconds from its send on the app's clock, never until its runAt.
 */
/** SQS's longest DelaySeconds. */
const MAX_DELAY_SECONDS = 900;

/** Hands claimed jobs to workers: SQS in AWS, an in-process queue in the local stack. */
export interface JobQueue {
  send(messages: QueueMessage[]): Promise<void>;
}

export class SqsJobQueue implements JobQueue {
  constructor(private readonly queueUrl: string) {}

  async send(messages: QueueMessage[]): Promise<void> {
    const { SQSClient, SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
    sqs ??= instrument(new SQSClient({ region: config().region }), () => ({ queueUrl: config().queueUrl }));
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((m, n) => ({
            Id: String(n),
            MessageBody: JSON.stringify(m),
            ...(m.runAt !== undefined ? { DelaySeconds: delaySeconds(m.runAt) } : {}),
          })),
        }),
      );
      // A message that did not go out is not lost: its job stays due, and the scheduler takes it
      // again once the lease runs out.
      if (out.Failed?.length) logger.warn('some jobs were not queued', { failed: out.Failed.length });
    }
  }
}

let sqs: import('@aws-sdk/client-sqs').SQSClient | undefined;

/** SQS delays a message by whole seconds, at most 15 minutes; rounded up, never early. */
export function delaySeconds(runAt: number, now = clock.now()): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((runAt - now) / 1000)));
}

/** When a message sent now becomes visible on the app's clock: its DelaySeconds after the send. */
export function visibleAfterDelay(message: QueueMessage, now = clock.now()): number {
  return message.runAt === undefined ? now : now + delaySeconds(message.runAt, now) * 1000;
}

/**
 * The local stand-in for SQS + the worker Lambda: messages run after the current request has
 * returned (so a slash command's ack never waits on them), a few at a time.
 */
export class InProcessQueue implements JobQueue {
  private readonly pending: QueueMessage[] = [];
  /** Parked steps' messages, held for their DelaySeconds (≤ 900 s) on the app's clock, as SQS does. */
  private readonly delayed: Array<{ message: QueueMessage; visibleAt: number }> = [];
  private running = 0;
  private idle: Array<() => void> = [];
  consumer: ((message: QueueMessage) => Promise<void>) | undefined;

  constructor(private readonly concurrency = 4) {}

  async send(messages: QueueMessage[]): Promise<void> {
    for (const m of messages) {
      const now = clock.now();
      const visibleAt = visibleAfterDelay(m, now);
      if (visibleAt > now) {
        this.delayed.push({ message: m, visibleAt });
        setTimeout(() => this.pump(), visibleAt - now).unref();
      } else this.pending.push(m);
    }
    setImmediate(() => this.pump());
  }

  /** Delayed messages whose time has come (the clock may have been moved) join the pending ones. */
  private promote(): void {
    const now = clock.now();
    for (let i = 0; i < this.delayed.length; ) {
      const d = this.delayed[i] as { message: QueueMessage; visibleAt: number };
      if (d.visibleAt <= now) {
        this.delayed.splice(i, 1);
        this.pending.push(d.message);
      } else i++;
    }
  }

  private pump(): void {
    this.promote();
    while (this.consumer && this.running < this.concurrency && this.pending.length > 0) {
      const message = this.pending.shift() as QueueMessage;
      this.running += 1;
      this.consumer(message)
        .catch((err) => logger.error('worker failed', { error: err as Error, jobId: message.jobId }))
        .finally(() => {
          this.running -= 1;
          this.pump();
        });
    }
    if (this.running === 0 && this.pending.length === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /** Resolves once nothing is pending or running (messages sent meanwhile included; delayed ones not yet due excluded). */
  drain(): Promise<void> {
    this.promote();
    if (this.running === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle.push(resolve);
      setImmediate(() => this.pump());
    });
  }

  get size(): number {
    return this.pending.length + this.running;
  }
}

let queue: JobQueue | undefined;

export function jobQueue(): JobQueue {
  if (!queue) {
    const url = config().queueUrl;
    queue = url ? new SqsJobQueue(url) : new InProcessQueue();
  }
  return queue;
}

export function setJobQueue(q: JobQueue | undefined): void {
  queue = q;
}
