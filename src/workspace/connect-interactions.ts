import { logger } from '../log.js';
import {
  type CredentialProvider,
  type Credentials,
  getStoredCredentials,
  listCredentialMeta,
  removeCredentials,
  resealCredentials,
  setCredentials,
} from '../providers/credentials.js';
import { PROVIDER_LABELS } from '../providers/index.js';
import {
  registerZavuWebhook,
  setZavuWebhookStatus,
  type WebhookStatus,
} from '../providers/zavu/registration.js';
import { audit } from '../security/audit.js';
import type { ActionArgs, ViewArgs } from '../slack/interactions.js';
import { esc } from '../slack/mrkdwn.js';
import { isAdmin, whoCan } from '../slack/permissions.js';
import type { TenantId } from '../store/keys.js';
import { formValues, formView, homeView, isProvider, parseConnectForm } from './connect.js';

/**
 * Buttons and the submission of the `/wa connect` modal. Every one checks again that the
 * person is an admin: being shown the modal once is no licence for later clicks.
 */

async function refusedView(tenant: TenantId) {
  return {
    type: 'modal' as const,
    callback_id: 'connect:home',
    title: { type: 'plain_text' as const, text: 'Provider credentials' },
    close: { type: 'plain_text' as const, text: 'Close' },
    blocks: [
      {
        type: 'section' as const,
        text: {
          type: 'mrkdwn' as const,
          text: `:no_entry: Only ${await whoCan(tenant)} can change credentials.`,
        },
      },
    ],
  };
}

async function metaOf(tenant: TenantId, provider: CredentialProvider) {
  return (await listCredentialMeta(tenant)).find((m) => m.provider === provider);
}

export async function connectAction(args: ActionArgs): Promise<void> {
  const { body, client, tenant } = args;
  const actionId = (body.actions?.[0] as { action_id?: string } | undefined)?.action_id ?? '';
  const view = body.view;
  if (!view?.id) return; // connect buttons only live in the modal
  const userId = body.user.id;
  const update = async (next: Awaited<ReturnType<typeof homeView>>) => {
    await client.views.update({ view_id: view.id, hash: view.hash, view: next });
  };
  if (!(await isAdmin(client, tenant, userId))) {
    await audit(tenant, {
      actor: userId,
      action: 'credentials.open',
      outcome: 'refused',
      detail: 'not an admin',
    });
    await update(await refusedView(tenant));
    return;
  }
  const [, verb, provider] = actionId.split(':');
  if (verb === 'back') return update(await homeView(tenant));
  if (!isProvider(provider)) return;
  if (verb === 'edit') return update(formView(provider, await metaOf(tenant, provider)));
  if (verb === 'register' && provider === 'zavu')
    return update(await homeView(tenant, await registerAgain(tenant, userId)));
  if (verb === 'remove') {
    const removed = await removeCredentials(tenant, provider);
    // Without a key the webhook can no longer be said to be ours at Zavu.
    if (provider === 'zavu') await setZavuWebhookStatus(tenant, undefined);
    if (removed) {
      await audit(tenant, { actor: userId, action: 'credentials.removed', target: provider, outcome: 'ok' });
    }
    return update(
      await homeView(
        tenant,
        removed
          ? `:wastebasket: ${PROVIDER_LABELS[provider]} credentials removed.`
          : `:information_source: ${PROVIDER_LABELS[provider]} had no credentials to remove.`,
      ),
    );
  }
}

