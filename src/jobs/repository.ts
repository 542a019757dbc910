import { createHash, randomBytes } from 'node:crypto';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { config } from '../config.js';
import { logger } from '../log.js';
import { conditionally, ddb, epochSeconds, isConditionFailed, tableName } from '../store/dynamo.js';
import { keys, pkOf, type TenantId, tenantFromPk } from '../store/keys.js';
import { DUE_INDEX } from '../store/table.js';
import { indexWrite } from './capacity.js';
import { type InboxEvent, isTerminal, type Job, type JobState, LEASE_MS, type StepOutcome } from './model.js';

/** Time-sortable, short enough to type: `j` + base36 ms + 6 random base36 chars. */
export function newJobId(now = clock.now()): string {
  return `j${now.toString(36)}${BigInt(`0x${randomBytes(4).toString('hex')}`)
    .toString(36)
    .padStart(6, '0')
    .slice(0, 6)}`;
}

export function leaseToken(): string {
  return randomBytes(9).toString('base64url');
}

/** A job's shard of the due index is fixed by its id, spreading a backlog over partitions. */
export function shardOf(jobId: string, shards = config().dueShards): string {
  let h = 0;
  for (const ch of jobId) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return `S#${Math.abs(h) % shards}`;
}

const ACTIVE: JobState[] = ['queued', 'running', 'waiting'];

/** The condition every change to a job that is still going shares, with its values. */
const IS_ACTIVE = 'attribute_exists(pk) AND #state IN (:queued, :running, :waiting)';
const ACTIVE_VALUES = { ':queued': 'queued', ':running': 'running', ':waiting': 'waiting' };

type Item = Job & { pk: string; sk: string; dueShard?: string; ttl?: number; runAt?: number };

/**
 * Stored, `dueAt` is the due index's key: when the scheduler looks at the job. A parked job (see
 * finishStep) is woken by its delayed queue message at `runAt`, and its `dueAt` is only the later
 * time at which the scheduler recovers it if that message is lost. Read back, `dueAt` is when the
 * next step is due either way, and `indexAt` the stored key.
 */
function toJob(item: Record<string, unknown>): Job {
  const { pk, sk: _sk, dueShard: _d, ttl: _t, runAt, ...rest } = item as unknown as Item;
  return {
    ...rest,
    ...(runAt !== undefined ? { dueAt: runAt } : {}),
    indexAt: rest.dueAt,
    tenant: tenantFromPk(pk),
  } as Job;
}

/**
 * A wait this long is parked: its next step comes by a delayed queue message, not a claim. SQS
 * delays a message at most 15 minutes, so a longer wait's message is sent on each time it
 * arrives early (a hop: no read, no write; see runMessage) until its time. Shorter waits stay
 * with the scheduler (it passes every second), so an event can take a parked job over for all
 * but the last TAKEOVER_MARGIN_MS of a wait of a minute or more.
 *
 * Up to 2 hours: hourly polls (invites, templates) are parked with room to spare. Each hop is an
 * SQS send, receive and delete and a worker invocation (7 hops for a 2-hour wait), which in
 * on-demand dollars already costs about what the claim and index move it saves (3 WCU) cost, and
 * each hop is a stop of the local stack's clock moves (at most 96 a day per parked job, as a
 * 15-minute poll's). Waits of days (reminders, expiries, monitoring) stay with the due index:
 * one claim and index move per several days, where chaining would send ~96 messages a day.
 */
const PARK_MIN_MS = 60_000;
export const PARK_MAX_MS = 2 * 60 * 60_000;
/**
 * A parked job's recovery time is rounded up to a bucket of at least this, so it moves about
 * once per two buckets of parking; see parkedIndexAt.
 */
const PARK_BUCKET_MS = 60 * 60_000;
/** A parked wait longer than PARK_BUCKET_MS / this gets a bucket of this many waits. */
const PARK_BUCKET_WAITS = 3;
/** An event takes a parked job over only this long before its message can start the step. */
export const TAKEOVER_MARGIN_MS = 5_000;

