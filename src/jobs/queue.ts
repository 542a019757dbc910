import { instrument } from '../aws/instrument.js';
import { clock } from '../clock.js';
import { config } from '../config.js';
import { logger } from '../log.js';
import type { QueueMessage } from './model.js';

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
  return Math.min(900, Math.max(0, Math.ceil((runAt - now) / 1000)));
}

/**
 * The local stand-in for SQS + the worker Lambda: messages run after the current request has
 * returned (so a slash command's ack never waits on them), a few at a time.
 */
export class InProcessQueue implements JobQueue {
  private readonly pending: QueueMessage[] = [];
  /** Parked steps' messages, held until their runAt on the app's clock (as SQS DelaySeconds). */
  private readonly delayed: QueueMessage[] = [];
  private running = 0;
  private idle: Array<() => void> = [];
  consumer: ((message: QueueMessage) => Promise<void>) | undefined;

  constructor(private readonly concurrency = 4) {}

  async send(messages: QueueMessage[]): Promise<void> {
    for (const m of messages) {
      if (m.runAt !== undefined && m.runAt > clock.now()) {
        this.delayed.push(m);
        setTimeout(() => this.pump(), m.runAt - clock.now()).unref();
      } else this.pending.push(m);
    }
    setImmediate(() => this.pump());
  }

  /** Delayed messages whose time has come (the clock may have been moved) join the pending ones. */
  private promote(): void {
    const now = clock.now();
    for (let i = 0; i < this.delayed.length; ) {
      const m = this.delayed[i] as QueueMessage;
      if ((m.runAt as number) <= now) {
        this.delayed.splice(i, 1);
        this.pending.push(m);
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
