import type { KnownBlock, View } from '@slack/types';
import type { JobKind, KindId } from '../jobs/kinds.js';
import type { Job } from '../jobs/model.js';
import type { CommandContext, CommandSpec } from './command.js';
import type { FormSpec } from './forms.js';
import type { ActionArgs, ViewArgs } from './interactions.js';

/**
 * What a feature brings to the app, in one place: its commands, forms, buttons, modals,
 * shortcuts, job kinds and launcher entries. src/app reads every feature's manifest and derives
 * the command table, the interaction routes, the launcher and the kinds the engine runs; nothing
 * else lists features. Handlers are loaded lazily, so the ack path loads only what it runs.
 */
export interface FeatureManifest {
  name: string;
  /** Its heading in `/wa help` ("Invites"). */
  title: string;
  /** In the order help lists them. */
  commands: CommandSpec[];
  forms?: FormSpec[];
  /** Buttons and selects, routed by the prefix of their action_id (`<feature>:<verb>`). */
  actions?: Array<Route<ActionArgs>>;
  /** Modal submissions, routed by the prefix of their callback_id. */
  views?: Array<Route<ViewArgs>>;
  /** Global and message shortcuts, by callback_id. */
  shortcuts?: Array<{ callbackId: string; load: () => Promise<(args: never) => Promise<void>> }>;
  kinds?: KindEntry[];
  /** A section of App Home for this person (the Clients section), below the actions. */
  home?: (ctx: CommandContext) => Promise<KnownBlock[]>;
  /** The feature's group in the launcher (`/wa` alone, the global shortcut, App Home). */
  launcher?: LauncherGroup | LauncherGroup[];
}

export interface Route<A> {
  prefix: string;
  load: () => Promise<(args: A) => Promise<void>>;
}

/** Who acts next on a piece of work: the client, our team, the provider, or Meta. */
export type Actor = 'client' | 'us' | 'provider' | 'Meta';

/** Where a piece of work stands, in a client's words (`/wa client`). */
export interface WorkProgress {
  /** Still open: what it waits for, and who acts next. */
  waitingFor?: string;
  next?: Actor;
  /** Over: how it ended, in a few words ("signed", "connected", "READY"). */
  outcome?: string;
}

export interface KindEntry {
  id: KindId<never>;
  load: () => Promise<JobKind<never, never>>;
  /** What a person calls a job of this kind ("Signing invite"), and where one stands. */
  label?: string;
  progress?: (job: Job) => WorkProgress;
  /**
   * The command whose rule applies to buttons on a job of this kind (its Cancel: the requester
   * or an admin, while that command is open to them).
   */
  rule?: CommandSpec;
  /**
   * A job of this kind that is the app's own helper (a form filling itself in), not work a person
   * asked for: left out of App Home.
   */
  internal?: (payload: unknown) => boolean;
  /** The command whose form a job's "Edit" button opens, after its input was found wrong. */
  form?: CommandSpec;
}

/** A kind of job, tying its id to its implementation's payload type. */
export function jobKind<P, D extends Record<string, unknown>>(
  id: KindId<P>,
  load: () => Promise<JobKind<P, D>>,
  rule?: CommandSpec,
  about?: { label: string; progress?: (job: Job<P, D>) => WorkProgress },
): KindEntry {
  return {
    id: id as unknown as KindId<never>,
    load: load as never,
    ...(rule ? { rule } : {}),
    ...(about ? { label: about.label, progress: about.progress as KindEntry['progress'] } : {}),
  };
}

export interface LauncherGroup {
  name: string;
  entries: LauncherEntry[];
}

export interface LauncherEntry {
  command: CommandSpec;
  label: string;
  /**
   * `form:open` opens the command's form; the others open a view of their own (`view`), for
   * commands whose answer is a modal (credentials, the audit trail).
   */
  action: 'form:open' | 'form:connect' | 'form:audit';
  /** The modal of an entry that is not a form. */
  view?: (ctx: CommandContext) => Promise<View>;
  /** Shown on App Home as a common action. */
  common?: boolean;
}
