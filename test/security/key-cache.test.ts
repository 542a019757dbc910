import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Installation } from '@slack/oauth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock, setClock } from '../../src/clock.js';
import {
  clearKeyCache,
  type KeyProvider,
  LocalKeyProvider,
  open,
  seal,
  setKeyProvider,
} from '../../src/security/envelope.js';
import {
  clearInstallationCache,
  DynamoInstallationStore,
  InstallationNotFoundError,
} from '../../src/slack/installation-store.js';
import { ddb, tableName } from '../../src/store/dynamo.js';
import { keys, tenantId } from '../../src/store/keys.js';
import { TtlCache } from '../../src/store/ttl-cache.js';
import { startTestTable } from '../helpers/dynamo.js';

/** The KMS stand-in, counting what would be KMS calls. */
class CountingKeys implements KeyProvider {
  generate = 0;
  unwrap = 0;
  private readonly inner = new LocalKeyProvider(randomBytes(32));
  get calls() {
    return this.generate + this.unwrap;
  }
  generateDataKey(tenant: Parameters<KeyProvider['generateDataKey']>[0]) {
    this.generate += 1;
    return this.inner.generateDataKey(tenant);
  }
  unwrapDataKey(tenant: Parameters<KeyProvider['unwrapDataKey']>[0], wrapped: Buffer) {
    this.unwrap += 1;
    return this.inner.unwrapDataKey(tenant, wrapped);
  }
}

const T1 = tenantId('T0CACHE1');
const T2 = tenantId('T0CACHE2');
const MIN = 60_000;
const q = (teamId: string) => ({ teamId, enterpriseId: undefined, isEnterpriseInstall: false });
let table: Awaited<ReturnType<typeof startTestTable>>;
let clock: SimulatedClock;
let kms: CountingKeys;

function installation(team: string, token: string, expiresAt?: number): Installation<'v2', false> {
  return {
    team: { id: team, name: team },
    enterprise: undefined,
    user: { id: 'U0ADMIN', token: undefined, scopes: undefined },
    bot: { token, scopes: ['commands'], id: 'B0BOT', userId: 'U0BOT', ...(expiresAt ? { expiresAt } : {}) },
    appId: 'A0APP',
    tokenType: 'bot',
    isEnterpriseInstall: false,
    authVersion: 'v2',
  };
}

beforeAll(async () => {
  table = await startTestTable();
});
afterAll(async () => {
  setKeyProvider(undefined);
  setClock(undefined);
  clearInstallationCache();
  await table.close();
});
beforeEach(() => {
  clock = new SimulatedClock();
  setClock(clock);
  kms = new CountingKeys();
  setKeyProvider(kms);
  clearKeyCache();
  clearInstallationCache();
});

