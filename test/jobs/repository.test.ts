import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetConfig } from '../../src/config.js';
import { capacity } from '../../src/jobs/capacity.js';
import { type InboxEvent, type Job, LEASE_MS } from '../../src/jobs/model.js';
import {
  ConflictError,
  JobRepository,
  leaseToken,
  newJobId,
  PARK_MAX_MS,
  shardOf,
  TAKEOVER_MARGIN_MS,
} from '../../src/jobs/repository.js';
import { ddb, resetDdb, tableName } from '../../src/store/dynamo.js';
import { keys, type TenantId, tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';

/**
 * The job repository against dynalite: every claim, step result, event and cancel is one
 * conditional write, and what each leaves in the item (lease, due index key, inbox, effects, TTL)
 * is what the engine relies on after a crash. Times are given explicitly, as the engine passes them.
 */

let table: Awaited<ReturnType<typeof startTestTable>>;
const repo = new JobRepository();
let seq = 0;
let T: TenantId;
const NOW = Date.UTC(2026, 11, 6, 12);
const MIN = 60_000;
/** Waits from a minute (to PARK_MAX_MS) are parked; a parked job's recovery time moves in buckets of at least an hour. */
const PARK_MIN_MS = MIN;
const PARK_BUCKET_MS = 60 * MIN;

beforeAll(async () => {
  table = await startTestTable({ DUE_SHARDS: '4', JOB_RETENTION_DAYS: '30' });
});
afterAll(async () => {
  capacity.on = false;
  await table.close();
});
beforeEach(() => {
  T = tenantId(`T0REPO${++seq}`);
  capacity.on = true;
  capacity.indexWcu = 0;
});

function job(over: Partial<Job> = {}): Job {
  return {
    tenant: T,
    id: newJobId(NOW),
    kind: 'test.kind',
    subject: 'a test job',
    state: 'queued',
    attempts: 0,
    version: 0,
    createdAt: NOW,
    updatedAt: NOW,
    createdBy: 'U0ADMIN',
    dueAt: NOW,
    report: { channel: 'C0SANDBOX', userId: 'U0ADMIN' },
    payload: {},
    data: {},
    effects: {},
    ...over,
  };
}

async function stored(j: Pick<Job, 'tenant' | 'id'>) {
  const out = await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.job(j.tenant, j.id) }));
  return out.Item as Record<string, unknown>;
}

/** A job created and claimed at `at`: the state a step runs in. */
async function claimed(over: Partial<Job> = {}, at = NOW) {
  const j = job(over);
  await repo.create(j);
  const lease = leaseToken();
  const c = await repo.claim(T, j.id, lease, at, LEASE_MS);
  if (!c) throw new Error('could not claim');
  capacity.indexWcu = 0;
  return { job: c, lease };
}

const event = (type = 'provider.changed', at = NOW): InboxEvent => ({ type, at, data: { n: 1 } });

describe('creating and reading a job', () => {
  it('given a due job, when created, then it is in its shard of the due index and reads back with its tenant', async () => {
    const j = job();
    await repo.create(j);
    expect(capacity.indexWcu).toBe(1);
    expect(await stored(j)).toMatchObject({ dueAt: NOW, dueShard: shardOf(j.id) });
    const back = await repo.get(T, j.id);
    expect(back).toMatchObject({ tenant: T, id: j.id, state: 'queued', dueAt: NOW, indexAt: NOW });
    expect(back).not.toHaveProperty('pk');
    expect(back).not.toHaveProperty('dueShard');
  });

  it('given a job with no due time, when created, then it is not in the due index', async () => {
    const j = job({ dueAt: undefined, state: 'running' });
    await repo.create(j);
    expect(capacity.indexWcu).toBe(0);
    expect(await stored(j)).not.toHaveProperty('dueShard');
  });

  it('given a job id already taken, when created again, then the second write is refused', async () => {
    const j = job();
    await repo.create(j);
    await expect(repo.create({ ...j, subject: 'another' })).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    expect((await repo.get(T, j.id))?.subject).toBe('a test job');
  });

  it('given no such job, when read, then there is none', async () => {
    expect(await repo.get(T, 'jnothing')).toBeUndefined();
  });

  it('given ids made at a time, then they sort by that time and have 6 random characters', () => {
    const a = newJobId(NOW);
    const b = newJobId(NOW + 1000);
    expect(a).toMatch(new RegExp(`^j${NOW.toString(36)}[0-9a-z]{6}$`));
    expect(a < b).toBe(true);
    const many = Array.from({ length: 50 }, () => newJobId(NOW));
    expect(new Set(many).size).toBe(50);
    // About half of all random parts would run to 7 characters: every id is cut to 6.
    for (const id of many) expect(id).toMatch(new RegExp(`^j${NOW.toString(36)}[0-9a-z]{6}$`));
    expect(leaseToken()).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });

  it('given job ids, then each has a fixed shard among the configured ones, and they spread', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `j${i.toString(36)}x`);
    const shards = ids.map((id) => shardOf(id));
    expect(new Set(shards)).toEqual(new Set(['S#0', 'S#1', 'S#2', 'S#3']));
    expect(ids.map((id) => shardOf(id))).toEqual(shards);
    expect(shardOf('jabc', 7)).toBe(shardOf('jabc', 7));
    expect(new Set(ids.map((id) => shardOf(id, 16))).size).toBe(16);
  });
});

