import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { instrument } from '../aws/instrument.js';
import { config } from '../config.js';
import type { TenantId } from '../store/keys.js';

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

export function keyProvider(): KeyProvider {
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
  const { plaintext: dataKey, wrapped } = await keys.generateDataKey(tenant);
  try {
    const body = gcmSeal(dataKey, Buffer.from(plaintext, 'utf8'), aadFor(tenant, purpose));
    return `${purpose === undefined ? 'v1' : 'v2'}.${wrapped.toString('base64')}.${body.toString('base64')}`;
  } finally {
    dataKey.fill(0);
  }
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
  const dataKey = await keys.unwrapDataKey(tenant, Buffer.from(wrapped, 'base64'));
  try {
    return gcmOpen(dataKey, Buffer.from(body, 'base64'), aadFor(tenant, purpose)).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

function aadFor(tenant: TenantId, purpose: string | undefined): string {
  return purpose === undefined ? `tenant:${tenant}` : `tenant:${tenant}|purpose:${purpose}`;
}
