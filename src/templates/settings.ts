import { z } from 'zod';
import { configGeneration, definedEnv } from '../config.js';

/** Template watching knobs, read and validated once (tests shorten the poll interval). */
const Schema = z.object({
  /** Seconds between polls of a pending template (CM says Meta takes about 2 working days). */
  TEMPLATE_POLL_SECONDS: z.coerce.number().min(0).max(86_400).default(600),
  /** Give up watching a template still pending after this many days. */
  TEMPLATE_WATCH_MAX_DAYS: z.coerce.number().min(1).max(90).default(14),
  /** After the verdict, keep listening for Meta PAUSED/DISABLED/FLAGGED webhooks this long. */
  TEMPLATE_MONITOR_DAYS: z.coerce.number().min(0).max(365).default(30),
  /** Per-request timeout towards CM.com Channels and CommBox (tests shorten it to lose answers fast). */
  TEMPLATE_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(8_000),
});

let cached: z.output<typeof Schema> | undefined;
let cachedAt = -1;

export function templateSettings() {
  if (!cached || cachedAt !== configGeneration()) {
    cachedAt = configGeneration();
    const parsed = Schema.safeParse(definedEnv());
    if (!parsed.success) throw new Error(`Invalid template settings: ${z.prettifyError(parsed.error)}`);
    cached = parsed.data;
  }
  return cached;
}
