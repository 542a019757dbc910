import { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../../http/errors.js';

/**
 * Graph's error envelope and what each WhatsApp provisioning error means for a person.
 *
 * The envelope (Meta's OpenAPI description `GraphAPIError`, facebook/openapi
 * `business-messaging-api_v23.0.yaml`; Graph's error handling guide
 * https://developers.facebook.com/docs/graph-api/guides/error-handling):
 * `{"error":{"message","type","code","error_subcode","fbtrace_id","is_transient","error_user_title","error_user_msg","error_data":{"details"}}}`.
 * Meta advises branching on `code` (and `error_data.details`), not on the HTTP status or the
 * title; `error_subcode` is absent on newer versions, so it only ever refines a code here.
 * UNCONFIRMED(meta-cloud.http-status): which HTTP status Graph uses for which error (the OpenAPI
 * description's 409/422/429 examples look illustrative; Graph commonly answers 400), so the
 * kind of an error is decided from its code below, and the status only when the code is unknown.
 */
export const GraphErrorBody = z.looseObject({
  error: z.looseObject({
    message: z.string().max(2000).optional(),
    type: z.string().max(200).optional(),
    code: z.number().int().optional(),
    error_subcode: z.number().int().optional(),
    is_transient: z.boolean().optional(),
    error_user_title: z.string().max(500).optional(),
    error_user_msg: z.string().max(2000).optional(),
    error_data: z.looseObject({ details: z.string().max(2000).optional() }).optional(),
    fbtrace_id: z.string().max(200).optional(),
  }),
});
export type GraphError = z.output<typeof GraphErrorBody>['error'];

export function graphErrorOf(body: unknown): GraphError | undefined {
  const parsed = GraphErrorBody.safeParse(body);
  return parsed.success ? parsed.data.error : undefined;
}

interface Meaning {
  /** What happened, in plain words. */
  words: string;
  /** What the person does next. */
  next: string;
  kind?: ProviderErrorKind;
  /** For transient ones: wait at least this long before the next try. */
  retryAfterMs?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Sources: the request_code, verify_code and register references
 * (https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/request_code/,
 * …/verify_code/, …/register), the phone_numbers edge
 * (https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account/phone_numbers/)
 * and the Cloud API error codes page (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
 */
const MEANINGS: Record<number, Meaning> = {
  1: { words: 'Meta had an unknown error', next: 'it is tried again by itself', kind: 'transient' },
  2: { words: 'Meta is temporarily unavailable', next: 'it is tried again by itself', kind: 'transient' },
  4: {
    words: 'the app has made too many Graph calls',
    next: 'it is tried again by itself in a few minutes',
    kind: 'transient',
    retryAfterMs: 5 * MINUTE,
  },
  17: {
    words: 'the token has made too many Graph calls',
    next: 'it is tried again by itself in a few minutes',
    kind: 'transient',
    retryAfterMs: 5 * MINUTE,
  },
  80007: {
    words: 'the WhatsApp Business Account has reached its rate limit',
    next: 'it is tried again by itself in a few minutes',
    kind: 'transient',
    retryAfterMs: 5 * MINUTE,
  },
  10: {
    words: 'the token lacks a permission this needs',
    next: 'give the system user whatsapp_business_management and whatsapp_business_messaging on this WABA, then `/wa connect` the token again',
    kind: 'auth',
  },
  190: {
    words: 'the access token is invalid or has expired',
    next: 'make a new system user token in Business Settings and save it with `/wa connect`',
    kind: 'auth',
  },
  200: {
    words: 'the token is not allowed to do this on that WhatsApp Business Account',
    next: 'check that the system user is assigned to the WABA with full control, then try again',
    kind: 'auth',
  },
  100: {
    words: 'Meta refused a parameter',
    next: 'check the number, the WABA id and the display name, and start again',
    kind: 'permanent',
  },
  803: {
    words: 'Meta does not know that id',
    next: 'check the WABA id (or the deployment id) and try again',
    kind: 'permanent',
  },
  131000: { words: 'something went wrong at Meta', next: 'it is tried again by itself', kind: 'transient' },
  131031: {
    words: 'the WhatsApp Business Account is locked',
    next: 'see WhatsApp Manager › Account quality for why, and appeal there; nothing more can be done here until it is unlocked',
    kind: 'permanent',
  },
  133005: {
    words: "the two-step PIN does not match the number's PIN",
    next: 'give the PIN the number already has, or reset it in WhatsApp Manager › Phone numbers › Two-step verification, then start again',
    kind: 'permanent',
  },
  133006: {
    words: 'the number has to be verified again',
    next: 'a new code is requested; enter it when it comes',
    kind: 'permanent',
  },
  133009: {
    words: 'the two-step PIN was tried too fast',
    next: 'wait a few minutes; it is tried again by itself',
    kind: 'transient',
    retryAfterMs: 10 * MINUTE,
  },
  133010: {
    words: 'the number is not registered',
    next: 'nothing to deregister; start it again if it should be used',
    kind: 'permanent',
  },
  133015: {
    words: 'Meta asks to wait a few minutes before registering this number',
    next: 'it is tried again by itself in a few minutes',
    kind: 'transient',
    retryAfterMs: 5 * MINUTE,
  },
  133016: {
    words: 'the number has been registered or deregistered too often (10 times in 72 hours)',
    next: 'Meta blocks it for 72 hours; try again after that',
    kind: 'permanent',
  },
  136024: {
    words: 'Meta would not send a code (too many code requests, or the number cannot receive one)',
    next: 'wait an hour before asking again (`/wa deploy resend`), or try `--method voice` for a fixed line',
    kind: 'permanent',
  },
  136025: {
    words: 'the code was not accepted',
    next: 'enter the right code, or ask for a new one with `/wa deploy resend`',
    kind: 'permanent',
  },
  200000: {
    words: 'the number cannot be added to that WhatsApp Business Account',
    next: 'check the number is not on WhatsApp (consumer app) or on another account, and the WABA id is right',
    kind: 'permanent',
  },
};

export const CODE_RETRY_AFTER_MS = HOUR;

/** The error's code and our words for it: `detail` reaches people, so it is Meta's sentence plus ours. */
export function parseGraphError(
  _status: number,
  body: unknown,
): { code?: string | undefined; detail?: string | undefined } {
  const e = graphErrorOf(body);
  if (!e) return {};
  const code = e.code === undefined ? undefined : String(e.code);
  const said = (e.error_user_msg ?? e.error_data?.details ?? e.message ?? '')
    .trim()
    .replace(/[\s.;:,]+$/, '');
  const meaning = e.code === undefined ? undefined : MEANINGS[e.code];
  const ref = `Graph error ${code ?? '?'}${e.error_subcode ? `/${e.error_subcode}` : ''}`;
  const detail = meaning
    ? `${meaning.words} (${ref}${said ? `: “${said}”` : ''}); ${meaning.next}`
    : `${said || 'no words given'} (${ref})`;
  return { code, detail };
}

/** Re-kinds a Graph error by its code (Graph's HTTP statuses do not say it, see above). */
export function rekind(err: unknown): unknown {
  if (!(err instanceof ProviderError) || err.provider !== 'meta-cloud') return err;
  const e = graphErrorOf(err.body);
  if (!e) return err;
  const meaning = e.code === undefined ? undefined : MEANINGS[e.code];
  const kind: ProviderErrorKind = e.is_transient ? 'transient' : (meaning?.kind ?? err.kind);
  const retryAfterMs = meaning?.retryAfterMs ?? err.retryAfterMs;
  if (kind === err.kind && retryAfterMs === err.retryAfterMs) return err;
  return new ProviderError({
    provider: 'meta-cloud',
    kind,
    status: err.status,
    code: err.code,
    detail: err.detail,
    retryAfterMs,
    message:
      kind === 'auth'
        ? 'Meta (WhatsApp Cloud API) refused our token'
        : kind === 'transient'
          ? 'Meta (WhatsApp Cloud API) asks us to try again later'
          : 'Meta (WhatsApp Cloud API) rejected the request',
    body: err.body,
    cause: err,
  });
}

/** A refusal of the given Graph codes, as a value: `{reason, detail}`, or undefined. */
export function refusal<R extends string>(
  err: unknown,
  table: Record<number, R>,
): { reason: R; detail?: string | undefined } | undefined {
  if (!(err instanceof ProviderError) || err.provider !== 'meta-cloud' || err.kind !== 'permanent') {
    return undefined;
  }
  const code = Number(err.code);
  const reason = table[code];
  return reason ? { reason, detail: err.detail } : undefined;
}
