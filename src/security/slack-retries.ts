import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { logger } from '../log.js';
import { tenantOf } from '../store/keys.js';
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
      await ack(
        key.startsWith('command:')
          ? {
              response_type: 'ephemeral',
              text: ':information_source: That command arrived twice; it runs once, and its answer was sent the first time. `/wa jobs` shows what it started.',
            }
          : undefined,
      );
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

/** Bolt passes the header through as a string despite typing it as a number. */
function isRetry(retryNum: unknown): boolean {
  return retryNum !== undefined && retryNum !== null && retryNum !== '' && Number(retryNum) >= 1;
}
