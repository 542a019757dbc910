import { build } from 'esbuild';
import { esbuildOptions } from '../scripts/build.js';
const entry = process.argv[2]!;
const r = await build({ ...esbuildOptions, entryPoints: [entry], outfile: `.bench-out/meta/${entry.replace(/\W/g,'_')}.mjs`, metafile: true, sourcemap: false });
const out = Object.values(r.metafile!.outputs)[0]!;
if (process.env.META_OUT) (await import("node:fs")).writeFileSync(process.env.META_OUT, JSON.stringify(r.metafile));
const byPkg = new Map<string, number>();
for (const [path, info] of Object.entries(out.inputs)) {
  const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  const k = m ? m[1]! : path.split('/').slice(0, 2).join('/');
  byPkg.set(k, (byPkg.get(k) ?? 0) + info.bytesInOutput);
}
console.log('total KB', Math.round(out.bytes/1024));
for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((v/1024).toFixed(1).padStart(8), k);