describe('claiming a job', () => {
  it('given a job due later, when claimed before its time, then it is not taken (a retry keeps its backoff)', async () => {
    const j = job({ dueAt: NOW + 5 * MIN });
    await repo.create(j);
    expect(await repo.claim(T, j.id, 'w1', NOW, LEASE_MS)).toBeUndefined();
    expect(await repo.claim(T, j.id, 'w1', NOW + 5 * MIN - 1, LEASE_MS)).toBeUndefined();
    const c = await repo.claim(T, j.id, 'w1', NOW + 5 * MIN, LEASE_MS);
    expect(c).toMatchObject({
      state: 'running',
      leaseOwner: 'w1',
      leaseUntil: NOW + 5 * MIN + LEASE_MS,
      version: 1,
    });
    expect(c?.updatedAt).toBe(NOW + 5 * MIN);
  });

  it('given an event for it, when claimed regardless of its due time, then it is taken at once', async () => {
    const j = job({ dueAt: NOW + 60 * MIN });
    await repo.create(j);
    expect(await repo.claim(T, j.id, 'w1', NOW, LEASE_MS, { due: false })).toMatchObject({
      leaseOwner: 'w1',
    });
  });

  it('given a live lease, when another worker claims, then it is refused until the lease has run out', async () => {
    const { job: c } = await claimed();
    expect(await repo.claim(T, c.id, 'w2', NOW + LEASE_MS - 1, LEASE_MS)).toBeUndefined();
    expect(await repo.claim(T, c.id, 'w2', NOW + LEASE_MS, LEASE_MS)).toBeUndefined();
    expect(await repo.claim(T, c.id, 'w2', NOW + LEASE_MS + 1, LEASE_MS)).toMatchObject({
      leaseOwner: 'w2',
      version: 2,
    });
  });

  it('given a finished or unknown job, when claimed, then nothing is taken', async () => {
    const j = job({ state: 'succeeded' });
    await repo.create(j);
    expect(await repo.claim(T, j.id, 'w1', NOW, LEASE_MS)).toBeUndefined();
    expect(await repo.claim(T, 'jmissing', 'w1', NOW, LEASE_MS)).toBeUndefined();
    for (const state of ['queued', 'waiting', 'running'] as const) {
      const k = job({ state });
      await repo.create(k);
      expect(await repo.claim(T, k.id, 'w1', NOW, LEASE_MS), state).toBeDefined();
    }
  });

  it('given the table cannot be reached, when claimed, then the error is not taken for "not due"', async () => {
    const j = job();
    await repo.create(j);
    const name = process.env.TABLE_NAME;
    process.env.TABLE_NAME = 'no-such-table';
    resetConfig();
    resetDdb();
    try {
      await expect(repo.claim(T, j.id, 'w1', NOW, LEASE_MS)).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    } finally {
      process.env.TABLE_NAME = name;
      resetConfig();
      resetDdb();
    }
  });
});