/**
 * Where a parked job's index key must be: after its lease, moved only when it falls short, then
 * to a bucket boundary at least one bucket after the lease, the bucket being
 * max(PARK_BUCKET_MS, PARK_BUCKET_WAITS × wait). A key placed so lasts at least one bucket of
 * polls and moves at least two buckets on, so the move's 2 index writes come about once per two
 * buckets: once per 2 hours (24 polls) for a 5-minute poll, once per 6 polls for an hourly one
 * (≈ 0.33 WCU a poll). The price is recovery: a lost message (a crash between the finish and the
 * send, or a message dead-lettered) leaves the job to the scheduler at that key, up to two
 * buckets after the lease ran out: ≤ 2 h late for waits up to 20 minutes, ≤ 6 waits late beyond
 * (6 h for an hourly poll, 12 h for a 2-hour wait). An event still wakes the job at once.
 */
function parkedIndexAt(current: number | undefined, leaseUntil: number, waitMs: number): number {
  if (current !== undefined && current >= leaseUntil) return current;
  const bucket = Math.max(PARK_BUCKET_MS, PARK_BUCKET_WAITS * waitMs);
  return Math.ceil(leaseUntil / bucket) * bucket + bucket;
}

/** When DynamoDB's TTL may delete a finished job (and what points to it): after the retention. */
function retentionTtl(now: number): number {
  return epochSeconds(now) + config().jobRetentionDays * 86_400;
}

/**
 * Where the requester's latest job of a kind on a target is found: one small item per (kind,
 * person, target) holding that job's id, written with the job. Looking it up is one GetItem, where
 * searching the tenant's latest 200 jobs read up to 200 items on every start (the ack path).
 */
function targetKey(tenant: TenantId, userId: string, kind: string, target: string) {
  const digest = createHash('sha256').update(target).digest('base64url').slice(0, 32);
  return keys.activeTarget(tenant, `${kind}#${userId}#${digest}`);
}

/** What a target's pointer holds: the job it names and enough to show that job before it is read. */
export interface TargetPointer {
  jobId: string;
  ref?: string | undefined;
  subject?: string | undefined;
  createdAt?: number | undefined;
  channel?: string | undefined;
}

function pointerOf(item: Record<string, unknown> | undefined): TargetPointer | undefined {
  if (typeof item?.jobId !== 'string') return undefined;
  return {
    jobId: item.jobId,
    ref: typeof item.ref === 'string' ? item.ref : undefined,
    subject: typeof item.subject === 'string' ? item.subject : undefined,
    createdAt: typeof item.createdAt === 'number' ? item.createdAt : undefined,
    channel: typeof item.channel === 'string' ? item.channel : undefined,
  };
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly code = 'conflict';
}

/**
 * Jobs in the single table. Every state change is one conditional write on one item: claims
 * require an expired lease and a due time that has come; step results require the lease.
 */
