import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../src/config.js';
import {
  clearKeyCache,
  DecryptionError,
  forgetTenantKeys,
  type KeyProvider,
  KmsKeyProvider,
  LocalKeyProvider,
  open,
  seal,
  setKeyProvider,
} from '../../src/security/envelope.js';
import { tenantId } from '../../src/store/keys.js';
import { type FakeAws, startFakeAws } from '../aws/fake-aws.js';

/**
 * Envelope encryption through the KMS adapter against the KMS stand-in (test/aws/fake-aws.ts,
 * which binds the encryption context to the ciphertext as KMS does and can answer any of KMS's
 * errors), in a cold container (no cached data key), and against values sealed by today's format.
 */

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/security/sealed-2026-12.json', import.meta.url), 'utf8'),
) as {
  masterKeyHex: string;
  tenant: string;
  values: Array<{ plaintext: string; purpose?: string; sealed: string }>;
};

let aws: FakeAws;
let kms: KmsKeyProvider;
const T1 = tenantId('T0ENV1');
const T2 = tenantId('T0ENV2');
const saved = { ...process.env };

beforeAll(async () => {
  aws = await startFakeAws();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: aws.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // One attempt per call: what is tested is how the adapter reads KMS's answer, not the SDK's retries.
    AWS_MAX_ATTEMPTS: '1',
    KMS_KEY_ID: aws.kmsKeyId,
    SLACK_PARAMETERS: '/wa-onboarding/test/slack/',
  });
  resetConfig();
  kms = new KmsKeyProvider(aws.kmsKeyId);
});
afterAll(async () => {
  process.env = saved;
  resetConfig();
  setKeyProvider(undefined);
  await aws.close();
});
beforeEach(() => {
  // Every test starts in a cold container: no data key cached.
  clearKeyCache();
  aws.calls.length = 0;
  aws.requests.length = 0;
  aws.faults.TrentService = [];
});

const decrypts = () => aws.requests.filter((r) => r.call === 'TrentService.Decrypt');

describe('values sealed by an earlier version', () => {
  it.each(golden.values.map((v) => [v.purpose ?? 'no purpose', v] as const))(
    'given a value sealed on 6 December 2026 (%s), when opened with its master key, then it reads as it was sealed',
    async (_purpose, v) => {
      const keys = new LocalKeyProvider(Buffer.from(golden.masterKeyHex, 'hex'));
      expect(await open(tenantId(golden.tenant), v.sealed, keys, v.purpose)).toBe(v.plaintext);
    },
  );

  it('given a value sealed on 6 December 2026, when opened for another tenant or purpose, then it does not open', async () => {
    const keys = new LocalKeyProvider(Buffer.from(golden.masterKeyHex, 'hex'));
    const [plain, purposed] = golden.values as [(typeof golden.values)[0], (typeof golden.values)[0]];
    await expect(open(T1, plain.sealed, keys)).rejects.toBeInstanceOf(DecryptionError);
    await expect(
      open(tenantId(golden.tenant), purposed.sealed, keys, 'credential:commbox'),
    ).rejects.toBeInstanceOf(DecryptionError);
  });
});

