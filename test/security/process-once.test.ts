import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_LEASE_MS, firstDelivery, processOnce, RETRY_HORIZON_MS } from '../../src/security/webhooks.js';
import { ddb, tableName } from '../../src/store/dynamo.js';
import { keys, tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';

const T1 = tenantId('T0ONCE1');
let table: Awaited<ReturnType<typeof startTestTable>>;
beforeAll(async () => {
  table = await startTestTable({ SANDBOX_CREDENTIALS: 'false' });
});
afterAll(async () => {
  await table?.close();
});

const NOW = 1_800_000_000_000;

describe('processOnce: an event is marked processed only once it is delivered', () => {
  it('processes once, then answers duplicate', async () => {
    let runs = 0;
    const work = async () => ++runs;
    expect(await processOnce(T1, 'zavu', 'evt_a', work, NOW)).toEqual({ state: 'processed', value: 1 });
    expect(await processOnce(T1, 'zavu', 'evt_a', work, NOW + 1)).toEqual({ state: 'duplicate' });
    expect(runs).toBe(1);
  });

  it('lets the retry of a failed delivery through', async () => {
    let runs = 0;
    const failing = async () => {
      runs++;
      throw new Error('store down');
    };
    await expect(processOnce(T1, 'zavu', 'evt_b', failing, NOW)).rejects.toThrow('store down');
    const retry = await processOnce(T1, 'zavu', 'evt_b', async () => ++runs, NOW + 60_000);
    expect(retry).toEqual({ state: 'processed', value: 2 });
    expect(await processOnce(T1, 'zavu', 'evt_b', async () => ++runs, NOW + 120_000)).toEqual({
      state: 'duplicate',
    });
  });

  it('answers busy while another attempt holds the event, and takes over once its lease lapses', async () => {
    let release: () => void = () => {};
    let started: () => void = () => {};
    const claimed = new Promise<void>((r) => (started = r));
    const first = processOnce(
      T1,
      'cm-sign',
      'evt_c',
      () => {
        started(); // work runs only once the claim is stored
        return new Promise<string>((resolve) => (release = () => resolve('first')));
      },
      NOW,
    );
    await claimed;
    expect(await processOnce(T1, 'cm-sign', 'evt_c', async () => 'second', NOW + 1)).toEqual({
      state: 'busy',
    });
    release();
    expect(await first).toEqual({ state: 'processed', value: 'first' });

    // A holder that died (never finished, never released): its claim lapses.
    let startedD: () => void = () => {};
    const claimedD = new Promise<void>((r) => (startedD = r));
    void processOnce(
      T1,
      'cm-sign',
      'evt_d',
      () => {
        startedD();
        return new Promise<string>(() => {});
      },
      NOW,
    );
    await claimedD;
    expect(await processOnce(T1, 'cm-sign', 'evt_d', async () => 'x', NOW + EVENT_LEASE_MS - 1)).toEqual({
      state: 'busy',
    });
    expect(await processOnce(T1, 'cm-sign', 'evt_d', async () => 'x', NOW + EVENT_LEASE_MS + 1)).toEqual({
      state: 'processed',
      value: 'x',
    });
  });

  it('keeps events of other providers and tenants apart, and treats a firstDelivery record as done', async () => {
    expect(await processOnce(T1, 'zavu', 'evt_e', async () => 1, NOW)).toMatchObject({ state: 'processed' });
    expect(await processOnce(T1, 'cm-sign', 'evt_e', async () => 1, NOW)).toMatchObject({
      state: 'processed',
    });
    expect(await processOnce(tenantId('T0ONCE2'), 'zavu', 'evt_e', async () => 1, NOW)).toMatchObject({
      state: 'processed',
    });
    expect(await firstDelivery(T1, 'zavu', 'evt_f', NOW)).toBe(true);
    expect(await processOnce(T1, 'zavu', 'evt_f', async () => 1, NOW)).toEqual({ state: 'duplicate' });
  });
});

describe('event records outlive the provider retry horizon', () => {
  const ttlOf = async (provider: string, eventId: string) => {
    const out = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: keys.idempotency(T1, `event#${provider}#${eventId}`) }),
    );
    return Number(out.Item?.ttl) * 1000;
  };

  it.each(Object.entries(RETRY_HORIZON_MS))(
    '%s: the record of a processed event is kept a day past the last retry the provider may send',
    async (provider, horizon) => {
      await processOnce(T1, provider, `evt_ttl_${provider}`, async () => true, NOW);
      expect(await ttlOf(provider, `evt_ttl_${provider}`)).toBeGreaterThanOrEqual(NOW + horizon + 86_400_000);
      expect(await firstDelivery(T1, provider, `evt_first_${provider}`, NOW)).toBe(true);
      expect(await ttlOf(provider, `evt_first_${provider}`)).toBeGreaterThanOrEqual(
        NOW + horizon + 86_400_000,
      );
    },
  );

  it("a retry at the end of Meta's horizon is still a duplicate", async () => {
    expect(await firstDelivery(T1, 'meta', 'evt_late', NOW)).toBe(true);
    expect(RETRY_HORIZON_MS.meta).toBeGreaterThanOrEqual(7 * 86_400_000);
    // The item is there, unexpired, when Meta's last retry comes.
    expect(await ttlOf('meta', 'evt_late')).toBeGreaterThan(NOW + (RETRY_HORIZON_MS.meta as number));
  });
});
