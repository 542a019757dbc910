import type { KnownBlock, View } from '@slack/types';
import { PROFILE_VERTICALS } from '../deployments/port.js';
import type { FlagSpec } from './args.js';
import { commands } from './commands.js';

/**
 * A form per action that starts work. A form only says how to ask for the command's input:
 * each field is a key of the command's zod schema (its block_id and action_id), and the
 * submission goes through the same service function as the command (src/slack/service.ts).
 */

type FieldKind = 'text' | 'multiline' | 'email' | 'url' | 'number' | 'select';

export interface FormField {
  /** The schema key; also the input block's block_id and its element's action_id. */
  key: string;
  label: string;
  kind: FieldKind;
  optional?: boolean;
  hint?: string;
  placeholder?: string;
  options?: ReadonlyArray<{ value: string; label: string }>;
  initial?: string;
  /**
   * How the value reaches the schema: `phones` as one text (new lines, commas and spaces are
   * read by the phone list parser), `lines` as one value per non-empty line.
   */
  list?: 'phones' | 'lines';
  /** Never prefilled from a failed command's text (certificates, PINs). */
  secret?: boolean;
  /** Shown only while the command's schema reads this key (fields another feature is adding). */
  ifSchemaHas?: boolean;
}

export interface FormSpec {
  path: string;
  /** Slack's limit for a modal title is 24 characters. */
  title: string;
  submit: string;
  intro?: string;
  fields: FormField[];
  /** Starts a job: the form offers "Start another anyway" for an identical active one. */
  startsJob: boolean;
  /** Reads what it can from the words of a command that failed, for "Open the form". */
  salvage?: (positionals: string[], flags: Record<string, string>) => Record<string, string>;
}

export const AGAIN_BLOCK = 'again';

const phoneHint =
  'With its country code (+31 6 1234 5678), or as dialled in the country an admin set with /wa admins set country.';

const joined = (words: string[]) => words.join(' ').trim();

