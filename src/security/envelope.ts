import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { instrument } from '../aws/instrument.js';
import { clock } from '../clock.js';
import { config } from '../config.js';
import type { TenantId } from '../store/keys.js';
import { TtlCache } from '../store/ttl-cache.js';

/**
 * Envelope encryption: a fresh data key per secret (KMS GenerateDataKey in AWS, a local
 * master key in the sandbox), AES-256-GCM with the tenant id as additional authenticated data
 * and as the KMS encryption context, so a ciphertext copied to another tenant does not open.
 */
export interface KeyProvider {
  generateDataKey(tenant: TenantId): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  unwrapDataKey(tenant: TenantId, wrapped: Buffer): Promise<Buffer>;
}

export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
  readonly code = 'decryption_failed';
}

function gcmSeal(key: Buffer, plaintext: Buffer, aad: string) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

function gcmOpen(key: Buffer, sealed: Buffer, aad: string): Buffer {
  // Without an explicit tag length Node also accepts truncated (4/8-byte) tags, which are forgeable.
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('sealed value is too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new DecryptionError('ciphertext does not open for this tenant', { cause });
  }
}

/** Local stand-in for KMS: the data key is wrapped with a master key from the environment. */
export class LocalKeyProvider implements KeyProvider {
  constructor(private readonly masterKey: Buffer) {}
  async generateDataKey(tenant: TenantId) {
    const plaintext = randomBytes(32);
    return { plaintext, wrapped: gcmSeal(this.masterKey, plaintext, `tenant:${tenant}`) };
  }
  async unwrapDataKey(tenant: TenantId, wrapped: Buffer) {
    return gcmOpen(this.masterKey, wrapped, `tenant:${tenant}`);
  }
}

export class KmsKeyProvider implements KeyProvider {
  constructor(private readonly keyId: string) {}
  private async kms() {
    const { KMSClient, GenerateDataKeyCommand, DecryptCommand } = await import('@aws-sdk/client-kms');
    kmsClient ??= instrument(new KMSClient({ region: config().region }), () => ({
      kmsKeyId: config().kmsKeyId,
    }));
    return { client: kmsClient, GenerateDataKeyCommand, DecryptCommand };
  }
  async generateDataKey(tenant: TenantId) {
    const { client, GenerateDataKeyCommand } = await this.kms();
    const out = await client.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { tenant } }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS returned no data key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob) };
  }
  async unwrapDataKey(tenant: TenantId, wrapped: Buffer) {
    const { client, DecryptCommand } = await this.kms();
    try {
      const out = await client.send(
        new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: wrapped, EncryptionContext: { tenant } }),
      );
      if (!out.Plaintext) throw new Error('KMS returned no plaintext');
      return Buffer.from(out.Plaintext);
    } catch (cause) {
      // Only a refused ciphertext means "does not open"; throttling and network errors stay retryable.
      if (KMS_REFUSALS.has((cause as { name?: string }).name ?? '')) {
        throw new DecryptionError('data key does not open for this tenant', { cause });
      }
      throw cause;
    }
  }
}

const KMS_REFUSALS = new Set([
  'InvalidCiphertextException',
  'IncorrectKeyException',
  'AccessDeniedException',
  'InvalidKeyUsageException',
]);

let kmsClient: import('@aws-sdk/client-kms').KMSClient | undefined;
let provider: KeyProvider | undefined;

function keyProvider(): KeyProvider {
  if (!provider) {
    const c = config();
    provider = c.kmsKeyId ? new KmsKeyProvider(c.kmsKeyId) : new LocalKeyProvider(c.localMasterKey as Buffer);
  }
  return provider;
}

export function setKeyProvider(p: KeyProvider | undefined): void {
  provider = p;
}

/**
 * A warm container keeps a tenant's data keys for 5 minutes: the one it seals with (a fresh one
 * from KMS every 5 minutes, so values sealed in that window share it) and every one it has
 * unwrapped. Opening the installation on every Slack request, and the credentials in every job
 * step, then costs at most one KMS call per tenant and key per 5 minutes instead of one per
 * value. The cache is bounded (2,000 keys); uninstalling a workspace drops its keys
 * (forgetTenantKeys). Keys are per KeyProvider, so a test's provider never sees
 * another's.
 */
