import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { clock } from '../clock.js';
import { conditionally, ddb, tableName } from '../store/dynamo.js';
import { clientWorkPrefix, keys, pkOf, type TenantId } from '../store/keys.js';
import { TtlCache } from '../store/ttl-cache.js';

/**
 * A workspace's clients (one item each, `CLIENT#<key>`, holding the name as first typed) and
 * the index of their work (`WORK#<key>#<time>#<type>#<id>`: jobs, written by the engine when a
 * job starts with a client, and opt-ins, written here).
 */
export interface Client {
  key: string;
  name: string;
  createdAt: number;
  createdBy: string;
}

export interface WorkItem {
  type: 'job' | 'optin';
  id: string;
  at: number;
  /** Opt-ins only: what the card shows of them (the number masked). */
  summary?: string | undefined;
  by?: string | undefined;
}

/** A workspace keeps at most this many clients in one listing (the newest are kept). */
export const MAX_CLIENTS = 500;

export async function getClient(tenant: TenantId, key: string): Promise<Client | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: tableName(), Key: keys.client(tenant, key) }));
  return out.Item ? toClient(out.Item) : undefined;
}

/**
 * The names a new client is compared with (near misses), kept a minute per workspace in a warm
 * container: a partner invitation per new client would otherwise read every client each time.
 * A client another container made in that minute is missed by the comparison only; it is never
 * taken for another (exact names are always read from the table).
 */
const known = new TtlCache<Promise<Client[]>>(200);
const KNOWN_MS = 60_000;

export function knownClients(tenant: TenantId): Promise<Client[]> {
  let list = known.get(tenant);
  if (!list) {
    list = listClients(tenant);
    list.catch(() => known.delete(tenant));
    known.set(tenant, list, clock.now() + KNOWN_MS);
  }
  return list;
}

export async function listClients(tenant: TenantId): Promise<Client[]> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
      ExpressionAttributeValues: { ':pk': pkOf(tenant), ':c': 'CLIENT#' },
      Limit: MAX_CLIENTS,
    }),
  );
  return (out.Items ?? []).map(toClient);
}

/** Records a new client; a client that appeared meanwhile (another door, the same name) is kept. */
export async function saveClient(tenant: TenantId, client: Client): Promise<void> {
  // This container's list learns it at once.
  const cached = known.get(tenant);
  if (cached)
    known.set(
      tenant,
      cached.then((l) => [...l, client]),
      clock.now() + KNOWN_MS,
    );
  await conditionally(
    new PutCommand({
      TableName: tableName(),
      Item: { ...keys.client(tenant, client.key), ...client },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function recordWork(tenant: TenantId, clientKey: string, item: WorkItem): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...keys.clientWork(tenant, clientKey, item.at, item.type, item.id), ...item },
    }),
  );
}

/** The client's work, newest first. */
export async function clientWork(tenant: TenantId, clientKey: string, limit = 50): Promise<WorkItem[]> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)',
      ExpressionAttributeValues: { ':pk': pkOf(tenant), ':w': clientWorkPrefix(clientKey) },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((i) => ({
    type: i.type === 'optin' ? 'optin' : 'job',
    id: String(i.id),
    at: Number(i.at),
    summary: typeof i.summary === 'string' ? i.summary : undefined,
    by: typeof i.by === 'string' ? i.by : undefined,
  }));
}

function toClient(item: Record<string, unknown>): Client {
  return {
    key: String(item.key),
    name: String(item.name),
    createdAt: Number(item.createdAt ?? 0),
    createdBy: String(item.createdBy ?? ''),
  };
}
