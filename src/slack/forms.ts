import type { KnownBlock, View } from '@slack/types';
import type { FlagSpec } from './args.js';
import type { CommandContext, CommandSpec } from './command.js';
import { stripUnsafe } from './mrkdwn.js';

/**
 * A form per action that starts work. A form only says how to ask for the command's input:
 * each field is a key of the command's zod schema (its block_id and action_id), and the
 * submission goes through the same service function as the command (src/slack/service.ts).
 */

/** `user`: Slack's people picker; the value is the chosen user's id. */
type FieldKind = 'text' | 'multiline' | 'email' | 'url' | 'number' | 'select' | 'user';

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

export type ViewValues = Record<
  string,
  Record<
    string,
    {
      value?: string | null;
      selected_option?: { value?: string } | null;
      selected_user?: string | null;
      selected_options?: unknown[] | null;
    }
  >
>;

export interface FormSpec {
  /** The command the form asks for: its schema reads the fields, its handler runs on submit. */
  command: CommandSpec;
  /** Slack's limit for a modal title is 24 characters. */
  title: string;
  submit: string;
  intro?: string;
  fields: FormField[];
  /** Starts a job: the form offers "Start another anyway" for an identical active one. */
  startsJob: boolean;
  /** Reads what it can from the words of a command that failed, for "Open the form". */
  salvage?: (positionals: string[], flags: Record<string, string>) => Record<string, string>;
  /**
   * A form whose fields change with what the person picks (template send): a context line above
   * the fields, blocks that stand in for a field, the input those blocks give, the block an
   * error about a key goes beside, and what to do once the form is open (look something up).
   */
  dynamic?: {
    note?(opts: FormViewOptions): string | undefined;
    replace?(field: FormField, opts: FormViewOptions): KnownBlock[] | undefined;
    read?(values: ViewValues, raw: Record<string, unknown>): void;
    blockOf?(field: string): string | undefined;
    opened?(viewId: string | undefined, ctx: CommandContext, channel: string | undefined): Promise<void>;
    /** An action inside the open form (a select that changes the other fields). */
    act?(
      actionId: string,
      action: { selected_option?: { value?: string } },
      ctx: CommandContext,
      viewId: string | undefined,
      channel: string | undefined,
    ): Promise<void>;
  };
}

export const AGAIN_BLOCK = 'again';

export const PHONE_HINT =
  'With its country code (+31 6 1234 5678), or as dialled in the country an admin set with /wa admins set country.';

/** The words of a failed command as one value (an unquoted name). */
export const joinWords = (words: string[]) => words.join(' ').trim();

/** Where an error about a schema key goes when the view shows it another way. */
export function blockForField(
  form: FormSpec,
  field: string | undefined,
  blockIds: string[],
): string | undefined {
  if (!field) return undefined;
  if (blockIds.includes(field)) return field;
  const alias = form.dynamic?.blockOf?.(field);
  return alias && blockIds.includes(alias) ? alias : undefined;
}

/** The form's state.values as the raw input the command's schema reads. */
export function rawFromValues(form: FormSpec, values: ViewValues | undefined): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const f of form.fields) {
    const v = values?.[f.key]?.[f.key];
    const text = (v?.selected_user ?? v?.selected_option?.value ?? v?.value ?? '').toString();
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
  if (values) form.dynamic?.read?.(values, raw);
  return raw;
}

/** Plain text for Block Kit; labels may come from a provider (CM template names), so stripped. */
export const plain = (text: string) => ({ type: 'plain_text' as const, text: stripUnsafe(text) });

function element(f: FormField, prefill: string | undefined) {
  const initial = prefill ?? f.initial;
  const placeholder = f.placeholder ? { placeholder: plain(f.placeholder) } : {};
  switch (f.kind) {
    case 'user':
      return {
        type: 'users_select' as const,
        action_id: f.key,
        ...(initial && /^[UW][A-Z0-9]{2,20}$/.test(initial) ? { initial_user: initial } : {}),
        ...placeholder,
      };
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

export interface FormViewOptions {
  channel?: string | undefined;
  prefill?: Record<string, string>;
  /** What a form with `dynamic` fields has learned so far (the template form's choices). */
  state?: Record<string, unknown>;
}

/** The modal of one action, prefilled; `channel` is where its job reports. */
export function formView(form: FormSpec, opts: FormViewOptions = {}): View {
  const blocks: KnownBlock[] = [];
  if (form.intro) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: form.intro }] });
  const note = form.dynamic?.note?.(opts);
  if (note) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: note }] });
  const keys = schemaKeys(form.command);
  for (const f of form.fields) {
    if (f.ifSchemaHas && !keys.includes(f.key)) continue;
    const replaced = form.dynamic?.replace?.(f, opts);
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
    private_metadata: JSON.stringify({ p: form.command.path, ...(opts.channel ? { c: opts.channel } : {}) }),
    title: plain(form.title),
    submit: plain(form.submit),
    close: plain('Cancel'),
    blocks,
  };
}

/** The keys the command's schema reads (an object schema, refined or not). */
function schemaKeys(spec: CommandSpec): string[] {
  const shape = (spec.schema as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
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
function prefillFrom(form: FormSpec, words: string[]): Record<string, string> {
  const spec = form.command;
  const { positionals, flags } = lenientFlags(words, spec.flags);
  const byName: Record<string, string> = {};
  const names = spec.positionals ?? [];
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
export function formOffer(form: FormSpec, words: string[]): KnownBlock {
  return formButton(form.command.path, prefillFrom(form, words), 'Open the form');
}

/**
 * A button that opens a command's form prefilled (`form:open` with `{p, v}`), within Slack's
 * 2,000 characters for a button's value: the longest values are left out until it fits.
 */
export function formButton(path: string, values: Record<string, string>, label: string): KnownBlock {
  const prefill = { ...values };
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
    elements: [{ type: 'button', action_id: 'form:open', text: plain(label), value, style: 'primary' }],
  };
}
