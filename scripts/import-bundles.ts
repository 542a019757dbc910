import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Smoke check of the build: with only .env.example's sandbox-safe values set, every bundle in
 * dist/ imports and exports a `handler` (config validation at cold start included).
 */
for (const line of readFileSync('.env.example', 'utf8').split('\n')) {
  const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
  if (m?.[1]) process.env[m[1]] = m[2] ?? '';
}
let failed = 0;
for (const fn of readdirSync('dist', { withFileTypes: true }).filter((d) => d.isDirectory())) {
  const file = resolve(join('dist', fn.name, 'index.mjs'));
  const started = performance.now();
  try {
    const mod = (await import(pathToFileURL(file).href)) as { handler?: unknown };
    if (typeof mod.handler !== 'function') throw new Error('no handler export');
    console.log(`ok   dist/${fn.name}/index.mjs (${Math.round(performance.now() - started)} ms)`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL dist/${fn.name}/index.mjs: ${(err as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
