import { SignJWT } from 'jose';
import { clock } from '../../clock.js';

/** A token lives this long: enough for one request and its in-request retries. */
const TOKEN_TTL_S = 60;

/**
 * The "generated token" CM.com Sign wants on every request: an HS256 JWT signed with the
 * client's secret, header `kid` = key id, short-lived `iat`/`nbf`/`exp`. Made fresh per request
 * and never stored.
 */
export async function cmSignToken(
  creds: { keyId: string; secret: string },
  now = clock.now(),
): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: creds.keyId })
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + TOKEN_TTL_S)
    .sign(new TextEncoder().encode(creds.secret));
}
