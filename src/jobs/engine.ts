import type { JobKind } from './kinds.js';
import type { Job, ReportTo, SlackMessage } from './model.js';

/**
 * What the engine needs from above, handed in by the composition root (src/app/engine.ts): the
 * job kinds, a reporter per job (the Slack status card), and how to word a failure. The engine
 * itself knows no Slack and no feature.
 */
export interface JobReporter {
  readonly report: ReportTo;
  /** Updates the job's one progress message (posting it the first time). */
  progress(message: SlackMessage): Promise<void>;
  /** A new message in the job's thread. */
  post(message: SlackMessage): Promise<void>;
  /** A message only the requester sees. */
  ephemeral(message: SlackMessage): Promise<void>;
  /** The answer to a read-only query, to the asker alone. */
  answer(message: SlackMessage): Promise<void>;
  permalink(channel: string, ts: string): Promise<string | undefined>;
}

export interface EngineDeps {
  /** The kind of this id, loaded on first use; undefined for a kind the app does not have. */
  kind(id: string): Promise<JobKind | undefined>;
  reporterFor(job: Job, now: () => number): JobReporter;
  /** A failure in plain words, safe to show as it is. */
  describe(err: unknown): string;
  /** The message of a failed job whose kind has no words of its own. */
  failed(job: Job, reason: string): SlackMessage;
  /** The failure of wrong input, for the asker alone: with a button that reopens its form. */
  inputFailed(job: Job, message: SlackMessage, values: Record<string, string> | undefined): SlackMessage;
  /** The card of a job whose kind has none, after a change outside a step (a cancel). */
  plainCard(job: Job): SlackMessage;
}

let wired: EngineDeps | undefined;

export function wireEngine(deps: EngineDeps): void {
  wired = deps;
}

export function engine(): EngineDeps {
  if (!wired) throw new Error('the job engine is not wired: import src/app/engine.ts first');
  return wired;
}
