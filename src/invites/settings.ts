import { z } from 'zod';
import { configGeneration, definedEnv } from '../config.js';

/**
 * Knobs of the invites feature, read and validated once. The poll interval is the fallback for
 * lost webhooks; the HTTP timeout is per attempt (the local stack and tests shorten it).
 */
const Env = z.object({
  INVITES_POLL_MINUTES: z.coerce
    .number()
    .min(1)
    .max(24 * 60)
    .default(15),
  INVITES_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(8_000),
});

let cached: { pollMs: number; httpTimeoutMs: number } | undefined;
let cachedAt = -1;

export function inviteSettings() {
  if (!cached || cachedAt !== configGeneration()) {
    cachedAt = configGeneration();
    const env = Env.parse(definedEnv());
    cached = { pollMs: env.INVITES_POLL_MINUTES * 60_000, httpTimeoutMs: env.INVITES_HTTP_TIMEOUT_MS };
  }
  return cached;
}
