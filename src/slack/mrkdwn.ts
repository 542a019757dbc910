/**
 * Text crossing the Slack boundary, both ways, in one place.
 *
 * In: Slack sends command text with `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`, and (with the
 * manifest's `should_escape: true`) mentions, channels, links and emails as `<…>` control
 * sequences (https://api.slack.com/reference/surfaces/formatting#escaping,
 * https://api.slack.com/interactivity/slash-commands). `fromSlack` turns that into the text the
 * person typed, which is what reaches providers; a user mention stays as `<@U…>` so schemas
 * can take the id from it.
 *
 * Out: any text that did not come from us (names, provider answers, error details) is put
 * into mrkdwn through `esc`, so no `<!channel>`, `<@U…>`, `<#C…>` or `<https://evil|label>`
 * can be formed from it (same formatting page: "escape exactly three characters").
 *
 * Control and bidirectional-override characters are refused at input (`unsafeCharacter`):
 * they let a name look like something else (U+202E reverses what follows) or hide text.
 */

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>' };

/** Slack's three entities back to characters, in one pass (so `&amp;lt;` becomes `&lt;`). */
export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt);/g, (_, e: string) => ENTITY[e] as string);
}

/**
 * Escapes the three characters Slack's mrkdwn treats as markup, for untrusted text, and drops
 * the characters `unsafeCharacter` refuses at input: provider text (a Zavu `failureReason`, a
 * Meta rejection reason, a CM template name) cannot reverse or hide what is shown around it.
 */
export function esc(value: unknown): string {
  return stripUnsafe(String(value ?? ''))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Escaped and clipped to `max` characters (counted before escaping), with an ellipsis. */
export function escClip(value: unknown, max: number): string {
  const s = String(value ?? '');
  return esc(s.length > max ? `${s.slice(0, max)}…` : s);
}

const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

/** A mention of a Slack user id; anything that is not an id is shown escaped, never as markup. */
export function mention(userId: string | undefined): string {
  if (!userId) return 'someone';
  return USER_ID.test(userId) ? `<@${userId}>` : esc(userId);
}

/**
 * Command text as Slack sends it → the text the person typed. Each `<…>` sequence becomes its
 * data form: a user stays `<@U…>` (the id is the data), a channel `#name`, a link its URL (or
 * what was typed when Slack only added a scheme), an email its address, `<!here>` `@here`, a
 * user group `@name`, a date its fallback. Outside sequences the entities are decoded.
 */
export function fromSlack(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(/<([^<>]*)>/g)) {
    out += decodeEntities(text.slice(last, m.index)) + sequenceData(m[1] as string);
    last = (m.index as number) + m[0].length;
  }
  return out + decodeEntities(text.slice(last));
}

function sequenceData(inner: string): string {
  const bar = inner.indexOf('|');
  const target = decodeEntities(bar === -1 ? inner : inner.slice(0, bar));
  const label = bar === -1 ? undefined : decodeEntities(inner.slice(bar + 1));
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return USER_ID.test(id) ? `<@${id}>` : `@${label || id}`;
  }
  if (target.startsWith('#')) return `#${label || target.slice(1)}`;
  if (target.startsWith('!')) {
    const word = target.slice(1);
    if (word === 'here' || word === 'channel' || word === 'everyone') return `@${word}`;
    if (word.startsWith('subteam^')) return label ? (label.startsWith('@') ? label : `@${label}`) : '@group';
    return label ?? '';
  }
  if (/^mailto:/i.test(target)) return target.slice('mailto:'.length);
  // A link: Slack wraps what was typed; when it only added a scheme (`www.x.com` →
  // `<http://www.x.com|www.x.com>`), what was typed is the label.
  if (label && (target === `http://${label}` || target === `https://${label}`)) return label;
  return target;
}

const UNSAFE_ALL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Text we did not write (a provider's), without the characters `unsafeCharacter` refuses at
 * input: shown as it came, minus what would reverse or hide the text around it.
 */
export function stripUnsafe(text: string): string {
  return text.replace(UNSAFE_ALL, '');
}

/**
 * The first character that has no business in a command or form field: C0/C1 controls (other
 * than tab and newlines), bidirectional overrides and isolates, zero-width characters and the
 * BOM. Returns a description of it, or undefined.
 */
export function unsafeCharacter(text: string): string | undefined {
  const m =
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/.exec(
      text,
    );
  if (!m) return undefined;
  const code = (m[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
  const ch = m[0];
  const what =
    ch <= '\u001f' || ch === '\u007f'
      ? 'a control character'
      : ch <= '\u009f'
        ? 'a C1 control character'
        : /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/.test(ch)
          ? 'a text-direction override'
          : 'an invisible character';
  return `${what} (U+${code})`;
}
