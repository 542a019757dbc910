import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { z } from 'zod';
import { inWords } from '../field-words.js';
import type { RestrictableGroup } from '../security/access.js';
import { ArgumentError, type FlagSpec, type Parsed } from './args.js';

export interface CommandContext {
  tenant: import('../store/keys.js').TenantId;
  teamId: string;
  enterpriseId?: string | undefined;
  userId: string;
  channelId: string;
  responseUrl?: string | undefined;
  triggerId?: string | undefined;
  /** Web API client with this workspace's bot token. */
  client: WebClient;
  isAdmin(): Promise<boolean>;
  /** For permalinks (`https://<domain>.slack.com/archives/...`), when Slack sent it. */
  teamDomain?: string | undefined;
  /** Start another job even if an identical one is active (`--again`, or the form's checkbox). */
  again?: boolean | undefined;
  /**
   * A slash command's delivery record, written while the command reads
   * (src/security/slack-retries.ts): true for the first delivery of this command. Awaited by
   * `firstDeliveryOnly` before anything that writes or calls Slack. Absent for the other doors,
   * whose delivery is recorded before they run.
   */
  firstDelivery?: (() => Promise<boolean>) | undefined;
}

/** A repeated delivery of a slash command: its first delivery does the work and answers. */
export class DuplicateDeliveryError extends Error {
  override readonly name = 'DuplicateDeliveryError';
  readonly code = 'duplicate_delivery';
}

/**
 * Called before a command's first side effect (a write, a Slack call): waits for its delivery
 * record, and stops a command that was delivered before.
 */
export async function firstDeliveryOnly(ctx: Pick<CommandContext, 'firstDelivery'>): Promise<void> {
  if (ctx.firstDelivery && !(await ctx.firstDelivery())) {
    throw new DuplicateDeliveryError('this command was delivered before');
  }
}

export interface Reply {
  text: string;
  blocks?: KnownBlock[];
  response_type?: 'ephemeral' | 'in_channel';
}

export type Access = 'admin' | 'member';

type Handler<S extends z.ZodType> = (input: z.output<S>, ctx: CommandContext) => Promise<Reply>;

export interface CommandSpec<S extends z.ZodType = z.ZodType> {
  /** Words after `/wa`, e.g. `invite sign`. */
  path: string;
  usage: string;
  summary: string;
  access: Access;
  /** The member-level group an admin may make admin-only (`/wa admins restrict <group> on`). */
  restrict?: RestrictableGroup;
  /** Schema keys that positional arguments fill, in order; a `...key` collects the rest. */
  positionals?: string[];
  flags?: FlagSpec;
  schema?: S;
  /** Lazy so the ack path loads only the feature it runs; absent while the feature is not built. */
  handler?: () => Promise<Handler<S>>;
}

export function defineCommand<S extends z.ZodType>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec;
}

/**
 * Turns parsed tokens into the input object the schema reads (positionals by name, flags by
 * name); an argument no positional takes is an error.
 */
export function rawInput(spec: Pick<CommandSpec, 'positionals'>, parsed: Parsed): Record<string, unknown> {
  const names = spec.positionals ?? [];
  const input: Record<string, unknown> = { ...parsed.flags };
  const rest = names.find((n) => n.startsWith('...'));
  const fixed = names.filter((n) => !n.startsWith('...'));
  fixed.forEach((n, i) => {
    input[n] = parsed.positionals[i];
  });
  const extra = parsed.positionals.slice(fixed.length);
  if (rest) input[rest.slice(3)] = extra;
  else if (extra.length > 0) throw new ArgumentError(`unexpected argument ${JSON.stringify(extra[0])}`);
  return input;
}

/** A schema issue as an error naming its field the way the command does (`missing <phone>`, `--days: ...`). */
export function issueError(
  spec: Pick<CommandSpec, 'positionals'>,
  issue: z.core.$ZodIssue,
  raw?: Record<string, unknown>,
): ArgumentError {
  const field = String(issue.path[0] ?? '');
  const fixed = (spec.positionals ?? []).map((n) => n.replace(/^\.\.\./, ''));
  // Positionals are named in words (`clientName` → "the client name"), flags as typed.
  const label = fixed.includes(field) ? `the ${inWords(field)}` : field ? `--${field}` : 'arguments';
  // Missing means not given. zod reports text it could not read as a number as an invalid
  // type without the input, which must not be mistaken for "missing".
  const given = raw && field ? raw[field] : undefined;
  const absent = given === undefined || (Array.isArray(given) && given.length === 0);
  const missing =
    issue.code === 'invalid_type' && (raw ? absent : (issue as { input?: unknown }).input === undefined);
  const message = missing
    ? `missing ${label}`
    : fixed.includes(field) || !field
      ? issue.message
      : `${label}: ${issue.message}`;
  // A form shows the schema's own words beside the field, without the command's label.
  return new ArgumentError(message, {
    field: field || undefined,
    fieldMessage: missing ? 'Please fill this in.' : issue.message,
  });
}

/**
 * Every wrong field at once: the issues grouped by the field they are about (a list's items in
 * their order: `UK, XX` names both), each field's words as `issueError` gives them. The message
 * has one line per field; `fields` has each field's own words for a form.
 */
export function issuesError(
  spec: Pick<CommandSpec, 'positionals'>,
  issues: readonly z.core.$ZodIssue[],
  raw?: Record<string, unknown>,
): ArgumentError {
  const byField = new Map<string, z.core.$ZodIssue[]>();
  for (const issue of issues) {
    const key = String(issue.path[0] ?? '');
    byField.set(key, [...(byField.get(key) ?? []), issue]);
  }
  const at = (i: z.core.$ZodIssue) => (typeof i.path[1] === 'number' ? i.path[1] : 0);
  const parts = [...byField.values()].map((list) => {
    const sorted = [...list].sort((a, b) => at(a) - at(b));
    const [first, ...more] = sorted.map((i) => issueError(spec, i, raw));
    const head = first as ArgumentError;
    const extra = more
      .map((e) => e.fieldMessage)
      .filter((m) => m !== head.fieldMessage && m !== 'Please fill this in.');
    return {
      field: head.field,
      message: [head.message, ...extra].join('; '),
      fieldMessage: [head.fieldMessage, ...extra].join('; '),
    };
  });
  const [first] = parts;
  if (!first) return new ArgumentError('the arguments are not valid');
  const sentence = (m: string) => (/[.?!]$/.test(m) ? m : `${m}.`);
  const message = parts.length > 1 ? parts.map((p) => sentence(p.message)).join('\n') : first.message;
  return new ArgumentError(message, {
    field: first.field,
    fieldMessage: first.fieldMessage,
    fields: parts.map((p) => ({ field: p.field, message: p.fieldMessage })),
  });
}

/** Turns parsed tokens into the schema's input object and validates it, naming what is wrong. */
export async function validateInput<S extends z.ZodType>(
  spec: CommandSpec<S>,
  parsed: Parsed,
): Promise<z.output<S>> {
  const input = rawInput(spec, parsed);
  if (!spec.schema) return input as z.output<S>;
  const result = await spec.schema.safeParseAsync(input);
  if (result.success) return result.data;
  throw issuesError(spec, result.error.issues, input);
}

export { inWords } from '../field-words.js';
