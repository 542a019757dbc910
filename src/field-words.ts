/**
 * Field names as a person says them, for every validation message people read: zod paths are
 * code (`deploymentId`, `invitees.0.phoneNumber`), the words are "deployment id" and
 * "invitees 1 phone number" (positions counted from 1).
 */
export function inWords(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[._-]+/g, ' ')
    .replace(/\b(\d+)\b/g, (n) => String(Number(n) + 1))
    .trim()
    .toLowerCase();
}