describe('side effects recorded under the lease', () => {
  it('given a step about to call a provider, when it marks the effect started, then the marker is stored (a crash finds it and reconciles)', async () => {
    const { job: c, lease } = await claimed();
    await repo.startEffect(c, lease, 'create-invite', NOW + 1);
    expect((await stored(c)).effects).toEqual({ 'create-invite': { status: 'started', at: NOW + 1 } });
    expect((await repo.get(T, c.id))?.effects['create-invite']).toEqual({ status: 'started', at: NOW + 1 });
  });

  it('given the provider answered, when the effect is finished, then its result is stored; without a result, none', async () => {
    const { job: c, lease } = await claimed();
    await repo.startEffect(c, lease, 'a', NOW);
    await repo.finishEffect(c, lease, 'a', { id: 'inv_1' }, NOW + 2);
    await repo.finishEffect(c, lease, 'b', undefined, NOW + 3);
    expect((await stored(c)).effects).toEqual({
      a: { status: 'done', at: NOW + 2, result: { id: 'inv_1' } },
      b: { status: 'done', at: NOW + 3 },
    });
  });

  it('given the lease was lost, when an effect is recorded, then the write is refused', async () => {
    const { job: c } = await claimed();
    await expect(repo.startEffect(c, 'not-the-lease', 'a', NOW)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    await expect(repo.finishEffect(c, 'not-the-lease', 'a', 1, NOW)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
  });
});

describe('finishing a step', () => {
  it('given a wait, when finished, then the job waits for its next time in the due index, unleased', async () => {
    const { job: c, lease } = await claimed({ attempts: 2, lastError: 'earlier', data: { a: 1 } });
    const next = await repo.finishStep(
      c,
      lease,
      { type: 'wait', until: NOW + 10 * MIN, data: { b: 2 } },
      NOW,
      0,
    );
    expect(next).toMatchObject({
      state: 'waiting',
      attempts: 0,
      dueAt: NOW + 10 * MIN,
      indexAt: NOW + 10 * MIN,
      version: 2,
      leaseOwner: undefined,
      leaseUntil: undefined,
      data: { a: 1, b: 2 },
    });
    const item = await stored(c);
    expect(item).toMatchObject({
      state: 'waiting',
      dueAt: NOW + 10 * MIN,
      dueShard: shardOf(c.id),
      version: 2,
    });
    expect(item).not.toHaveProperty('leaseOwner');
    expect(item).not.toHaveProperty('leaseUntil');
    expect(item).not.toHaveProperty('lastError');
    expect(item).not.toHaveProperty('ttl');
    expect(capacity.indexWcu).toBe(2);
    // Not claimable before its time.
    expect(await repo.claim(T, c.id, 'w2', NOW + 10 * MIN - 1, LEASE_MS)).toBeUndefined();
  });

  it('given a wait for the time already stored, when finished, then the due index is not touched', async () => {
    const { job: c, lease } = await claimed({ dueAt: NOW });
    await repo.finishStep(c, lease, { type: 'wait', until: NOW }, NOW, 0);
    expect(capacity.indexWcu).toBe(0);
    expect((await stored(c)).dueAt).toBe(NOW);
  });

  it('given a retry, when finished, then attempts count up and the error is kept, due after its backoff', async () => {
    const { job: c, lease } = await claimed({ attempts: 1 });
    const next = await repo.finishStep(
      c,
      lease,
      { type: 'retry', until: NOW + 30_000, error: 'provider 503' },
      NOW,
      0,
    );
    expect(next).toMatchObject({
      state: 'waiting',
      attempts: 2,
      dueAt: NOW + 30_000,
      lastError: 'provider 503',
    });
    expect(await stored(c)).toMatchObject({ attempts: 2, lastError: 'provider 503', dueAt: NOW + 30_000 });
    expect(await repo.claim(T, c.id, 'w2', NOW + 29_999, LEASE_MS)).toBeUndefined();
  });

  it.each([
    ['done', { type: 'done' as const }, 'succeeded', undefined],
    ['fail', { type: 'fail' as const, reason: 'refused' }, 'failed', 'refused'],
    ['cancelled', { type: 'cancelled' as const, reason: 'by U1' }, 'cancelled', 'by U1'],
  ])(
    'given %s, when finished, then the job leaves the due index and expires after the retention (30 days from now)',
    async (_t, result, state, error) => {
      const { job: c, lease } = await claimed();
      const next = await repo.finishStep(c, lease, result, NOW, 0);
      expect(next).toMatchObject({ state, dueAt: undefined, indexAt: undefined, lastError: error });
      const item = await stored(c);
      expect(item.state).toBe(state);
      expect(item).not.toHaveProperty('dueAt');
      expect(item).not.toHaveProperty('dueShard');
      expect(item).not.toHaveProperty('leaseOwner');
      expect(item.ttl).toBe(Math.floor(NOW / 1000) + 30 * 86_400);
      expect(item.lastError).toBe(error);
      expect(capacity.indexWcu).toBe(1);
    },
  );

  it('given refs found by the step, when finished, then they are stored for webhooks to find the job', async () => {
    const { job: c, lease } = await claimed();
    const result = { type: 'wait' as const, until: NOW + MIN };
    await repo.finishStep({ ...c, refs: ['zavu#inv_1'] }, lease, result, NOW, 0);
    expect((await stored(c)).refs).toEqual(['zavu#inv_1']);
  });

  it('given events that arrived during the step, when it waits, then it is due at once and keeps the unread events', async () => {
    const { job: c, lease } = await claimed();
    await repo.deliver(T, c.id, event('a'), NOW + 1);
    await repo.deliver(T, c.id, event('b'), NOW + 2);
    const fresh = (await repo.get(T, c.id)) as Job;
    // The step read the first event only.
    const next = await repo.finishStep(fresh, lease, { type: 'wait', until: NOW + 60 * MIN }, NOW + 3, 1);
    expect(next.dueAt).toBe(NOW + 3);
    expect(next.inbox).toEqual([event('b')]);
    expect((await stored(c)).inbox).toEqual([event('b')]);
  });

  it('given events during a retry, then the retry is due now, unless its time is earlier still', async () => {
    const { job: c, lease } = await claimed();
    await repo.deliver(T, c.id, event(), NOW + 1);
    const fresh = (await repo.get(T, c.id)) as Job;
    const next = await repo.finishStep(
      fresh,
      lease,
      { type: 'retry', until: NOW + MIN, error: 'x' },
      NOW + 5,
      0,
    );
    expect(next.dueAt).toBe(NOW + 5);
  });

  it('given an event arrives while the step finishes, when the write finds the version moved, then it is written again over the fresh job, the event kept', async () => {
    const { job: c, lease } = await claimed();
    // The job the step holds is the claimed one; the event moves the stored version on.
    await repo.deliver(T, c.id, event(), NOW + 1);
    const next = await repo.finishStep(c, lease, { type: 'wait', until: NOW + 60 * MIN }, NOW + 2, 0);
    expect(next).toMatchObject({ version: 3, dueAt: NOW + 2, inbox: [event()] });
    expect((await stored(c)).version).toBe(3);
  });

  it('given the lease was lost (another worker took the job), when finished, then it is a conflict and nothing is written', async () => {
    const { job: c, lease } = await claimed();
    expect(await repo.claim(T, c.id, 'w2', NOW + LEASE_MS + 1, LEASE_MS)).toBeDefined();
    const err = await repo
      .finishStep(c, lease, { type: 'done' }, NOW + LEASE_MS + 2, 0)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({
      name: 'ConflictError',
      code: 'conflict',
      message: `lost the lease on ${c.id}`,
    });
    expect((await stored(c)).state).toBe('running');
  });

  it('given the job is gone, when finished, then it is a conflict', async () => {
    const { job: c, lease } = await claimed();
    await expect(
      repo.finishStep({ ...c, id: 'jgone' }, lease, { type: 'done' }, NOW, 0),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('given a failure that is not a condition, when finished, then it comes through as it is', async () => {
    const { job: c, lease } = await claimed();
    const send = vi
      .spyOn(ddb(), 'send')
      .mockRejectedValueOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    try {
      await expect(repo.finishStep(c, lease, { type: 'done' }, NOW, 0)).rejects.toMatchObject({
        name: 'ThrottlingException',
      });
    } finally {
      send.mockRestore();
    }
  });
});

describe('a step kept by its worker (event-driven work goes on at once)', () => {
  it('given events during the step and a lease offered, when it waits for now, then the same worker keeps the job with its lease extended', async () => {
    const { job: c, lease } = await claimed();
    await repo.deliver(T, c.id, event(), NOW + 1);
    const fresh = (await repo.get(T, c.id)) as Job;
    capacity.indexWcu = 0;
    const keepUntil = NOW + 10 + LEASE_MS;
    const next = await repo.finishStep(fresh, lease, { type: 'wait', until: NOW + 60 * MIN }, NOW + 10, 0, {
      leaseUntil: keepUntil,
    });
    expect(next).toMatchObject({
      state: 'running',
      leaseOwner: lease,
      leaseUntil: keepUntil,
      inbox: [event()],
      version: fresh.version + 1,
    });
    const item = await stored(c);
    expect(item).toMatchObject({ state: 'running', leaseOwner: lease, leaseUntil: keepUntil });
    // The old lease would have run out here: another worker still cannot take the job (no second run).
    expect(await repo.claim(T, c.id, 'w2', NOW + LEASE_MS + 1, LEASE_MS, { due: false })).toBeUndefined();
    // The index is untouched: a crash falls back on the stored due time.
    expect(item.dueAt).toBe(NOW + 1);
    expect(capacity.indexWcu).toBe(0);
  });

  it('given a step that read events and asks to go on now, when a lease is offered, then it is kept too', async () => {
    const { job: c, lease } = await claimed();
    const next = await repo.finishStep(c, lease, { type: 'wait', until: NOW }, NOW, 1, {
      leaseUntil: NOW + LEASE_MS + 5,
    });
    expect(next).toMatchObject({ state: 'running', leaseUntil: NOW + LEASE_MS + 5 });
  });

  it('given a step that read events and waits for later, when a lease is offered, then it is not kept', async () => {
    const { job: c, lease } = await claimed();
    const next = await repo.finishStep(c, lease, { type: 'wait', until: NOW + 5 * MIN }, NOW, 1, {
      leaseUntil: NOW + LEASE_MS,
    });
    expect(next).toMatchObject({ state: 'waiting', leaseOwner: undefined, dueAt: NOW + 5 * MIN });
  });

  it('given no events, when a poll asks to be due now, then it is not kept (the scheduler paces polls)', async () => {
    const { job: c, lease } = await claimed();
    const next = await repo.finishStep(c, lease, { type: 'wait', until: NOW }, NOW, 0, {
      leaseUntil: NOW + LEASE_MS,
    });
    expect(next).toMatchObject({ state: 'waiting', leaseOwner: undefined });
  });

  it('given events but a retry, when a lease is offered, then it is not kept (a backoff is the point)', async () => {
    const { job: c, lease } = await claimed();
    await repo.deliver(T, c.id, event(), NOW + 1);
    const fresh = (await repo.get(T, c.id)) as Job;
    const next = await repo.finishStep(fresh, lease, { type: 'retry', until: NOW, error: 'x' }, NOW + 2, 0, {
      leaseUntil: NOW + LEASE_MS,
    });
    expect(next.state).toBe('waiting');
    expect(next.leaseOwner).toBeUndefined();
  });

  it('given events but a wait for later, when a lease is offered, then it is kept (the events make it due now)', async () => {
    const { job: c, lease } = await claimed();
    await repo.deliver(T, c.id, event(), NOW + 1);
    const fresh = (await repo.get(T, c.id)) as Job;
    const next = await repo.finishStep(fresh, lease, { type: 'wait', until: NOW + 5 * MIN }, NOW + 2, 0, {
      leaseUntil: NOW + LEASE_MS,
    });
    expect(next.state).toBe('running');
  });
});

describe('a parked wait (its next step comes by a delayed message)', () => {
  const park = { lease: 'parked-lease' };

  it('given a 5-minute wait and parking offered, when finished, then the job keeps a lease for its next step and a recovery time in the index', async () => {
    const { job: c, lease } = await claimed();
    const until = NOW + 5 * MIN;
    const next = await repo.finishStep(c, lease, { type: 'wait', until }, NOW, 0, undefined, park);
    const leaseUntil = until + LEASE_MS;
    const recovery = Math.ceil(leaseUntil / PARK_BUCKET_MS) * PARK_BUCKET_MS + PARK_BUCKET_MS;
    expect(next).toMatchObject({
      state: 'waiting',
      version: c.version + 1,
      dueAt: until,
      indexAt: recovery,
      leaseOwner: 'parked-lease',
      leaseUntil,
    });
    expect(await stored(c)).toMatchObject({
      runAt: until,
      dueAt: recovery,
      leaseOwner: 'parked-lease',
      leaseUntil,
    });
    // Read back, the job is due at its step's time; the stored key is the recovery time.
    expect(await repo.get(T, c.id)).toMatchObject({ dueAt: until, indexAt: recovery });
    expect(capacity.indexWcu).toBe(2);
    // Nobody claims it meanwhile: the message holds the lease.
    expect(await repo.claim(T, c.id, 'w2', until + 1, LEASE_MS)).toBeUndefined();
  });

  it('given a long wait, when parked, then the bucket is three waits long', async () => {
    const { job: c, lease } = await claimed();
    const until = NOW + PARK_MAX_MS;
    const next = await repo.finishStep(c, lease, { type: 'wait', until }, NOW, 0, undefined, park);
    const bucket = 3 * PARK_MAX_MS;
    expect(next.indexAt).toBe(Math.ceil((until + LEASE_MS) / bucket) * bucket + bucket);
  });

  it('given waits at the edges, then exactly 1 minute and exactly 2 hours are parked, a minute less or more are not', async () => {
    for (const [wait, parked] of [
      [PARK_MIN_MS, true],
      [PARK_MIN_MS - 1, false],
      [PARK_MAX_MS, true],
      [PARK_MAX_MS + 1, false],
    ] as const) {
      const { job: c, lease } = await claimed();
      const next = await repo.finishStep(
        c,
        lease,
        { type: 'wait', until: NOW + wait },
        NOW,
        0,
        undefined,
        park,
      );
      expect(next.leaseOwner, `wait ${wait}`).toBe(parked ? 'parked-lease' : undefined);
    }
  });

  it('given a job that ends, when parking is offered, then it is not parked', async () => {
    const { job: c, lease } = await claimed();
    const next = await repo.finishStep(c, lease, { type: 'done' }, NOW, 0, undefined, park);
    expect(next.leaseOwner).toBeUndefined();
    expect(await stored(c)).not.toHaveProperty('runAt');
  });

  it('given a parked job whose recovery time still lies past the new lease, when parked again, then its index key stays', async () => {
    const { job: c, lease } = await claimed();
    const first = await repo.finishStep(
      c,
      lease,
      { type: 'wait', until: NOW + 5 * MIN },
      NOW,
      0,
      undefined,
      park,
    );
    capacity.indexWcu = 0;
    const at = NOW + 5 * MIN;
    const again = await repo.finishStep(
      first,
      'parked-lease',
      { type: 'wait', until: at + 5 * MIN },
      at,
      0,
      undefined,
      {
        lease: 'parked-2',
      },
    );
    expect(again.indexAt).toBe(first.indexAt);
    expect((await stored(c)).dueAt).toBe(first.indexAt);
    expect(capacity.indexWcu).toBe(0);
  });

  it('given a parked job whose recovery time falls short of the new lease, when parked again, then its index key moves past it', async () => {
    const { job: c, lease } = await claimed();
    const first = await repo.finishStep(
      c,
      lease,
      { type: 'wait', until: NOW + 5 * MIN },
      NOW,
      0,
      undefined,
      park,
    );
    const at = (first.indexAt as number) - 10 * MIN;
    const again = await repo.finishStep(
      first,
      'parked-lease',
      { type: 'wait', until: at + 60 * MIN },
      at,
      0,
      undefined,
      {
        lease: 'parked-2',
      },
    );
    const leaseUntil = at + 60 * MIN + LEASE_MS;
    // The bucket is three waits (3 hours) here.
    const bucket = 3 * 60 * MIN;
    expect(again.indexAt).toBe(Math.ceil(leaseUntil / bucket) * bucket + bucket);
    expect(again.indexAt).toBeGreaterThan(first.indexAt as number);
    expect((await stored(c)).dueAt).toBe(again.indexAt);
  });

  it('given a parked job, when its next step is not parked, then its run time is dropped and the index key is its due time', async () => {
    const { job: c, lease } = await claimed();
    const first = await repo.finishStep(
      c,
      lease,
      { type: 'wait', until: NOW + 5 * MIN },
      NOW,
      0,
      undefined,
      park,
    );
    const at = NOW + 5 * MIN;
    const next = await repo.finishStep(
      first,
      'parked-lease',
      { type: 'wait', until: at + 3 * 60 * MIN },
      at,
      0,
    );
    const item = await stored(c);
    expect(item).not.toHaveProperty('runAt');
    expect(item.dueAt).toBe(at + 3 * 60 * MIN);
    expect(next.indexAt).toBe(at + 3 * 60 * MIN);
  });

  it('given a parked job whose message could not be sent, when unparked, then the scheduler finds it at its time', async () => {
    const { job: c, lease } = await claimed();
    const parked = await repo.finishStep(
      c,
      lease,
      { type: 'wait', until: NOW + 5 * MIN },
      NOW,
      0,
      undefined,
      park,
    );
    capacity.indexWcu = 0;
    await repo.unpark(parked, 'parked-lease');
    const item = await stored(c);
    expect(item).toMatchObject({ dueAt: NOW + 5 * MIN, dueShard: shardOf(c.id) });
    expect(item).not.toHaveProperty('leaseOwner');
    expect(item).not.toHaveProperty('runAt');
    expect(capacity.indexWcu).toBe(2);
    expect(await repo.claim(T, c.id, 'w2', NOW + 5 * MIN, LEASE_MS)).toBeDefined();
  });

  it('given an unparked job whose index already held its time, when unparked, then no index write is counted', async () => {
    const { job: c, lease } = await claimed();
    await repo.unpark({ ...c, dueAt: NOW, indexAt: NOW }, lease);
    expect(capacity.indexWcu).toBe(0);
    await expect(repo.unpark(c, 'not-the-lease')).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
  });

  it('given a parked step whose message came late, when the lease is extended under it, then it holds; under another lease, not', async () => {
    const { job: c, lease } = await claimed();
    expect(await repo.extendLease(c, lease, NOW + 10 * MIN)).toBe(true);
    expect((await stored(c)).leaseUntil).toBe(NOW + 10 * MIN);
    expect(await repo.extendLease(c, 'other', NOW + 20 * MIN)).toBe(false);
    expect((await stored(c)).leaseUntil).toBe(NOW + 10 * MIN);
  });
});

describe('events for a job', () => {
  it('given an active job, when an event is delivered, then it joins the inbox and the job is due now', async () => {
    const j = job({ state: 'waiting', dueAt: NOW + 60 * MIN });
    await repo.create(j);
    capacity.indexWcu = 0;
    expect(await repo.deliver(T, j.id, event('a'), NOW)).toBe(true);
    expect(await repo.deliver(T, j.id, event('b'), NOW + 1)).toBe(true);
    expect(await stored(j)).toMatchObject({
      inbox: [event('a'), event('b')],
      dueAt: NOW + 1,
      dueShard: shardOf(j.id),
      version: 2,
    });
    expect(capacity.indexWcu).toBe(4);
  });

  it('given a finished job, when an event is delivered, then it is not kept', async () => {
    const j = job({ state: 'failed', dueAt: undefined });
    await repo.create(j);
    expect(await repo.deliver(T, j.id, event(), NOW)).toBe(false);
    expect(await stored(j)).not.toHaveProperty('inbox');
    expect(capacity.indexWcu).toBe(0);
  });

  it('given a free job, when an event is delivered and claimed, then it is taken in the same write with the event in its inbox', async () => {
    const j = job({ state: 'waiting', dueAt: NOW + 60 * MIN });
    await repo.create(j);
    const out = await repo.deliverAndClaim(T, j.id, event(), NOW, 'L1', LEASE_MS);
    expect(out).toEqual({
      claimed: expect.objectContaining({ state: 'running', leaseOwner: 'L1', leaseUntil: NOW + LEASE_MS }),
    });
    expect((out as { claimed: Job }).claimed.inbox).toEqual([event()]);
    expect(await stored(j)).toMatchObject({ inbox: [event()], leaseOwner: 'L1', version: 1, updatedAt: NOW });
  });

  it('given a job a worker holds, when an event is delivered and claimed, then it only joins the inbox for that worker', async () => {
    const { job: c, lease } = await claimed();
    expect(await repo.deliverAndClaim(T, c.id, event(), NOW + 1, 'L2', LEASE_MS)).toBe('held');
    expect(await stored(c)).toMatchObject({
      inbox: [event()],
      leaseOwner: lease,
      leaseUntil: NOW + LEASE_MS,
    });
  });

  it('given a lease that ran out, when an event is delivered and claimed, then it is taken', async () => {
    const { job: c } = await claimed();
    const out = await repo.deliverAndClaim(T, c.id, event(), NOW + LEASE_MS + 1, 'L2', LEASE_MS);
    expect(out).toMatchObject({ claimed: { leaseOwner: 'L2' } });
  });

  it('given a finished job, when an event is delivered and claimed, then it is gone and nothing is written', async () => {
    const j = job({ state: 'succeeded', dueAt: undefined });
    await repo.create(j);
    expect(await repo.deliverAndClaim(T, j.id, event(), NOW, 'L1', LEASE_MS)).toBe('gone');
    expect(await stored(j)).not.toHaveProperty('inbox');
    expect(await repo.deliverAndClaim(T, 'jnothing', event(), NOW, 'L1', LEASE_MS)).toBe('gone');
  });

  it('given a parked job whose message is not due within the margin, when an event comes, then the event takes the job over', async () => {
    const { job: c, lease } = await claimed();
    const until = NOW + 10 * MIN;
    await repo.finishStep(c, lease, { type: 'wait', until }, NOW, 0, undefined, { lease: 'parked' });
    const at = until - TAKEOVER_MARGIN_MS - 1;
    expect(await repo.deliverAndClaim(T, c.id, event(), at, 'L2', LEASE_MS)).toMatchObject({
      claimed: { leaseOwner: 'L2' },
    });
  });

  it('given a parked job whose message is about to start the step, when an event comes, then it only joins the inbox', async () => {
    const { job: c, lease } = await claimed();
    const until = NOW + 10 * MIN;
    await repo.finishStep(c, lease, { type: 'wait', until }, NOW, 0, undefined, { lease: 'parked' });
    expect(await repo.deliverAndClaim(T, c.id, event(), until - TAKEOVER_MARGIN_MS, 'L2', LEASE_MS)).toBe(
      'held',
    );
    expect(await stored(c)).toMatchObject({ leaseOwner: 'parked', inbox: [event()] });
  });

  it('given the holder finishes between the two writes, when an event comes, then the event is not stranded: the job is taken', async () => {
    const { job: c, lease } = await claimed();
    const client = ddb();
    const original = client.send.bind(client);
    let writes = 0;
    // The holder's finish lands right after the event's first (refused) write.
    const send = vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      writes += 1;
      try {
        return await original(command as never);
      } finally {
        if (writes === 1) {
          await original(
            new UpdateCommand({
              TableName: tableName(),
              Key: keys.job(T, c.id),
              // The holder's step waits an hour: only the event makes the job due now.
              UpdateExpression: 'SET #state = :w, dueAt = :later REMOVE leaseOwner, leaseUntil',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: { ':w': 'waiting', ':later': NOW + 60 * MIN },
            }),
          );
        }
      }
    }) as never);
    try {
      const out = await repo.deliverAndClaim(T, c.id, event(), NOW + 1, 'L2', LEASE_MS);
      expect(out).toMatchObject({ claimed: { leaseOwner: 'L2', inbox: [event()] } });
    } finally {
      send.mockRestore();
    }
    expect((await stored(c)).leaseOwner).toBe('L2');
    expect(lease).not.toBe('L2');
  });

  it('given a failure that is not a condition, when an event is delivered and claimed, then it comes through', async () => {
    const j = job();
    await repo.create(j);
    const boom = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const send = vi.spyOn(ddb(), 'send').mockRejectedValueOnce(boom);
    await expect(repo.deliverAndClaim(T, j.id, event(), NOW, 'L1', LEASE_MS)).rejects.toBe(boom);
    send.mockRestore();
    const { job: c } = await claimed();
    const held = vi.spyOn(ddb(), 'send');
    held.mockImplementationOnce(() =>
      Promise.reject(Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException' })),
    );
    held.mockImplementationOnce(() => Promise.reject(boom));
    await expect(repo.deliverAndClaim(T, c.id, event(), NOW, 'L1', LEASE_MS)).rejects.toBe(boom);
    held.mockRestore();
  });
});

describe('cancelling, listing and finding due jobs', () => {
  it('given an active job, when cancelled, then it ends with the reason, out of the index and the lease, expiring after the retention', async () => {
    const { job: c } = await claimed();
    expect(await repo.cancel(T, c.id, 'cancelled by U0ADMIN', NOW + 5)).toBe(true);
    const item = await stored(c);
    expect(item).toMatchObject({
      state: 'cancelled',
      lastError: 'cancelled by U0ADMIN',
      updatedAt: NOW + 5,
      version: 2,
    });
    expect(item.ttl).toBe(Math.floor((NOW + 5) / 1000) + 30 * 86_400);
    for (const gone of ['dueAt', 'dueShard', 'runAt', 'leaseOwner', 'leaseUntil'])
      expect(item).not.toHaveProperty(gone);
    expect(capacity.indexWcu).toBe(1);
    expect(await repo.cancel(T, c.id, 'again', NOW + 6)).toBe(false);
    expect(capacity.indexWcu).toBe(1);
    expect((await stored(c)).lastError).toBe('cancelled by U0ADMIN');
  });

  it('given jobs of several states, when listed, then the active ones come newest first, all with `all`, at most the limit', async () => {
    const made: Job[] = [];
    for (const [i, state] of (['queued', 'succeeded', 'waiting', 'failed', 'running'] as const).entries()) {
      const j = job({ id: newJobId(NOW + i * 1000), state });
      await repo.create(j);
      made.push(j);
    }
    expect((await repo.list(T)).map((j) => j.state)).toEqual(['running', 'waiting', 'queued']);
    expect((await repo.list(T, { all: true })).map((j) => j.id)).toEqual(made.map((j) => j.id).reverse());
    expect(await repo.list(T, { all: true, limit: 2 })).toHaveLength(2);
    expect((await repo.list(T))[0]?.tenant).toBe(T);
    // Other items of the tenant (a target pointer) are not jobs.
    await repo.pointTarget(made[0] as Job, 'somewhere', NOW);
    expect(await repo.list(T, { all: true })).toHaveLength(5);
    expect(await repo.list(tenantId(`${T}NONE`))).toEqual([]);
  });

  it('given more than 25 active jobs, when listed without a limit, then 25 come back', async () => {
    for (let i = 0; i < 27; i++) await repo.create(job({ id: newJobId(NOW + i) }));
    expect(await repo.list(T)).toHaveLength(25);
  });

  it('given jobs due at different times in one shard, when the scheduler asks, then those due come oldest first, paged, and with `after` only the newly due', async () => {
    const shard = 'S#2';
    const ids: string[] = [];
    for (let i = 0; ids.length < 4; i++) {
      const id = `jdue${T}${i}`;
      if (shardOf(id) === shard) ids.push(id);
    }
    const times = [NOW - 3000, NOW - 1000, NOW, NOW + 1000];
    for (const [i, id] of ids.entries()) await repo.create(job({ id, dueAt: times[i] as number }));
    const mine = (ks: Array<{ tenant: TenantId; jobId: string; dueAt: number }>) =>
      ks.filter((k) => k.tenant === T);
    const all = await repo.due(shard, NOW, 100);
    expect(mine(all.keys)).toEqual(
      ids.slice(0, 3).map((jobId, i) => ({ tenant: T, jobId, dueAt: times[i] })),
    );
    expect(all.next).toBeUndefined();
    const later = await repo.due(shard, NOW, 100, undefined, NOW - 2000);
    expect(mine(later.keys).map((k) => k.jobId)).toEqual(ids.slice(1, 3));
    const first = await repo.due(shard, NOW, 1);
    expect(first.keys).toHaveLength(1);
    expect(first.next).toBeDefined();
    const second = await repo.due(shard, NOW, 100, first.next);
    expect(second.keys.map((k) => k.jobId)).not.toContain(first.keys[0]?.jobId);
  });
});

describe('the "already started" pointer', () => {
  it('given a job pointed at as its requester’s latest on a target, when looked up, then it is found; another person, kind or target finds nothing', async () => {
    const j = job({ kind: 'invite.partner', createdBy: 'U0MEMBER' });
    expect(await repo.latestForTarget(T, 'U0MEMBER', 'invite.partner', 'acme corp')).toBeUndefined();
    await repo.pointTarget(j, 'acme corp', NOW);
    expect(await repo.latestForTarget(T, 'U0MEMBER', 'invite.partner', 'acme corp')).toBe(j.id);
    expect(await repo.latestForTarget(T, 'U0ADMIN', 'invite.partner', 'acme corp')).toBeUndefined();
    expect(await repo.latestForTarget(T, 'U0MEMBER', 'invite.sign', 'acme corp')).toBeUndefined();
    expect(await repo.latestForTarget(T, 'U0MEMBER', 'invite.partner', 'acme corp2')).toBeUndefined();
    expect(
      await repo.latestForTarget(tenantId(`${T}X`), 'U0MEMBER', 'invite.partner', 'acme corp'),
    ).toBeUndefined();
  });

  it('given a newer job on the same target, when pointed at, then it replaces the older one, kept as long as a finished job', async () => {
    const a = job({ createdBy: 'U0MEMBER' });
    const b = job({ id: newJobId(NOW + 1), createdBy: 'U0MEMBER' });
    await repo.pointTarget(a, 't', NOW);
    await repo.pointTarget(b, 't', NOW + 1000);
    expect(await repo.latestForTarget(T, 'U0MEMBER', a.kind, 't')).toBe(b.id);
    const pointer = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :t)',
        ExpressionAttributeValues: { ':pk': keys.job(T, 'x').pk, ':t': 'TARGET#' },
      }),
    );
    expect(pointer.Items?.map((i) => i.ttl)).toEqual([Math.floor((NOW + 1000) / 1000) + 30 * 86_400]);
  });
});

