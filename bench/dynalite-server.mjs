// dynalite in its own process, so the database works on the other core while the benchmark runs.
// With a key and a certificate file as arguments, over HTTPS (as DynamoDB's endpoints are).
import { readFileSync } from 'node:fs';
import dynalite from 'dynalite';

const [keyPath, certPath] = process.argv.slice(2);
const server = dynalite({
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
  ...(keyPath
    ? { ssl: true, key: readFileSync(keyPath), cert: readFileSync(certPath), ca: readFileSync(certPath) }
    : {}),
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
// In memory only: nothing to flush, and the benchmark's keep-alive connections must not hold it open.
process.on('SIGTERM', () => process.exit(0));
