import { DelegateBackoff, handleWhen, type IRetryBackoffContext, retry } from 'cockatiel';
import type { z } from 'zod';
import { inWords } from '../field-words.js';
import { logger } from '../log.js';
import { recordProviderError } from '../metrics.js';
import type { TenantId } from '../store/keys.js';
import { backoffDelay, IN_REQUEST } from './backoff.js';
import { issuePath, operationOf, problemOf, recordDrift } from './drift.js';
import {
  ProviderError,
  type ProviderName,
  parseRetryAfter,
  RateLimitedError,
  retryAfterOf,
} from './errors.js';
import { DynamoRateLimiter, type RateLimit, type RateLimiter } from './rate-limit.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ProviderHttpOptions {
  provider: ProviderName;
  baseUrl: string;
  tenant: TenantId;
  /** Fresh auth headers per request (CM.com Sign wants a new JWT each time). */
  auth: () => Promise<Record<string, string>> | Record<string, string>;
  /** Pulls the provider's own code and detail out of an error body. */
  parseError?: (status: number, body: unknown) => { code?: string | undefined; detail?: string | undefined };
  rateLimit?: RateLimit;
  timeoutMs?: number;
}

export interface RequestOptions<S extends z.ZodType> {
  schema: S;
  json?: unknown;
  form?: FormData;
  /** Raw bytes as the body (Graph's resumable upload takes the file itself). */
  body?: { bytes: Uint8Array; type: string };
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Statuses that count as success (default: any 2xx). */
  okStatus?: number[];
  /** Told the status of a successful answer (CommBox answers 200, 206 or 400 with per-item results). */
  onStatus?: (status: number) => void;
  /**
   * May another attempt repeat a side effect? Defaults to true for GET/PUT/DELETE. A POST that
   * timed out or got a 5xx may have been applied, so it is retried in-request only on a 429 or a
   * refused connection; the job engine reconciles before trying it again.
   */
  idempotent?: boolean;
}

let limiter: RateLimiter | undefined;
export function setRateLimiter(l: RateLimiter | undefined): void {
  limiter = l;
}

let fetchImpl: typeof fetch = (...args) => fetch(...args);
export function setFetch(f: typeof fetch | undefined): void {
  fetchImpl = f ?? ((...args) => fetch(...args));
}

/**
 * The one outbound HTTP path of every provider client: per-attempt timeout, short in-request
 * retries with full-jitter backoff honouring Retry-After (cockatiel), a rate limit that holds
 * across Lambdas, zod validation of the answer, and typed errors.
 */
export class ProviderHttp {
  constructor(readonly options: ProviderHttpOptions) {}

  async request<S extends z.ZodType>(
    method: Method,
    path: string,
    opts: RequestOptions<S>,
  ): Promise<z.output<S>> {
    const { provider } = this.options;
    const idempotent = opts.idempotent ?? method !== 'POST';
    const policy = retry(
      handleWhen((err) => retryableInRequest(err, idempotent)),
      {
        maxAttempts: IN_REQUEST.maxAttempts - 1,
        backoff: new DelegateBackoff((ctx: IRetryBackoffContext<unknown>) => {
          const err = 'error' in ctx.result ? ctx.result.error : undefined;
          return backoffDelay(ctx.attempt, IN_REQUEST, retryAfterOf(err));
        }),
      },
    );
    return policy.execute(async () => {
      try {
        return await this.once(method, path, opts, provider);
      } catch (err) {
        // Per attempt, so a provider that fails and then recovers within the request still shows.
        if (err instanceof ProviderError) recordProviderError(provider, err.kind);
        throw err;
      }
    });
  }

  private async once<S extends z.ZodType>(
    method: Method,
    path: string,
    opts: RequestOptions<S>,
    provider: ProviderName,
  ): Promise<z.output<S>> {
    if (this.options.rateLimit) {
      limiter ??= new DynamoRateLimiter();
      await limiter.acquire(this.options.tenant, provider, this.options.rateLimit);
    }
    const url = new URL(
      path.replace(/^\//, ''),
      this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`,
    );
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(await this.options.auth()),
      ...opts.headers,
    };
    let body: BodyInit | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) body = opts.form;
    else if (opts.body) {
      headers['content-type'] = opts.body.type;
      body = opts.body.bytes as BodyInit;
    }

    const started = performance.now();
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 8_000),
      });
    } catch (cause) {
      const timedOut = (cause as Error).name === 'TimeoutError';
      const refused = (cause as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
      logger.warn('provider unreachable', { provider, method, path: url.pathname, timedOut });
      throw new ProviderError({
        provider,
        kind: 'transient',
        code: timedOut ? 'timeout' : refused ? 'connection_refused' : 'network',
        message: timedOut ? `${provider} did not answer in time` : `${provider} could not be reached`,
        cause,
      });
    }
    const text = await res.text();
    const ms = Math.round(performance.now() - started);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    const ok = opts.okStatus ? opts.okStatus.includes(res.status) : res.ok;
    logger.info('provider call', { provider, method, path: url.pathname, status: res.status, ms });
    if (!ok) throw this.errorFor(res, parsed);
    opts.onStatus?.(res.status);

    const result = opts.schema.safeParse(parsed);
    if (!result.success) {
      // What we assumed of this answer does not hold: keep its shape (never its values) for admins.
      await recordDrift(this.options.tenant, {
        provider,
        operation: operationOf(method, path),
        kind: 'answer',
        issues: result.error.issues.map((i) => ({ path: issuePath(i.path), problem: problemOf(i) })),
        sample: parsed,
      });
      throw new ProviderError({
        provider,
        kind: 'garbage',
        status: res.status,
        code: 'unexpected_response',
        message: `${provider} answered in a shape we do not understand`,
        detail: result.error.issues
          .slice(0, 3)
          // Field names in words (`expiresAt` → "expires at"): this detail reaches people in Slack.
          .map((i) => `${i.path.length ? inWords(i.path.join('.')) : 'the body'}: ${i.message}`)
          .join('; '),
        body: parsed,
      });
    }
    return result.data;
  }

  private errorFor(res: Response, body: unknown): ProviderError {
    const { provider } = this.options;
    const extracted = this.options.parseError?.(res.status, body) ?? {};
    const status = res.status;
    const kind =
      status === 401 || status === 403 ? 'auth' : status === 429 || status >= 500 ? 'transient' : 'permanent';
    return new ProviderError({
      provider,
      kind,
      status,
      code: extracted.code,
      detail: extracted.detail,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
      message:
        kind === 'auth'
          ? `${provider} refused our credentials`
          : status === 429
            ? `${provider} is throttling us`
            : kind === 'transient'
              ? `${provider} had a server error (${status})`
              : `${provider} rejected the request (${status})`,
      body,
    });
  }
}

function retryableInRequest(err: unknown, idempotent: boolean): boolean {
  if (err instanceof RateLimitedError) return err.retryAfterMs <= IN_REQUEST.maxWaitMs;
  if (!(err instanceof ProviderError) || !err.transient) return false;
  if ((err.retryAfterMs ?? 0) > IN_REQUEST.maxWaitMs) return false;
  if (idempotent) return true;
  return err.status === 429 || err.code === 'connection_refused';
}
