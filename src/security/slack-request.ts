import { createHmac } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { z } from 'zod';
import { constantTimeEqual } from './signatures.js';

/**
 * The gate in front of Bolt for POST /slack/events: freshness, signature, then shape.
 *
 * - Slack signs `v0:${timestamp}:${rawBody}` with the app's signing secret and tells apps to
 *   refuse a timestamp "more than five minutes" from local time
 *   (https://api.slack.com/authentication/verifying-requests-from-slack). Bolt's
 *   AwsLambdaReceiver only refuses the past; a timestamp in the future would make a captured
 *   request replayable for as long as it likes, so both directions are refused here.
 * - A request that is signed but is not a Slack payload this app can handle (`payload=null`,
 *   a button click with no user, an event with `event: null`, an unknown interaction type,
 *   a team id that is not a Slack id) is answered 400 before any listener runs, so it
 *   changes nothing and never reaches code that assumes Slack's shapes.
 *
 * Time here is the wall clock on purpose: Slack stamps requests with its real time, and
 * Bolt (which checks again after us) compares against Date.now() too. The simulated clock
 * of the local stack moves app time, not Slack's.
 */

export const SLACK_TOLERANCE_SECONDS = 5 * 60;
const MAX_HEADER_LENGTH = 1024;

export type SlackRequestVerdict =
  | { ok: true; kind: 'command' | 'interaction' | 'event' | 'ssl_check' }
  | { ok: false; status: 400 | 401; reason: string };

export function slackTimestampFresh(
  header: string | undefined,
  nowMs: number = Date.now(),
  toleranceSeconds = SLACK_TOLERANCE_SECONDS,
): boolean {
  if (typeof header !== 'string' || !/^\d{1,12}$/.test(header)) return false;
  return Math.abs(Math.floor(nowMs / 1000) - Number(header)) <= toleranceSeconds;
}

export function slackSignatureValid(
  rawBody: string,
  timestamp: string | undefined,
  signature: string | undefined,
  secret: string,
): boolean {
  if (!secret || typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  if (signature.length > MAX_HEADER_LENGTH || !/^v0=[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  return constantTimeEqual(signature.toLowerCase(), expected);
}

/** Slack ids: team T…, enterprise E…, user U…/W…, channel C…/D…/G… (upper case letters and digits). */
const slackId = (first: string) => z.string().regex(new RegExp(`^[${first}][A-Z0-9]{2,20}$`));
const teamId = slackId('T');
const enterpriseId = slackId('E');
const userId = slackId('UWB');
const short = (max = 255) => z.string().max(max);

const user = z.object({ id: userId, team_id: teamId.optional() }).loose();
const team = z.object({ id: teamId }).loose().nullable().optional();
const enterprise = z.object({ id: enterpriseId }).loose().nullable().optional();

/** An interaction must say whose workspace it is from (team, or enterprise for org-wide installs). */
const hasTenant = (p: {
  team?: { id: string } | null | undefined;
  enterprise?: { id: string } | null | undefined;
}) => Boolean(p.team?.id ?? p.enterprise?.id);

const viewBase = z
  .object({
    id: short(64),
    callback_id: short(),
    private_metadata: short(3000).optional(),
    hash: short().optional(),
    app_installed_team_id: teamId.optional(),
  })
  .loose();

const interactionBase = { user, team, enterprise, api_app_id: short(64).optional() };

const blockActions = z
  .object({
    ...interactionBase,
    type: z.literal('block_actions'),
    trigger_id: short().optional(),
    response_url: z.url().optional(),
    actions: z
      .array(
        z.object({ action_id: short(), block_id: short().optional(), value: short(2000).optional() }).loose(),
      )
      .min(1)
      .max(25),
    container: z.object({ type: short() }).loose().optional(),
    // Bolt reads channel.id without a null check: null is refused (absent is fine).
    channel: z
      .object({ id: short(64) })
      .loose()
      .optional(),
    message: z.object({}).loose().optional(),
    view: viewBase
      .extend({
        state: z
          .object({ values: z.record(z.string(), z.unknown()) })
          .loose()
          .optional(),
      })
      .optional(),
  })
  .loose();

const viewSubmission = z
  .object({
    ...interactionBase,
    type: z.literal('view_submission'),
    trigger_id: short().optional(),
    view: viewBase.extend({
      state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({}).loose())) }).loose(),
    }),
  })
  .loose();

const viewClosed = z.object({ ...interactionBase, type: z.literal('view_closed'), view: viewBase }).loose();

