/**
 * Redaction by value: every credential value a workspace has stored (or the sandbox's, when it
 * falls back to them) is remembered here the moment it is loaded, and src/log.ts replaces any
 * occurrence of one in any log line, whatever the field is called: a CommBox stream id or a
 * CM.com Channels channel request id sits inside request paths, not under a "secret" name.
 * Redaction by name (log.ts) catches the fields themselves; this catches the values wherever
 * they travel. No import from the rest of the app, so the logger can use it.
 */

/** Shorter values (a 1-character key id) would blank random text; they are redacted by name only. */
const MIN_REDACTED_LENGTH = 6;
/** Bounds the work per log line in a long-lived warm Lambda serving many workspaces. */
const MAX_VALUES = 5_000;

const values = new Set<string>();
let pattern: RegExp | undefined;

function add(value: string): void {
  if (value.length < MIN_REDACTED_LENGTH || values.has(value)) return;
  if (values.size >= MAX_VALUES) values.delete(values.values().next().value as string);
  values.add(value);
  pattern = undefined;
}

/** Remembers every string inside a credential object (and its URL-encoded form). */
export function rememberSecretValues(credential: unknown, depth = 0): void {
  if (depth > 4 || credential === null || credential === undefined) return;
  if (typeof credential === 'string') {
    add(credential);
    add(encodeURIComponent(credential));
    // A PEM key is logged line by line if at all: remember its body lines too.
    if (credential.includes('\n')) for (const line of credential.split(/\r?\n/)) add(line.trim());
    return;
  }
  if (typeof credential === 'object') {
    for (const v of Object.values(credential as Record<string, unknown>)) rememberSecretValues(v, depth + 1);
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces every remembered credential value in `text` by `[redacted]`. */
export function redactKnownValues(text: string): string {
  if (values.size === 0 || text.length < MIN_REDACTED_LENGTH) return text;
  // Longest first, so a value that contains another is replaced whole.
  pattern ??= new RegExp(
    [...values]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'g',
  );
  return text.replace(pattern, '[redacted]');
}
