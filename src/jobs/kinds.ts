import type { z } from 'zod';
import type { InboxEvent, Job, SlackMessage, StepResult } from './model.js';

export interface StepIO {
  now: number;
  /** Webhook events delivered since the last step, oldest first. */
  inbox: InboxEvent[];
  /**
   * Runs an external side effect at most once per key: the key is recorded on the job before
   * the call; if an earlier run crashed after recording it, `reconcile` looks the object up
   * before anything is sent again.
   */
  effect<T>(key: string, call: () => Promise<T>, reconcile?: () => Promise<T | undefined>): Promise<T>;
  /** Updates the job's one progress message (posting it the first time). */
  progress(message: SlackMessage): Promise<void>;
  /** A new message in the job's thread. */
  post(message: SlackMessage): Promise<void>;
  /** A message only the requester sees (links that act like credentials). */
  ephemeral(message: SlackMessage): Promise<void>;
  /** The answer to a read-only query: only the asker sees it (response_url, then ephemeral). */
  answer(message: SlackMessage): Promise<void>;
  /** A link to a message (a card's thread), if Slack gives one. */
  permalink(channel: string, ts: string): Promise<string | undefined>;
  /** Lets webhooks about this provider object find the job. */
  link(provider: string, objectId: string): Promise<void>;
}

export interface JobKind<P = unknown, D extends Record<string, unknown> = Record<string, unknown>> {
  kind: string;
  payload: z.ZodType<P>;
  /** Transient failures in a row before the job fails (default JOB_RETRY.maxAttempts). */
  maxAttempts?: number;
  step(job: Job<P, D>, io: StepIO): Promise<StepResult<D>>;
  /** Plain words for a failure, with what to do next. */
  failureMessage?(job: Job<P, D>, reason: string): SlackMessage;
  /**
   * The job's status card, rendered from its current state alone. When a kind has one, the
   * engine updates the card after every step and every transition (failure, cancel), with full
   * blocks; buttons that no longer apply are simply not rendered.
   */
  card?(job: Job<P, D>): SlackMessage;
  /** A read-only query: its failure, like its answer, goes to the asker alone. */
  readOnly?(job: Job<P, D>): boolean;
  /**
   * The input the job was started with, as its form's fields: a failure the step marks `asker`
   * (the input was wrong) offers to edit it in the form (the kind's `form` in its manifest).
   */
  edit?(job: Job<P, D>): Record<string, string>;
  /**
   * For a kind whose provider object outlives the job (a partner link that keeps working): the
   * job's Cancel button does not just stop following it, it delivers this inbox event, and the
   * step cancels the object at the provider, says what the provider did, and ends the job.
   */
  cancelEvent?: string;
}

/**
 * A job kind's id, typed by its payload: `startJob(ctx, { kind: partnerKind, payload })` is
 * checked against the payload the kind runs with, and the id string has one home (the feature's
 * kinds.ts). The payload type is only a type: an id costs nothing to import on the ack path.
 */
export interface KindId<P> {
  readonly id: string;
  /**
   * The prefix of its jobs' short references (`INV` gives INV-12): what people read aloud and
   * type instead of a job id. Kinds without one (internal lookups) get no reference.
   */
  readonly ref?: string | undefined;
  /** Never set: carries the payload type. */
  readonly payloadType?: P;
}

export function kindId<P>(id: string, opts: { ref?: string } = {}): KindId<P> {
  return { id, ...(opts.ref ? { ref: opts.ref } : {}) };
}
