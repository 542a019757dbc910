import type { View } from '@slack/types';
import { logger } from '../log.js';
import { errorReply } from './errors.js';
import {
  AGAIN_BLOCK,
  blockForField,
  type FormSpec,
  formFor,
  formView,
  PICK_ACTION,
  rawFromValues,
  resultView,
} from './forms.js';
import type { ActionArgs, ViewArgs } from './interactions.js';
import { launcherView } from './launcher.js';
import { accessRefusal, activeJobText, actorOf, fieldMessage, perform, specFor } from './service.js';

/**
 * The launcher's buttons, "Open the form" on a failed command, App Home's buttons (`form:*`
 * actions) and the submission of every action form (`form:submit`). The form door of the
 * service layer: the same permission rule, schema and handler as the command.
 */

function metaOf(raw: string | undefined): { p?: string; c?: string; v?: Record<string, string> } {
  try {
    const m = JSON.parse(raw || '{}');
    return m && typeof m === 'object' ? m : {};
  } catch {
    return {};
  }
}

const strings = (v: unknown): Record<string, string> =>
  v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};

export async function formAction(args: ActionArgs): Promise<void> {
  const { body, client, tenant } = args;
  const action = body.actions?.[0] as { action_id?: string; value?: string } | undefined;
  const actionId = action?.action_id ?? '';
  const inModal = body.container?.type === 'view' && body.view?.type === 'modal';
  // Where the job will report: the message's channel, or the channel the launcher was opened in.
  const channel = body.channel?.id ?? (inModal ? metaOf(body.view?.private_metadata).c : undefined);
  const ctx = actorOf(body as never, client, tenant, channel);
  const show = async (view: View) => {
    const res = inModal
      ? await client.views.push({ trigger_id: body.trigger_id, view })
      : await client.views.open({ trigger_id: body.trigger_id, view });
    return res.view?.id;
  };
  // The template form's choices come from CM.com: a job looks them up and updates the form.
  const lookUpTemplates = async (viewId: string | undefined, pick?: string) => {
    if (!viewId) return;
    const { startJob } = await import('../jobs/service.js');
    await startJob(ctx, {
      kind: 'template.lookup',
      subject: pick ? 'Template fields for the send form' : 'Approved templates for the send form',
      payload: { op: 'form', viewId, ...(channel ? { channel } : {}), ...(pick ? { pick } : {}) },
    });
  };

  if (actionId === PICK_ACTION) {
    const refused = await accessRefusal(specFor('template send'), ctx);
    const pick = (body.actions?.[0] as { selected_option?: { value?: string } } | undefined)?.selected_option
      ?.value;
    if (refused || !pick || pick.length > 150) return;
    await lookUpTemplates(body.view?.id, pick);
    return;
  }

  if (actionId === 'form:launcher') return void (await show(await launcherView(ctx, channel)));

  let path = action?.value ?? '';
  let prefill: Record<string, string> = {};
  if (actionId === 'form:open' && path.startsWith('{')) {
    const m = metaOf(path);
    path = typeof m.p === 'string' ? m.p : '';
    prefill = strings(m.v);
  }
  let spec: ReturnType<typeof specFor>;
  try {
    spec = specFor(path);
  } catch {
    logger.warn('form button for an unknown action', { actionId });
    return;
  }
  const refused = await accessRefusal(spec, ctx);
  if (refused) return void (await show(resultView('Not available', refused.text)));

  if (actionId.startsWith('form:connect')) {
    const { homeView } = await import('./connect.js');
    return void (await show(await homeView(tenant)));
  }
  if (actionId.startsWith('form:audit')) {
    const { showAudit } = await import('./audit-view.js');
    const reply = await showAudit({}, ctx);
    return void (await show({
      type: 'modal',
      callback_id: 'form:done',
      title: { type: 'plain_text', text: 'Audit trail' },
      close: { type: 'plain_text', text: 'Close' },
      blocks: (reply.blocks ?? []).slice(0, 100),
    }));
  }
  const form = formFor(path);
  if (!form) return;
  const viewId = await show(formView(form, { channel, prefill }));
  if (form.path === 'template send') await lookUpTemplates(viewId);
}

export async function formSubmit(args: ViewArgs): Promise<void> {
  const { ack, body, view, client, tenant } = args;
  if (view.callback_id !== 'form:submit') {
    await ack();
    return;
  }
  const meta = metaOf(view.private_metadata);
  const form = typeof meta.p === 'string' ? formFor(meta.p) : undefined;
  if (!form) {
    logger.warn('form submission for an unknown action', { callbackId: view.callback_id });
    await ack();
    return;
  }
  const ctx = actorOf(body as never, client, tenant, typeof meta.c === 'string' ? meta.c : undefined);
  const raw = rawFromValues(form, view.state?.values as never);
  // Errors must name blocks of this view (the template form shows some keys another way).
  const blockIds = (view.blocks ?? [])
    .filter((b) => b.type === 'input' && typeof b.block_id === 'string')
    .map((b) => b.block_id as string);
  const firstField = blockIds[0] ?? form.fields[0]?.key ?? AGAIN_BLOCK;
  try {
    const outcome = await perform(specFor(form.path), raw, ctx);
    switch (outcome.status) {
      case 'done':
        await ack({ response_action: 'update', view: resultView(form.title, outcome.reply.text) });
        return;
      case 'refused':
        await ack({ response_action: 'update', view: resultView('Not available', outcome.reply.text) });
        return;
      case 'invalid': {
        const field =
          (blockIds.length ? blockForField(outcome.field, blockIds) : fieldOf(form, outcome.field)) ??
          firstField;
        await ack({ response_action: 'errors', errors: { [field]: fieldMessage(outcome.error) } });
        return;
      }
      case 'active':
        await ack({
          response_action: 'errors',
          errors: {
            [form.startsJob ? AGAIN_BLOCK : firstField]: activeJobText(
              outcome.job,
              ctx,
              'Tick “Start another anyway” to start a second one.',
            ),
          },
        });
        return;
    }
  } catch (err) {
    await ack({ response_action: 'errors', errors: { [firstField]: errorReply(err).text } });
  }
}

/** The block an error belongs beside, when the form has that field. */
function fieldOf(form: FormSpec, field: string | undefined): string | undefined {
  return field && form.fields.some((f) => f.key === field) ? field : undefined;
}