export const FORMS: FormSpec[] = [
  {
    path: 'invite sign',
    title: 'Signing invite',
    submit: 'Send invite',
    intro: 'Creates a CM.com Sign dossier and sends the signing invite over WhatsApp.',
    startsJob: true,
    fields: [
      { key: 'inviteeName', label: 'Invitee name', kind: 'text', placeholder: 'Ana Silva' },
      { key: 'email', label: 'Email', kind: 'email', placeholder: 'ana@example.com' },
      {
        key: 'phone',
        label: 'WhatsApp number',
        kind: 'text',
        placeholder: '+31 6 1234 5678',
        hint: phoneHint,
      },
      // The document to sign: one of the three, as `--url`, `--file` or `--template`.
      {
        key: 'url',
        label: 'Document: PDF URL',
        kind: 'url',
        optional: true,
        ifSchemaHas: true,
        placeholder: 'https://example.com/contract.pdf',
      },
      {
        key: 'file',
        label: 'or a Slack file link',
        kind: 'text',
        optional: true,
        ifSchemaHas: true,
        hint: 'In Slack: the PDF’s ⋯ menu → Copy link to file.',
      },
      {
        key: 'template',
        label: 'or a CM.com Sign template id',
        kind: 'text',
        optional: true,
        ifSchemaHas: true,
      },
      { key: 'dossier', label: 'Dossier name', kind: 'text', optional: true },
      { key: 'remind', label: 'Remind every (days)', kind: 'number', optional: true },
      { key: 'expires', label: 'Expires after (days)', kind: 'number', optional: true, initial: '30' },
    ],
    // `/wa invite sign Jan de Vries jan@example.nl +31 6 ...` (name not quoted): the words
    // before the email are the name, the words after it the number.
    salvage: (words): Record<string, string> => {
      const at = words.findIndex((w) => w.includes('@'));
      if (at === -1) return { inviteeName: joined(words.filter((w) => !/^[+(\d]/.test(w))) };
      return {
        inviteeName: joined(words.slice(0, at)),
        email: words[at] ?? '',
        phone: joined(words.slice(at + 1)),
      };
    },
  },
  {
    path: 'invite partner',
    title: 'Partner invitation',
    submit: 'Create link',
    intro: 'Creates a Zavu partner invitation link; it comes to you only.',
    startsJob: true,
    fields: [
      { key: 'clientName', label: 'Client name', kind: 'text', placeholder: 'Acme Ltd' },
      { key: 'email', label: 'Client email', kind: 'email', optional: true },
      { key: 'phone', label: 'Client phone', kind: 'text', optional: true, hint: phoneHint },
      { key: 'days', label: 'Valid for (days, 1-30)', kind: 'number', optional: true },
      { key: 'countries', label: 'Countries', kind: 'text', optional: true, placeholder: 'US,MX' },
      { key: 'number', label: 'Zavu phone number id', kind: 'text', optional: true },
      {
        key: 'channel',
        label: 'Channel',
        kind: 'select',
        optional: true,
        ifSchemaHas: true,
        options: [
          { value: 'whatsapp', label: 'WhatsApp Business account' },
          { value: 'messenger', label: 'Messenger (a Facebook Page)' },
        ],
      },
    ],
    salvage: (words) => ({ clientName: joined(words) }),
  },
  {
    path: 'template send',
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
    ],
    salvage: (words) => ({
      templateName: words[0] ?? '',
      language: words[1] ?? '',
      recipients: words.slice(2).join('\n'),
    }),
  },
  {
    path: 'contact optin',
    title: 'Record an opt-in',
    submit: 'Record',
    startsJob: false,
    fields: [
      { key: 'phone', label: 'Phone number', kind: 'text', hint: phoneHint },
      {
        key: 'source',
        label: 'Where consent was given',
        kind: 'text',
        placeholder: 'Signup form on example.com',
      },
      { key: 'business', label: 'Business name shown', kind: 'text', optional: true },
    ],
    salvage: (words) => ({ phone: joined(words) }),
  },
  {
    path: 'contact verify',
    title: 'Verify contacts',
    submit: 'Verify',
    intro: 'Checks opted-in numbers with CommBox. Numbers without an opt-in on record are refused.',
    startsJob: true,
    fields: [{ key: 'numbers', label: 'Numbers', kind: 'multiline', list: 'phones', hint: 'One per line.' }],
    salvage: (words) => ({ numbers: words.join('\n') }),
  },
  {
    path: 'deploy start',
    title: 'Start a deployment',
    submit: 'Start',
    intro: 'Provisions a WhatsApp number with Vonage and follows it through the OTP to READY.',
    startsJob: true,
    fields: [
      { key: 'phone', label: 'Phone number', kind: 'text', hint: phoneHint },
      { key: 'waba', label: 'WABA id', kind: 'text' },
      { key: 'cert', label: 'Verified-name certificate', kind: 'multiline', secret: true },
      {
        key: 'method',
        label: 'Send the code by',
        kind: 'select',
        options: [
          { value: 'sms', label: 'SMS' },
          { value: 'voice', label: 'Voice call' },
        ],
        initial: 'sms',
      },
      { key: 'pin', label: 'Two-step verification PIN', kind: 'text', optional: true, secret: true },
    ],
    salvage: (words) => ({ phone: joined(words) }),
  },
  {
    path: 'deploy profile',
    title: 'Business profile',
    submit: 'Update',
    intro: 'Changes only the fields you fill in; with none, shows the current profile.',
    startsJob: false,
    fields: [
      { key: 'deploymentId', label: 'Deployment id', kind: 'text' },
      { key: 'about', label: 'About', kind: 'text', optional: true },
      { key: 'address', label: 'Address', kind: 'text', optional: true },
      { key: 'description', label: 'Description', kind: 'multiline', optional: true },
      { key: 'email', label: 'Email', kind: 'email', optional: true },
      {
        key: 'vertical',
        label: 'Vertical',
        kind: 'select',
        optional: true,
        options: PROFILE_VERTICALS.map((v) => ({ value: v, label: v })),
      },
      {
        key: 'website',
        label: 'Websites',
        kind: 'multiline',
        list: 'lines',
        optional: true,
        hint: 'At most 2, one per line.',
      },
    ],
  },
  {
    path: 'deploy photo',
    title: 'Profile photo',
    submit: 'Set photo',
    intro: 'PNG or JPEG, 192 to 640×640 px, up to 5 MB, at an https URL.',
    startsJob: false,
    fields: [
      { key: 'deploymentId', label: 'Deployment id', kind: 'text' },
      { key: 'imageUrl', label: 'Image URL', kind: 'url' },
    ],
  },
];

export function formFor(path: string): FormSpec | undefined {
  return FORMS.find((f) => f.path === path);
}