describe('short references, client lists and provider references', () => {
  const RETAIN_DEPLOYMENT = Math.floor((NOW + 90 * 86_400_000) / 1000) + 30 * 86_400;

  it('given a prefix, when numbers are drawn, then they count up from 1 per prefix and per workspace', async () => {
    expect(await repo.nextRef(T, 'INV')).toBe('INV-1');
    expect(await repo.nextRef(T, 'INV')).toBe('INV-2');
    expect(await repo.nextRef(T, 'DEP')).toBe('DEP-1');
    expect(await repo.nextRef(tenantId(`${T}X`), 'INV')).toBe('INV-1');
  });

  it('given a job with a short reference, when pointed at, then the reference finds it in any case and with spaces; other forms do not', async () => {
    const j = job({ ref: 'INV-12' });
    await repo.pointRef(j, NOW);
    expect(await repo.idOf(T, 'INV-12')).toBe(j.id);
    expect(await repo.idOf(T, ' inv-12 ')).toBe(j.id);
    expect(await repo.idOf(T, 'INV-012')).toBe(j.id);
    expect(await repo.idOf(T, 'INV-13')).toBeUndefined();
    expect(await repo.idOf(tenantId(`${T}X`), 'INV-12')).toBeUndefined();
    const item = await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.jobRef(T, 'INV-12') }));
    expect(item.Item).toMatchObject({ jobId: j.id, ttl: RETAIN_DEPLOYMENT });
  });

  it('given a job without a short reference, when pointed at, then nothing is written', async () => {
    const send = vi.spyOn(ddb(), 'send');
    try {
      await repo.pointRef(job(), NOW);
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
  });

  it('given text that is a job id or not a reference, then an id passes as it is and the rest is unknown', async () => {
    const id = newJobId(NOW);
    expect(await repo.idOf(T, id)).toBe(id);
    for (const text of [
      'jshort',
      'J1234567890',
      'x-1',
      'TOOLONG-1',
      'INV-',
      'INV-1234567890',
      `${id}!`,
      `x${id}`,
    ])
      expect(await repo.idOf(T, text), text).toBeUndefined();
  });

  it('given ids, some repeated and some unknown, when read together, then each job that exists comes once, in batches of 100', async () => {
    const made: Job[] = [];
    for (let i = 0; i < 105; i++) {
      const j = job({ id: newJobId(NOW + i) });
      await repo.create(j);
      made.push(j);
    }
    const send = vi.spyOn(ddb(), 'send');
    try {
      const ids = [...made.map((j) => j.id), made[0]?.id as string, 'jmissing0000'];
      const got = await repo.getMany(T, ids);
      expect(got.map((j) => j.id).sort()).toEqual(made.map((j) => j.id).sort());
      expect(got[0]?.tenant).toBe(T);
      expect(send).toHaveBeenCalledTimes(2);
    } finally {
      send.mockRestore();
    }
    expect(await repo.getMany(T, [])).toEqual([]);
  });

  it('given a job, when listed under its client, then the client item points at it for as long as a deployment could run plus the retention', async () => {
    const j = job();
    await repo.listUnderClient(j, 'acme', NOW);
    const out = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: keys.clientWork(T, 'acme', NOW, 'job', j.id) }),
    );
    expect(out.Item).toMatchObject({ type: 'job', id: j.id, at: NOW, ttl: RETAIN_DEPLOYMENT });
  });

  it("given a finished job's provider references, when expired, then each still naming the job gets the retention, others are left alone", async () => {
    const put = (provider: string, id: string, jobId: string) =>
      ddb().send(new PutCommand({ TableName: tableName(), Item: { ...keys.ref(T, provider, id), jobId } }));
    await put('zavu', 'inv_1', 'jmine');
    await put('cm-sign', 'd#2', 'jmine');
    await put('zavu', 'inv_2', 'jother');
    await repo.expireRefs(T, 'jmine', ['zavu#inv_1', 'cm-sign#d#2', 'zavu#inv_2', 'vonage#missing'], NOW);
    const ttl = async (provider: string, id: string) =>
      (await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.ref(T, provider, id) }))).Item
        ?.ttl;
    expect(await ttl('zavu', 'inv_1')).toBe(Math.floor(NOW / 1000) + 30 * 86_400);
    expect(await ttl('cm-sign', 'd#2')).toBe(Math.floor(NOW / 1000) + 30 * 86_400);
    expect(await ttl('zavu', 'inv_2')).toBeUndefined();
    await repo.expireRefs(T, 'jmine', undefined, NOW);
  });
});

