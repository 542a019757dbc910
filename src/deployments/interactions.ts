import { logger } from '../log.js';
import { audit } from '../security/audit.js';
import type { ActionArgs, ViewArgs } from '../slack/interactions.js';
import { isAdmin, whoCan } from '../slack/permissions.js';
import { otpCode } from './commands.js';
import { ACTIONS, codeModal } from './messages.js';
import { sendToDeployment } from './requests.js';

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
  if (!(await isAdmin(client, tenant, userId))) {
    await audit(tenant, {
      actor: userId,
      action: `deployment.${actionId.split(':')[1]}`,
      target: id,
      outcome: 'refused',
      detail: 'not an admin',
    });
    await say(`:no_entry: Only ${await whoCan(tenant)} can do that for a deployment.`);
    return;
  }
  const ctx = { tenant, userId, channelId, responseUrl: (body as { response_url?: string }).response_url };
  switch (actionId) {
    case ACTIONS.enterCode:
      await client.views.open({ trigger_id: body.trigger_id, view: codeModal(id, channelId) });
      return;
    case ACTIONS.resendSms:
    case ACTIONS.resendVoice: {
      const method = actionId === ACTIONS.resendVoice ? 'voice' : 'sms';
      const { jobId } = await sendToDeployment(ctx, id, { type: 'resend', data: { method, userId } });
      await audit(tenant, { actor: userId, action: 'deployment.otp_resend', target: id, outcome: 'ok' });
      await say(
        `:arrows_counterclockwise: Asking for a new code by ${method === 'voice' ? 'voice call' : 'SMS'} (job \`${jobId}\`).`,
      );
      return;
    }
    case ACTIONS.deleteConfirm: {
      const { jobId } = await sendToDeployment(ctx, id, { type: 'delete', data: { userId } });
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
  const code = otpCode.safeParse(raw);
  if (!code.success) {
    await args.ack({
      response_action: 'errors',
      errors: { code: 'Enter the 6 digits from the SMS or voice call, like 123456.' },
    });
    return;
  }
  if (!meta.id || !/^[A-Za-z0-9_-]{1,128}$/.test(meta.id)) {
    await args.ack({
      response_action: 'errors',
      errors: { code: 'This form has lost its deployment; use /wa deploy verify.' },
    });
    return;
  }
  if (!(await isAdmin(client, tenant, userId))) {
    await audit(tenant, {
      actor: userId,
      action: 'deployment.code_submitted',
      target: meta.id,
      outcome: 'refused',
      detail: 'not an admin',
    });
    await args.ack({
      response_action: 'errors',
      errors: { code: `Only ${await whoCan(tenant)} can verify a deployment.` },
    });
    return;
  }
  await sendToDeployment({ tenant, userId, channelId: meta.channel ?? userId }, meta.id, {
    type: 'otp',
    data: { code: code.data, userId },
  });
  await audit(tenant, { actor: userId, action: 'deployment.code_submitted', target: meta.id, outcome: 'ok' });
  await args.ack();
}
