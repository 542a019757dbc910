import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Global set-up for `vitest run`: every process the run starts (test workers, local stacks
 * spawned as children, Chromium) inherits a marker, and every temp folder lands in one folder of
 * this run (TMPDIR). At the end, a process still carrying the marker or a temp folder left behind
 * fails the run: no test may leave either behind.
 */
const MARKER = 'WA_TEST_RUN';

export default function setup() {
  const run = randomUUID();
  const root = mkdtempSync(join(tmpdir(), 'wa-test-run-'));
  process.env[MARKER] = run;
  process.env.TMPDIR = root;

  return async function teardown() {
    // Give processes killed in the last afterAll a moment to be reaped.
    let leftovers: string[] = [];
    for (let i = 0; i < 20; i++) {
      leftovers = processesMarked(run);
      if (leftovers.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const folders = readdirSync(root);
    rmSync(root, { recursive: true, force: true });
    const problems = [
      ...leftovers.map((p) => `process left running: ${p}`),
      ...folders.map((f) => `temp folder left behind: ${f}`),
    ];
    if (problems.length) throw new Error(`The test run left things behind:\n${problems.join('\n')}`);
  };
}

/** Live processes (other than this one) whose environment carries this run's marker. */
function processesMarked(run: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (!env.split('\0').includes(`${MARKER}=${run}`)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (/^\d+ \(.*\) Z /.test(stat)) continue; // a zombie is already dead
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replace(/\0/g, ' ').trim();
      if (cmd === 'vitest-watchdog') continue; // vitest's own, ends after this teardown
      found.push(`${entry} ${cmd.slice(0, 120)}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}
