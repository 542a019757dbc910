import parseArgsStringToArgv from 'string-argv';
import { unsafeCharacter } from './mrkdwn.js';

export const MAX_COMMAND_LENGTH = 2000;

export type FlagKind = 'value' | 'boolean' | 'multi';
export type FlagSpec = Record<string, FlagKind>;
export type FlagValues = Record<string, string | boolean | string[]>;

export interface Parsed {
  positionals: string[];
  flags: FlagValues;
}

export class ArgumentError extends Error {
  override readonly name = 'ArgumentError';
  readonly code = 'bad_arguments';
  /** The input field it is about, when known: forms show the error beside that field. */
  readonly field: string | undefined;
  /** The words to show beside that field in a form, when they differ from the message. */
  readonly fieldMessage: string;
  /** Every field that is wrong, in order, when more than one is (a form shows each beside its own). */
  readonly fields: ReadonlyArray<{ field: string | undefined; message: string }>;
  constructor(
    message: string,
    options?: ErrorOptions & {
      field?: string | undefined;
      fieldMessage?: string | undefined;
      fields?: ReadonlyArray<{ field: string | undefined; message: string }>;
    },
  ) {
    super(message, options);
    this.field = options?.field;
    this.fieldMessage = options?.fieldMessage ?? message;
    this.fields = options?.fields ?? [{ field: this.field, message: this.fieldMessage }];
  }
}

/**
 * Slack clients turn typed quotes into typographic ones; accept both. Control, bidi-override
 * and invisible characters never mean anything in a command, so they are refused up front.
 * The text is what the person typed (see `fromSlack`), not Slack's escaped form.
 */
export function tokenize(text: string): string[] {
  if (text.length > MAX_COMMAND_LENGTH) {
    throw new ArgumentError(
      `the command is ${text.length} characters long; the limit is ${MAX_COMMAND_LENGTH}`,
    );
  }
  const unsafe = unsafeCharacter(text);
  if (unsafe) throw new ArgumentError(`the command contains ${unsafe}, which is not allowed`);
  const normalized = text.replace(/[\u201c\u201d\u201e\u00ab\u00bb]/g, '"').replace(/[\r\n\t]/g, ' ');
  const open = unclosedQuote(normalized);
  if (open) throw new ArgumentError(`a ${open} quote is not closed`);
  return parseArgsStringToArgv(normalized);
}

/** The quote character left open at the end, following string-argv's rules, if any. */
function unclosedQuote(text: string): string | undefined {
  let inQuote: string | undefined;
  for (const ch of text) {
    if (inQuote) {
      if (ch === inQuote) inQuote = undefined;
    } else if (ch === '"' || ch === "'") inQuote = ch;
  }
  return inQuote === '"' ? 'double' : inQuote === "'" ? 'single' : undefined;
}

/** Splits tokens into positionals and the flags the command declares; anything else is an error. */
export function parseFlags(tokens: string[], spec: FlagSpec = {}): Parsed {
  const positionals: string[] = [];
  const flags: FlagValues = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq === -1 ? undefined : eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind) throw new ArgumentError(`unknown option --${name}`);
    if (kind === 'boolean') {
      if (eq !== -1) throw new ArgumentError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = token.slice(eq + 1);
    else {
      value = tokens[i + 1];
      if (value === undefined || value.startsWith('--')) throw new ArgumentError(`--${name} needs a value`);
      i++;
    }
    if (kind === 'multi') flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else if (Object.hasOwn(flags, name)) throw new ArgumentError(`--${name} is given twice`);
    else flags[name] = value;
  }
  return { positionals, flags };
}
