import { z } from 'zod';
import { isPhoneCountry } from './schemas.js';

export const countryInput = z.object({
  country: z
    .string()
    .trim()
    .transform((v) => v.toUpperCase())
    .refine(async (v) => v === 'NONE' || (await isPhoneCountry(v)), {
      error: (iss) =>
        `${JSON.stringify(iss.input)} is not a two-letter country code WhatsApp numbers can have (like NL, US, GB), or none`,
    }),
});
