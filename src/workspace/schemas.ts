import { z } from 'zod';
import { isRestrictableGroup, RESTRICTABLE } from '../security/access.js';
import { countryByName, countryName, countrySuggestion, isPhoneCountry } from '../slack/schemas.js';

const USER_ID = /^[UW][A-Z0-9]{2,20}$/;
/** Slack escapes mentions in command text as `<@U123|name>` (or `<@U123>`). */
const MENTION = /^<@([UW][A-Z0-9]{2,20})(?:\|[^<>]{0,80})?>$/;

/** A mentioned user (`@name`, sent by Slack as `<@U123|name>`) or a bare user id. */
const userMention = z
  .string({ error: 'missing <@user>' })
  .max(120, 'that is not a user mention')
  .transform((s, ctx) => {
    const id = MENTION.exec(s)?.[1] ?? (USER_ID.test(s) ? s : undefined);
    if (!id) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(s.slice(0, 40))} is not a user: mention them with @ so Slack sends their id`,
      });
      return z.NEVER;
    }
    return id;
  });

export const adminUserInput = z.object({ user: userMention });

export const restrictInput = z.object({
  group: z
    .string({ error: 'missing <group>' })
    .transform((g) => g.toLowerCase())
    .refine(isRestrictableGroup, {
      message: `the group is one of ${Object.keys(RESTRICTABLE).join(', ')}`,
    }),
  state: z.enum(['on', 'off'], { error: 'say on (admins only) or off (everyone)' }),
});

export const countryInput = z.object({
  country: z
    .string()
    .trim()
    .transform(async (v, ctx) => {
      const code = v.toUpperCase();
      if (code === 'NONE' || (await isPhoneCountry(code))) return code;
      // `UK` → GB, `Netherlands` → NL: said, not guessed silently.
      const suggestion = (await countrySuggestion(code)) ?? (await countryByName(v));
      ctx.issues.push({
        code: 'custom',
        input: v,
        message: suggestion
          ? `${JSON.stringify(v)} is not a two-letter country code: did you mean ${suggestion} (${countryName(suggestion)})?`
          : `${JSON.stringify(v)} is not a two-letter country code WhatsApp numbers can have (like NL, US, GB), or none`,
      });
      return z.NEVER;
    }),
});

/** `/wa jobs [--all]`. */
export const jobsInput = z.object({ all: z.boolean().optional() });
