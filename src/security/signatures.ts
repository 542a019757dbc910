import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { clock } from '../clock.js';

/**
 * Webhook request checks, one per provider scheme. Each runs on the raw body before anything
 * parses it, answers only true/false (a result object would be truthy and invite
 * `if (!verify(...))` bugs), never throws on hostile input, and compares in constant time.
 */

/**
 * Zavu: `X-Zavu-Signature: t=<unix seconds>[,v1=<hex>][,v2=<hex>]`, HMAC-SHA256 keyed with the
 * webhook secret (`whsec_…` as-is). Sources: `@zavudev/sdk` 0.57.0 `SenderWebhook.signatureVersion`
 * (src/resources/senders/senders.ts) and https://docs.zavu.dev/guides/receiving-messages/signature-migration:
 * - `v2` (the default for new webhooks) = HMAC(secret, "{t}.{rawBody}");
 * - `v1` (legacy) = HMAC(secret, rawBody);
 * - `v1+v2` sends both, sharing one `t`.
 * https://docs.zavu.dev/guides/receiving-messages/security still shows v1 over "{t}.{rawBody}";
 * the SDK source is newer and wins, but a v1 equal to that older form is accepted too (it still
 * needs the secret). UNCONFIRMED(zavu.project-webhook-signature): which scheme the v1 project
 * webhook uses, hence both. UNCONFIRMED(zavu.signature-tolerance): `t` must be within 5 minutes
 * of now in either direction.
 */
const ZAVU_TOLERANCE_SECONDS = 5 * 60;

export type ZavuSignatureVersion = 'v1' | 'v2' | 'v1+v2';

/** Headers longer than this are not signatures (bounds the work done on hostile input). */
const MAX_HEADER_LENGTH = 1024;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

type Body = string | Buffer | Uint8Array;

function bytes(body: Body): Buffer {
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: equivalent, Buffer.from reads a string as UTF-8 and ignores an encoding for bytes
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
}

function hmacHex(secret: string, ...parts: Buffer[]): string {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
}

/**
 * Equal in time independent of where the strings differ and of their lengths: both sides are
 * hashed first, so a wrong-length guess costs the same as a right-length one.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  // Stryker disable next-line StringLiteral: equivalent, an empty encoding is UTF-8
  const x = createHash('sha256').update(a, 'utf8').digest();
  // Stryker disable next-line StringLiteral: equivalent, an empty encoding is UTF-8
  const y = createHash('sha256').update(b, 'utf8').digest();
  // Stryker disable next-line LogicalOperator: equivalent, equal strings always have equal hashes
  return timingSafeEqual(x, y) && a === b;
}

function usableSecret(secret: unknown): secret is string {
  return typeof secret === 'string' && secret.length > 0;
}

/**
 * True when the header carries a `v2` or `v1` (either may come, several of each are allowed for
 * secret rotation) that matches, and its `t` is within ±5 minutes of `now` (milliseconds, as
 * clock.now()). Unknown schemes (`v0`, `v3`…) are ignored, as Zavu's migration guide asks.
 *
 * A `v1` over the body alone (the SDK's v1) does not cover `t`: whoever saw one delivery can send
 * it again with a fresh `t` for as long as we would take it. It is accepted only with
 * `bodyOnlyV1` (a workspace whose Zavu webhook signs that way says so in /wa connect); a `v1`
 * over "{t}.{body}" (the older docs page) covers `t` and is accepted like `v2`.
 */
