import type { Job, QueueMessage } from '../../src/jobs/model.js';
import type { JobQueue } from '../../src/jobs/queue.js';
import { JobRepository } from '../../src/jobs/repository.js';

/** A queue that keeps what is sent, so a test runs the message itself (under a crashing repository). */
export class CaptureQueue implements JobQueue {
  sent: QueueMessage[] = [];
  async send(messages: QueueMessage[]) {
    this.sent.push(...messages);
  }
}

/**
 * A worker killed (-9) the moment after the side effect `key` happened, before it was recorded:
 * from there on it does nothing at all (its write never comes back), as a killed process.
 */
export class KilledAfterEffect extends JobRepository {
  killed = false;
  constructor(private readonly key: string) {
    super();
  }
  override async finishEffect(job: Job, lease: string, key: string, result: unknown, now: number) {
    if (key === this.key) {
      this.killed = true;
      return new Promise<void>(() => undefined);
    }
    return super.finishEffect(job, lease, key, result, now);
  }
}
