import { createHmac } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
// zod/mini, not zod: this gate runs before the first ack, and full zod weighs ~190 KB on that path.
import * as z from 'zod/mini';
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

const SLACK_TOLERANCE_SECONDS = 5 * 60;
const MAX_HEADER_LENGTH = 1024;

export type SlackRequestVerdict =
  | { ok: true; kind: 'command' | 'interaction' | 'event' | 'ssl_check' }
  | { ok: false; status: 400 | 401; reason: string };

function slackTimestampFresh(
  header: string | undefined,
  nowMs: number = Date.now(),
  toleranceSeconds = SLACK_TOLERANCE_SECONDS,
): boolean {
  if (typeof header !== 'string' || !/^\d{1,12}$/.test(header)) return false;
  return Math.abs(Math.floor(nowMs / 1000) - Number(header)) <= toleranceSeconds;
}

function slackSignatureValid(
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
const slackId = (first: string) => z.string().check(z.regex(new RegExp(`^[${first}][A-Z0-9]{2,20}$`)));
const teamId = slackId('T');
const enterpriseId = slackId('E');
const userId = slackId('UWB');
const short = (max = 255) => z.string().check(z.maxLength(max));
const looseEmpty = () => z.looseObject({});

const user = z.looseObject({ id: userId, team_id: z.optional(teamId) });
const team = z.optional(z.nullable(z.looseObject({ id: teamId })));
const enterprise = z.optional(z.nullable(z.looseObject({ id: enterpriseId })));

/** An interaction must say whose workspace it is from (team, or enterprise for org-wide installs). */
const hasTenant = (p: {
  team?: { id: string } | null | undefined;
  enterprise?: { id: string } | null | undefined;
}) => Boolean(p.team?.id ?? p.enterprise?.id);

const viewBase = z.looseObject({
  id: short(64),
  callback_id: short(),
  private_metadata: z.optional(short(3000)),
  hash: z.optional(short()),
  app_installed_team_id: z.optional(teamId),
});

const interactionBase = { user, team, enterprise, api_app_id: z.optional(short(64)) };

const blockActions = z.looseObject({
  ...interactionBase,
  type: z.literal('block_actions'),
  trigger_id: z.optional(short()),
  response_url: z.optional(z.url()),
  actions: z
    .array(
      z.looseObject({
        action_id: short(),
        block_id: z.optional(short()),
        value: z.optional(short(2000)),
      }),
    )
    .check(z.minLength(1), z.maxLength(25)),
  container: z.optional(z.looseObject({ type: short() })),
  // Bolt reads channel.id without a null check: null is refused (absent is fine).
  channel: z.optional(z.looseObject({ id: short(64) })),
  message: z.optional(looseEmpty()),
  view: z.optional(
    z.extend(viewBase, {
      state: z.optional(z.looseObject({ values: z.record(z.string(), z.unknown()) })),
    }),
  ),
});

const viewSubmission = z.looseObject({
  ...interactionBase,
  type: z.literal('view_submission'),
  trigger_id: z.optional(short()),
  view: z.extend(viewBase, {
    state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), looseEmpty())) }),
  }),
});

const viewClosed = z.looseObject({ ...interactionBase, type: z.literal('view_closed'), view: viewBase });

const shortcut = z.looseObject({
  ...interactionBase,
  type: z.enum(['shortcut', 'message_action']),
  callback_id: short(),
  trigger_id: short(),
});

const interaction = z
  .discriminatedUnion('type', [blockActions, viewSubmission, viewClosed, shortcut])
  .check(z.refine(hasTenant, { error: 'no team or enterprise' }));

const slashCommand = z.looseObject({
  command: z.string().check(z.regex(/^\/[\w-]{1,32}$/)),
  text: z.string().check(z.maxLength(40_000)),
  team_id: teamId,
  enterprise_id: z.optional(enterpriseId),
  user_id: userId,
  channel_id: short(64).check(z.minLength(1)),
  response_url: z.optional(z.url()),
  trigger_id: z.optional(short()),
});

/**
 * Bolt reads `event.channel`, `event.item`, `event.subteam` and `event.user` with `in` and
 * property access: present-but-null values of these throw inside Bolt, so they are refused.
 */
const eventFields = {
  type: z.string().check(z.minLength(1), z.maxLength(100)),
  user: z.optional(z.union([short(64), z.looseObject({ id: short(64) })])),
  channel: z.optional(z.union([short(64), looseEmpty()])),
  channel_id: z.optional(short(64)),
  item: z.optional(looseEmpty()),
  subteam: z.optional(looseEmpty()),
};
const appHomeOpened = z.looseObject({
  ...eventFields,
  type: z.literal('app_home_opened'),
  user: userId,
  tab: z.optional(short(32)),
});
const anyEvent = z.looseObject(eventFields);
const authorization = z.looseObject({
  team_id: z.optional(z.nullable(teamId)),
  enterprise_id: z.optional(z.nullable(enterpriseId)),
  user_id: z.optional(short(64)),
  is_bot: z.optional(z.boolean()),
  is_enterprise_install: z.optional(z.boolean()),
});

const eventCallback = z
  .looseObject({
    type: z.literal('event_callback'),
    team_id: z.optional(teamId),
    enterprise_id: z.optional(z.nullable(enterpriseId)),
    api_app_id: z.optional(short(64)),
    event_id: z.optional(short(64)),
    authorizations: z.optional(z.array(authorization).check(z.maxLength(10))),
    event: z.union([appHomeOpened, anyEvent.check(z.refine((e) => e.type !== 'app_home_opened'))]),
  })
  .check(z.refine((e) => Boolean(e.team_id ?? e.enterprise_id), { error: 'no team or enterprise' }));

const urlVerification = z.looseObject({ type: z.literal('url_verification'), challenge: short(500) });
const appRateLimited = z.looseObject({ type: z.literal('app_rate_limited'), team_id: teamId });

const eventBody = z.discriminatedUnion('type', [urlVerification, appRateLimited, eventCallback]);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The same reading Bolt's AwsLambdaReceiver does (exact content types), then the shape check. */
function classifySlackBody(rawBody: string, contentType: string | undefined): SlackRequestVerdict {
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
