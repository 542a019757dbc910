import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { modules } from '../stryker/modules.mjs';

/**
 * `npm run mutate [module ...]`: Stryker over each module of stryker/modules.mjs in turn (all of
 * them without arguments), then one line per module with its score, its break threshold and its
 * surviving mutants. Exits non-zero when a module scores under its threshold or its run fails.
 * Reports: reports/mutation/<module>.json (the mutation-testing-elements schema).
 */
type Mutant = { status: string; mutatorName: string; location: { start: { line: number } } };
type Report = { files: Record<string, { mutants: Mutant[] }> };

const all = modules as Record<string, { mutate: string; break: number }>;
const names = process.argv.slice(2);
for (const n of names)
  if (!all[n]) throw new Error(`unknown module ${n}; known: ${Object.keys(all).join(', ')}`);

const rows: string[] = [];
let failed = false;
for (const name of names.length ? names : Object.keys(all)) {
  const started = Date.now();
  const run = spawnSync('npx', ['stryker', 'run'], {
    stdio: 'inherit',
    env: { ...process.env, MUTATE_MODULE: name },
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  let report: Report;
  try {
    report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, 'utf8')) as Report;
  } catch {
    rows.push(`${name}: no report (stryker exited ${run.status})`);
    failed = true;
    continue;
  }
  const mutants = Object.values(report.files).flatMap((f) => f.mutants);
  const count = (...s: string[]) => mutants.filter((m) => s.includes(m.status)).length;
  const detected = count('Killed', 'Timeout');
  const undetected = count('Survived', 'NoCoverage');
  const score = (100 * detected) / (detected + undetected || 1);
  const threshold = all[name]?.break ?? 0;
  const survivors = mutants
    .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
    .map((m) => `${m.location.start.line}:${m.mutatorName}`);
  if (score < threshold || run.status !== 0) failed = true;
  rows.push(
    `${name}: ${score.toFixed(2)} % (${detected} of ${detected + undetected} detected, ${count('Ignored')} marked equivalent in the source, break ${threshold}, ${seconds} s)` +
      (survivors.length ? ` survivors ${survivors.join(' ')}` : ''),
  );
}
console.log(`\nmutation scores\n${rows.join('\n')}`);
process.exit(failed ? 1 : 0);
