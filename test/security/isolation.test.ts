import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverEvent, jobIdForRef } from '../../src/jobs/deliver.js';
import { kindId } from '../../src/jobs/kinds.js';
import { InProcessQueue, setJobQueue } from '../../src/jobs/queue.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { startJob } from '../../src/jobs/service.js';
import {
  getCredentials,
  getStoredCredentials,
  listCredentialMeta,
  MissingCredentialsError,
  removeCredentials,
  setCredentials,
} from '../../src/providers/credentials.js';
import {
  AllowlistFullError,
  addAdmin,
  getAccessSettings,
  MAX_ALLOWLIST,
  removeAdmin,
  setRestricted,
} from '../../src/security/access.js';
import { audit, latestAudit } from '../../src/security/audit.js';
import { DecryptionError, LocalKeyProvider, open, seal } from '../../src/security/envelope.js';
import { firstDelivery, tenantForWebhook, webhookIdFor } from '../../src/security/webhooks.js';
import { DynamoInstallationStore } from '../../src/slack/installation-store.js';
import { requiredAccess } from '../../src/slack/permissions.js';
import { ddb, tableName } from '../../src/store/dynamo.js';
import { keys, tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';

const T1 = tenantId('T0AAA1');
const T2 = tenantId('T0BBB2');
let table: Awaited<ReturnType<typeof startTestTable>>;

beforeAll(async () => {
  table = await startTestTable({ SANDBOX_CREDENTIALS: 'false' });
  // Jobs started here are only stored: nothing consumes the queue.
  const queue = new InProcessQueue(1);
  queue.consumer = async () => {};
  setJobQueue(queue);
});
afterAll(async () => {
  await table.close();
});

const raw = async (key: { pk: string; sk: string }) =>
  (await ddb().send(new GetCommand({ TableName: tableName(), Key: key }))).Item;

describe('envelope encryption', () => {
  const keysA = new LocalKeyProvider(randomBytes(32));

  it('round-trips unicode plaintext for its tenant', async () => {
    const text = 'sécret 🙂 ключ';
    expect(await open(T1, await seal(T1, text, keysA), keysA)).toBe(text);
    expect(await open(T1, await seal(T1, text, keysA, 'credential:zavu'), keysA, 'credential:zavu')).toBe(
      text,
    );
  });

  it('a ciphertext copied to another tenant does not open', async () => {
    const sealed = await seal(T1, 'xoxb-secret', keysA);
    await expect(open(T2, sealed, keysA)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('a value sealed for one purpose does not open for another or for none', async () => {
    const sealed = await seal(T1, 'k', keysA, 'credential:zavu');
    await expect(open(T1, sealed, keysA, 'credential:commbox')).rejects.toBeInstanceOf(DecryptionError);
    await expect(open(T1, sealed, keysA)).rejects.toBeInstanceOf(DecryptionError);
    await expect(open(T1, sealed.replace(/^v2/, 'v1'), keysA)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('tampering with any part fails, and so do truncated tags and junk', async () => {
    const sealed = await seal(T1, 'a secret value', keysA);
    const [v, wrapped, body] = sealed.split('.') as [string, string, string];
    const flip = (b64: string, i: number) => {
      const buf = Buffer.from(b64, 'base64');
      buf[i % buf.length] = (buf[i % buf.length] as number) ^ 1;
      return buf.toString('base64');
    };
    const bodyBytes = Buffer.from(body, 'base64');
    const candidates = [
      `${v}.${flip(wrapped, 3)}.${body}`,
      `${v}.${wrapped}.${flip(body, 0)}`, // iv
      `${v}.${wrapped}.${flip(body, 14)}`, // tag
      `${v}.${wrapped}.${flip(body, bodyBytes.length - 1)}`, // ciphertext
      // A 4-byte tag and no ciphertext: GCM would accept short tags unless told the length.
      `${v}.${wrapped}.${bodyBytes.subarray(0, 16).toString('base64')}`,
      `${v}.${wrapped}.${bodyBytes.subarray(0, 12).toString('base64')}`,
      `${v}.${wrapped}.${body}.extra`,
      `v9.${wrapped}.${body}`,
      `${v}.${wrapped}`,
      '',
      'not sealed at all',
    ];
    for (const c of candidates)
      await expect(open(T1, c, keysA), c.slice(0, 30)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('another master key does not open it', async () => {
    const sealed = await seal(T1, 'x', keysA);
    await expect(open(T1, sealed, new LocalKeyProvider(randomBytes(32)))).rejects.toBeInstanceOf(
      DecryptionError,
    );
  });

  it('bot tokens in the installation store are sealed: the raw item holds no xoxb-', async () => {
    const store = new DynamoInstallationStore();
    await store.storeInstallation({
      team: { id: T1, name: 'One' },
      enterprise: undefined,
      user: { id: 'U0ADMIN', token: 'xoxp-user-token-123', scopes: undefined },
      bot: { token: 'xoxb-1-secret-bot-token', scopes: ['commands'], id: 'B1', userId: 'U0BOT' },
      tokenType: 'bot',
      isEnterpriseInstall: false,
      authVersion: 'v2',
    });
    const item = await raw(keys.installation(T1));
    const dump = JSON.stringify(item);
    expect(dump).not.toContain('xoxb-');
    expect(dump).not.toContain('xoxp-');
    expect(dump).not.toContain('secret-bot-token');
    const back = await store.fetchInstallation({
      teamId: T1,
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(back.bot?.token).toBe('xoxb-1-secret-bot-token');
    // The sealed installation copied to T2 does not open there.
    await ddb().send(new PutCommand({ TableName: tableName(), Item: { ...item, ...keys.installation(T2) } }));
    await expect(
      store.fetchInstallation({ teamId: T2, enterpriseId: undefined, isEnterpriseInstall: false }),
    ).rejects.toBeInstanceOf(DecryptionError);
  });
});

describe('credentials at rest', () => {
  const zavu = { apiKey: 'zv_live_abcdefgh1234', webhookSecret: 'whsec_abcdefgh' };

  it('round-trips, keeps who/when readable and the values sealed', async () => {
    await setCredentials(T1, 'zavu', zavu, 'U0ADMIN');
    expect(await getCredentials(T1, 'zavu')).toEqual(zavu);
    const item = await raw(keys.credential(T1, 'zavu'));
    expect(JSON.stringify(item)).not.toContain(zavu.apiKey);
    expect(JSON.stringify(item)).not.toContain(zavu.webhookSecret);
    expect(await listCredentialMeta(T1)).toEqual([
      { provider: 'zavu', changedBy: 'U0ADMIN', changedAt: expect.any(String) },
    ]);
  });

  it('a credential item copied to another tenant, or another provider, does not open', async () => {
    const item = (await raw(keys.credential(T1, 'zavu'))) as Record<string, unknown>;
    await ddb().send(
      new PutCommand({ TableName: tableName(), Item: { ...item, ...keys.credential(T2, 'zavu') } }),
    );
    await expect(getCredentials(T2, 'zavu')).rejects.toBeInstanceOf(DecryptionError);
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...item, ...keys.credential(T1, 'commbox'), provider: 'commbox' },
      }),
    );
    await expect(getCredentials(T1, 'commbox')).rejects.toBeInstanceOf(DecryptionError);
    await removeCredentials(T2, 'zavu');
    await removeCredentials(T1, 'commbox');
  });

  it('a tenant without credentials gets MissingCredentialsError (no sandbox fallback here)', async () => {
    await expect(getCredentials(T2, 'zavu')).rejects.toBeInstanceOf(MissingCredentialsError);
    expect(await getStoredCredentials(T2, 'zavu')).toBeUndefined();
  });
});

describe('tenant isolation', () => {
  it('nothing T1 stored can be read, listed or changed as T2, even with crafted ids', async () => {
    // Given T1 has a job, a provider ref, credentials, audit entries, access settings, an event record
    const job = await startJob(
      { tenant: T1, userId: 'U1', channelId: 'C1', responseUrl: undefined },
      { kind: kindId('test.kind'), subject: 'T1 secret subject', payload: { x: 1 } },
    );
    await ddb().send(
      new PutCommand({ TableName: tableName(), Item: { ...keys.ref(T1, 'zavu', 'inv_1'), jobId: job.id } }),
    );
    await setCredentials(T1, 'meta', { appSecret: 'meta-app-secret-1', verifyToken: 'verify-token-1' }, 'U1');
    await audit(T1, { actor: 'U1', action: 'credentials.set', target: 'meta', outcome: 'ok' });
    await addAdmin(T1, 'U0ALLOWED', 'U1');
    await setRestricted(T1, 'invites', true, 'U1');
    expect(await firstDelivery(T1, 'zavu', 'evt_1')).toBe(true);
    const hook1 = await webhookIdFor(T1);

    const repo = new JobRepository();
    const crafted = [
      job.id,
      `../${T1}`,
      `${T1}#JOB#${job.id}`,
      `T#${T1}`,
      `JOB#${job.id}`,
      `${job.id}\u0000`,
    ];
    for (const id of crafted) {
      expect(await repo.get(T2, id)).toBeUndefined();
      expect(await repo.claim(T2, id, 'lease', Date.now() + 1e9, 1000)).toBeUndefined();
      expect(await repo.cancel(T2, id, 'x', Date.now())).toBe(false);
      expect(await repo.deliver(T2, id, { type: 'x', at: 1, data: {} }, Date.now())).toBe(false);
    }
    expect(await repo.list(T2, { all: true })).toEqual([]);
    expect(await jobIdForRef(T2, 'zavu', 'inv_1')).toBeUndefined();
    expect(await deliverEvent(T2, 'zavu', 'inv_1', { type: 'x', data: {} })).toBe(false);
    await expect(getCredentials(T2, 'meta')).rejects.toBeInstanceOf(MissingCredentialsError);
    expect(await listCredentialMeta(T2)).toEqual([]);
    expect(await latestAudit(T2)).toEqual([]);
    expect(await getAccessSettings(T2)).toMatchObject({ admins: [], restricted: [] });
    // The same event id is a first delivery for another tenant: records do not collide.
    expect(await firstDelivery(T2, 'zavu', 'evt_1')).toBe(true);
    expect(await firstDelivery(T1, 'zavu', 'evt_1')).toBe(false);

    // Crafted tenant ids are refused before any key is built.
    for (const bad of [`../${T1}`, `${T1}#JOB`, `T#${T1}`, '', 'T', `${T1} `, 'U0ADMIN']) {
      expect(() => tenantId(bad)).toThrow();
    }

    // A webhook id maps to its own tenant only; crafted ids map to nothing.
    expect(await tenantForWebhook(hook1)).toBe(T1);
    expect(await webhookIdFor(T2)).not.toBe(hook1);
    for (const bad of [`../${hook1}`, `${hook1}#`, `T#${T1}`, 'INSTALL', `${hook1.slice(0, 10)}`, '']) {
      expect(await tenantForWebhook(bad)).toBeUndefined();
    }

    // And T1's job is untouched by all of it.
    const still = await repo.get(T1, job.id);
    expect(still?.state).toBe('queued');
    expect(still?.inbox ?? []).toEqual([]);

    // Every item stored is keyed by its tenant (or is a webhook id record).
    const all = (await ddb().send(new ScanCommand({ TableName: tableName() }))).Items ?? [];
    for (const item of all) expect(String(item.pk)).toMatch(/^(T#[TE][A-Z0-9]{2,20}|HOOK#[\w-]{16,64})$/);
  });
});

describe('access settings', () => {
  const T3 = tenantId('T0CCC3');

  it('the allowlist is a set with conditional writes: no duplicates, a size cap, removal reports absence', async () => {
    expect(await addAdmin(T3, 'U0A', 'U0ADMIN')).toBe(true);
    expect(await addAdmin(T3, 'U0A', 'U0ADMIN')).toBe(false);
    expect(await removeAdmin(T3, 'U0B', 'U0ADMIN')).toBe(false);
    for (let i = 1; i < MAX_ALLOWLIST; i++) await addAdmin(T3, `U0X${i}`, 'U0ADMIN');
    await expect(addAdmin(T3, 'U0ONEMORE', 'U0ADMIN')).rejects.toBeInstanceOf(AllowlistFullError);
    expect((await getAccessSettings(T3)).admins).toHaveLength(MAX_ALLOWLIST);
    expect(await removeAdmin(T3, 'U0A', 'U0ADMIN')).toBe(true);
    expect((await getAccessSettings(T3)).admins).not.toContain('U0A');
    expect((await getAccessSettings(T3)).changedBy).toBe('U0ADMIN');
  });

  it('concurrent adds of different people all land (no read-modify-write race)', async () => {
    const T4 = tenantId('T0DDD4');
    await Promise.all(Array.from({ length: 10 }, (_, i) => addAdmin(T4, `U0P${i}`, 'U0ADMIN')));
    expect((await getAccessSettings(T4)).admins).toHaveLength(10);
  });

  it('restricting a group raises only its commands to admin', async () => {
    const T5 = tenantId('T0EEE5');
    // The commands as the app defines them (each names its restrictable group).
    const { commands } = await import('../../src/app/catalog.js');
    const spec = (path: string) => commands.find((c) => c.path === path) as (typeof commands)[number];
    expect(await requiredAccess(spec('invite partner'), T5)).toBe('member');
    expect(await setRestricted(T5, 'invites', true, 'U0ADMIN')).toBe(true);
    expect(await setRestricted(T5, 'invites', true, 'U0ADMIN')).toBe(false);
    expect(await requiredAccess(spec('invite partner'), T5)).toBe('admin');
    expect(await requiredAccess(spec('invite status'), T5)).toBe('member');
    expect(await requiredAccess(spec('contact optin'), T5)).toBe('member');
    expect(await requiredAccess(spec('deploy start'), T5)).toBe('admin');
    expect(await setRestricted(T5, 'invites', false, 'U0ADMIN')).toBe(true);
    expect(await requiredAccess(spec('invite partner'), T5)).toBe('member');
  });
});
