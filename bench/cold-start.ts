/**
 * Cold start: the slack function against a bare Bolt AwsLambdaReceiver app with one command
 * (bench/bare-bolt.ts), both built with the build's own esbuild options, each imported in fresh
 * Node processes, alternating, median of several. Also the time to answer the first command in
 * that fresh process (ours reads the installation from dynalite, as it would from DynamoDB), and
 * whether the other functions' bundles contain Bolt.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { buildAll, coldBytes, functionBuildOptions } from '../scripts/build.js';
import { emit, median, note, round, startDynaliteProcess } from './lib.js';
import { includesPackage } from './weigh.js';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 9);
// Under node_modules/.cache: ignored by git and by Biome, like other tools' caches.
const OUT = 'node_modules/.cache/wa-bench';
const root = fileURLToPath(new URL('..', import.meta.url));

rmSync(OUT, { recursive: true, force: true });
const sizes = await buildAll(join(OUT, 'dist'));
const bare = await build(functionBuildOptions('bench/bare-bolt.ts', join(OUT, 'bare-bolt')));
const bareMeta = bare.metafile as Metafile;
const slackMeta = JSON.parse(readFileSync(join(OUT, 'dist/slack.meta.json'), 'utf8')) as Metafile;
const kb = (n: number) => round(n / 1024, 1);
const bundleBytes = coldBytes(slackMeta, join(OUT, 'dist/slack/index.mjs'));
const bareBytes = coldBytes(bareMeta, join(OUT, 'bare-bolt/index.mjs'));

// The environment a deployed function has (.env.example's sandbox-safe values), and a table.
const env: Record<string, string> = {};
for (const line of readFileSync('.env.example', 'utf8').split('\n')) {
  const m = line.match(/^([A-Z0-9_]+)=(.+)$/);
  if (m) env[m[1] as string] = m[2] as string;
}
const db = await startDynaliteProcess();
Object.assign(env, {
  DYNAMODB_ENDPOINT: db.endpoint,
  TABLE_NAME: 'bench-cold',
  SLACK_SIGNING_SECRET: 'bench-signing-secret',
  LOG_LEVEL: 'ERROR',
  PATH: process.env.PATH ?? '',
});
Object.assign(process.env, env);
const { ensureTable } = await import('../src/sandbox/server.js');
await ensureTable(db.endpoint, env.TABLE_NAME as string);
const { DynamoInstallationStore } = await import('../src/slack/installation-store.js');
const { SANDBOX_BOT, SANDBOX_TEAM } = await import('../src/sandbox/fake-slack.js');
await new DynamoInstallationStore().storeInstallation({
  team: { id: SANDBOX_TEAM.id, name: SANDBOX_TEAM.name },
  enterprise: undefined,
  user: { id: 'U0ADMIN', token: undefined, scopes: undefined },
  bot: { token: SANDBOX_BOT.token, scopes: ['commands'], id: SANDBOX_BOT.botId, userId: SANDBOX_BOT.userId },
  appId: SANDBOX_BOT.appId,
  tokenType: 'bot',
  isEnterpriseInstall: false,
  authVersion: 'v2',
});

function child(
  bundle: string,
  args: string[],
): Promise<{ importMs: number; firstAckMs?: number; status?: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, 'bench/cold-child.mjs'), bundle, ...args],
      { env, timeout: 30_000, cwd: root },
      (err, stdout) => {
        if (err) reject(err);
        else resolve(JSON.parse(stdout.trim().split('\n').pop() as string));
      },
    );
  });
}

const ours = { importMs: [] as number[], firstAckMs: [] as number[] };
const theirs = { importMs: [] as number[], firstAckMs: [] as number[] };
const oursBundle = join(root, OUT, 'dist/slack/index.mjs');
const bareBundle = join(root, OUT, 'bare-bolt/index.mjs');
await child(oursBundle, []); // the file system cache, as a deployed Lambda's code is on local disk
await child(bareBundle, []);
for (let i = 0; i < RUNS; i++) {
  const a = await child(bareBundle, ['/echo', 'hello']);
  const b = await child(oursBundle, ['/wa', 'help']);
  if (b.status !== 200 || a.status !== 200)
    note('cold-start: unexpected status', { ours: b.status, bare: a.status });
  theirs.importMs.push(a.importMs);
  theirs.firstAckMs.push(a.firstAckMs ?? Number.NaN);
  ours.importMs.push(b.importMs);
  ours.firstAckMs.push(b.firstAckMs ?? Number.NaN);
}
await db.close();

const functions = Object.fromEntries(
  sizes.map(({ name, coldKb, totalKb }) => {
    const meta = JSON.parse(readFileSync(join(OUT, 'dist', `${name}.meta.json`), 'utf8')) as Metafile;
    return [name, { coldKB: coldKb, totalKB: totalKb, bolt: includesPackage(meta, '@slack/bolt') }];
  }),
);
const importMs = round(median(ours.importMs), 1);
const bareBoltImportMs = round(median(theirs.importMs), 1);
emit({
  bench: 'cold-start',
  bundleKB: kb(bundleBytes),
  importMs,
  bareBoltBundleKB: kb(bareBytes),
  bareBoltImportMs,
  bundleRatio: round(bundleBytes / bareBytes, 3),
  importRatio: round(importMs / bareBoltImportMs, 3),
  firstAckMs: round(median(ours.firstAckMs), 1),
  bareBoltFirstAckMs: round(median(theirs.firstAckMs), 1),
  slackLazyChunksKB: functions.slack?.totalKB,
  runs: RUNS,
  functions,
  notes:
    'bundleKB = index.mjs + chunks it imports statically (what a cold start parses); lazily imported feature code is in chunks loaded by the first command that needs it. importMs = import() of the bundle in a fresh process (AWS SDK v3 external, loaded from node_modules as the runtime loads its own). firstAckMs = the first /wa help (ours: authorize reads the installation from dynalite) or /echo (bare) in that process.',
});
process.exit(0);
