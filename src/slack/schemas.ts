import { AsyncLocalStorage } from 'node:async_hooks';
import type { CountryCode } from 'libphonenumber-js/min';
import { z } from 'zod';
import { unsafeCharacter } from './mrkdwn.js';

type PhoneNumbers = typeof import('libphonenumber-js/min');
let phoneLib: Promise<PhoneNumbers> | undefined;

/**
 * libphonenumber-js and its metadata (120 KB; 11–15 ms of CPU to load in a fresh process), loaded
 * by the first check that reads a phone number or a country code rather than by every command's
 * first run. The schemas that use it are asynchronous: parse them with `safeParseAsync` (zod
 * throws on a synchronous parse of one, in every process, so no caller can skip the load unseen).
 */
function phoneNumbers(): Promise<PhoneNumbers> {
  phoneLib ??= import('libphonenumber-js/min').catch((err: unknown) => {
    phoneLib = undefined;
    throw err;
  });
  return phoneLib;
}

/**
 * The workspace's default country (`/wa admins set country NL`) for numbers typed without a
 * country code. The schemas are shared by commands and forms, so the service layer
 * (src/slack/service.ts) runs validation inside `withDefaultCountry` instead of passing the
 * country through every schema; `e164` checks it is a country with phone numbers.
 */
const defaultCountry = new AsyncLocalStorage<string | undefined>();

export function withDefaultCountry<T>(country: string | undefined, fn: () => T): T {
  return defaultCountry.run(country && isCountryCode(country) ? country : undefined, fn);
}

/** Two capital letters: the shape of a stored country code (checked against the list when set). */
export function isCountryCode(v: string): boolean {
  return /^[A-Z]{2}$/.test(v);
}

/** Whether a code is a country that has phone numbers (libphonenumber-js's regions). */
export async function isPhoneCountry(v: string): Promise<boolean> {
  return isCountryCode(v) && (await phoneNumbers()).isSupportedCountry(v);
}

/**
 * ISO 3166-1 alpha-2 codes of countries that have phone numbers, from libphonenumber-js (already
 * here for phones; its regions follow Google's libphonenumber metadata). Its three regions that
 * are not assigned ISO 3166-1 codes are left out: AC (Ascension) and TA (Tristan da Cunha) are
 * "exceptionally reserved" (ISO counts them under SH), XK (Kosovo) is a user-assigned code.
 */
const NOT_ISO = new Set(['AC', 'TA', 'XK']);
let phoneCountries: Set<string> | undefined;
async function isoPhoneCountries(): Promise<Set<string>> {
  phoneCountries ??= new Set((await phoneNumbers()).getCountries().filter((c) => !NOT_ISO.has(c)));
  return phoneCountries;
}

/**
 * Codes people use that are not ISO 3166-1 alpha-2, and the ISO code they mean. CLDR (through
 * Intl.DisplayNames, built into Node) knows the deprecated ones (UK, YU, BU, TP...) by name;
 * EL is the European Union's own code for Greece, which CLDR does not list.
 */
const ALIASES: Record<string, string> = { EL: 'GR' };
let regionNames: Intl.DisplayNames | undefined;

/** The ISO code a non-ISO country code most likely means (`UK` → `GB`), if any. */
export async function countrySuggestion(code: string): Promise<string | undefined> {
  const upper = code.toUpperCase();
  if (ALIASES[upper]) return ALIASES[upper];
  if (!/^[A-Z]{2}$/.test(upper)) return undefined;
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  const name = regionNames.of(upper);
  if (!name || name === upper) return undefined;
  for (const c of await isoPhoneCountries()) if (regionNames.of(c) === name) return c;
  return undefined;
}

/**
 * The ISO code of a country typed by its English name (`Netherlands`, `the netherlands`,
 * `United States`), from CLDR's names (Intl.DisplayNames); undefined when no name matches.
 */
export async function countryByName(typed: string): Promise<string | undefined> {
  const want = typed
    .trim()
    .toLowerCase()
    .replace(/^the\s+/, '')
    .replace(/\s+/g, ' ');
  if (want.length < 3) return undefined;
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  for (const c of await isoPhoneCountries()) {
    const name = (regionNames.of(c) ?? '').toLowerCase().replace(/^the\s+/, '');
    if (name === want) return c;
  }
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
  .transform(async (v, ctx) => {
    const code = v.toUpperCase();
    if ((await isoPhoneCountries()).has(code)) return code;
    const suggestion = (await countrySuggestion(code)) ?? (await countryByName(v));
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
  .transform(async (v, ctx) => {
    const stored = defaultCountry.getStore();
    const { isSupportedCountry, parsePhoneNumberFromString } = await phoneNumbers();
    const country = stored && isSupportedCountry(stored) ? (stored as CountryCode) : undefined;
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

/**
 * Text as given, refused when it holds a character commands refuse (`unsafeCharacter`: controls,
 * text-direction overrides and isolates, invisible characters): the schemas are shared by every
 * door (command, form, button), so none takes what another refuses.
 */
export const withoutUnsafe = (what: string) =>
  z.string().refine((v) => unsafeCharacter(v) === undefined, {
    error: (iss) => `${what} contains ${unsafeCharacter(String(iss.input))}, which is not allowed`,
  });

export const name = (what: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: `${what} is empty` })
    .max(max, { error: `${what} is longer than ${max} characters` })
    .pipe(withoutUnsafe(what));

/** Opaque provider ids: letters, digits, dashes and underscores only. */
export const id = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, {
      error: (iss) => `${JSON.stringify(iss.input)} is not a valid ${what}`,
    });

/** A conversation id as Slack gives it: a channel, a private channel or a DM. */
export const CHANNEL_ID = /^[CGD][A-Z0-9]{2,30}$/;

/**
 * The report channel a view's `private_metadata` names (a form, a modal: text that comes back
 * from the client, so it is checked as the message shortcut checks its own): a conversation id,
 * or the person's own user id (their DM with the app). Undefined when none is named; `false`
 * when what is named is neither, and the submission is refused.
 */
export function reportChannel(value: unknown, userId: string): string | undefined | false {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return false;
  return CHANNEL_ID.test(value) || value === userId ? value : false;
}

/** Masks a phone number for Slack and logs: keeps the country code and the last 2 digits. */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 6) return '***';
  return `+${digits.slice(0, 2)}${'•'.repeat(Math.max(digits.length - 4, 3))}${digits.slice(-2)}`;
}