const shortcut = z
  .object({
    ...interactionBase,
    type: z.enum(['shortcut', 'message_action']),
    callback_id: short(),
    trigger_id: short(),
  })
  .loose();

const interaction = z
  .discriminatedUnion('type', [blockActions, viewSubmission, viewClosed, shortcut])
  .refine(hasTenant, { error: 'no team or enterprise' });

const slashCommand = z
  .object({
    command: z.string().regex(/^\/[\w-]{1,32}$/),
    text: z.string().max(40_000),
    team_id: teamId,
    enterprise_id: enterpriseId.optional(),
    user_id: userId,
    channel_id: short(64).min(1),
    response_url: z.url().optional(),
    trigger_id: short().optional(),
  })
  .loose();

/**
 * Bolt reads `event.channel`, `event.item`, `event.subteam` and `event.user` with `in` and
 * property access: present-but-null values of these throw inside Bolt, so they are refused.
 */
const eventFields = {
  type: z.string().min(1).max(100),
  user: z.union([short(64), z.object({ id: short(64) }).loose()]).optional(),
  channel: z.union([short(64), z.object({}).loose()]).optional(),
  channel_id: short(64).optional(),
  item: z.object({}).loose().optional(),
  subteam: z.object({}).loose().optional(),
};
const appHomeOpened = z
  .object({ ...eventFields, type: z.literal('app_home_opened'), user: userId, tab: short(32).optional() })
  .loose();
const anyEvent = z.object(eventFields).loose();
const authorization = z
  .object({
    team_id: teamId.nullable().optional(),
    enterprise_id: enterpriseId.nullable().optional(),
    user_id: short(64).optional(),
    is_bot: z.boolean().optional(),
    is_enterprise_install: z.boolean().optional(),
  })
  .loose();

const eventCallback = z
  .object({
    type: z.literal('event_callback'),
    team_id: teamId.optional(),
    enterprise_id: enterpriseId.nullable().optional(),
    api_app_id: short(64).optional(),
    event_id: short(64).optional(),
    authorizations: z.array(authorization).max(10).optional(),
    event: z.union([appHomeOpened, anyEvent.refine((e) => e.type !== 'app_home_opened')]),
  })
  .loose()
  .refine((e) => Boolean(e.team_id ?? e.enterprise_id), { error: 'no team or enterprise' });

const urlVerification = z.object({ type: z.literal('url_verification'), challenge: short(500) }).loose();
const appRateLimited = z.object({ type: z.literal('app_rate_limited'), team_id: teamId }).loose();

const eventBody = z.discriminatedUnion('type', [urlVerification, appRateLimited, eventCallback]);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The same reading Bolt's AwsLambdaReceiver does (exact content types), then the shape check. */
export function classifySlackBody(rawBody: string, contentType: string | undefined): SlackRequestVerdict {
  const bad = (reason: string): SlackRequestVerdict => ({ ok: false, status: 400, reason });
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = parseQuery(rawBody);
    // A repeated field arrives as an array: Slack never repeats one, and Bolt would misread it.
    if (Object.values(form).some((v) => Array.isArray(v))) return bad('repeated form field');
    if ('payload' in form) {
      const parsed = interaction.safeParse(parseJson(String(form.payload)));
      return parsed.success ? { ok: true, kind: 'interaction' } : bad('not a Slack interaction payload');
    }
    if ('ssl_check' in form && !('command' in form)) return { ok: true, kind: 'ssl_check' };
    return slashCommand.safeParse(form).success
      ? { ok: true, kind: 'command' }
      : bad('not a Slack slash command');
  }
  if (contentType === 'application/json') {
    return eventBody.safeParse(parseJson(rawBody)).success
      ? { ok: true, kind: 'event' }
      : bad('not a Slack event');
  }
  return bad('unsupported content type');
}

export function checkSlackRequest(
  req: {
    rawBody: string;
    contentType?: string | undefined;
    timestamp?: string | undefined;
    signature?: string | undefined;
  },
  signingSecret: string,
  nowMs: number = Date.now(),
): SlackRequestVerdict {
  if (!slackTimestampFresh(req.timestamp, nowMs)) {
    return { ok: false, status: 401, reason: 'timestamp missing or more than 5 minutes away' };
  }
  if (!slackSignatureValid(req.rawBody, req.timestamp, req.signature, signingSecret)) {
    return { ok: false, status: 401, reason: 'bad signature' };
  }
  return classifySlackBody(req.rawBody, req.contentType);
}