describe('KMS data keys in a cold container', () => {
  it('given a value sealed in another container, when opened cold, then KMS unwraps its data key with the tenant as encryption context', async () => {
    const sealed = await seal(T1, 'xoxb-cold', kms, 'credential:zavu');
    expect(aws.requests).toEqual([
      {
        call: 'TrentService.GenerateDataKey',
        input: { KeyId: aws.kmsKeyId, KeySpec: 'AES_256', EncryptionContext: { tenant: T1 } },
      },
    ]);
    clearKeyCache();
    expect(await open(T1, sealed, kms, 'credential:zavu')).toBe('xoxb-cold');
    expect(decrypts()).toEqual([
      {
        call: 'TrentService.Decrypt',
        input: expect.objectContaining({ KeyId: aws.kmsKeyId, EncryptionContext: { tenant: T1 } }),
      },
    ]);
    // Warm now: the unwrapped key is kept, no second call.
    expect(await open(T1, sealed, kms, 'credential:zavu')).toBe('xoxb-cold');
    expect(decrypts()).toHaveLength(1);
  });

  it("given a data key KMS issued for another tenant, when a value built on it is opened, then KMS refuses it (the encryption context, not only the body's binding)", async () => {
    // A value whose body is bound to T2 but whose data key KMS bound to T1: only the encryption
    // context sent on Decrypt can refuse it.
    const sdk = new KMSClient({ region: 'eu-west-1', endpoint: aws.url, maxAttempts: 1 });
    const forge = async (context: string) => {
      const out = await sdk.send(
        new GenerateDataKeyCommand({
          KeyId: aws.kmsKeyId,
          KeySpec: 'AES_256',
          EncryptionContext: { tenant: context },
        }),
      );
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', Buffer.from(out.Plaintext as Uint8Array), iv);
      cipher.setAAD(Buffer.from(`tenant:${T2}`));
      const body = Buffer.concat([cipher.update('forged', 'utf8'), cipher.final()]);
      const wrapped = Buffer.from(out.CiphertextBlob as Uint8Array).toString('base64');
      return `v1.${wrapped}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    };
    sdk.destroy();
    await expect(open(T2, await forge(T1), kms)).rejects.toBeInstanceOf(DecryptionError);
    // The same value with the data key bound to T2 opens: the refusal above is the context's.
    expect(await open(T2, await forge(T2), kms)).toBe('forged');
  });

  it('given KMS throttles the unwrap, when opened, then the error stays a throttling error (retryable), and the next try opens', async () => {
    const sealed = await seal(T1, 'xoxb-throttled', kms);
    clearKeyCache();
    aws.faults.TrentService = ['ThrottlingException'];
    const err = await open(T1, sealed, kms).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(DecryptionError);
    expect(err).toMatchObject({ name: 'ThrottlingException' });
    // The failed unwrap is not remembered: the next open asks KMS again and succeeds.
    expect(await open(T1, sealed, kms)).toBe('xoxb-throttled');
    expect(decrypts()).toHaveLength(2);
  });

  it('given KMS fails inside (500), when opened, then it is not "does not open" either', async () => {
    const sealed = await seal(T1, 'x', kms);
    clearKeyCache();
    aws.faults.TrentService = ['KMSInternalException'];
    await expect(open(T1, sealed, kms)).rejects.toMatchObject({ name: 'KMSInternalException' });
  });

  it.each([
    'InvalidCiphertextException',
    'IncorrectKeyException',
    'AccessDeniedException',
    'InvalidKeyUsageException',
  ])('given KMS answers %s, when opened, then the value does not open (DecryptionError)', async (type) => {
    const sealed = await seal(T1, 'x', kms);
    clearKeyCache();
    aws.faults.TrentService = [type];
    const err = await open(T1, sealed, kms).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecryptionError);
    expect((err as Error & { cause: { name: string } }).cause.name).toBe(type);
  });

  it('given a wrapped key KMS never issued, when opened, then it does not open', async () => {
    const sealed = await seal(T1, 'x', kms);
    const [v, , body] = sealed.split('.');
    await expect(open(T1, `${v}.${randomBytes(60).toString('base64')}.${body}`, kms)).rejects.toBeInstanceOf(
      DecryptionError,
    );
  });

  it('given KMS fails to issue a data key, when sealing, then the error comes through and the next seal asks again', async () => {
    aws.faults.TrentService = ['ThrottlingException'];
    await expect(seal(T1, 'x', kms)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(await open(T1, await seal(T1, 'y', kms), kms)).toBe('y');
  });
});

describe('the data key cache', () => {
  /** The stand-in, counting what would be KMS calls, slow enough that calls overlap. */
  class SlowKeys implements KeyProvider {
    generate = 0;
    unwrap = 0;
    private readonly inner = new LocalKeyProvider(randomBytes(32));
    async generateDataKey(tenant: Parameters<KeyProvider['generateDataKey']>[0]) {
      this.generate += 1;
      await new Promise((r) => setTimeout(r, 5));
      return this.inner.generateDataKey(tenant);
    }
    async unwrapDataKey(tenant: Parameters<KeyProvider['unwrapDataKey']>[0], wrapped: Buffer) {
      this.unwrap += 1;
      await new Promise((r) => setTimeout(r, 5));
      return this.inner.unwrapDataKey(tenant, wrapped);
    }
  }

  it('given a cold container, when ten values are sealed at once, then they share one data key', async () => {
    const keys = new SlowKeys();
    const sealed = await Promise.all(Array.from({ length: 10 }, (_, i) => seal(T1, `v${i}`, keys)));
    expect(keys.generate).toBe(1);
    expect(new Set(sealed.map((s) => s.split('.')[1])).size).toBe(1);
  });

  it('given a cold container, when one value is opened ten times at once, then its key is unwrapped once', async () => {
    const keys = new SlowKeys();
    const sealed = await seal(T1, 'v', keys);
    clearKeyCache();
    const opened = await Promise.all(Array.from({ length: 10 }, () => open(T1, sealed, keys)));
    expect(opened).toEqual(Array(10).fill('v'));
    expect(keys.unwrap).toBe(1);
  });

  it('given two key providers, when each seals for the same tenant, then neither uses the other one’s cached key', async () => {
    const a = new SlowKeys();
    const b = new SlowKeys();
    const fromA = await seal(T1, 'a', a);
    const fromB = await seal(T1, 'b', b);
    expect(a.generate).toBe(1);
    expect(b.generate).toBe(1);
    await expect(open(T1, fromA, b)).rejects.toBeInstanceOf(DecryptionError);
    expect(await open(T1, fromB, b)).toBe('b');
  });

  it("given a tenant's keys are forgotten (uninstall), when it seals or opens again, then KMS is asked again, and other tenants keep theirs", async () => {
    const keys = new SlowKeys();
    const one = await seal(T1, 'one', keys);
    const two = await seal(T2, 'two', keys);
    expect(keys.generate).toBe(2);
    forgetTenantKeys(T1);
    expect(await open(T1, one, keys)).toBe('one');
    expect(await open(T2, two, keys)).toBe('two');
    expect(keys.unwrap).toBe(1);
    await seal(T1, 'again', keys);
    await seal(T2, 'again', keys);
    expect(keys.generate).toBe(3);
  });
});

describe('what KMS and the sealed form may hold', () => {
  it('given KMS answers without a data key, when sealing, then it fails loudly', async () => {
    for (const answer of [
      {},
      { Plaintext: randomBytes(32).toString('base64') },
      { CiphertextBlob: 'AAAA' },
    ]) {
      clearKeyCache();
      aws.faults.TrentService = [{ answer }];
      await expect(seal(T1, 'x', kms)).rejects.toThrow('KMS returned no data key');
    }
  });

  it('given KMS answers a Decrypt without plaintext, when opened, then it fails, and not as "does not open"', async () => {
    const sealed = await seal(T1, 'x', kms);
    clearKeyCache();
    aws.faults.TrentService = [{ answer: {} }];
    const err = await open(T1, sealed, kms).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(DecryptionError);
    expect((err as Error).message).toBe('KMS returned no plaintext');
  });

  it('given a refused ciphertext, then the error is a DecryptionError with its code, and says which part did not open', async () => {
    const sealed = await seal(T1, 'x', kms);
    clearKeyCache();
    aws.faults.TrentService = ['InvalidCiphertextException'];
    await expect(open(T1, sealed, kms)).rejects.toMatchObject({
      name: 'DecryptionError',
      code: 'decryption_failed',
      message: 'data key does not open for this tenant',
    });
    const keys = new LocalKeyProvider(randomBytes(32));
    const other = await seal(T1, 'x', keys);
    const err = await open(T2, other, keys).catch((e: Error) => e);
    expect(err).toMatchObject({
      name: 'DecryptionError',
      message: 'ciphertext does not open for this tenant',
    });
    const [v, w] = (await seal(T2, 'y', keys)).split('.');
    const bodyOfT1 = other.split('.')[2];
    const swapped = await open(T2, `${v}.${w}.${bodyOfT1}`, keys).catch((e: Error) => e);
    expect(swapped).toMatchObject({
      message: 'ciphertext does not open for this tenant',
      cause: expect.any(Error),
    });
  });

  it('given an empty secret, when sealed and opened, then it reads back empty (the shortest sealed body)', async () => {
    const keys = new LocalKeyProvider(randomBytes(32));
    expect(await open(T1, await seal(T1, '', keys), keys)).toBe('');
  });

  it.each([
    ['not a string', undefined],
    ['a body shorter than its nonce and tag', 'SHORT'],
    ['no wrapped key', 'EMPTY_WRAPPED'],
    ['no body', 'EMPTY_BODY'],
    ['two parts', 'TWO_PARTS'],
    ['another version', 'V3'],
  ])('given a sealed value with %s, when opened, then it does not open', async (_what, kind) => {
    const keys = new LocalKeyProvider(randomBytes(32));
    const [v, w, b] = (await seal(T1, 'secret', keys)).split('.') as [string, string, string];
    const forms: Record<string, unknown> = {
      SHORT: `${v}.${w}.${Buffer.alloc(27).toString('base64')}`,
      EMPTY_WRAPPED: `${v}..${b}`,
      EMPTY_BODY: `${v}.${w}.`,
      TWO_PARTS: `${v}.${w}`,
      V3: `v3.${w}.${b}`,
    };
    const value = kind === undefined ? undefined : forms[kind];
    const err = await open(T1, value as string, keys).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecryptionError);
    if (kind === 'SHORT') expect((err as Error).message).toBe('sealed value is too short');
  });
});
