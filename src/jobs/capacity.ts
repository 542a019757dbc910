import { ddb } from '../store/dynamo.js';

/**
 * Consumed DynamoDB capacity, metered only when switched on with `meterCapacity()`: a middleware
 * on the shared client asks every call for ReturnConsumedCapacity INDEXES and adds up what comes
 * back, table and index units apart. Off, nothing is installed and the repository's one
 * `if (capacity.on)` per write is all it costs.
 *
 * DynamoDB charges each write again for every global secondary index the item enters (1 write),
 * changes key in (2: delete + put) or leaves (1); a write that changes neither an index key nor a
 * projected attribute costs the index nothing; a failed conditional write still costs its write.
 * dynalite reports index units for queries but not for writes, and nothing for failed
 * conditions, so: the repository reports the index writes it causes (`indexWrite`), an optional
 * `check` recomputes them from each written item before and after by those rules (benchmarks),
 * and failed conditions are counted here at 1 WCU.
 */
export interface CapacityTotals {
  on: boolean;
  calls: number;
  /** Reads: table units and index units (queries on the due index) apart. */
  rcu: number;
  tableRcu: number;
  indexRcu: number;
  /** Table writes as DynamoDB reports them, plus failed conditional writes at 1 unit each. */
  wcu: number;
  /** Due-index writes, as the repository reports them (keys only, < 1 KB: one unit each). */
  indexWcu: number;
  /** Due-index writes recomputed from the items before and after each write (with `check`). */
  indexWcuChecked: number;
  /** Index write units DynamoDB itself reported (dynalite: none). */
  indexWcuReported: number;
  failedConditions: number;
  byOperation: Record<string, { calls: number; rcu: number; wcu: number }>;
}

const zero = (): Omit<CapacityTotals, 'on'> => ({
  calls: 0,
  rcu: 0,
  tableRcu: 0,
  indexRcu: 0,
  wcu: 0,
  indexWcu: 0,
  indexWcuChecked: 0,
  indexWcuReported: 0,
  failedConditions: 0,
  byOperation: {},
});

export const capacity: CapacityTotals = { on: false, ...zero() };

/** Reads an item as stored (a benchmark's own client, unmetered), for `check`. */
export type PeekItem = (
  tableName: string,
  key: Record<string, unknown>,
) => Promise<Record<string, unknown> | undefined>;

export interface MeterOptions {
  /** Recompute index writes from each written item before and after (sequential benchmarks). */
  check?: { peek: PeekItem; indexKeys: string[] };
}

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);
const metered = new WeakSet<object>();
let options: MeterOptions = {};

export function resetCapacity(): void {
  Object.assign(capacity, zero());
}

interface Consumed {
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

/** Index writes by DynamoDB's rules for a keys-only index: enter 1, leave 1, key change 2. */
function indexUnits(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
  indexKeys: string[],
): number {
  const keyOf = (item: Record<string, unknown> | undefined) =>
    item && indexKeys.every((k) => item[k] !== undefined)
      ? JSON.stringify(indexKeys.map((k) => item[k]))
      : undefined;
  const a = keyOf(before);
  const b = keyOf(after);
  if (a === b) return 0;
  return a && b ? 2 : 1;
}

/** Installs the meter on the current DynamoDB client (again after resetDdb()). */
export function meterCapacity(on = true, opts: MeterOptions = {}): void {
  capacity.on = on;
  if (!on) return;
  options = opts;
  const client = ddb();
  if (metered.has(client)) return;
  metered.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!capacity.on) return next(args);
      const op = (context as { commandName?: string }).commandName ?? 'unknown';
      const input = args.input as {
        ReturnConsumedCapacity?: string;
        TableName?: string;
        Key?: Record<string, unknown>;
        Item?: Record<string, unknown>;
      };
      input.ReturnConsumedCapacity = 'INDEXES';
      const row = capacity.byOperation[op] ?? { calls: 0, rcu: 0, wcu: 0 };
      capacity.byOperation[op] = row;
      capacity.calls += 1;
      row.calls += 1;
      const check = WRITES.has(op) ? options.check : undefined;
      const key = input.Key ?? (input.Item ? { pk: input.Item.pk, sk: input.Item.sk } : undefined);
      const before = check && key ? await check.peek(input.TableName ?? '', key) : undefined;
      try {
        const out = await next(args);
        const used = (out.output as { ConsumedCapacity?: Consumed }).ConsumedCapacity;
        const total = used?.CapacityUnits ?? 0;
        const indexes = Object.values(used?.GlobalSecondaryIndexes ?? {}).reduce(
          (n, i) => n + (i.CapacityUnits ?? 0),
          0,
        );
        const table = used?.Table?.CapacityUnits ?? total - indexes;
        if (READS.has(op)) {
          capacity.rcu += total;
          capacity.tableRcu += table;
          capacity.indexRcu += indexes;
          row.rcu += total;
        } else {
          capacity.wcu += table;
          capacity.indexWcuReported += indexes;
          row.wcu += table;
        }
        if (check && key) {
          const after = await check.peek(input.TableName ?? '', key);
          capacity.indexWcuChecked += indexUnits(before, after, check.indexKeys);
        }
        return out;
      } catch (err) {
        if ((err as { name?: string }).name === 'ConditionalCheckFailedException') {
          capacity.failedConditions += 1;
          capacity.wcu += 1;
          row.wcu += 1;
        }
        throw err;
      }
    },
    { step: 'initialize', name: 'capacityMeter' },
  );
}

/** The repository's report of due-index writes a successful table write caused. */
export function indexWrite(units: number): void {
  if (capacity.on) capacity.indexWcu += units;
}
