import { AsyncLocalStorage } from 'node:async_hooks';
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { z } from 'zod';

/**
 * The workspace's default country (`/wa admins set country NL`) for numbers typed without a
 * country code. The schemas are synchronous and shared by commands and forms, so the service
 * layer (src/slack/service.ts) runs validation inside `withDefaultCountry` instead of passing
 * the country through every schema.
 */
const defaultCountry = new AsyncLocalStorage<CountryCode | undefined>();

export function withDefaultCountry<T>(country: string | undefined, fn: () => T): T {
  const c = country && isSupportedCountry(country) ? (country as CountryCode) : undefined;
  return defaultCountry.run(c, fn);
}

export function isCountryCode(v: string): v is CountryCode {
  return /^[A-Z]{2}$/.test(v) && isSupportedCountry(v);
}

/** What people type around the digits: spaces, dashes, dots, brackets. */
const PUNCTUATION = /[\s\-.()\u00a0\u2010-\u2015]/g;

/**
 * A phone number as people type it (`+31 6 1234 5678`, `(415) 555-1234` with a default country,
 * `0031 6 ...`), normalised to E.164. Without a default country a number must start with +.
 */
export const e164 = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const country = defaultCountry.getStore();
    const compact = v.replace(PUNCTUATION, '');
    const fail = (message: string) => {
      ctx.issues.push({ code: 'custom', message, input: v });
      return z.NEVER;
    };
    if (!/^\+?\d{4,17}$/.test(compact) || (!compact.startsWith('+') && !country)) {
      return fail(
        `${JSON.stringify(v)} is not a phone number in E.164 form (like +31612345678)${country ? '' : '; an admin can set a default country for numbers without one: /wa admins set country NL'}`,
      );
    }
    const parsed = parsePhoneNumberFromString(v.replace(/[\u00a0\u2010-\u2015]/g, ' '), {
      ...(country ? { defaultCountry: country } : {}),
    });
    if (!parsed?.isValid()) {
      return fail(
        `${JSON.stringify(v)} is not a valid phone number${compact.startsWith('+') ? ' for its country code' : ` in ${country}`}`,
      );
    }
    return parsed.number as string;
  });

/**
 * A phone number as the rest of a command's words (`/wa contact optin +31 6 1234 5678 ...`),
 * or as one form field: words are joined with spaces, then read as `e164`.
 */
export const phoneWords = z.preprocess(
  (v) => (Array.isArray(v) ? (v.length ? v.join(' ') : undefined) : v),
  e164,
);

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
