import { ArgumentError } from '../slack/args.js';
import { e164 } from '../slack/schemas.js';

/**
 * Splits what people type into the numbers they meant: commas, semicolons and new lines always
 * separate; within a piece, spaces separate numbers only where the text before is already a
 * whole number (`+31 6 1234 5678` is one number, `+31612345678 +32470123456` two).
 */
async function splitPhones(tokens: string[]): Promise<string[]> {
  const pieces = tokens
    .join(' ')
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
  const out: string[] = [];
  for (const piece of pieces) {
    let current = '';
    for (const word of piece.split(/\s+/)) {
      // A word that starts a number (+ or an opening bracket) ends the previous one.
      if (current && (/^[+(]/.test(word) || (await e164.safeParseAsync(current)).success)) {
        out.push(current);
        current = word;
      } else current = current ? `${current} ${word}` : word;
    }
    if (current) out.push(current);
  }
  return out;
}

/**
 * A list of numbers as typed (see splitPhones). Each is checked and normalised to E.164;
 * duplicates collapse. Too many is an error, not a cut. `what` is also the field it came from.
 */
export async function parsePhoneList(tokens: string[], max: number, what = 'recipients'): Promise<string[]> {
  const raw = await splitPhones(tokens);
  if (raw.length === 0) throw new ArgumentError(`missing <+E164> ${what}`, { field: what });
  const numbers: string[] = [];
  for (const value of raw) {
    const parsed = await e164.safeParseAsync(value);
    if (!parsed.success)
      throw new ArgumentError(parsed.error.issues[0]?.message ?? `${value} is not a phone number`, {
        field: what,
      });
    if (!numbers.includes(parsed.data)) numbers.push(parsed.data);
  }
  if (numbers.length > max) {
    throw new ArgumentError(
      `at most ${max} ${what} at a time; you gave ${numbers.length}. Nothing was sent or checked`,
      { field: what },
    );
  }
  return numbers;
}