describe('installation and data key cache', () => {
  it('a steady stream of requests costs at most one KMS call per tenant per 5 minutes', async () => {
    const store = new DynamoInstallationStore();
    await store.storeInstallation(installation(T1, 'xoxb-one'));
    await store.storeInstallation(installation(T2, 'xoxb-two'));
    // A cold container: nothing cached.
    clearKeyCache();
    clearInstallationCache();
    kms.generate = 0;
    kms.unwrap = 0;
    // 30 minutes, a request per tenant every 10 s.
    for (let s = 0; s < 30 * 60; s += 10) {
      expect((await store.fetchInstallation(q(T1))).bot?.token).toBe('xoxb-one');
      expect((await store.fetchInstallation(q(T2))).bot?.token).toBe('xoxb-two');
      clock.advance(10_000);
    }
    // One unwrap per tenant per 5-minute window (6 windows), none more.
    expect(kms.unwrap).toBe(2 * 6);
    expect(kms.generate).toBe(0);
  });

  it('values sealed within 5 minutes share one data key; each opens without another call', async () => {
    const sealed = [];
    for (let i = 0; i < 5; i++) {
      sealed.push(await seal(T1, `secret ${i}`, kms, i % 2 ? 'credential:zavu' : undefined));
      clock.advance(30_000);
    }
    expect(kms.generate).toBe(1);
    for (const [i, s] of sealed.entries())
      expect(await open(T1, s, kms, i % 2 ? 'credential:zavu' : undefined)).toBe(`secret ${i}`);
    expect(kms.unwrap).toBe(0);
    clock.advance(5 * MIN);
    await seal(T1, 'later', kms);
    expect(kms.generate).toBe(2);
    // Another tenant never gets this tenant's key, cached or not.
    await expect(open(T2, sealed[0] as string, kms)).rejects.toThrow();
  });

  it('a token refresh (storeInstallation) replaces the cached installation at once', async () => {
    const store = new DynamoInstallationStore();
    await store.storeInstallation(installation(T1, 'xoxb-old'));
    await store.fetchInstallation(q(T1));
    await store.storeInstallation(installation(T1, 'xoxb-new'));
    expect((await store.fetchInstallation(q(T1))).bot?.token).toBe('xoxb-new');
  });

  it("uninstall (deleteInstallation) drops the cached installation and the tenant's keys", async () => {
    const store = new DynamoInstallationStore();
    await store.storeInstallation(installation(T1, 'xoxb-gone'));
    await store.fetchInstallation(q(T1));
    await store.deleteInstallation(q(T1));
    await expect(store.fetchInstallation(q(T1))).rejects.toBeInstanceOf(InstallationNotFoundError);
  });

  it('serves the copy for 5 minutes, then reads the table again', async () => {
    const store = new DynamoInstallationStore();
    await store.storeInstallation(installation(T1, 'xoxb-cached'));
    // Another container reinstalls: this one's copy stays until it expires.
    const other = await seal(T1, JSON.stringify(installation(T1, 'xoxb-elsewhere')));
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.installation(T1),
        UpdateExpression: 'SET sealed = :s',
        ExpressionAttributeValues: { ':s': other },
      }),
    );
    expect((await store.fetchInstallation(q(T1))).bot?.token).toBe('xoxb-cached');
    clock.advance(5 * MIN);
    expect((await store.fetchInstallation(q(T1))).bot?.token).toBe('xoxb-elsewhere');
  });

  it('a rotating token about to be refreshed is never served from the cache', async () => {
    const store = new DynamoInstallationStore();
    // Expires in 2 h 3 min: InstallProvider refreshes within 2 h of expiry, so this copy may be
    // refreshed by another container any moment (each refresh token works once).
    const expiresAt = Math.floor((clock.now() + 123 * MIN) / 1000);
    await store.storeInstallation(installation(T1, 'xoxe-rotating', expiresAt));
    const refreshed = await seal(T1, JSON.stringify(installation(T1, 'xoxe-refreshed', expiresAt + 43_200)));
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.installation(T1),
        UpdateExpression: 'SET sealed = :s',
        ExpressionAttributeValues: { ':s': refreshed },
      }),
    );
    expect((await store.fetchInstallation(q(T1))).bot?.token).toBe('xoxe-refreshed');
  });

  it('callers get a copy: changing it does not change the cache', async () => {
    const store = new DynamoInstallationStore();
    await store.storeInstallation(installation(T1, 'xoxb-mine'));
    const got = await store.fetchInstallation(q(T1));
    (got.bot as { token: string }).token = 'changed';
    expect((await store.fetchInstallation(q(T1))).bot?.token).toBe('xoxb-mine');
  });

  it('the cache is bounded: the oldest entry goes first', () => {
    const cache = new TtlCache<number>(3);
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, i, clock.now() + MIN);
    expect(cache.size).toBe(3);
    expect(cache.get('k0')).toBeUndefined();
    expect(cache.get('k4')).toBe(4);
    clock.advance(MIN);
    expect(cache.get('k4')).toBeUndefined();
  });
});
