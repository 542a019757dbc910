import { ProviderError, RateLimitedError } from '../http/errors.js';
import type { CredentialCheck } from './provider.js';

/**
 * The outcome of a provider's credential check call: its answer decides (2xx valid; 401/403
 * refused, with the provider's words; no answer, a timeout or a 5xx unreachable). A check that
 * asks for an object no account has (`notFoundMeansValid`) takes the provider's 404 as "these
 * credentials were accepted": the provider authenticated the request before looking.
 */
export async function checkCall(
  call: () => Promise<unknown>,
  opts: { notFoundMeansValid?: boolean } = {},
): Promise<CredentialCheck> {
  try {
    await call();
    return { status: 'valid' };
  } catch (err) {
    if (err instanceof RateLimitedError) {
      return {
        status: 'unreachable',
        detail: 'this workspace is at our rate limit for it; try again in a minute',
      };
    }
    if (!(err instanceof ProviderError)) throw err;
    if (opts.notFoundMeansValid && err.status === 404) return { status: 'valid' };
    const words = err.detail ?? (err.status ? `HTTP ${err.status}` : err.code);
    if (err.transient) return { status: 'unreachable', detail: words };
    return { status: 'refused', detail: words };
  }
}

/** A provider's own words from an error body in the usual shapes (RFC 7807 `detail`/`title`, `message`). */
export function errorWords(_status: number, body: unknown): { detail?: string } {
  if (typeof body === 'string') return body ? { detail: body.slice(0, 300) } : {};
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  const nested = b.error && typeof b.error === 'object' ? (b.error as Record<string, unknown>) : undefined;
  const text = [b.detail, b.title, b.message, nested?.message, b.error].find(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
  return text ? { detail: text.slice(0, 300) } : {};
}
