// dynalite in its own process, so the database works on the other core while the benchmark runs.
import dynalite from 'dynalite';

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
// In memory only: nothing to flush, and the benchmark's keep-alive connections must not hold it open.
process.on('SIGTERM', () => process.exit(0));