const DATA_KEY_TTL_MS = 5 * 60_000;
const MAX_CACHED_KEYS = 2_000;
// Not zero-filled on eviction: a caller may hold the key between an await and its use.
const opened = new TtlCache<Buffer>(MAX_CACHED_KEYS);
const sealing = new TtlCache<{ plaintext: Buffer; wrapped: Buffer }>(MAX_CACHED_KEYS);
const unwrapping = new Map<string, Promise<Buffer>>();
const generating = new Map<string, Promise<{ plaintext: Buffer; wrapped: Buffer }>>();
const providerIds = new WeakMap<KeyProvider, number>();
let nextProviderId = 0;

function cacheKey(tenant: TenantId, keys: KeyProvider, wrapped = ''): string {
  let id = providerIds.get(keys);
  if (id === undefined) {
    id = nextProviderId++;
    providerIds.set(keys, id);
  }
  return `${tenant}|${id}|${wrapped}`;
}

/** Drops a tenant's cached data keys (uninstall, or a key that must no longer be used). */
export function forgetTenantKeys(tenant: TenantId): void {
  opened.deletePrefix(`${tenant}|`);
  sealing.deletePrefix(`${tenant}|`);
}

export function clearKeyCache(): void {
  opened.clear();
  sealing.clear();
}

async function sealingKey(
  tenant: TenantId,
  keys: KeyProvider,
): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
  const k = cacheKey(tenant, keys);
  const hit = sealing.get(k);
  if (hit) return hit;
  // Concurrent seals in a cold container share one data key (and one KMS call).
  let pending = generating.get(k);
  if (!pending) {
    pending = keys.generateDataKey(tenant).then((fresh) => {
      const until = clock.now() + DATA_KEY_TTL_MS;
      sealing.set(k, fresh, until);
      // A value sealed now opens without asking KMS again.
      opened.set(cacheKey(tenant, keys, fresh.wrapped.toString('base64')), fresh.plaintext, until);
      return fresh;
    });
    generating.set(k, pending);
    pending.then(
      () => generating.delete(k),
      () => generating.delete(k),
    );
  }
  return pending;
}

async function unwrappedKey(tenant: TenantId, keys: KeyProvider, wrapped: string): Promise<Buffer> {
  const k = cacheKey(tenant, keys, wrapped);
  const hit = opened.get(k);
  if (hit) return hit;
  // Concurrent opens of the same key in a cold container share one KMS call.
  let pending = unwrapping.get(k);
  if (!pending) {
    pending = keys.unwrapDataKey(tenant, Buffer.from(wrapped, 'base64')).then((key) => {
      opened.set(k, key, clock.now() + DATA_KEY_TTL_MS);
      return key;
    });
    unwrapping.set(k, pending);
    pending.then(
      () => unwrapping.delete(k),
      () => unwrapping.delete(k),
    );
  }
  return pending;
}

/**
 * Sealed form stored in DynamoDB: `v1.<wrapped key b64>.<iv|tag|ciphertext b64>`, the body
 * bound to the tenant. With a `purpose` (e.g. `credential:zavu`) the form is `v2.` and the
 * purpose is bound too, so a sealed value moved to another item of the same tenant does not
 * open either; a value sealed for a purpose only opens when that same purpose is asked for.
 */
export async function seal(
  tenant: TenantId,
  plaintext: string,
  keys: KeyProvider = keyProvider(),
  purpose?: string,
): Promise<string> {
  // Used at once, with no await in between: the cache cannot wipe it meanwhile.
  const { plaintext: dataKey, wrapped } = await sealingKey(tenant, keys);
  const body = gcmSeal(dataKey, Buffer.from(plaintext, 'utf8'), aadFor(tenant, purpose));
  return `${purpose === undefined ? 'v1' : 'v2'}.${wrapped.toString('base64')}.${body.toString('base64')}`;
}

export async function open(
  tenant: TenantId,
  sealed: string,
  keys: KeyProvider = keyProvider(),
  purpose?: string,
): Promise<string> {
  const parts = typeof sealed === 'string' ? sealed.split('.') : [];
  const [version, wrapped, body] = parts;
  if (parts.length !== 3 || !wrapped || !body) throw new DecryptionError('not a sealed value');
  if (version !== (purpose === undefined ? 'v1' : 'v2')) {
    throw new DecryptionError('sealed value is not of the expected kind');
  }
  const dataKey = await unwrappedKey(tenant, keys, wrapped);
  return gcmOpen(dataKey, Buffer.from(body, 'base64'), aadFor(tenant, purpose)).toString('utf8');
}

function aadFor(tenant: TenantId, purpose: string | undefined): string {
  return purpose === undefined ? `tenant:${tenant}` : `tenant:${tenant}|purpose:${purpose}`;
}
