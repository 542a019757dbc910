import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { config } from '../config.js';
import { UserError } from '../errors.js';
import { ddb, epochSeconds, isConditionFailed, tableName } from '../store/dynamo.js';
import { keys, type TenantId } from '../store/keys.js';

/**
 * How many jobs one person, and one workspace, may start: a fixed window
 * (`START_LIMIT_WINDOW_MINUTES`, aligned to the clock) counted in one item per workspace and
 * window, `total` for the workspace and one attribute per person. Admitting a start is one
 * conditional UpdateItem (both counts and both limits in the same write, so concurrent starts
 * cannot overshoot); a refusal reads the item once more to say which limit and when it lifts.
 * Queries (lookups, statuses) and cancels never come here (StartJob's `query`).
 *
 * A fixed window lets a person who used the whole window at its very end start as many again
 * right after it turns: at most twice the limit within a short time, never more.
 */
export class StartLimitError extends UserError {
  override readonly name = 'StartLimitError';
  constructor(
    readonly scope: 'person' | 'workspace',
    readonly limit: number,
    readonly windowMs: number,
    /** When the window turns and starts are admitted again. */
    readonly retryAt: number,
    now: number,
  ) {
    const minutes = Math.round(windowMs / 60_000);
    const wait = Math.max(1, Math.ceil((retryAt - now) / 60_000));
    // Plain words (no Slack markup): a form shows them as a field's error, in plain text.
    super(
      `${scope === 'person' ? 'You have' : 'This workspace has'} started ${limit} jobs within ${minutes} minutes, the most ${scope === 'person' ? 'one person' : 'a workspace'} may; nothing was started. Try again in ${wait} minute${wait === 1 ? '' : 's'} (after ${new Date(retryAt).toISOString().slice(11, 16)} UTC). Queries and cancels still work.`,
      'start_limit',
    );
  }
}

const personAttribute = (userId: string) => `u_${userId}`;

/** Counts one start for this person and workspace, or throws StartLimitError (nothing counted). */
export async function admitStart(tenant: TenantId, userId: string, now = clock.now()): Promise<void> {
  const { perPerson, perWorkspace, windowMs } = config().startLimit;
  const window = Math.floor(now / windowMs);
  const key = keys.starts(tenant, String(window));
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key,
        UpdateExpression: 'ADD #total :one, #person :one SET #ttl = if_not_exists(#ttl, :ttl)',
        ConditionExpression:
          '(attribute_not_exists(#total) OR #total < :workspace) AND (attribute_not_exists(#person) OR #person < :person)',
        ExpressionAttributeNames: { '#total': 'total', '#person': personAttribute(userId), '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':workspace': perWorkspace,
          ':person': perPerson,
          // Kept a day past its window, then removed by TTL.
          ':ttl': epochSeconds((window + 1) * windowMs) + 86_400,
        },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    const out = await ddb().send(new GetCommand({ TableName: tableName(), Key: key, ConsistentRead: true }));
    const mine = Number(out.Item?.[personAttribute(userId)] ?? 0);
    const person = mine >= perPerson;
    throw new StartLimitError(
      person ? 'person' : 'workspace',
      person ? perPerson : perWorkspace,
      windowMs,
      (window + 1) * windowMs,
      now,
    );
  }
}
