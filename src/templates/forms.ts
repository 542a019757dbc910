import type { KnownBlock } from '@slack/types';
import { CLIENT_FIELDS } from '../clients/port.js';
import type { CommandContext } from '../slack/command.js';
import {
  type FormField,
  type FormSpec,
  type FormViewOptions,
  plain,
  type ViewValues,
} from '../slack/forms.js';
import {
  templateListCommand,
  templateSendCommand,
  templateStatusCommand,
  templateSubmitCommand,
  templateWatchCommand,
} from './commands.js';

/** The approved-template choice that stands in for the name and language once templates are known. */
const PICK = 'pick';
const PICK_ACTION = 'form:pick';
const paramBlock = (i: number) => `param_${i + 1}`;

/** What the lookup job has learned for the send form. */
export interface TemplateFormState {
  /** The workspace's approved templates (`id|code|metaName`), once looked up. */
  templates?: Array<{ value: string; label: string }>;
  pick?: string | undefined;
  /** The picked template's placeholders, named after its replacement fields. */
  placeholders?: string[] | undefined;
}

const stateOf = (opts: FormViewOptions) => (opts.state ?? {}) as TemplateFormState;

/** The input blocks that replace fields of the template send form once templates are known. */
function templateBlocks(f: FormField, opts: FormViewOptions): KnownBlock[] | undefined {
  const { templates, pick, placeholders } = stateOf(opts);
  if (!templates) return undefined;
  const choices = templates.length > 0;
  if ((f.key === 'templateName' || f.key === 'language') && choices) {
    if (f.key === 'language') return [];
    const options = templates.slice(0, 100).map((o) => ({ text: plain(o.label), value: o.value }));
    const chosen = options.find((o) => o.value === pick);
    return [
      {
        type: 'input',
        block_id: PICK,
        dispatch_action: true,
        label: plain('Template and language'),
        hint: plain('Approved templates of this workspace (CM.com Channels).'),
        element: {
          type: 'static_select',
          action_id: PICK_ACTION,
          options,
          ...(chosen ? { initial_option: chosen } : {}),
          placeholder: plain('Choose an approved template'),
        },
      } as KnownBlock,
    ];
  }
  if (f.key === 'param' && placeholders) {
    return placeholders.map(
      (label, i) =>
        ({
          type: 'input',
          block_id: paramBlock(i),
          label: plain(label.slice(0, 150)),
          element: { type: 'plain_text_input', action_id: paramBlock(i) },
        }) as KnownBlock,
    );
  }
  return undefined;
}

/** The template form's choices come from CM.com: a job looks them up and updates the form. */
async function lookUpTemplates(
  viewId: string | undefined,
  ctx: CommandContext,
  { pick, channel }: { pick?: string | undefined; channel?: string | undefined } = {},
): Promise<void> {
  if (!viewId) return;
  const [{ startJob }, { templateLookupKind }] = await Promise.all([
    import('../jobs/service.js'),
    import('./kinds.js'),
  ]);
  await startJob(ctx, {
    kind: templateLookupKind,
    subject: pick ? 'Template fields for the send form' : 'Approved templates for the send form',
    payload: { op: 'form', viewId, ...(channel ? { channel } : {}), ...(pick ? { pick } : {}) },
    query: true,
  });
}

export const templateSendForm: FormSpec = {
  command: templateSendCommand,
  title: 'Send a template',
  submit: 'Send',
  intro: 'Sends an approved WhatsApp template through CommBox to opted-in recipients (at most 20).',
  startsJob: true,
  fields: [
    { key: 'templateName', label: 'Template name', kind: 'text', placeholder: 'order_update' },
    {
      key: 'language',
      label: 'Language',
      kind: 'text',
      placeholder: 'en_US',
      hint: 'A code (en_US, en) or the name CM.com shows (English (US)).',
    },
    {
      key: 'recipients',
      label: 'Recipients',
      kind: 'multiline',
      list: 'phones',
      hint: 'One number per line.',
    },
    {
      key: 'param',
      label: 'Placeholder values',
      kind: 'multiline',
      list: 'lines',
      optional: true,
      hint: 'One per line, in order: the first line fills {{1}}, the second {{2}}, …',
    },
    { key: 'header-url', label: 'Header media URL', kind: 'url', optional: true },
    ...CLIENT_FIELDS,
  ],
  salvage: (words) => ({
    templateName: words[0] ?? '',
    language: words[1] ?? '',
    recipients: words.slice(2).join('\n'),
  }),
  dynamic: {
    note: (opts) => {
      const { templates } = stateOf(opts);
      return !templates
        ? ':hourglass_flowing_sand: Looking up the approved templates in CM.com… (or type the name and language)'
        : templates.length === 0
          ? 'No approved templates were found in CM.com: type the name and language.'
          : undefined;
    },
    replace: templateBlocks,
    read(values: ViewValues, raw) {
      const picked = values[PICK]?.[PICK_ACTION]?.selected_option?.value;
      if (picked) {
        const [, code, metaName] = picked.split('|');
        raw.templateName = metaName;
        raw.language = code;
      }
      if (values[paramBlock(0)]) {
        const params: string[] = [];
        for (let i = 0; values[paramBlock(i)]; i++)
          params.push(String(values[paramBlock(i)]?.[paramBlock(i)]?.value ?? ''));
        raw.param = params;
      }
    },
    blockOf: (field) =>
      field === 'templateName' || field === 'language' ? PICK : field === 'param' ? paramBlock(0) : undefined,
    opened: (viewId, ctx, channel) => lookUpTemplates(viewId, ctx, { channel }),
    // Picking a template looks up its placeholders and fills them in as fields.
    act: async (actionId, action, ctx, viewId, channel) => {
      const pick = action.selected_option?.value;
      if (actionId !== PICK_ACTION || !pick || pick.length > 150) return;
      await lookUpTemplates(viewId, ctx, { pick, channel });
    },
  },
};

const byTemplate = (
  command: FormSpec['command'],
  title: string,
  submit: string,
  intro: string,
): FormSpec => ({
  command,
  title,
  submit,
  intro,
  startsJob: command !== templateStatusCommand,
  fields: [
    {
      key: 'templateId',
      label: 'Template',
      kind: 'text',
      placeholder: 'welcome_message',
      hint: 'Its name, or its CM.com id.',
    },
  ],
  salvage: (words) => ({ templateId: words[0] ?? '' }),
});

export const templateListForm: FormSpec = {
  command: templateListCommand,
  title: 'Templates',
  submit: 'List',
  intro: 'WhatsApp templates in CM.com Channels with their approval state, to you only.',
  startsJob: false,
  fields: [{ key: 'query', label: 'Name contains', kind: 'text', optional: true }],
};
export const templateStatusForm = byTemplate(
  templateStatusCommand,
  'Template status',
  'Show',
  'One template in full: languages, content, rejection reasons; to you only.',
);
export const templateWatchForm = byTemplate(
  templateWatchCommand,
  'Watch a template',
  'Watch',
  'Follows a template until every language is approved or rejected.',
);
export const templateSubmitForm = byTemplate(
  templateSubmitCommand,
  'Submit a template',
  'Submit',
  'Requests Meta’s validation of a complete template, and watches it to the verdict.',
);
