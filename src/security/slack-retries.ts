import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { logger } from '../log.js';
import { type TenantId, tenantOf } from '../store/keys.js';
import { firstDelivery, forgetDelivery } from './webhooks.js';

type Body = {
  type?: unknown;
  command?: unknown;
  team_id?: unknown;
  user_id?: unknown;
  event_id?: unknown;
  trigger_id?: unknown;
  actions?: Array<{ action_ts?: unknown; action_id?: unknown }>;
  view?: { id?: unknown; hash?: unknown };
};

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : undefined);

/**
 * What identifies one delivery of an event, interaction or slash command: Events API
 * `event_id`; for interactions `trigger_id` (unique per click or submission) with the action's
 * `action_ts`; for slash commands team, user and `trigger_id` (Slack does not retry commands,
 * but the same body can arrive twice: a double Enter, the network, a replay).
 */
export function deliveryKey(body: unknown): string | undefined {
  const b = (body ?? {}) as Body;
  if (typeof b.command === 'string') {
    const trigger = str(b.trigger_id);
    return trigger && `command:${str(b.team_id) ?? ''}:${str(b.user_id) ?? ''}:${trigger}`;
  }
  if (b.type === 'event_callback') {
    const id = str(b.event_id);
    return id && `event:${id}`;
  }
  if (
    b.type === 'block_actions' ||
    b.type === 'view_submission' ||
    b.type === 'shortcut' ||
    b.type === 'message_action'
  ) {
    const trigger = str(b.trigger_id);
    const actionTs = str(b.actions?.[0]?.action_ts);
    if (!trigger && !actionTs) return undefined;
    return `${b.type}:${trigger ?? ''}:${actionTs ?? ''}`;
  }
  return undefined;
}

/**
 * Each delivery is processed once. Slack redelivers events (and may redeliver interactions)
 * with `X-Slack-Retry-Num` when the first answer was slow, which on Lambda happens while the
 * first delivery is still running; and the same signed body can arrive twice without one. The
 * first delivery of each key is recorded with a conditional put before anything runs; any later
 * delivery of the same key is acknowledged and dropped (a slash command is told so), so side
 * effects never repeat. If the first attempt throws, its record is removed so that a retry can
 * do the work.
 */
export const slackRetryGuard: Middleware<AnyMiddlewareArgs> = async (args) => {
  const { body, context, next } = args;
  const key = deliveryKey(body);
  if (!key || context.notInstalled) {
    await next();
    return;
  }
  const tenant = tenantOf({
    teamId: context.teamId,
    enterpriseId: context.enterpriseId,
    isEnterpriseInstall: context.isEnterpriseInstall,
  });
  if (key.startsWith('command:')) {
    await commandOnce(context, next, tenant, key);
    return;
  }
  const first = await firstDelivery(tenant, 'slack', key);
  if (!first) {
    logger.info('delivery already handled: dropped', {
      key,
      retry: isRetry(context.retryNum),
      retryNum: context.retryNum,
      retryReason: context.retryReason,
    });
    const ack = (args as { ack?: (r?: unknown) => Promise<void> }).ack;
    if (ack) {
      await ack(undefined);
    }
    return;
  }
  try {
    await next();
  } catch (err) {
    if (first) await forgetDelivery(tenant, 'slack', key).catch(() => undefined);
    throw err;
  }
};

/** What a repeated delivery of a slash command is answered. */
export function duplicateCommandReply() {
  return {
    response_type: 'ephemeral' as const,
    text: ':information_source: That command arrived twice; it runs once, and its answer was sent the first time. `/wa jobs` shows what it started.',
  };
}

/**
 * A slash command: its delivery record is written while the command reads (its settings, the
 * requester's rights, the job it may duplicate), not before, so the record's round trip is not
 * added to the ack. The command waits for the record before its first write or Slack call
 * (`firstDeliveryOnly`, src/slack/command.ts) and before it answers: a repeated delivery writes
 * and calls nothing, and is answered as before.
 */
async function commandOnce(
  context: Parameters<Middleware<AnyMiddlewareArgs>>[0]['context'],
  next: () => Promise<void>,
  tenant: TenantId,
  key: string,
) {
  const first = firstDelivery(tenant, 'slack', key);
  // Awaited below and by the command; a failure is never left unhandled in between.
  first.catch(() => undefined);
  context.firstDelivery = () => first;
  try {
    await next();
  } catch (err) {
    if (await first.catch(() => false)) await forgetDelivery(tenant, 'slack', key).catch(() => undefined);
    throw err;
  }
  if (!(await first)) {
    logger.info('delivery already handled: dropped', {
      key,
      retry: isRetry(context.retryNum),
      retryNum: context.retryNum,
      retryReason: context.retryReason,
    });
  }
}

/** Bolt passes the header through as a string despite typing it as a number. */
function isRetry(retryNum: unknown): boolean {
  return retryNum !== undefined && retryNum !== null && retryNum !== '' && Number(retryNum) >= 1;
}