export async function connectView(args: ViewArgs): Promise<void> {
  const { ack, body, view, client, tenant } = args;
  const userId = body.user.id;
  let provider: unknown;
  try {
    provider = (JSON.parse(view.private_metadata || '{}') as { provider?: unknown }).provider;
  } catch {
    provider = undefined;
  }
  if (view.callback_id !== 'connect:form' || !isProvider(provider)) {
    logger.warn('connect submission without a known provider', { callbackId: view.callback_id });
    await ack();
    return;
  }
  if (!(await isAdmin(client, tenant, userId))) {
    await audit(tenant, {
      actor: userId,
      action: 'credentials.set',
      target: provider,
      outcome: 'refused',
      detail: 'not an admin',
    });
    await ack({ response_action: 'update', view: await refusedView(tenant) });
    return;
  }
  const stored = await getStoredCredentials(tenant, provider).catch((err) => {
    // A stored value that no longer opens (moved, tampered, key lost) is replaced, not kept.
    logger.warn('stored credentials do not open; replacing them', { provider, error: err as Error });
    return undefined;
  });
  const result = parseConnectForm(provider, formValues(provider, view.state?.values), stored);
  if (!result.ok) {
    await ack({ response_action: 'errors', errors: result.errors });
    return;
  }
  let value: unknown = result.value;
  let zavuNotice: string | undefined;
  let zavuStatus: WebhookStatus | undefined;
  if (provider === 'zavu') {
    // A Zavu key: register this workspace's webhook with Zavu and keep the secret it returns.
    const reg = await registerAndAudit(tenant, result.value as Credentials<'zavu'>, userId);
    value = reg.value;
    zavuNotice = reg.notice;
    zavuStatus = reg.status;
  }
  const saved = await setCredentials(tenant, provider, value, userId);
  if (provider === 'zavu') await setZavuWebhookStatus(tenant, zavuStatus);
  let registering = '';
  if (provider === 'cm-sign') {
    // Registering the webhook is a provider call: a job does it, never the 3-second ack path.
    const [{ startJob }, { cmSignWebhookKind }] = await Promise.all([
      import('../jobs/service.js'),
      import('../invites/port.js'),
    ]);
    await startJob(
      { tenant, userId, channelId: userId },
      { kind: cmSignWebhookKind, subject: 'CM.com Sign webhook registration', payload: {} },
    );
    registering = ' Registering the CM.com Sign webhook now; the result comes to you in a direct message.';
  }
  // One cheap read-only call with them, by a job (the ack never waits on a provider): its answer
  // replaces this view's notice in a moment, and is kept beside the credentials.
  const [{ startJob }, { credentialCheckKind }] = await Promise.all([
    import('../jobs/service.js'),
    import('./kinds.js'),
  ]);
  await startJob(
    { tenant, userId, channelId: userId },
    {
      kind: credentialCheckKind,
      subject: `Check the ${PROVIDER_LABELS[provider]} credentials`,
      payload: { provider, changedAt: saved.changedAt, viewId: view.id },
    },
  );
  await audit(tenant, {
    actor: userId,
    action: 'credentials.set',
    target: provider,
    outcome: 'ok',
    detail: stored ? 'replaced' : 'first set',
  });
  await ack({
    response_action: 'update',
    view: await homeView(
      tenant,
      zavuNotice
        ? `:white_check_mark: Zavu credentials saved. ${zavuNotice} :hourglass_flowing_sand: Checking the key with Zavu…`
        : `:white_check_mark: ${PROVIDER_LABELS[provider]} credentials saved. :hourglass_flowing_sand: Checking them with ${PROVIDER_LABELS[provider]}…${registering}`,
    ),
  });
}

async function registerAndAudit(tenant: TenantId, creds: Credentials<'zavu'>, userId: string) {
  const reg = await registerZavuWebhook(tenant, creds);
  await audit(tenant, {
    actor: userId,
    action: 'zavu.webhook.registered',
    target: 'zavu',
    outcome: reg.ok ? 'ok' : 'failed',
    ...(reg.ok ? {} : { detail: reg.reason }),
  });
  const notice = reg.ok
    ? ':link: The webhook is registered with Zavu and its signing secret is stored.'
    : `:warning: The webhook is not registered with Zavu: ${esc(reg.reason)}. Invitations are followed by polling until it is; use *Register webhook* below to try again.`;
  return { value: reg.value, notice, status: reg.ok ? reg.status : undefined };
}

/** The home view's "Register webhook" button: registers again with the stored key. */
async function registerAgain(tenant: TenantId, userId: string): Promise<string> {
  const stored = await getStoredCredentials(tenant, 'zavu').catch(() => undefined);
  if (!stored) return ':information_source: Set a Zavu API key first.';
  const reg = await registerAndAudit(tenant, stored, userId);
  // The same key with the secret Zavu gave back: who set it, and what Zavu said of it, stay.
  await resealCredentials(tenant, 'zavu', reg.value);
  await setZavuWebhookStatus(tenant, reg.status);
  return reg.notice;
}
