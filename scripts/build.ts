import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

/**
 * One ESM bundle per Lambda: dist/<function>/index.mjs exporting `handler`. The AWS SDK v3 is
 * left out: the nodejs24.x runtime provides it, and bundling it only slows cold starts.
 */
export const FUNCTIONS_DIR = 'functions';

export const esbuildOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  external: ['@aws-sdk/*'],
  // CommonJS dependencies (Bolt, axios) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
};

export async function buildAll(outdir = 'dist'): Promise<Array<{ name: string; kb: number }>> {
  const names = readdirSync(FUNCTIONS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => basename(f, '.ts'));
  const sizes: Array<{ name: string; kb: number }> = [];
  for (const name of names) {
    const outfile = join(outdir, name, 'index.mjs');
    await build({ ...esbuildOptions, entryPoints: [join(FUNCTIONS_DIR, `${name}.ts`)], outfile });
    sizes.push({ name, kb: Math.round(statSync(outfile).size / 102.4) / 10 });
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await buildAll();
  for (const { name, kb } of sizes) console.log(`dist/${name}/index.mjs  ${kb} KB`);
}
