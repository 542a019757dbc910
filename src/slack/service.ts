import type { WebClient } from '@slack/web-api';
import { UserError } from '../errors.js';
import type { Job } from '../jobs/model.js';
import { ActiveJobError } from '../jobs/service.js';
import { logger } from '../log.js';
import { readSettingsItem, type SettingsItem } from '../security/access.js';
import { audit } from '../security/audit.js';
import type { TenantId } from '../store/keys.js';
import { ArgumentError } from './args.js';
import {
  type CommandContext,
  type CommandSpec,
  firstDeliveryOnly,
  issuesError,
  type Reply,
} from './command.js';
import { workspaceCountry } from './country.js';
import { slackTime } from './dates.js';
import { esc } from './mrkdwn.js';
import { mayNeedAdmin, refusal, requiredAccess } from './permissions.js';
import { withDefaultCountry } from './schemas.js';

/**
 * One action, three doors. A slash command, its form and any button that starts or does the
 * same thing all come through `perform` (or, for buttons on an existing job, `mayChangeJob`):
 * the same permission rule (the command's access, raised by `/wa admins restrict`), the same zod
 * schema, the same handler, which does the opt-in checks, starts the job and audits. The doors
 * differ only in how they read input and show the outcome.
 */

export type Outcome =
  | { status: 'done'; reply: Reply }
  | { status: 'refused'; reply: Reply }
  /** Bad input (schema) or a refusal about the input (no opt-in, over a cap): nothing changed. */
  | { status: 'invalid'; error: ArgumentError | UserError; field: string | undefined }
  /** The same person already has an identical job running (see startJob's `target`). */
  | { status: 'active'; job: Job };

/** The refusal if this person may not run the command here (admin-only, or restricted). */
export async function accessRefusal(
  spec: Pick<CommandSpec, 'path' | 'access' | 'restrict'>,
  ctx: CommandContext,
  settings?: () => Promise<SettingsItem>,
): Promise<Reply | undefined> {
  // Settings first (one GetItem): Slack's users.info is asked only when the command needs an admin.
  if (
    mayNeedAdmin(spec) &&
    (await requiredAccess(spec, ctx.tenant, settings)) === 'admin' &&
    !(await ctx.isAdmin())
  ) {
    await firstDeliveryOnly(ctx); // the refusal is audited
    return refusal(spec, ctx);
  }
  return undefined;
}

/**
 * Whether the input holds anything typed (a word, a list of words): only then can it hold a phone
 * number without its country code, the one thing the workspace's default country is read for.
 */
function hasTypedInput(raw: Record<string, unknown>): boolean {
  return Object.values(raw).some(
    (v) => (typeof v === 'string' && v.length > 0) || (Array.isArray(v) && v.length > 0),
  );
}

/** The words a form shows beside the field. */
export function fieldMessage(err: ArgumentError | UserError): string {
  return err instanceof ArgumentError ? err.fieldMessage : err.message;
}

/**
 * Runs one action for one person: permission (with restrictions), validation with the
 * command's schema under the workspace's default country, then the handler. `raw` is the input
 * as the door read it (strings and string lists); `raw.again === true` starts another job even
 * when an identical one is active. Unexpected errors are thrown for the door to report.
 */
export async function perform(
  spec: CommandSpec,
  raw: Record<string, unknown>,
  ctx: CommandContext,
): Promise<Outcome> {
  // The SETTINGS item is read at most once per action, for both the access check and the
  // default country, and started at once when the country will be needed (input was typed).
  let item: Promise<SettingsItem> | undefined;
  const settings = () => {
    if (!item) {
      item = readSettingsItem(ctx.tenant);
      // Each user awaits it and handles a failure its own way; none is left unhandled.
      item.catch(() => undefined);
    }
    return item;
  };
  const typed = hasTypedInput(raw);
  if (typed) settings();
  const refused = await accessRefusal(spec, ctx, settings);
  if (refused) return { status: 'refused', reply: refused };
  if (!spec.handler) throw new Error(`/wa ${spec.path} is not built`);
  const country = typed ? await workspaceCountry(ctx.tenant, settings()) : undefined;
  return withDefaultCountry(country, async () => {
    let input: unknown = raw;
    if (spec.schema) {
      const parsed = await spec.schema.safeParseAsync(raw);
      if (!parsed.success) {
        const err = issuesError(spec, parsed.error.issues, raw);
        return { status: 'invalid', error: err, field: err.field } satisfies Outcome;
      }
      input = parsed.data;
    }
    const handler = await loadHandler(spec);
    await firstDeliveryOnly(ctx);
    try {
      const reply = await handler(input, { ...ctx, again: raw.again === true });
      return { status: 'done', reply: withReadBack(reply, raw, input) } satisfies Outcome;
    } catch (err) {
      if (err instanceof ArgumentError || err instanceof UserError) {
        return { status: 'invalid', error: err, field: err.field } satisfies Outcome;
      }
      if (err instanceof ActiveJobError) return { status: 'active', job: err.job } satisfies Outcome;
      throw err;
    }
  });
}

