import { ArgumentError } from '../slack/args.js';
import { e164 } from '../slack/schemas.js';

/**
 * A list of numbers as typed: commas and/or spaces between them (`+31..,+32..` or `+31.. +32..`).
 * Each is checked and normalised to E.164; duplicates collapse. Too many is an error, not a cut.
 */
export function parsePhoneList(tokens: string[], max: number, what = 'recipients'): string[] {
  const raw = tokens
    .join(',')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (raw.length === 0) throw new ArgumentError(`missing <+E164> ${what}`);
  const numbers: string[] = [];
  for (const value of raw) {
    const parsed = e164.safeParse(value);
    if (!parsed.success)
      throw new ArgumentError(parsed.error.issues[0]?.message ?? `${value} is not a phone number`);
    if (!numbers.includes(parsed.data)) numbers.push(parsed.data);
  }
  if (numbers.length > max) {
    throw new ArgumentError(
      `at most ${max} ${what} at a time; you gave ${numbers.length}. Nothing was sent or checked`,
    );
  }
  return numbers;
}
