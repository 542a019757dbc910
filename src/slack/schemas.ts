import { isValidPhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js/min';
import { z } from 'zod';

/** A phone number written in E.164 (+ and country code), normalised to E.164. */
export const e164 = z
  .string()
  .trim()
  .refine((v) => /^\+[1-9]\d{6,14}$/.test(v.replace(/[\s-]/g, '')), {
    error: (iss) => `${JSON.stringify(iss.input)} is not a phone number in E.164 form (like +31612345678)`,
  })
  .refine((v) => isValidPhoneNumber(v.replace(/[\s-]/g, '')), {
    error: (iss) => `${JSON.stringify(iss.input)} is not a valid phone number for its country code`,
  })
  .transform((v) => parsePhoneNumberWithError(v.replace(/[\s-]/g, '')).number as string);

export const email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ error: (iss) => `${JSON.stringify(iss.input)} is not an email address` }));

export const days = (min: number, max: number, what = 'days') =>
  z.coerce
    .number({ error: `${what} must be a whole number` })
    .int({ error: `${what} must be a whole number` })
    .min(min, { error: `${what} must be between ${min} and ${max}` })
    .max(max, { error: `${what} must be between ${min} and ${max}` });

export const name = (what: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: `${what} is empty` })
    .max(max, { error: `${what} is longer than ${max} characters` });

/** Opaque provider ids: letters, digits, dashes and underscores only. */
export const id = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, {
      error: (iss) => `${JSON.stringify(iss.input)} is not a valid ${what}`,
    });

/** Masks a phone number for Slack and logs: keeps the country code and the last 2 digits. */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 6) return '***';
  return `+${digits.slice(0, 2)}${'•'.repeat(Math.max(digits.length - 4, 3))}${digits.slice(-2)}`;
}