type Handler = Awaited<ReturnType<NonNullable<CommandSpec['handler']>>>;
const handlers = new WeakMap<CommandSpec, Promise<Handler>>();

/** A command's handler, loaded on its first use and then kept (a failed load is tried again). */
function loadHandler(spec: CommandSpec): Promise<Handler> {
  let handler = handlers.get(spec);
  if (!handler) {
    handler = (spec.handler as NonNullable<CommandSpec['handler']>)();
    handlers.set(spec, handler);
    handler.catch(() => handlers.delete(spec));
  }
  return handler;
}

/** "Read `(415) 555-1234` as +14155551234": the E.164 form of a number typed another way. */
function withReadBack(reply: Reply, raw: Record<string, unknown>, input: unknown): Reply {
  const typed = raw.phone;
  const read = (input as { phone?: unknown } | undefined)?.phone;
  if (typeof typed !== 'string' || typeof read !== 'string' || typed.trim() === read) return reply;
  const note = `Read \`${typed.trim().replace(/[`<>&]/g, '')}\` as ${read}.`;
  return {
    ...reply,
    text: `${reply.text}\n${note}`,
    ...(reply.blocks
      ? { blocks: [...reply.blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: note }] }] }
      : {}),
  };
}

/** A Slack permalink to a job's card, when Slack told us the workspace's domain. */
function jobLink(job: Job, teamDomain: string | undefined): string {
  const { channel, progressTs, threadTs } = job.report;
  const ts = progressTs ?? threadTs;
  if (teamDomain && /^[a-z0-9-]+$/i.test(teamDomain) && ts && /^[CDG][A-Z0-9]+$/.test(channel)) {
    return `<https://${teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}|job \`${job.id}\`>`;
  }
  return /^[CG][A-Z0-9]+$/.test(channel) ? `job \`${job.id}\` in <#${channel}>` : `job \`${job.id}\``;
}

/** What a person hears when they start what they already have running. */
export function activeJobText(job: Job, ctx: Pick<CommandContext, 'teamDomain'>, how: string): string {
  return `:information_source: You already started this: ${jobLink(job, ctx.teamDomain)} (${esc(job.subject)}, ${job.state} since ${slackTime(job.createdAt, '{date_short_pretty} {time}')}). Nothing new was started. ${how}`;
}

/**
 * Who may change or stop something a person started (cancel an invitation, resend it, cancel
 * its job): the requester or an admin, and only while the command that does it is open to them
 * (`/wa admins restrict` included). `/wa invite cancel`, the job's Cancel button and "Resend by
 * email" all use this one rule. Returns the refusal, or undefined when allowed.
 */
export async function mayChangeJob(
  job: Job,
  spec: CommandSpec | undefined,
  ctx: CommandContext,
  what: string,
): Promise<Reply | undefined> {
  if (spec) {
    const refused = await accessRefusal(spec, ctx);
    if (refused) return refused;
  }
  return requesterOrAdmin(job, ctx, what);
}

/** The requester, or an admin (the part of `mayChangeJob` after the command's own access check). */
export async function requesterOrAdmin(
  job: Job,
  ctx: CommandContext,
  what: string,
): Promise<Reply | undefined> {
  if (job.createdBy === ctx.userId || (await ctx.isAdmin())) return undefined;
  try {
    await audit(ctx.tenant, {
      actor: ctx.userId,
      action: `${job.kind}.${what.split(' ')[0]}`,
      target: job.id,
      outcome: 'refused',
      detail: 'not the requester or an admin',
    });
  } catch (err) {
    logger.warn('could not audit a refusal', { error: err as Error });
  }
  return {
    response_type: 'ephemeral',
    text: `:no_entry: Only <@${job.createdBy}> (who started it) or an admin can ${what} \`${job.id}\`.`,
  };
}

/** The person behind a button click or a form submission, as a command context. */
export function actorOf(
  body: {
    user: { id: string };
    team?: { id?: string; domain?: string } | null;
    enterprise?: { id?: string } | null;
    channel?: { id?: string } | null;
    trigger_id?: string;
    response_url?: string;
  },
  client: WebClient,
  tenant: TenantId,
  channelId?: string,
): CommandContext {
  const userId = body.user.id;
  let admin: Promise<boolean> | undefined;
  return {
    tenant,
    teamId: body.team?.id ?? tenant,
    enterpriseId: body.enterprise?.id,
    userId,
    // No channel (App Home, a global shortcut): reports go to the person's DM with the app.
    channelId: channelId ?? body.channel?.id ?? userId,
    responseUrl: body.response_url,
    triggerId: body.trigger_id,
    teamDomain: body.team?.domain,
    client,
    isAdmin: () => {
      admin ??= import('./permissions.js').then((p) => p.isAdmin(client, tenant, userId));
      return admin;
    },
  };
}