export function verifyZavuSignature(
  rawBody: Body,
  header: string | undefined | null,
  secret: string,
  now: number = clock.now(),
  toleranceSeconds: number = ZAVU_TOLERANCE_SECONDS,
  options: { bodyOnlyV1?: boolean } = {},
): boolean {
  if (!usableSecret(secret) || typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return false;
  let t: string | undefined;
  // Stryker disable next-line ArrayDeclaration: equivalent, a placeholder candidate never equals a 64-hex HMAC
  const v1: string[] = [];
  // Stryker disable next-line ArrayDeclaration: equivalent, as above
  const v2: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined) return false; // two timestamps: ambiguous, refuse
      t = value;
    } else if (key === 'v1' && HEX_SHA256.test(value)) v1.push(value.toLowerCase());
    else if (key === 'v2' && HEX_SHA256.test(value)) v2.push(value.toLowerCase());
  }
  if (t === undefined || !/^\d{1,12}$/.test(t) || v1.length + v2.length === 0) return false;
  const skew = Math.abs(Math.floor(now / 1000) - Number(t));
  if (!Number.isFinite(skew) || skew > toleranceSeconds) return false;
  const raw = bytes(rawBody);
  const timed = hmacHex(secret, Buffer.from(`${t}.`, 'utf8'), raw);
  const bodyOnly = hmacHex(secret, raw);
  let ok = false;
  // Check every candidate so the time taken does not say which one matched.
  for (const candidate of v2) ok = constantTimeEqual(candidate, timed) || ok;
  for (const candidate of v1) {
    ok = (constantTimeEqual(candidate, bodyOnly) && options.bodyOnlyV1 === true) || ok;
    ok = constantTimeEqual(candidate, timed) || ok; // the older docs page's v1
  }
  return ok;
}

/** Builds a Zavu signature header as Zavu sends it (the sandbox and tests sign with it). */
export function signZavu(
  rawBody: Body,
  secret: string,
  now: number = clock.now(),
  version: ZavuSignatureVersion = 'v2',
): string {
  const t = String(Math.floor(now / 1000));
  const raw = bytes(rawBody);
  const parts = [`t=${t}`];
  if (version !== 'v2') parts.push(`v1=${hmacHex(secret, raw)}`);
  if (version !== 'v1') parts.push(`v2=${hmacHex(secret, Buffer.from(`${t}.`, 'utf8'), raw)}`);
  return parts.join(',');
}

/** Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(appSecret, rawBody)>`. */
export function verifyMetaSignature(
  rawBody: Body,
  header: string | undefined | null,
  appSecret: string,
): boolean {
  if (!usableSecret(appSecret) || typeof header !== 'string' || header.length > MAX_HEADER_LENGTH)
    return false;
  const trimmed = header.trim();
  if (!trimmed.toLowerCase().startsWith('sha256=')) return false;
  const given = trimmed.slice('sha256='.length);
  if (!HEX_SHA256.test(given)) return false;
  return constantTimeEqual(given.toLowerCase(), hmacHex(appSecret, bytes(rawBody)));
}

export function signMeta(rawBody: Body, appSecret: string): string {
  return `sha256=${hmacHex(appSecret, bytes(rawBody))}`;
}

/** Meta's challenge is echoed as the response body: only plain token characters pass. */
const SAFE_CHALLENGE = /^[\w.~-]{1,256}$/;

/**
 * Meta's subscription handshake: `GET ?hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`.
 * Returns the challenge to answer with (200, text/plain), or undefined (answer 403).
 */
export function verifyMetaHandshake(
  query: Record<string, string | undefined> | null | undefined,
  verifyToken: string,
): string | undefined {
  if (!query || !usableSecret(verifyToken)) return undefined;
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return undefined;
  if (token.length > MAX_HEADER_LENGTH || !SAFE_CHALLENGE.test(challenge)) return undefined;
  return constantTimeEqual(token, verifyToken) ? challenge : undefined;
}

/**
 * CM.com Sign documents no signature scheme: the endpoint is protected by a per-workspace
 * secret carried in a header (or the URL), compared here in constant time. An empty secret
 * never matches, and an optional `Bearer ` prefix is accepted.
 */
export function verifySharedSecret(header: string | undefined | null, secret: string): boolean {
  if (!usableSecret(secret) || typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return false;
  const given = header.replace(/^Bearer\s+/i, '').trim();
  return given.length > 0 && constantTimeEqual(given, secret);
}