type ViewValues = Record<
  string,
  Record<
    string,
    {
      value?: string | null;
      selected_option?: { value?: string } | null;
      selected_options?: unknown[] | null;
    }
  >
>;

/** Where an error about a schema key goes when the view shows it another way. */
export function blockForField(field: string | undefined, blockIds: string[]): string | undefined {
  if (!field) return undefined;
  if (blockIds.includes(field)) return field;
  const alias =
    field === 'templateName' || field === 'language' ? PICK : field === 'param' ? paramBlock(0) : undefined;
  return alias && blockIds.includes(alias) ? alias : undefined;
}

/** The form's state.values as the raw input the command's schema reads. */
export function rawFromValues(form: FormSpec, values: ViewValues | undefined): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const f of form.fields) {
    const v = values?.[f.key]?.[f.key];
    const text = (v?.selected_option?.value ?? v?.value ?? '').toString();
    if (text.trim() === '') continue; // an empty optional field is an absent flag
    if (f.list === 'phones') raw[f.key] = [text];
    else if (f.list === 'lines')
      raw[f.key] = text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    else raw[f.key] = text;
  }
  if ((values?.[AGAIN_BLOCK]?.[AGAIN_BLOCK]?.selected_options?.length ?? 0) > 0) raw.again = true;
  // Template send with the approved-template choice and named placeholders.
  const picked = values?.[PICK]?.[PICK_ACTION]?.selected_option?.value;
  if (picked) {
    const [, code, metaName] = picked.split('|');
    raw.templateName = metaName;
    raw.language = code;
  }
  if (values?.[paramBlock(0)]) {
    const params: string[] = [];
    for (let i = 0; values[paramBlock(i)]; i++)
      params.push(String(values[paramBlock(i)]?.[paramBlock(i)]?.value ?? ''));
    raw.param = params;
  }
  return raw;
}

const plain = (text: string) => ({ type: 'plain_text' as const, text });

function element(f: FormField, prefill: string | undefined) {
  const initial = prefill ?? f.initial;
  const placeholder = f.placeholder ? { placeholder: plain(f.placeholder) } : {};
  switch (f.kind) {
    case 'select': {
      const options = (f.options ?? []).slice(0, 100).map((o) => ({ text: plain(o.label), value: o.value }));
      const chosen = options.find((o) => o.value === initial);
      return {
        type: 'static_select' as const,
        action_id: f.key,
        options,
        ...(chosen ? { initial_option: chosen } : {}),
        ...placeholder,
      };
    }
    case 'email':
    case 'url':
    case 'number':
    case 'text':
    case 'multiline': {
      // Email, URL and number fields are plain text inputs: the command's schema is what checks
      // them, so a form shows the same words as the command, beside the field.
      return {
        type: 'plain_text_input' as const,
        action_id: f.key,
        ...(f.kind === 'multiline' ? { multiline: true } : {}),
        ...(initial ? { initial_value: initial.slice(0, 3000) } : {}),
        ...placeholder,
      };
    }
  }
}

export const PICK = 'pick';
export const PICK_ACTION = 'form:pick';
const paramBlock = (i: number) => `param_${i + 1}`;

export interface FormViewOptions {
  channel?: string | undefined;
  prefill?: Record<string, string>;
  /** Template send: the workspace's approved templates (`id|code|metaName`), once looked up. */
  templates?: Array<{ value: string; label: string }>;
  pick?: string | undefined;
  /** Template send: the picked template's placeholders, named after its replacement fields. */
  placeholders?: string[] | undefined;
}

