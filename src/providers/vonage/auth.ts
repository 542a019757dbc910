import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { clock } from '../../clock.js';
import type { Credentials } from '../../security/credentials.js';

type VonageCredentials = Credentials<'vonage'>;

/** A Vonage application JWT lives this long; one is minted per request, so short is fine. */
const TTL_SECONDS = 15 * 60;

const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The `Authorization` header for a workspace: an RS256 application JWT (claims
 * `application_id`, `iat`, `jti`, `exp`) signed with the application's private key, or a
 * ready-made JWT the admin pasted (`bearerJwt`), used as is.
 */
export async function vonageAuthHeader(
  creds: VonageCredentials,
  now = clock.now(),
): Promise<Record<string, string>> {
  if ('bearerJwt' in creds) return { authorization: `Bearer ${creds.bearerJwt}` };
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
