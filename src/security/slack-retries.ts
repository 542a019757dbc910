import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { logger } from '../log.js';
import { tenantOf } from '../store/keys.js';
import { firstDelivery, forgetDelivery } from './webhooks.js';

type Body = {
  type?: unknown;
  event_id?: unknown;
  trigger_id?: unknown;
  actions?: Array<{ action_ts?: unknown; action_id?: unknown }>;
  view?: { id?: unknown; hash?: unknown };
};

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : undefined);

/**
 * What identifies one delivery of an event or interaction: Events API `event_id`; for
 * interactions `trigger_id` (unique per click or submission) with the action's `action_ts`.
 * Slash commands are never redelivered by Slack and carry no key here.
 */
export function deliveryKey(body: unknown): string | undefined {
  const b = (body ?? {}) as Body;
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
 * Slack redelivers events (and may redeliver interactions) with `X-Slack-Retry-Num` when the
 * first answer was slow, which on Lambda happens while the first delivery is still running. The
 * first delivery of each key is recorded with a conditional put before anything runs; a retry
 * (a request carrying a retry number) whose key is already recorded is acknowledged and dropped,
 * so side effects never repeat. Requests without a retry number always run: only Slack's own
 * retries are suppressed. If the first attempt throws, its record is removed so that Slack's
 * retry can do the work.
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
  if (!first && isRetry(context.retryNum)) {
    logger.info('Slack retry of a delivery already handled: dropped', {
      key,
      retryNum: context.retryNum,
      retryReason: context.retryReason,
    });
    const ack = (args as { ack?: (r?: unknown) => Promise<void> }).ack;
    if (ack) await ack();
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
