import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { resetConfig } from '../../src/config.js';
import { ensureTable } from '../../src/sandbox/server.js';
import { resetDdb } from '../../src/store/dynamo.js';

/** A fresh in-memory dynalite with the real table definition, and the config pointing at it. */
export async function startTestTable(env: Record<string, string> = {}) {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tableName = `test-${Math.random().toString(36).slice(2, 8)}`;
  Object.assign(process.env, { DYNAMODB_ENDPOINT: endpoint, TABLE_NAME: tableName, ...env });
  resetConfig();
  resetDdb();
  await ensureTable(endpoint, tableName);
  return {
    endpoint,
    tableName,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
