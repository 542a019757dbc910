import { randomUUID } from 'node:crypto';
import { decodeJwt, importPKCS8, SignJWT } from 'jose';
import { clock } from '../../clock.js';
import { UserError } from '../../errors.js';

/** As `vonageProvider.credentials` reads them (a type of its own: the descriptor imports this folder's check). */
export type VonageCredentials = { applicationId: string; privateKey: string } | { bearerJwt: string };

/**
 * Vonage application JWTs (https://developer.vonage.com/conversation/guides/jwt-acl,
 * https://api.support.vonage.com/hc/en-us/articles/360000958407): RS256 with the application's
 * private key; claims `application_id`, `iat`, `jti`, optional `exp`/`nbf`. Without `exp` a
 * token is accepted for 15 minutes after `iat`; never more than 24 hours after `iat`; a token
 * with neither `iat` nor `exp` is refused.
 */
const JWT_DEFAULT_LIFETIME_S = 15 * 60;
const JWT_MAX_LIFETIME_S = 24 * 3600;
/** Ours live this long; one is minted per request, so short is fine. */
const TTL_SECONDS = JWT_DEFAULT_LIFETIME_S;
/** A pasted token this close to its end is not sent: the request could arrive after it. */
const EXPIRY_MARGIN_S = 30;

const keys = new Map<string, Promise<CryptoKey>>();

/** A pasted bearer JWT that Vonage would refuse by its own rules: the admin must give another. */
export class VonageTokenError extends UserError {
  override readonly name = 'VonageTokenError';
}

/** When a pasted token stops being accepted, by Vonage's rules (unix seconds), or why it never is. */
export function bearerExpiry(token: string): { expiresAt: number } | { unusable: string } {
  let claims: { iat?: unknown; exp?: unknown };
  try {
    claims = decodeJwt(token);
  } catch {
    return { unusable: 'it is not a JWT' };
  }
  const iat = typeof claims.iat === 'number' ? claims.iat : undefined;
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  if (iat === undefined && exp === undefined) return { unusable: 'it has neither `iat` nor `exp`' };
  const candidates = [
    exp,
    iat !== undefined && exp === undefined ? iat + JWT_DEFAULT_LIFETIME_S : undefined,
    iat !== undefined ? iat + JWT_MAX_LIFETIME_S : undefined,
  ].filter((v): v is number => v !== undefined);
  return { expiresAt: Math.min(...candidates) };
}

const HOW_TO_FIX =
  'An admin can paste a new one with `/wa connect`, or save the application id and private key there instead, so a fresh JWT is made for every request.';

/**
 * The `Authorization` header for a workspace: an RS256 application JWT signed with the
 * application's private key, made per request; or the JWT an admin pasted (`bearerJwt`), sent
 * only while Vonage would still accept it. A pasted token is never refreshed (we do not have
 * the key), so once it has expired every call stops here with words for the admin, instead of
 * a 401 from Vonage for each poll.
 */
export async function vonageAuthHeader(
  creds: VonageCredentials,
  now = clock.now(),
): Promise<Record<string, string>> {
  if ('bearerJwt' in creds) {
    const life = bearerExpiry(creds.bearerJwt);
    if ('unusable' in life) {
      throw new VonageTokenError(
        `The Vonage JWT saved for this workspace cannot be used: ${life.unusable}. ${HOW_TO_FIX}`,
        'vonage_jwt_unusable',
      );
    }
    if (now / 1000 >= life.expiresAt - EXPIRY_MARGIN_S) {
      throw new VonageTokenError(
        `The Vonage JWT saved for this workspace expired at ${new Date(life.expiresAt * 1000).toISOString()}. ${HOW_TO_FIX}`,
        'vonage_jwt_expired',
      );
    }
    return { authorization: `Bearer ${creds.bearerJwt}` };
  }
  const cacheKey = `${creds.applicationId}:${creds.privateKey.length}:${creds.privateKey.slice(-24)}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = importPKCS8(creds.privateKey.replace(/\\n/g, '\n'), 'RS256');
    keys.set(cacheKey, key);
    key.catch(() => keys.delete(cacheKey));
  }
  const iat = Math.floor(now / 1000);
  const jwt = await new SignJWT({ application_id: creds.applicationId })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setJti(randomUUID())
    .setExpirationTime(iat + TTL_SECONDS)
    .sign(await key);
  return { authorization: `Bearer ${jwt}` };
}
