/**
 * What a function's cold path weighs, by package or source folder, from its esbuild metafile:
 *
 *   npm run build && tsx bench/weigh.ts slack [lazy]
 *
 * Without `lazy`, only the entry file and the chunks it imports statically (what a cold start
 * parses); with it, the chunks loaded on demand.
 */
import { readFileSync } from 'node:fs';
import type { Metafile } from 'esbuild';

export function weigh(metafile: Metafile, entryFile: string, lazy = false) {
  const cold = new Set<string>();
  const visit = (file: string) => {
    if (cold.has(file)) return;
    cold.add(file);
    for (const imp of metafile.outputs[file]?.imports ?? [])
      if (imp.kind === 'import-statement') visit(imp.path);
  };
  visit(entryFile);
  const files = Object.keys(metafile.outputs).filter((f) => f.endsWith('.mjs') && cold.has(f) !== lazy);
  const byGroup = new Map<string, number>();
  for (const f of files)
    for (const [path, info] of Object.entries(metafile.outputs[f]?.inputs ?? {})) {
      const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
      const group = m ? (m[1] as string) : path.split('/').slice(0, 2).join('/');
      byGroup.set(group, (byGroup.get(group) ?? 0) + info.bytesInOutput);
    }
  return [...byGroup].sort((a, b) => b[1] - a[1]);
}

/** Whether any input of the function's bundle (chunks included) comes from the package. */
export function includesPackage(metafile: Metafile, pkg: string): boolean {
  return Object.keys(metafile.inputs).some((p) => p.includes(`node_modules/${pkg}/`));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const name = process.argv[2] ?? 'slack';
  const metafile = JSON.parse(readFileSync(`dist/${name}.meta.json`, 'utf8')) as Metafile;
  const rows = weigh(metafile, `dist/${name}/index.mjs`, process.argv[3] === 'lazy');
  const total = rows.reduce((s, [, b]) => s + b, 0);
  console.log(
    `${name}: ${(total / 1024).toFixed(1)} KB ${process.argv[3] === 'lazy' ? 'lazy' : 'cold path'}`,
  );
  for (const [group, bytes] of rows.slice(0, 40))
    console.log(`${(bytes / 1024).toFixed(1).padStart(8)}  ${group}`);
}
