import type { KnownBlock } from '@slack/types';
import type { TenantId } from '../store/keys.js';

/** A worker holds a job this long; a crashed worker's job is due again after it. */
export const LEASE_MS = 2 * 60_000;

export type JobState = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (s: JobState) => TERMINAL.includes(s);

/** Where a job reports in Slack. */
export interface ReportTo {
  channel: string;
  userId: string;
  /** Thread to post in; set to the progress message once there is one. */
  threadTs?: string | undefined;
  /** The progress message that chat.update keeps current. */
  progressTs?: string | undefined;
  /** Slack's response_url: valid for 30 minutes and 5 uses. */
  responseUrl?: string | undefined;
  responseUrlUntil?: number | undefined;
  responseUrlUses?: number | undefined;
}

export interface Effect {
  status: 'started' | 'done';
  at: number;
  result?: unknown;
}

/** A provider event (webhook) delivered to a job, consumed by its next step. */
export interface InboxEvent {
  type: string;
  at: number;
  data: unknown;
}

export interface Job<P = unknown, D = Record<string, unknown>> {
  tenant: TenantId;
  id: string;
  kind: string;
  /** One line saying what the job is about, for `/wa jobs`. */
  subject: string;
  /** Its short reference (INV-12), when its kind gives one: shown on its card, typed instead of its id. */
  ref?: string | undefined;
  /** The client the work is for, as first typed (`--client`); its work index is keyed by `clientKey`. */
  client?: string | undefined;
  clientKey?: string | undefined;
  /** What it acts on, for spotting an identical job started twice (see startJob). */
  target?: string | undefined;
  state: JobState;
  attempts: number;
  version: number;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
  /** When the next step is due. */
  dueAt?: number | undefined;
  /** The due index's key as stored (later than dueAt while parked: the scheduler's recovery time). */
  indexAt?: number | undefined;
  leaseOwner?: string | undefined;
  leaseUntil?: number | undefined;
  lastError?: string | undefined;
  report: ReportTo;
  payload: P;
  data: D;
  effects: Record<string, Effect>;
  inbox?: InboxEvent[] | undefined;
  /** Provider objects this job follows, so webhooks find it. */
  refs?: string[] | undefined;
}

export interface SlackMessage {
  text: string;
  blocks?: KnownBlock[];
}

/** What a step decides. `data` is merged into job.data; `progress` updates the progress message. */
export type StepResult<D = Record<string, unknown>> =
  | { type: 'wait'; until: number; data?: Partial<D>; progress?: SlackMessage }
  | { type: 'done'; data?: Partial<D>; progress?: SlackMessage }
  | {
      type: 'fail';
      reason: string;
      data?: Partial<D>;
      progress?: SlackMessage;
      /**
       * The requester's input was wrong (a language the template lacks, a URL that cannot be
       * downloaded), found before anything was done: the failure goes to them alone, never as a
       * card in the channel, with a way to edit the input (JobKind.edit).
       */
      asker?: boolean;
    }
  | { type: 'cancelled'; reason: string; data?: Partial<D>; progress?: SlackMessage };

export interface QueueMessage {
  tenant: TenantId;
  jobId: string;
  /** The lease the sender holds for this run; the worker runs only under it. */
  lease: string;
  /** The job as claimed, so the worker needs no read (items stay small). */
  job?: Job;
  /**
   * A parked job's next step: sent delayed min(runAt - now, 900 s) (SQS DelaySeconds), sent on
   * while it arrives early, and read before it runs.
   */
  runAt?: number | undefined;
}

/** What the engine writes: a step's result, or a retry after a transient failure. */
export type StepOutcome =
  | StepResult
  | { type: 'retry'; until: number; error: string; data?: Record<string, unknown> };