describe('provider references leave with their job', () => {
  const refTtl = async (provider: string, id: string) =>
    (await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.ref(T, provider, id) }))).Item?.ttl;

  it('given a job following a provider object, when a step waits, then its reference stays without an expiry; when the job ends, it expires with it', async () => {
    const { job: c, lease } = await claimed({ refs: ['zavu#inv_9'] });
    await ddb().send(
      new PutCommand({ TableName: tableName(), Item: { ...keys.ref(T, 'zavu', 'inv_9'), jobId: c.id } }),
    );
    const waiting = await repo.finishStep(c, lease, { type: 'wait', until: NOW + MIN }, NOW, 0);
    expect(await refTtl('zavu', 'inv_9')).toBeUndefined();
    const again = (await repo.claim(T, c.id, 'w2', NOW + MIN, LEASE_MS)) as Job;
    await repo.finishStep({ ...again, refs: waiting.refs }, 'w2', { type: 'done' }, NOW + MIN, 0);
    expect(await refTtl('zavu', 'inv_9')).toBe(Math.floor((NOW + MIN) / 1000) + 30 * 86_400);
  });

  it('given a cancelled job following a provider object, then its reference expires with it', async () => {
    const { job: c } = await claimed({ refs: ['cm-sign#d_1'] });
    await ddb().send(
      new PutCommand({ TableName: tableName(), Item: { ...keys.ref(T, 'cm-sign', 'd_1'), jobId: c.id } }),
    );
    expect(await repo.cancel(T, c.id, 'by U0ADMIN', NOW)).toBe(true);
    expect(await refTtl('cm-sign', 'd_1')).toBe(Math.floor(NOW / 1000) + 30 * 86_400);
  });

  it('given a failure that is not a condition, when cancelling, then it comes through', async () => {
    const { job: c } = await claimed();
    const boom = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const send = vi.spyOn(ddb(), 'send').mockRejectedValueOnce(boom);
    try {
      await expect(repo.cancel(T, c.id, 'x', NOW)).rejects.toBe(boom);
    } finally {
      send.mockRestore();
    }
  });
});
