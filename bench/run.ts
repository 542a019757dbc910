/**
 * `npm run bench`: every benchmark in its own process (fresh module state, its own dynalite),
 * one after another, each bounded in time. stdout carries only their JSON lines:
 *   ack, cold-start, cold-ack, job-drain (with the 1k / 10k series), dynamodb-cost-drain,
 *   dynamodb-cost (units per kind of job step).
 * Progress notes go to stderr. The whole run takes about 4 minutes on a 2-core machine (5:09 with the 5k drain: dropped).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches: Array<{ file: string; args?: string[]; timeoutMs: number }> = [
  { file: 'ack.ts', timeoutMs: 90_000 },
  { file: 'cold-start.ts', timeoutMs: 150_000 },
  // 1k and 10k only (5k: `npx tsx bench/drain.ts 5000`), so that the whole run stays under 5 minutes.
  { file: 'drain.ts', args: ['1000', '10000'], timeoutMs: 200_000 },
  { file: 'cost.ts', args: ['50'], timeoutMs: 60_000 },
];

const only = process.argv.slice(2);
const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
let failed = 0;
const started = Date.now();

for (const bench of benches) {
  if (only.length && !only.some((o) => bench.file.startsWith(o))) continue;
  const t0 = Date.now();
  process.stderr.write(`bench: ${bench.file} ...\n`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [tsx, fileURLToPath(new URL(bench.file, import.meta.url)), ...(bench.args ?? [])],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const timer = setTimeout(() => {
      process.stderr.write(`bench: ${bench.file} took longer than ${bench.timeoutMs / 1000} s; stopped\n`);
      child.kill('SIGKILL');
    }, bench.timeoutMs);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c ?? 1);
    });
  });
  process.stderr.write(
    `bench: ${bench.file} done in ${Math.round((Date.now() - t0) / 1000)} s (exit ${code})\n`,
  );
  if (code !== 0) failed += 1;
}
process.stderr.write(`bench: all done in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(failed ? 1 : 0);
