import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

/**
 * One ESM bundle per Lambda: dist/<function>/index.mjs exporting `handler`. The AWS SDK v3
 * clients we use are bundled (their ES modules, tree-shaken and minified) rather than loaded from
 * the runtime's copy: measured side by side (`BUILD_SDK_EXTERNAL=1 npx tsx bench/run.ts cold`
 * against the default, docs/performance.md), the slack function imports in ~0.6x the time, since
 * Node resolves and compiles one file instead of hundreds, and the SDK version is pinned by our lockfile.
 * Modules loaded with `await import()` go to dist/<function>/chunks/ and load when first used,
 * so a cold start parses only what its first request needs. esbuild's metafile for each function
 * goes to dist/<function>.meta.json (bench/weigh.ts reads it).
 */
export const FUNCTIONS_DIR = 'functions';

/**
 * zod's `z` namespace re-exports all of its ~50 locales (260 KB minified) and no bundler can drop
 * them; the app speaks English only, so only `en` (zod's default) is kept.
 */
export const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core|mini)$/.test(args.resolveDir)
        ? { path: join(args.resolveDir, '..', 'locales', 'index.js'), namespace: 'zod-en' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * What a Bolt app on AwsLambdaReceiver never runs, left out of the bundle: Bolt's HTTP, Express
 * and Socket Mode receivers (App builds one only when no receiver is given, and ours always is),
 * and what only they use: express (with body-parser, iconv-lite, mime-db, qs, send, ...),
 * raw-body (HTTPModuleFunctions, for Node HTTP servers) and @slack/socket-mode. Bolt's index
 * re-exports them all, so no bundler can drop them by itself. Each resolves to a stub that
 * records the call (globalThis.__waLambdaStubCalls, read by test/slack/lambda-stubs.test.ts,
 * which sends every kind of Slack request we handle through the built bundle) and throws.
 */
export const LAMBDA_STUBBED = ['express', 'body-parser', 'raw-body', '@slack/socket-mode'];
/**
 * jsonwebtoken signs and checks the OAuth state (@slack/oauth's ClearStateStore): only the oauth
 * function runs an install. The others use InstallProvider for `authorize` alone, and skip its
 * ~20 modules (jws, semver, lodash.*) on their cold path.
 */
export const OAUTH_ONLY = ['jsonwebtoken'];

/** What a function's bundle leaves out (resolved to recording stubs). */
export function stubbedFor(entry: string): string[] {
  return basename(entry) === 'oauth.ts' ? LAMBDA_STUBBED : [...LAMBDA_STUBBED, ...OAUTH_ONLY];
}
const BOLT_RECEIVERS = /^\.\.?\/(receivers\/)?(HTTPReceiver|ExpressReceiver|SocketModeReceiver)(\.js)?$/;

export const lambdaOnlyBolt = (stubbed = LAMBDA_STUBBED): Plugin => ({
  name: 'lambda-only-bolt',
  setup(b) {
    b.onResolve({ filter: /^[@a-z]/ }, (args) =>
      stubbed.includes(args.path) ? { path: args.path, namespace: 'lambda-stub' } : undefined,
    );
    b.onResolve({ filter: BOLT_RECEIVERS }, (args) =>
      /[\\/]@slack[\\/]bolt[\\/]dist/.test(args.resolveDir)
        ? { path: `@slack/bolt/${args.path.replace(/^.*\//, '')}`, namespace: 'lambda-stub' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lambda-stub' }, (args) => ({
      contents: `"use strict";
const what = ${JSON.stringify(args.path)};
function notInLambda() {
  (globalThis.__waLambdaStubCalls ??= []).push(what);
  throw new Error(what + " is left out of the Lambda bundle (scripts/build.ts): the AwsLambdaReceiver path never uses it");
}
module.exports = new Proxy(notInLambda, {
  get: (t, p) => (p === "__esModule" ? undefined : typeof p === "symbol" || p in t ? Reflect.get(t, p) : notInLambda),
});
`,
      loader: 'js',
    }));
  },
});

export const esbuildOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  // BUILD_NO_MINIFY=1: readable names in CPU profiles (BENCH_COLD_PROFILE, docs/performance.md).
  minify: !process.env.BUILD_NO_MINIFY,
  sourcemap: 'linked',
  legalComments: 'none',
  // BUILD_SDK_EXTERNAL=1: the SDK from node_modules / the runtime instead (to measure the choice).
  external: process.env.BUILD_SDK_EXTERNAL ? ['@aws-sdk/*'] : [],
  mainFields: ['module', 'main'],
  plugins: [zodEnglishOnly, lambdaOnlyBolt()],
  // CommonJS dependencies (Bolt, axios) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
};

/** Per-function output: index.mjs plus lazily loaded chunks beside it. */
export function functionBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    ...esbuildOptions,
    plugins: [zodEnglishOnly, lambdaOnlyBolt(stubbedFor(entry))],
    entryPoints: { index: entry },
    outdir,
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
  };
}

/** Bytes of the entry file and of the chunks it imports statically: what a cold start loads. */
export function coldBytes(metafile: Metafile, entryFile: string): number {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of metafile.outputs[file]?.imports ?? [])
      if (imp.kind === 'import-statement') visit(imp.path);
  };
  visit(entryFile);
  return [...seen].reduce((sum, f) => sum + (metafile.outputs[f]?.bytes ?? 0), 0);
}

export async function buildAll(
  outdir = 'dist',
): Promise<Array<{ name: string; kb: number; coldKb: number; totalKb: number }>> {
  const names = readdirSync(FUNCTIONS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => basename(f, '.ts'));
  const sizes: Array<{ name: string; kb: number; coldKb: number; totalKb: number }> = [];
  for (const name of names) {
    const dir = join(outdir, name);
    const { metafile } = await build(functionBuildOptions(join(FUNCTIONS_DIR, `${name}.ts`), dir));
    if (!metafile) throw new Error('esbuild returned no metafile');
    // Beside the function's folder, not in it: serverless.yml packages dist/<fn>/**.
    writeFileSync(join(outdir, `${name}.meta.json`), JSON.stringify(metafile));
    const kb = (n: number) => Math.round(n / 102.4) / 10;
    const entry = join(dir, 'index.mjs');
    const total = Object.entries(metafile.outputs)
      .filter(([f]) => f.endsWith('.mjs'))
      .reduce((s, [, o]) => s + o.bytes, 0);
    sizes.push({
      name,
      kb: kb(statSync(entry).size),
      coldKb: kb(coldBytes(metafile, entry)),
      totalKb: kb(total),
    });
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await buildAll();
  for (const { name, kb, coldKb, totalKb } of sizes)
    console.log(`dist/${name}/index.mjs  ${kb} KB (cold path ${coldKb} KB, with lazy chunks ${totalKb} KB)`);
}
