/**
 * A provider's name as src/providers/index.ts lists it (or `slack`). Infrastructure cannot import
 * that list, so any name is taken here: adding a provider touches no file of src/http.
 */
export type ProviderName = string;

import { clock } from '../clock.js';

export type ProviderErrorKind =
  /** 5xx, 429, timeouts, network: worth another try later. */
  | 'transient'
  /** 4xx that another try will not fix (validation, not found, conflict). */
  | 'permanent'
  /** 401/403: credentials are wrong or missing; an admin must fix them with /wa connect. */
  | 'auth'
  /** A 2xx whose body does not match the documented shape. */
  | 'garbage';

/**
 * Every provider failure, with the provider's own code and detail (RFC 7807 `type`/`detail` for
 * Vonage, the envelope `description` for CommBox, ...), so it can be shown in plain words.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly provider: ProviderName;
  readonly kind: ProviderErrorKind;
  readonly status: number | undefined;
  /** The provider's own error code, e.g. `number-in-use`, `throttled`. */
  readonly code: string;
  readonly detail: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly body: unknown;

  constructor(init: {
    provider: ProviderName;
    kind: ProviderErrorKind;
    message: string;
    status?: number | undefined;
    code?: string | undefined;
    detail?: string | undefined;
    retryAfterMs?: number | undefined;
    body?: unknown;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.provider = init.provider;
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code ?? (init.status ? `http_${init.status}` : init.kind);
    this.detail = init.detail;
    this.retryAfterMs = init.retryAfterMs;
    this.body = init.body;
  }

  get transient(): boolean {
    return this.kind === 'transient';
  }
}

/** A per-workspace or per-provider rate limit of ours was reached: try again at `retryAfterMs`. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  readonly code = 'rate_limited';
  constructor(
    readonly bucket: string,
    readonly retryAfterMs: number,
  ) {
    super(`rate limit ${bucket} reached; next slot in ${retryAfterMs} ms`);
  }
}

export function isTransient(err: unknown): boolean {
  return (err instanceof ProviderError && err.transient) || err instanceof RateLimitedError;
}

export function retryAfterOf(err: unknown): number | undefined {
  if (err instanceof ProviderError || err instanceof RateLimitedError) return err.retryAfterMs;
  return undefined;
}

/** `Retry-After` is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = clock.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
