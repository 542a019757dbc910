import { UserError } from '../errors.js';
import { isTerminal } from '../jobs/model.js';
import { JobRepository } from '../jobs/repository.js';
import { logger } from '../log.js';
import { audit } from '../security/audit.js';
import type { ActionArgs, ViewArgs } from '../slack/interactions.js';
import { esc, mention } from '../slack/mrkdwn.js';
import { reportChannel } from '../slack/schemas.js';
import { accessRefusal, actorOf, fieldMessage, type Outcome, perform } from '../slack/service.js';
import type { TenantId } from '../store/keys.js';
import { deployDeleteCommand, deployResendCommand, deployVerifyCommand } from './commands.js';
import { ACTIONS, ago, codeModal, stateWords } from './messages.js';
import { AWAITING_CODE } from './port.js';
import { getRecord } from './records.js';
import { assertOwnDeployment, sendToDeployment } from './requests.js';

/**
 * The deployment buttons and the code modal. Every click and submission checks again that
 * the person is an admin (verify, resend and delete are admin commands). Nothing here calls
 * the provider: requests go to the deployment's job.
 */

export async function deployAction(args: ActionArgs): Promise<void> {
  const { body, client, tenant } = args;
  const action = body.actions?.[0] as { action_id?: string; value?: string } | undefined;
  const actionId = action?.action_id ?? '';
  const id = action?.value ?? '';
  const userId = body.user.id;
  const channelId = body.channel?.id ?? userId;
  const say = (text: string, replace = false) =>
    args.respond({ response_type: 'ephemeral', replace_original: replace, text }).catch((err) => {
      logger.warn('could not answer a deployment button', { error: err as Error });
    });

  if (actionId === ACTIONS.deleteCancel) {
    await say(`Nothing deleted: deployment \`${id}\` is untouched.`, true);
    return;
  }
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) return;
  // A button from an older message (or a card not yet updated) may no longer apply: say what
  // the deployment is now and change nothing.
  const stale = await staleButton(tenant, id, actionId);
  if (stale) return void (await say(stale));
  // Each button is checked, validated and run as the command that does the same thing.
  const ctx = actorOf(body as never, client, tenant, channelId);
  // A button names its deployment in its value, which a forged click chooses: another
  // workspace's deployment is answered like one that does not exist.
  try {
    await assertOwnDeployment(tenant, id);
  } catch (err) {
    if (err instanceof UserError) return void (await say(`:warning: ${err.message}`));
    throw err;
  }
  switch (actionId) {
    case ACTIONS.enterCode: {
      const refused = await accessRefusal(deployVerifyCommand, ctx);
      if (refused) return void (await say(refused.text));
      await client.views.open({ trigger_id: body.trigger_id, view: codeModal(id, channelId) });
      return;
    }
    case ACTIONS.resendSms:
    case ACTIONS.resendVoice: {
      const method = actionId === ACTIONS.resendVoice ? 'voice' : 'sms';
      const outcome = await perform(deployResendCommand, { deploymentId: id, method }, ctx);
      await say(outcome.status === 'invalid' ? `:warning: ${outcome.error.message}` : replyText(outcome));
      return;
    }
    case ACTIONS.deleteConfirm: {
      // `/wa deploy delete` only asks for confirmation; this button is the deletion, under its rule.
      const refused = await accessRefusal(deployDeleteCommand, ctx);
      if (refused) return void (await say(refused.text));
      const { jobId, coalesced } = await sendToDeployment(ctx, id, { type: 'delete', data: { userId } });
      if (coalesced) {
        await say(
          `:information_source: Deleting deployment \`${id}\` was already asked for by ${mention(coalesced.by)} ${ago(coalesced.at)} (job \`${jobId}\`); nothing more was sent.`,
          true,
        );
        return;
      }
      await audit(tenant, { actor: userId, action: 'deployment.delete', target: id, outcome: 'ok' });
      await say(
        `:wastebasket: Deleting deployment \`${id}\` (job \`${jobId}\`); progress follows in the channel.`,
        true,
      );
      return;
    }
    default:
  }
}

/** Why a deployment button no longer applies, from the deployment's record and its job, or undefined. */
async function staleButton(tenant: TenantId, id: string, actionId: string): Promise<string | undefined> {
  const record = await getRecord(tenant, id);
  if (!record) return undefined;
  const now = `Deployment \`${esc(id)}\` is now *${esc(record.state)}* (${stateWords(record.state)})`;
  if (actionId === ACTIONS.deleteConfirm) {
    return record.state === 'DELETED' || record.state === 'DELETING'
      ? `:information_source: ${now}: there is nothing left to delete, so nothing was changed.`
      : undefined;
  }
  if (!AWAITING_CODE.includes(record.state)) {
    return `:information_source: ${now}; that button no longer applies, so nothing was changed.`;
  }
  const job = record.jobId ? await new JobRepository().get(tenant, record.jobId) : undefined;
  if (job && isTerminal(job.state)) {
    return `:information_source: ${now}, but its job \`${esc(job.id)}\` is ${job.state}, so that button no longer applies and nothing was changed. \`/wa deploy verify ${esc(id)} &lt;code&gt;\` picks the deployment up again.`;
  }
  return undefined;
}

function replyText(outcome: Outcome): string {
  return outcome.status === 'done' || outcome.status === 'refused'
    ? outcome.reply.text
    : outcome.status === 'invalid'
      ? outcome.error.message
      : `:information_source: job \`${outcome.job.id}\` already does this.`;
}

export async function deployView(args: ViewArgs): Promise<void> {
  const { body, view, client, tenant } = args;
  const userId = body.user.id;
  let meta: { id?: string; channel?: string } = {};
  try {
    meta = JSON.parse(view.private_metadata || '{}');
  } catch {
    // A view we did not build: nothing to do but close it.
  }
  const raw = view.state.values.code?.code?.value ?? '';
  const channel = reportChannel(meta.channel, userId);
  if (!meta.id || !/^[A-Za-z0-9_-]{1,128}$/.test(meta.id) || channel === false) {
    await args.ack({
      response_action: 'errors',
      errors: { code: 'This form has lost its deployment; use /wa deploy verify.' },
    });
    return;
  }
  // The code form is the form door of `/wa deploy verify`: same rule, schema and handler.
  const ctx = actorOf(body as never, client, tenant, channel ?? userId);
  const outcome = await perform(deployVerifyCommand, { deploymentId: meta.id, code: raw }, ctx);
  if (outcome.status === 'done') {
    await args.ack();
    return;
  }
  await args.ack({
    response_action: 'errors',
    errors: {
      code:
        outcome.status === 'invalid'
          ? outcome.field === 'code'
            ? 'Enter the 6 digits from the SMS or voice call, like 123456.'
            : fieldMessage(outcome.error)
          : replyText(outcome),
    },
  });
}
