import type { View } from '@slack/types';
import { logger } from '../log.js';
import { ArgumentError } from '../slack/args.js';
import { errorReply } from '../slack/errors.js';
import {
  AGAIN_BLOCK,
  blockForField,
  type FormSpec,
  formView,
  rawFromValues,
  resultView,
} from '../slack/forms.js';
import type { ActionArgs, ViewArgs } from '../slack/interactions.js';
import { reportChannel } from '../slack/schemas.js';
import { accessRefusal, activeJobText, actorOf, fieldMessage, perform } from '../slack/service.js';
import { commands, formOf, launcherGroups } from './catalog.js';
import { launcherView } from './launcher.js';

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
  // Where the job will report: the message's channel, or the channel the launcher was opened in
  // (from the view's metadata: checked, and the person's DM when it names no conversation).
  const named = inModal ? reportChannel(metaOf(body.view?.private_metadata).c, body.user.id) : undefined;
  const channel = body.channel?.id ?? (named === false ? undefined : named);
  const ctx = actorOf(body as never, client, tenant, channel);
  const show = async (view: View) => {
    const res = inModal
      ? await client.views.push({ trigger_id: body.trigger_id, view })
      : await client.views.open({ trigger_id: body.trigger_id, view });
    return res.view?.id;
  };
  // An action inside an open form (the template form's choice): the form's own.
  const open =
    inModal && body.view?.callback_id === 'form:submit'
      ? formByPath(metaOf(body.view?.private_metadata).p)
      : undefined;
  if (open?.dynamic?.act && !actionId.startsWith('form:open') && actionId !== 'form:launcher') {
    if (await accessRefusal(open.command, ctx)) return;
    await open.dynamic.act(actionId, body.actions?.[0] as never, ctx, body.view?.id, channel);
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
  const spec = commands.find((c) => c.path === path);
  if (!spec) {
    logger.warn('form button for an unknown action', { actionId });
    return;
  }
  const refused = await accessRefusal(spec, ctx);
  if (refused) return void (await show(resultView('Not available', refused.text)));

  // An entry whose answer is a view of its own (provider credentials, the audit trail).
  const entry = launcherGroups
    .flatMap((g) => g.entries)
    .find((e) => e.command === spec && e.view && actionId.startsWith(e.action));
  if (entry?.view) return void (await show(await entry.view(ctx)));
  const form = formOf(spec);
  if (!form) return;
  const viewId = await show(formView(form, { channel, prefill }));
  await form.dynamic?.opened?.(viewId, ctx, channel);
}

export async function formSubmit(args: ViewArgs): Promise<void> {
  const { ack, body, view, client, tenant } = args;
  if (view.callback_id !== 'form:submit') {
    await ack();
    return;
  }
  const meta = metaOf(view.private_metadata);
  const form = formByPath(meta.p);
  if (!form) {
    logger.warn('form submission for an unknown action', { callbackId: view.callback_id });
    await ack();
    return;
  }
  // Errors must name blocks of this view (the template form shows some keys another way).
  const blockIds = (view.blocks ?? [])
    .filter((b) => b.type === 'input' && typeof b.block_id === 'string')
    .map((b) => b.block_id as string);
  const firstField = blockIds[0] ?? form.fields[0]?.key ?? AGAIN_BLOCK;
  // The report channel comes back from the client: checked as the message shortcut checks its own.
  const channel = reportChannel(meta.c, body.user.id);
  if (channel === false) {
    await ack({
      response_action: 'errors',
      errors: { [firstField]: 'This form is out of date; open it again.' },
    });
    return;
  }
  const ctx = actorOf(body as never, client, tenant, channel);
  const raw = rawFromValues(form, view.state?.values as never);
  try {
    const outcome = await perform(form.command, raw, ctx);
    switch (outcome.status) {
      case 'done':
        await ack({ response_action: 'update', view: resultView(form.title, outcome.reply.text) });
        return;
      case 'refused':
        await ack({ response_action: 'update', view: resultView('Not available', outcome.reply.text) });
        return;
      case 'invalid': {
        // Every wrong field at once, each beside its own block (one the view lacks: the first).
        const where = (f: string | undefined) =>
          (blockIds.length ? blockForField(form, f, blockIds) : fieldOf(form, f)) ?? firstField;
        const errors: Record<string, string> = {};
        const wrong =
          outcome.error instanceof ArgumentError
            ? outcome.error.fields
            : [{ field: outcome.field, message: fieldMessage(outcome.error) }];
        for (const { field, message } of wrong) {
          const block = where(field);
          errors[block] = errors[block] ? `${errors[block]} ${message}` : message;
        }
        await ack({ response_action: 'errors', errors });
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

function formByPath(path: unknown): FormSpec | undefined {
  return typeof path === 'string' ? formOf({ path }) : undefined;
}