export class JobRepository {
  async create(job: Job): Promise<void> {
    const { tenant, ...rest } = job;
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.job(tenant, job.id),
          ...rest,
          ...(job.dueAt !== undefined ? { dueShard: shardOf(job.id) } : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (job.dueAt !== undefined) indexWrite(1);
  }

  async get(tenant: TenantId, id: string): Promise<Job | undefined> {
    const out = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: keys.job(tenant, id), ConsistentRead: true }),
    );
    return out.Item ? toJob(out.Item) : undefined;
  }

  /** The requester's pointer for this kind and target, if one was recorded: its job and a snapshot. */
  async readTarget(
    tenant: TenantId,
    userId: string,
    kind: string,
    target: string,
  ): Promise<TargetPointer | undefined> {
    const out = await ddb().send(
      new GetCommand({
        TableName: tableName(),
        Key: targetKey(tenant, userId, kind, target),
        ProjectionExpression: 'jobId, #ref, subject, createdAt, channel',
        ExpressionAttributeNames: { '#ref': 'ref' },
        ConsistentRead: true,
      }),
    );
    return pointerOf(out.Item);
  }

  /** The id of the requester's latest job of this kind on this target, if one was recorded. */
  async latestForTarget(tenant: TenantId, userId: string, kind: string, target: string) {
    return (await this.readTarget(tenant, userId, kind, target))?.jobId;
  }

  /**
   * Makes the job its requester's latest of its kind on its target, kept as long as the job. The
   * pointer is the lock of identical starts: with `expected`, the write holds only while the
   * pointer still names that job (`null`: while there is none), so of several identical starts
   * that all saw the same pointer, exactly one writes it; the others get false. The pointer keeps
   * a snapshot (subject, time, channel) to answer them with before the winner's job is readable.
   */
  async pointTarget(job: Job, target: string, now: number, expected?: string | null): Promise<boolean> {
    const condition =
      expected === undefined
        ? {}
        : expected === null
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: 'jobId = :expected',
              ExpressionAttributeValues: { ':expected': expected },
            };
    return conditionally(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...targetKey(job.tenant, job.createdBy, job.kind, target),
          jobId: job.id,
          ...(job.ref ? { ref: job.ref } : {}),
          subject: job.subject,
          createdAt: job.createdAt,
          channel: job.report.channel,
          ttl: retentionTtl(now),
        },
        ...condition,
      }),
    );
  }

  /**
   * Lists the job under its client (`keys.clientWork`), kept as long as a finished job is, counted
   * from when the longest job could still be running (a deployment waits up to 90 days).
   */
  async listUnderClient(job: Job, clientKey: string, now: number): Promise<void> {
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.clientWork(job.tenant, clientKey, now, 'job', job.id),
          type: 'job',
          id: job.id,
          at: now,
          ttl: retentionTtl(now + 90 * 86_400_000),
        },
      }),
    );
  }

  /** The next number of a short reference (`INV` → 12, for INV-12): one atomic counter per prefix. */
  async nextRef(tenant: TenantId, prefix: string): Promise<string> {
    const out = await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.sequence(tenant, prefix),
        UpdateExpression: 'ADD seq :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return `${prefix}-${Number(out.Attributes?.seq)}`;
  }

  /** Where a short reference points, kept as long as the job (written with it). */
  async pointRef(job: Job, now: number): Promise<void> {
    if (!job.ref) return;
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.jobRef(job.tenant, job.ref),
          jobId: job.id,
          ttl: retentionTtl(now + 90 * 86_400_000),
        },
      }),
    );
  }

  /** A job id, or the id a short reference (INV-12, any case) points to; undefined when unknown. */
  async idOf(tenant: TenantId, idOrRef: string): Promise<string | undefined> {
    const ref = /^([A-Za-z]{2,5})-(\d{1,9})$/.exec(idOrRef.trim());
    if (!ref) return /^j[0-9a-z]{8,}$/.test(idOrRef) ? idOrRef : undefined;
    const out = await ddb().send(
      new GetCommand({
        TableName: tableName(),
        Key: keys.jobRef(tenant, `${ref[1]?.toUpperCase()}-${Number(ref[2])}`),
        ProjectionExpression: 'jobId',
      }),
    );
    return typeof out.Item?.jobId === 'string' ? out.Item.jobId : undefined;
  }

  /** The jobs of these ids that still exist (one BatchGet per 100). */
  async getMany(tenant: TenantId, ids: string[]): Promise<Job[]> {
    const out: Job[] = [];
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, { Keys: Array<Record<string, string>> }> | undefined = {
        [tableName()]: { Keys: unique.slice(i, i + 100).map((id) => keys.job(tenant, id)) },
      };
      // Unprocessed keys (throttling) are asked again, as DynamoDB documents.
      for (let round = 0; request && round < 5; round++) {
        const res: BatchGetCommandOutput = await ddb().send(new BatchGetCommand({ RequestItems: request }));
        out.push(...(res.Responses?.[tableName()] ?? []).map(toJob));
        request =
          res.UnprocessedKeys && Object.keys(res.UnprocessedKeys).length
            ? (res.UnprocessedKeys as never)
            : undefined;
      }
    }
    return out;
  }

  /** Takes the job for one run if it is due and nobody holds a live lease. */
  async claim(
    tenant: TenantId,
    id: string,
    owner: string,
    now: number,
    leaseMs: number,
    opts: { due?: boolean } = {},
  ): Promise<Job | undefined> {
    // `due: false`: an event in the inbox makes the job due whatever its dueAt says.
    const due = opts.due === false ? '' : ' AND dueAt <= :now';
    try {
      const out = await ddb().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.job(tenant, id),
          UpdateExpression:
            'SET leaseOwner = :owner, leaseUntil = :until, #state = :running, updatedAt = :now ADD version :one',
          ConditionExpression: `${IS_ACTIVE}${due} AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ...ACTIVE_VALUES,
            ':owner': owner,
            ':until': now + leaseMs,
            ':now': now,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? toJob(out.Attributes) : undefined;
    } catch (err) {
      if (isConditionFailed(err)) return undefined;
      throw err;
    }
  }

  /** Records, under the lease, that a side effect is about to happen. */
  async startEffect(job: Job, lease: string, key: string, now: number): Promise<void> {
    await this.setEffect(job, lease, key, { status: 'started', at: now });
  }

  /**
   * Writes an effect's result the moment the provider answered, so a crash later in the same
   * step does not lose the id of what was created (and a retry does not create it again).
   */
  async finishEffect(job: Job, lease: string, key: string, result: unknown, now: number): Promise<void> {
    await this.setEffect(job, lease, key, {
      status: 'done',
      at: now,
      ...(result === undefined ? {} : { result }),
    });
  }

  private async setEffect(
    job: Job,
    lease: string,
    key: string,
    effect: Record<string, unknown>,
  ): Promise<void> {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.job(job.tenant, job.id),
        UpdateExpression: 'SET effects.#k = :effect',
        ConditionExpression: 'leaseOwner = :lease',
        ExpressionAttributeNames: { '#k': key },
        ExpressionAttributeValues: { ':effect': effect, ':lease': lease },
      }),
    );
  }

  /**
   * Writes a step's outcome and releases the lease in one update. Webhook events that arrived
   * during the step (version moved on) are kept, and make the job due again at once.
   */
  async finishStep(
    job: Job,
    lease: string,
    result: StepOutcome,
    now: number,
    consumedInbox: number,
    keep?: { leaseUntil: number },
    park?: { lease: string },
  ): Promise<Job> {
    let current = job;
    for (let attempt = 0; attempt < 5; attempt++) {
      const remaining = (current.inbox ?? []).slice(consumedInbox);
      const next = applyResult(current, result, now, remaining);
      const terminal = isTerminal(next.state);
      // Kept (offered by the runner): the same worker runs the next step at once, so the lease
      // stays and the due index is not touched; the stored dueAt is what a crash falls back on.
      // Only event-driven work is kept: events that arrived during the step, or a step that acted
      // on events and asks to go on at once (a click's follow-up). A poll that merely asks to be
      // due now is paced by the scheduler, and a retry's backoff is the point.
      const kept =
        keep !== undefined &&
        result.type === 'wait' &&
        (next.dueAt ?? Number.POSITIVE_INFINITY) <= now &&
        (remaining.length > 0 || consumedInbox > 0);
      // Parked (offered by the runner, taken for a wait of at most PARK_MAX_MS): the write keeps a
      // fresh lease for the next step until its due time + LEASE_MS, and the runner sends that
      // step's message delayed to its due time (in hops of ≤ 15 min), so the next step needs no
      // claim. The index key moves only when the recovery time falls short of the new lease
      // (about once per two buckets, see parkedIndexAt).
      const waitMs = (next.dueAt ?? now) - now;
      const parked =
        park !== undefined && !terminal && !kept && waitMs >= PARK_MIN_MS && waitMs <= PARK_MAX_MS;
      const parkedUntil = (next.dueAt ?? now) + LEASE_MS;
      // Jobs built in memory (startJob) carry no indexAt: their stored key is their dueAt.
      const storedIndex = current.indexAt ?? current.dueAt;
      const indexAt = parked ? parkedIndexAt(storedIndex, parkedUntil, waitMs) : next.dueAt;
      const wasParked = storedIndex !== current.dueAt;
      const moves = !terminal && !kept && indexAt !== storedIndex;
      const names: Record<string, string> = { '#state': 'state' };
      const values: Record<string, unknown> = {
        ':state': kept ? 'running' : next.state,
        ':now': now,
        ':data': next.data,
        ':effects': next.effects,
        ':report': next.report,
        ':attempts': next.attempts,
        ':lease': lease,
        ':v': current.version,
        ':one': 1,
        ':inbox': remaining,
      };
      const sets = [
        '#state = :state',
        'updatedAt = :now',
        '#data = :data',
        'effects = :effects',
        'report = :report',
        'attempts = :attempts',
        'inbox = :inbox',
      ];
      names['#data'] = 'data';
      const removes = kept || parked ? [] : ['leaseOwner', 'leaseUntil'];
      if (kept) {
        sets.push('leaseUntil = :leaseUntil');
        values[':leaseUntil'] = (keep as { leaseUntil: number }).leaseUntil;
      }
      if (parked) {
        sets.push('leaseOwner = :park', 'leaseUntil = :leaseUntil', 'runAt = :runAt');
        values[':park'] = (park as { lease: string }).lease;
        values[':leaseUntil'] = parkedUntil;
        values[':runAt'] = next.dueAt;
      } else if (!kept && wasParked) removes.push('runAt');
      if (next.refs?.length) {
        sets.push('refs = :refs');
        values[':refs'] = next.refs;
      }
      if (next.lastError !== undefined) {
        sets.push('lastError = :err');
        values[':err'] = next.lastError;
      } else removes.push('lastError');
      if (terminal) {
        removes.push('dueAt', 'dueShard');
        sets.push('#ttl = :ttl');
        names['#ttl'] = 'ttl';
        values[':ttl'] = retentionTtl(now);
      } else if (moves) {
        // Only a due time that really changes is written: every change of the index key costs
        // two index writes (delete + put).
        sets.push('dueAt = :due', 'dueShard = :shard');
        values[':due'] = indexAt;
        values[':shard'] = shardOf(current.id);
      }
      try {
        await ddb().send(
          new UpdateCommand({
            TableName: tableName(),
            Key: keys.job(current.tenant, current.id),
            UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''} ADD version :one`,
            ConditionExpression: 'leaseOwner = :lease AND version = :v',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        // Leaving the due index is one index write; a new due time moves the key (delete + put).
        indexWrite(
          terminal ? (storedIndex !== undefined ? 1 : 0) : moves ? (storedIndex !== undefined ? 2 : 1) : 0,
        );
        if (kept)
          return {
            ...next,
            state: 'running',
            dueAt: current.dueAt,
            indexAt: storedIndex,
            inbox: remaining,
            version: current.version + 1,
            leaseOwner: lease,
            leaseUntil: (keep as { leaseUntil: number }).leaseUntil,
          };
        if (parked)
          return {
            ...next,
            indexAt,
            inbox: remaining,
            version: current.version + 1,
            leaseOwner: (park as { lease: string }).lease,
            leaseUntil: parkedUntil,
          };
        if (terminal) await this.expireRefs(current.tenant, current.id, next.refs, now);
        return {
          ...next,
          indexAt: terminal ? undefined : indexAt,
          inbox: remaining,
          version: current.version + 1,
          leaseOwner: undefined,
          leaseUntil: undefined,
        };
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        const fresh = await this.get(current.tenant, current.id);
        if (!fresh || fresh.leaseOwner !== lease) throw new ConflictError(`lost the lease on ${current.id}`);
        current = fresh;
      }
    }
    throw new ConflictError(`could not finish ${job.id}: too many concurrent changes`);
  }

  /** A webhook event for the job: kept in its inbox, and the job is due now. */
  async deliver(tenant: TenantId, id: string, event: InboxEvent, now: number): Promise<boolean> {
    const applied = await conditionally(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.job(tenant, id),
        UpdateExpression:
          'SET inbox = list_append(if_not_exists(inbox, :empty), :event), dueAt = :now, dueShard = :shard, updatedAt = :now ADD version :one',
        ConditionExpression: IS_ACTIVE,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ...ACTIVE_VALUES,
          ':empty': [],
          ':event': [event],
          ':now': now,
          ':shard': shardOf(id),
          ':one': 1,
        },
      }),
    );
    if (applied) indexWrite(2);
    return applied;
  }

  /**
   * A webhook or user event for the job, taking the job for a run in the same write when nobody
   * holds it: one write, and the due index is not touched (the step that runs writes the next due
   * time). When a worker holds the job, the event only joins the inbox; that worker's finish sees
   * it (its version moved) and runs the job again at once. Returns the claimed job, `held` when
   * someone else holds it, or `gone` when the job is no longer active.
   */
  async deliverAndClaim(
    tenant: TenantId,
    id: string,
    event: InboxEvent,
    now: number,
    lease: string,
    leaseMs: number,
  ): Promise<{ claimed: Job } | 'held' | 'gone'> {
    const append = 'inbox = list_append(if_not_exists(inbox, :empty), :event), updatedAt = :now';
    try {
      const out = await ddb().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.job(tenant, id),
          UpdateExpression: `SET ${append}, leaseOwner = :owner, leaseUntil = :until, #state = :running ADD version :one`,
          // Free, or parked with its delayed message not yet able to start (its step begins no
          // earlier than runAt): the event takes the job over, and that message finds the lease gone.
          ConditionExpression: `${IS_ACTIVE} AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR (#state = :waiting AND runAt > :soon))`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ...ACTIVE_VALUES,
            ':empty': [],
            ':event': [event],
            ':now': now,
            ':owner': lease,
            ':until': now + leaseMs,
            ':soon': now + TAKEOVER_MARGIN_MS,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { claimed: toJob(out.Attributes ?? {}) };
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    // Held by a worker (or no longer active): the event joins the inbox only.
    let after: Job;
    try {
      const out = await ddb().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.job(tenant, id),
          UpdateExpression: `SET ${append} ADD version :one`,
          ConditionExpression: IS_ACTIVE,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ...ACTIVE_VALUES,
            ':empty': [],
            ':event': [event],
            ':now': now,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      after = toJob(out.Attributes ?? {});
    } catch (err) {
      if (isConditionFailed(err)) return 'gone';
      throw err;
    }
    // The holder finished between the two writes: nobody would see the event, so take the job now.
    if ((after.leaseUntil ?? 0) < now) {
      const claimed = await this.claim(tenant, id, lease, now, leaseMs, { due: false });
      if (claimed) return { claimed };
    }
    return 'held';
  }

  /** A parked job whose delayed message could not be sent: due at its time for the scheduler. */
  async unpark(job: Job, lease: string): Promise<void> {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.job(job.tenant, job.id),
        UpdateExpression: 'SET dueAt = :due, dueShard = :shard REMOVE leaseOwner, leaseUntil, runAt',
        ConditionExpression: 'leaseOwner = :lease',
        ExpressionAttributeValues: { ':due': job.dueAt, ':shard': shardOf(job.id), ':lease': lease },
      }),
    );
    indexWrite(job.indexAt === job.dueAt ? 0 : 2);
  }

  /** Lengthens a lease still held (a parked step whose message came late). */
  async extendLease(job: Job, lease: string, until: number): Promise<boolean> {
    return conditionally(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.job(job.tenant, job.id),
        UpdateExpression: 'SET leaseUntil = :until',
        ConditionExpression: 'leaseOwner = :lease',
        ExpressionAttributeValues: { ':until': until, ':lease': lease },
      }),
    );
  }

  /**
   * The job's provider references (`REF#`, how a webhook finds its job) leave with the job: each
   * gets the job's retention TTL when it ends. A reference that now names another job is left
   * alone (conditional), and a failure here does not undo the job's end: it is logged.
   */
  async expireRefs(tenant: TenantId, jobId: string, refs: string[] | undefined, now: number): Promise<void> {
    await Promise.all(
      (refs ?? []).map(async (ref) => {
        const at = ref.indexOf('#');
        try {
          await conditionally(
            new UpdateCommand({
              TableName: tableName(),
              Key: keys.ref(tenant, ref.slice(0, at), ref.slice(at + 1)),
              UpdateExpression: 'SET #ttl = :ttl',
              ConditionExpression: 'jobId = :job',
              ExpressionAttributeNames: { '#ttl': 'ttl' },
              ExpressionAttributeValues: { ':ttl': retentionTtl(now), ':job': jobId },
            }),
          );
        } catch (err) {
          logger.warn('a finished job reference was not given its retention', { jobId, error: err as Error });
        }
      }),
    );
  }

  async cancel(tenant: TenantId, id: string, reason: string, now: number): Promise<boolean> {
    let refs: string[] | undefined;
    try {
      const out = await ddb().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: keys.job(tenant, id),
          UpdateExpression:
            'SET #state = :cancelled, lastError = :reason, updatedAt = :now, #ttl = :ttl REMOVE dueAt, dueShard, runAt, leaseOwner, leaseUntil ADD version :one',
          ConditionExpression: IS_ACTIVE,
          ExpressionAttributeNames: { '#state': 'state', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ...ACTIVE_VALUES,
            ':cancelled': 'cancelled',
            ':reason': reason,
            ':now': now,
            ':ttl': retentionTtl(now),
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      refs = (out.Attributes as Job | undefined)?.refs;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
    indexWrite(1);
    await this.expireRefs(tenant, id, refs, now);
    return true;
  }

  /** The tenant's jobs, newest first: active ones, or all kept ones. */
  async list(tenant: TenantId, opts: { all?: boolean; limit?: number } = {}): Promise<Job[]> {
    const out = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :job)',
        ExpressionAttributeValues: { ':pk': pkOf(tenant), ':job': 'JOB#' },
        ScanIndexForward: false,
        Limit: 200,
      }),
    );
    const jobs = (out.Items ?? []).map(toJob);
    return (opts.all ? jobs : jobs.filter((j) => ACTIVE.includes(j.state))).slice(0, opts.limit ?? 25);
  }

  /**
   * Keys of jobs in one shard of the due index whose time has come, oldest first; with `after`,
   * only those that fell due after it (the scheduler's incremental passes).
   */
  async due(shard: string, now: number, limit: number, startKey?: Record<string, unknown>, after?: number) {
    const out = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: DUE_INDEX,
        KeyConditionExpression:
          after === undefined
            ? 'dueShard = :s AND dueAt <= :now'
            : 'dueShard = :s AND dueAt BETWEEN :after AND :now',
        ExpressionAttributeValues: {
          ':s': shard,
          ':now': now,
          ...(after === undefined ? {} : { ':after': after }),
        },
        Limit: limit,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    return {
      keys: (out.Items ?? []).map((i) => ({
        tenant: tenantFromPk(i.pk as string),
        jobId: (i.sk as string).slice(4),
        dueAt: i.dueAt as number,
      })),
      next: out.LastEvaluatedKey,
    };
  }
}

function applyResult(job: Job, result: StepOutcome, now: number, inbox: InboxEvent[]): Job {
  const data = { ...job.data, ...(result.data ?? {}) };
  switch (result.type) {
    case 'wait':
      return {
        ...job,
        data,
        state: 'waiting',
        attempts: 0,
        // An event that arrived during the step wants attention now, not at the next poll.
        dueAt: inbox.length > 0 ? now : result.until,
        lastError: undefined,
      };
    case 'retry':
      return {
        ...job,
        data,
        state: 'waiting',
        attempts: job.attempts + 1,
        dueAt: inbox.length > 0 ? Math.min(now, result.until) : result.until,
        lastError: result.error,
      };
    case 'done':
      return { ...job, data, state: 'succeeded', dueAt: undefined, lastError: undefined };
    case 'fail':
      return { ...job, data, state: 'failed', dueAt: undefined, lastError: result.reason };
    case 'cancelled':
      return { ...job, data, state: 'cancelled', dueAt: undefined, lastError: result.reason };
  }
}
