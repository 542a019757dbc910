import { ddb } from '../store/dynamo.js';

/**
 * Consumed DynamoDB capacity, metered only when switched on with `meterCapacity()`: a middleware on the shared client asks every call for
 * ReturnConsumedCapacity and adds up what comes back. Off, nothing is installed and the
 * repository's one `if (capacity.on)` per write is all it costs.
 *
 * DynamoDB charges each write again for every global secondary index the item enters (1 write),
 * changes key in (2: delete + put) or leaves (1), and a failed conditional write still costs its
 * write. dynalite reports neither, so the repository adds index writes from the index attributes it
 * sets or removes (`indexWrite`), and failed conditions are counted here.
 */
export interface CapacityTotals {
  on: boolean;
  calls: number;
  rcu: number;
  wcu: number;
  /** Writes to the due index (projected items are keys only, < 1 KB: one unit each). */
  indexWcu: number;
  failedConditions: number;
  byOperation: Record<string, { calls: number; rcu: number; wcu: number }>;
}

export const capacity: CapacityTotals = {
  on: false,
  calls: 0,
  rcu: 0,
  wcu: 0,
  indexWcu: 0,
  failedConditions: 0,
  byOperation: {},
};

const READS = new Set(['GetCommand', 'QueryCommand', 'ScanCommand', 'BatchGetCommand']);
const metered = new WeakSet<object>();

export function resetCapacity(): void {
  Object.assign(capacity, { calls: 0, rcu: 0, wcu: 0, indexWcu: 0, failedConditions: 0, byOperation: {} });
}

/** Installs the meter on the current DynamoDB client (again after resetDdb()). */
export function meterCapacity(on = true): void {
  capacity.on = on;
  if (!on) return;
  const client = ddb();
  if (metered.has(client)) return;
  metered.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!capacity.on) return next(args);
      const op = (context as { commandName?: string }).commandName ?? 'unknown';
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const row = capacity.byOperation[op] ?? { calls: 0, rcu: 0, wcu: 0 };
      capacity.byOperation[op] = row;
      capacity.calls += 1;
      row.calls += 1;
      try {
        const out = await next(args);
        const used = (out.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
        const units = used?.CapacityUnits ?? 0;
        if (READS.has(op)) {
          capacity.rcu += units;
          row.rcu += units;
        } else {
          capacity.wcu += units;
          row.wcu += units;
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
