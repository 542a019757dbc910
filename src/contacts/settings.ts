import { z } from 'zod';
import { configGeneration, definedEnv } from '../config.js';

/** Contact verification knobs, read and validated once. */
const Schema = z.object({
  /** Verifications a workspace may run per UTC day (the documents warn of bans for checking too many). */
  CONTACT_VERIFY_DAILY_CAP: z.coerce.number().int().min(0).max(10_000).default(50),
  /** Numbers one `/wa contact verify` may carry. */
  CONTACT_VERIFY_MAX_PER_COMMAND: z.coerce.number().int().min(1).max(100).default(25),
  /** CommBox requests per minute per workspace (our own limit, held in DynamoDB across Lambdas). */
  // UNCONFIRMED(commbox.rate-limit): CommBox documents a 429 but no limit; 60/min is our guess.
  COMMBOX_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(6_000).default(60),
});

let cached: z.output<typeof Schema> | undefined;
let cachedAt = -1;

export function contactSettings() {
  if (!cached || cachedAt !== configGeneration()) {
    cachedAt = configGeneration();
    const parsed = Schema.safeParse(definedEnv());
    if (!parsed.success) throw new Error(`Invalid contact settings: ${z.prettifyError(parsed.error)}`);
    cached = parsed.data;
  }
  return cached;
}
