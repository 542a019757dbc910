import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type CountryCode,
  getCountries,
  isSupportedCountry,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/min';
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

/**
 * ISO 3166-1 alpha-2 codes of countries that have phone numbers, from libphonenumber-js (already
 * here for phones; its regions follow Google's libphonenumber metadata). Its three regions that
 * are not assigned ISO 3166-1 codes are left out: AC (Ascension) and TA (Tristan da Cunha) are
 * "exceptionally reserved" (ISO counts them under SH), XK (Kosovo) is a user-assigned code.
 */
const NOT_ISO = new Set(['AC', 'TA', 'XK']);
const PHONE_COUNTRIES = new Set<string>(getCountries().filter((c) => !NOT_ISO.has(c)));

/**
 * Codes people use that are not ISO 3166-1 alpha-2, and the ISO code they mean. CLDR (through
 * Intl.DisplayNames, built into Node) knows the deprecated ones (UK, YU, BU, TP...) by name;
 * EL is the European Union's own code for Greece, which CLDR does not list.
 */
const ALIASES: Record<string, string> = { EL: 'GR' };
let regionNames: Intl.DisplayNames | undefined;

/** The ISO code a non-ISO country code most likely means (`UK` → `GB`), if any. */
export function countrySuggestion(code: string): string | undefined {
  const upper = code.toUpperCase();
  if (ALIASES[upper]) return ALIASES[upper];
  if (!/^[A-Z]{2}$/.test(upper)) return undefined;
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  const name = regionNames.of(upper);
  if (!name || name === upper) return undefined;
  for (const c of PHONE_COUNTRIES) if (regionNames.of(c) === name) return c;
  return undefined;
}

/** A country's English name (for "did you mean GB (United Kingdom)?"). */
export function countryName(code: string): string {
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  return regionNames.of(code) ?? code;
}

/**
 * One ISO 3166-1 alpha-2 country code (any case), checked against the real list, with a
 * suggestion for a code that is not one (`UK` → "did you mean GB (United Kingdom)?").
 */
export const isoCountry = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const code = v.toUpperCase();
    if (PHONE_COUNTRIES.has(code)) return code;
    const suggestion = countrySuggestion(code);
    ctx.issues.push({
      code: 'custom',
      input: v,
      message: suggestion
        ? `${JSON.stringify(v)} is not an ISO 3166 country code: did you mean ${suggestion} (${countryName(suggestion)})?`
        : /^[A-Za-z]{2}$/.test(v)
          ? `${JSON.stringify(v)} is not an ISO 3166 country code (two letters, like US, MX or GB)`
          : `${JSON.stringify(v.slice(0, 20))} is not a two-letter ISO 3166 country code (like US, MX or GB)`,
    });
    return z.NEVER;
  });

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

/**
 * A number of days as typed. Text that is not a number is named as such ("abc" is not a number),
 * not reported as missing: coercion turns it into NaN, which zod would call an invalid type.
 */
export const days = (min: number, max: number, what = 'days') =>
  z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const text = String(v).trim();
      if (!/^[+-]?\d+(\.\d+)?$/.test(text)) {
        ctx.issues.push({
          code: 'custom',
          message: `${JSON.stringify(String(v).slice(0, 40))} is not a number: ${what} is a whole number of days, from ${min} to ${max}`,
          input: v,
        });
        return z.NEVER;
      }
      return Number(text);
    })
    .pipe(
      z
        .number()
        .int({ error: `${what} must be a whole number of days` })
        .min(min, { error: `${what} must be between ${min} and ${max} days` })
        .max(max, { error: `${what} must be between ${min} and ${max} days` }),
    );

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