/** The input blocks that replace fields of the template send form once templates are known. */
function templateBlocks(f: FormField, opts: FormViewOptions): KnownBlock[] | undefined {
  if (!opts.templates) return undefined;
  const choices = opts.templates.length > 0;
  if ((f.key === 'templateName' || f.key === 'language') && choices) {
    if (f.key === 'language') return [];
    const options = opts.templates.slice(0, 100).map((o) => ({ text: plain(o.label), value: o.value }));
    const chosen = options.find((o) => o.value === opts.pick);
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
  if (f.key === 'param' && opts.placeholders) {
    return opts.placeholders.map(
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

/** The modal of one action, prefilled; `channel` is where its job reports. */
export function formView(form: FormSpec, opts: FormViewOptions = {}): View {
  const blocks: KnownBlock[] = [];
  if (form.intro) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: form.intro }] });
  if (form.path === 'template send') {
    const note = !opts.templates
      ? ':hourglass_flowing_sand: Looking up the approved templates in CM.com… (or type the name and language)'
      : opts.templates.length === 0
        ? 'No approved templates were found in CM.com: type the name and language.'
        : undefined;
    if (note) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: note }] });
  }
  const keys = schemaKeys(form.path);
  for (const f of form.fields) {
    if (f.ifSchemaHas && !keys.includes(f.key)) continue;
    const replaced = form.path === 'template send' ? templateBlocks(f, opts) : undefined;
    if (replaced) {
      blocks.push(...replaced);
      continue;
    }
    blocks.push({
      type: 'input',
      block_id: f.key,
      label: plain(f.label),
      optional: Boolean(f.optional),
      element: element(f, opts.prefill?.[f.key]),
      ...(f.hint ? { hint: plain(f.hint) } : {}),
    } as KnownBlock);
  }
  if (form.startsJob) {
    blocks.push({
      type: 'input',
      block_id: AGAIN_BLOCK,
      optional: true,
      label: plain('If I already started this'),
      element: {
        type: 'checkboxes',
        action_id: AGAIN_BLOCK,
        options: [{ text: plain('Start another anyway'), value: 'again' }],
      },
    } as KnownBlock);
  }
  return {
    type: 'modal',
    callback_id: 'form:submit',
    private_metadata: JSON.stringify({ p: form.path, ...(opts.channel ? { c: opts.channel } : {}) }),
    title: plain(form.title),
    submit: plain(form.submit),
    close: plain('Cancel'),
    blocks,
  };
}

/** The keys the command's schema reads (an object schema, refined or not). */
export function schemaKeys(path: string): string[] {
  const spec = commands.find((c) => c.path === path);
  const shape = (spec?.schema as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/** A closing view that says what happened (the command's reply, as the form's answer). */
export function resultView(title: string, text: string): View {
  return {
    type: 'modal',
    callback_id: 'form:done',
    title: plain(title.slice(0, 24)),
    close: plain('Close'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } }],
  };
}

/** Flag words of a failed command, read leniently (unknown flags and their values skipped). */
function lenientFlags(words: string[], spec: FlagSpec = {}) {
  const positionals: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (!w.startsWith('--') || w === '--') {
      positionals.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const name = w.slice(2, eq === -1 ? undefined : eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === 'boolean') continue;
    let value = eq === -1 ? undefined : w.slice(eq + 1);
    if (value === undefined && words[i + 1] !== undefined && !words[i + 1]?.startsWith('--'))
      value = words[++i];
    if (kind && value !== undefined) flags[name] = flags[name] ? `${flags[name]}\n${value}` : value;
  }
  return { positionals, flags };
}

/** What could be read from a failed command's words, as the form's initial values. */
export function prefillFrom(form: FormSpec, words: string[]): Record<string, string> {
  const spec = commands.find((c) => c.path === form.path);
  const { positionals, flags } = lenientFlags(words, spec?.flags);
  const byName: Record<string, string> = {};
  const names = spec?.positionals ?? [];
  names.forEach((n, i) => {
    if (n.startsWith('...')) byName[n.slice(3)] = positionals.slice(i).join('\n');
    else if (positionals[i] !== undefined) byName[n] = positionals[i] as string;
  });
  const guessed = form.salvage ? form.salvage(positionals, flags) : byName;
  const out: Record<string, string> = {};
  for (const f of form.fields) {
    const v = flags[f.key] ?? guessed[f.key];
    if (!f.secret && v && v.trim()) out[f.key] = v.trim().slice(0, 500);
  }
  return out;
}

/** The "Open the form" button for a command that failed, carrying what could be read (≤ 2000 chars). */
export function formOffer(path: string, words: string[]): KnownBlock | undefined {
  const form = formFor(path);
  if (!form) return undefined;
  const prefill = prefillFrom(form, words);
  let value = JSON.stringify({ p: path, v: prefill });
  while (value.length > 2000) {
    const longest = Object.keys(prefill).sort(
      (a, b) => (prefill[b]?.length ?? 0) - (prefill[a]?.length ?? 0),
    )[0];
    if (!longest) break;
    delete prefill[longest];
    value = JSON.stringify({ p: path, v: prefill });
  }
  return {
    type: 'actions',
    elements: [
      { type: 'button', action_id: 'form:open', text: plain('Open the form'), value, style: 'primary' },
    ],
  };
}
