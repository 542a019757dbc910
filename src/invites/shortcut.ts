import type {
  AllMiddlewareArgs,
  MessageShortcut,
  SlackShortcutMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { KnownBlock, View } from '@slack/types';
import { z } from 'zod';
import { logger } from '../log.js';
import { errorReply } from '../slack/errors.js';
import { unsafeCharacter } from '../slack/mrkdwn.js';
import { isAdmin, requiredAccess } from '../slack/permissions.js';
import { CHANNEL_ID, days, e164, email, name, withoutUnsafe } from '../slack/schemas.js';
import type { TenantId } from '../store/keys.js';
import { inviteSign } from './handlers.js';

/**
 * The message shortcut "Send for signature over WhatsApp" (callback_id `invite:sign-shortcut`,
 * declared in slack/manifest.json): on a message carrying a PDF it opens a modal for the invitee
 * (name, email, phone, reminder, expiry) and, on submission, starts the same job as
 * `/wa invite sign --file <that file>`, under the same permission rule as the command.
 */
const SIGN_MODAL_ID = 'invite:sign-modal';

type ShortcutArgs = SlackShortcutMiddlewareArgs<MessageShortcut> & AllMiddlewareArgs & { tenant: TenantId };
type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs & { tenant: TenantId };

interface SlackFileRef {
  id?: string;
  name?: string;
  title?: string;
  filetype?: string;
  mimetype?: string;
}

const Metadata = z.object({
  fileId: z.string().regex(/^F[A-Z0-9]{2,30}$/),
  fileName: z.string().max(300).pipe(withoutUnsafe('the file name')),
  channelId: z.string().regex(CHANNEL_ID),
});

const isPdf = (f: SlackFileRef) => f.filetype === 'pdf' || f.mimetype === 'application/pdf';

function input(
  blockId: string,
  label: string,
  opts: { hint?: string; optional?: boolean; initial?: string } = {},
) {
  return {
    type: 'input' as const,
    block_id: blockId,
    optional: Boolean(opts.optional),
    label: { type: 'plain_text' as const, text: label },
    ...(opts.hint ? { hint: { type: 'plain_text' as const, text: opts.hint } } : {}),
    element: {
      type: 'plain_text_input' as const,
      action_id: 'value',
      max_length: 200,
      ...(opts.initial ? { initial_value: opts.initial } : {}),
    },
  };
}

function signModal(meta: z.output<typeof Metadata>): View {
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: { type: 'plain_text', text: `Document to sign: ${meta.fileName.slice(0, 200)}` },
    },
    input('invitee', 'Invitee name'),
    input('email', 'Invitee email'),
    input('phone', 'Invitee WhatsApp number', { hint: 'In E.164 form, like +31612345678.' }),
    input('remind', 'Remind every (days)', {
      optional: true,
      hint: 'CM.com Sign reminds the invitee; 1 to 89.',
    }),
    input('expires', 'Expires after (days)', {
      optional: true,
      initial: '30',
      hint: '1 to 90; 30 by default.',
    }),
  ];
  return {
    type: 'modal',
    callback_id: SIGN_MODAL_ID,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Send for signature' },
    submit: { type: 'plain_text', text: 'Send invite' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** Bolt has the shortcut; ack at once, then open the modal with its single-use trigger. */
export async function signShortcut(args: ShortcutArgs): Promise<void> {
  const { shortcut, client, respond } = args;
  const files = ((shortcut.message as { files?: SlackFileRef[] }).files ?? []).filter(isPdf);
  const file = files[0];
  if (!file?.id) {
    await respond({
      response_type: 'ephemeral',
      text: ':warning: That message carries no PDF. Run "Send for signature over WhatsApp" on a message with a PDF attached, or use `/wa invite sign … --url <https link to a PDF>`.',
    });
    return;
  }
  const meta = {
    fileId: file.id,
    fileName: file.name ?? file.title ?? file.id,
    channelId: shortcut.channel.id,
  };
  // The file name becomes the dossier's name, shown in the channel: refused as a typed name would be.
  const unsafe = unsafeCharacter(meta.fileName);
  if (unsafe) {
    await respond({
      response_type: 'ephemeral',
      text: `:warning: That PDF's file name contains ${unsafe}, which is not allowed: rename the file and share it again, or use \`/wa invite sign … --file <link>\` with a dossier name.`,
    });
    return;
  }
  await client.views.open({ trigger_id: shortcut.trigger_id, view: signModal(meta) });
}

const ModalValues = z.object({
  invitee: name('invitee name', 100),
  email,
  phone: e164,
  remind: days(1, 89, 'the reminder interval').optional(),
  expires: days(1, 90, 'the expiry').default(30),
});

function fieldValue(state: ViewSubmitAction['view']['state'], block: string): string | undefined {
  const v = (state.values[block]?.value as { value?: string | null } | undefined)?.value?.trim();
  return v ? v : undefined;
}

/** The modal's submission: validated per field (errors under the field), then the job starts. */
export async function signModalSubmit(args: ViewArgs): Promise<void> {
  const { ack, body, view, client, tenant } = args;
  const userId = body.user.id;
  const meta = Metadata.safeParse(safeJson(view.private_metadata));
  if (!meta.success) {
    await ack({
      response_action: 'errors',
      errors: { invitee: 'This form is out of date; run the shortcut again.' },
    });
    return;
  }
  // Same rule as `/wa invite sign`, restrictions included: a modal is no way around them.
  const { inviteCommands } = await import('./commands.js');
  const spec = inviteCommands.find((c) => c.path === 'invite sign');
  if (spec && (await requiredAccess(spec, tenant)) === 'admin' && !(await isAdmin(client, tenant, userId))) {
    await ack({
      response_action: 'errors',
      errors: { invitee: 'Only admins may send signing invites in this workspace.' },
    });
    return;
  }
  const raw = {
    invitee: fieldValue(view.state, 'invitee'),
    email: fieldValue(view.state, 'email'),
    phone: fieldValue(view.state, 'phone'),
    remind: fieldValue(view.state, 'remind'),
    expires: fieldValue(view.state, 'expires'),
  };
  const parsed = await ModalValues.safeParseAsync(raw);
  const errors: Record<string, string> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? 'invitee');
      errors[key] ??= issue.code === 'invalid_type' ? 'Required.' : issue.message;
    }
  } else if (parsed.data.remind !== undefined && parsed.data.remind >= parsed.data.expires) {
    errors.remind = 'The reminder interval must be shorter than the expiry.';
  }
  if (!parsed.success || Object.keys(errors).length) {
    await ack({ response_action: 'errors', errors });
    return;
  }
  await ack();
  const v = parsed.data;
  let text: string;
  try {
    text = (
      await inviteSign(
        {
          inviteeName: v.invitee,
          email: v.email,
          phone: v.phone,
          file: meta.data.fileId,
          ...(v.remind ? { remind: v.remind } : {}),
          expires: v.expires,
          dossier: meta.data.fileName.replace(/\.pdf$/i, '').slice(0, 200) || undefined,
        },
        { tenant, userId, channelId: meta.data.channelId },
      )
    ).text;
  } catch (err) {
    text = errorReply(err).text;
  }
  await client.chat
    .postEphemeral({ channel: meta.data.channelId, user: userId, text })
    .catch((err) => logger.warn('could not confirm the signing invite', { error: err as Error }));
}

function safeJson(raw: string | undefined): unknown {
  try {
    return JSON.parse(raw ?? '');
  } catch {
    return undefined;
  }
}
