/**
 * Cold start: the slack function against a bare Bolt AwsLambdaReceiver app with one command
 * (bench/bare-bolt.ts), ours built by scripts/build.ts, the bare app with the same esbuild options
 * but none of our plugins (as its users build it), each started as a fresh Node process,
 * alternating, median of several. Two lines:
 *   cold-start: bundle size and import time, and whether the other functions' bundles hold Bolt;
 *   cold-ack: process start to the response of the first signed `/wa invite partner` (ours:
 *     installation read from dynalite and opened through a KMS stand-in over HTTP, the job
 *     written to dynalite, its first step sent to an SQS stand-in over HTTP) beside the bare
 *     app answering `/echo`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { buildAll, coldBytes, functionBuildOptions } from '../scripts/build.js';
import { benchCertificate, emit, loadAverage, median, note, round, startDynaliteProcess } from './lib.js';
import { includesPackage } from './weigh.js';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 9);
// Under node_modules/.cache: ignored by git and by Biome, like other tools' caches.
const OUT = 'node_modules/.cache/wa-bench';
const root = fileURLToPath(new URL('..', import.meta.url));

rmSync(OUT, { recursive: true, force: true });
const sizes = await buildAll(join(OUT, 'dist'));
// Unstubbed, as users build it: the same esbuild options without our plugins.
const bare = await build({
  ...functionBuildOptions('bench/bare-bolt.ts', join(OUT, 'bare-bolt')),
  plugins: [],
  mainFields: undefined, // esbuild's default for Node (ours prefers the SDK's ES modules)
});
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
// Every endpoint speaks HTTPS on 127.0.0.1, as AWS endpoints do: TLS set-up is part of a real
// cold start, and over plain HTTP the SDK would load node:http, which AWS endpoints never make it
// load (and whose ESM facade loads undici on Node 24, ~30-80 ms that a deployed function does not pay).
const cert = benchCertificate(join(OUT, 'tls'));
setDefaultCACertificates([...getCACertificates('default'), cert.cert.toString()]);
const db = await startDynaliteProcess(cert);
Object.assign(env, {
  DYNAMODB_ENDPOINT: db.endpoint,
  TABLE_NAME: 'bench-cold',
  SLACK_SIGNING_SECRET: 'bench-signing-secret',
  LOG_LEVEL: 'ERROR',
  PATH: process.env.PATH ?? '',
});
Object.assign(process.env, env);
const { ensureTable, seedSandboxInstallation } = await import('../src/sandbox/server.js');
await ensureTable(db.endpoint, env.TABLE_NAME as string);

// KMS, SQS and Slack's Web API stand-ins, over HTTP as the real ones are. KMS unwraps with a
// local master key (the installation is sealed with it below); SQS answers SendMessageBatch with
// the MD5s the SDK checks; Slack answers users.info with an admin.
const { LocalKeyProvider, setKeyProvider } = await import('../src/security/envelope.js');
const { tenantId } = await import('../src/store/keys.js');
const kms = new LocalKeyProvider(Buffer.alloc(32, 7));
setKeyProvider(kms);
const counts = { kms: 0, sqs: 0, ssm: 0, slack: 0 };
const standIns = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
    try {
      const input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
      if (target === 'TrentService.Decrypt') {
        counts.kms += 1;
        const key = await kms.unwrapDataKey(
          tenantId(input.EncryptionContext.tenant),
          Buffer.from(input.CiphertextBlob, 'base64'),
        );
        json(200, {
          Plaintext: key.toString('base64'),
          KeyId: 'alias/bench',
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        });
      } else if (target === 'TrentService.GenerateDataKey') {
        counts.kms += 1;
        const k = await kms.generateDataKey(tenantId(input.EncryptionContext.tenant));
        json(200, {
          Plaintext: k.plaintext.toString('base64'),
          CiphertextBlob: k.wrapped.toString('base64'),
          KeyId: 'alias/bench',
        });
      } else if (target === 'AmazonSSM.GetParameters') {
        // The deployed function reads its Slack settings from Parameter Store on its first request.
        counts.ssm += 1;
        const values: Record<string, string> = {
          'signing-secret': 'bench-signing-secret',
          'client-id': 'bench-client-id',
          'client-secret': 'bench-client-secret',
          'state-secret': 'bench-state-secret',
        };
        json(200, {
          Parameters: (input.Names as string[]).map((Name) => ({
            Name,
            Value: values[Name.split('/').pop() as string],
            Type: 'SecureString',
            Version: 1,
          })),
          InvalidParameters: [],
        });
      } else if (target === 'AmazonSQS.SendMessageBatch') {
        counts.sqs += 1;
        json(200, {
          Successful: input.Entries.map((e: { Id: string; MessageBody: string }) => ({
            Id: e.Id,
            MessageId: `m-${e.Id}`,
            MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex'),
          })),
          Failed: [],
        });
      } else {
        counts.slack += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            ok: true,
            user: { id: 'U0ADMIN', is_admin: true, deleted: false, is_bot: false },
          }),
        );
      }
    } catch (err) {
      json(400, { __type: 'BenchStandIn', message: String(err) });
    }
  });
});
await new Promise<void>((resolve) => standIns.listen(0, '127.0.0.1', resolve));
const standInUrl = `https://127.0.0.1:${(standIns.address() as AddressInfo).port}`;
const { SANDBOX_TEAM } = await import('../src/sandbox/fake-slack.js');
await seedSandboxInstallation();
// The invite needs the workspace's Zavu credentials at ack time (sealed with the same data key).
const { setCredentials } = await import('../src/providers/credentials.js');
const { SANDBOX_CREDENTIALS } = await import('../src/sandbox/credentials.js');
await setCredentials(tenantId(SANDBOX_TEAM.id), 'zavu', SANDBOX_CREDENTIALS.zavu, 'U0ADMIN');

// What the deployed function has: KMS, SQS and Parameter Store (here the stand-ins).
const deployedEnv = Object.fromEntries(
  Object.entries(env).filter(
    ([k]) => !/^SLACK_(SIGNING_SECRET|CLIENT_ID|CLIENT_SECRET|STATE_SECRET)$/.test(k),
  ),
);
const childEnv = {
  ...deployedEnv,
  BENCH_SIGNING_SECRET: 'bench-signing-secret',
  NODE_EXTRA_CA_CERTS: cert.certPath,
  SLACK_PARAMETERS: '/wa-onboarding/bench/slack/',
  AWS_ENDPOINT_URL_SSM: standInUrl,
  KMS_KEY_ID: 'alias/bench',
  QUEUE_URL: `${standInUrl}/000000000000/bench-jobs`,
  AWS_ENDPOINT_URL_KMS: standInUrl,
  AWS_ENDPOINT_URL_SQS: standInUrl,
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_REGION: 'eu-west-1',
  SLACK_API_URL: `${standInUrl}/api/`,
};

type ChildResult = {
  importMs: number;
  firstAckMs?: number;
  fromStartMs?: number;
  cpuMs?: number;
  status?: number;
  answer?: string;
};
function child(bundle: string, args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        // BENCH_COLD_PROFILE=dir: a CPU profile of each fresh process (chrome://inspect, speedscope).
        ...(process.env.BENCH_COLD_PROFILE
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_COLD_PROFILE}`]
          : []),
        join(root, 'bench/cold-child.mjs'),
        bundle,
        ...args,
      ],
      { env: childEnv, timeout: 30_000, cwd: root },
      (err, stdout) => {
        if (err) reject(err);
        else resolve(JSON.parse(stdout.trim().split('\n').pop() as string));
      },
    );
  });
}

const samples = () => ({
  importMs: [] as number[],
  firstAckMs: [] as number[],
  fromStartMs: [] as number[],
  cpuMs: [] as number[],
});
const ours = samples();
const theirs = samples();
const oursBundle = join(root, OUT, 'dist/slack/index.mjs');
const bareBundle = join(root, OUT, 'bare-bolt/index.mjs');
await child(oursBundle, []); // the file system cache, as a deployed Lambda's code is on local disk
await child(bareBundle, []);
for (let i = 0; i < RUNS; i++) {
  const a = await child(bareBundle, ['/echo', 'hello']);
  const b = await child(oursBundle, ['/wa', `invite partner "Acme Cold ${i}"`]);
  if (b.status !== 200 || a.status !== 200 || /warning|:x:|went wrong|not installed/i.test(b.answer ?? ''))
    note('cold-start: unexpected answer', { ours: b.status, oursAnswer: b.answer, bare: a.status });
  theirs.importMs.push(a.importMs);
  theirs.firstAckMs.push(a.firstAckMs ?? Number.NaN);
  theirs.fromStartMs.push(a.fromStartMs ?? Number.NaN);
  theirs.cpuMs.push(a.cpuMs ?? Number.NaN);
  ours.importMs.push(b.importMs);
  ours.firstAckMs.push(b.firstAckMs ?? Number.NaN);
  ours.fromStartMs.push(b.fromStartMs ?? Number.NaN);
  ours.cpuMs.push(b.cpuMs ?? Number.NaN);
}
const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
const { ddb } = await import('../src/store/dynamo.js');
const jobsWritten = ((await ddb().send(new ScanCommand({ TableName: env.TABLE_NAME }))).Items ?? []).filter(
  (i) => String(i.sk).startsWith('JOB#'),
).length;
standIns.closeAllConnections();
standIns.close();
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
  load: loadAverage(),
  slackLazyChunksKB: functions.slack?.totalKB,
  runs: RUNS,
  functions,
  notes: `bundleKB = index.mjs + chunks it imports statically (what a cold start parses); lazily imported feature code is in chunks loaded by the first command that needs it. importMs = import() of the bundle in a fresh process (AWS SDK v3 ${process.env.BUILD_SDK_EXTERNAL ? 'external, loaded from node_modules as from the runtime' : 'clients bundled'}). firstAckMs = the first command in that process (ours: the cold-ack command below; bare: /echo).`,
});
const ms = round(median(ours.fromStartMs), 1);
const bareBoltMs = round(median(theirs.fromStartMs), 1);
emit({
  bench: 'cold-ack',
  ms,
  bareBoltMs,
  ratio: round(ms / bareBoltMs, 3),
  cpuMs: round(median(ours.cpuMs), 1),
  bareBoltCpuMs: round(median(theirs.cpuMs), 1),
  cpuRatio: round(median(ours.cpuMs) / median(theirs.cpuMs), 3),
  command: '/wa invite partner "Acme Cold n"',
  runs: RUNS,
  jobsWritten,
  calls: counts,
  load: loadAverage(),
  notes:
    'Process start (Node time origin) to the handler response, in a fresh process, median; cpuMs = CPU time (user + system) used by then, less disturbed by other load than wall time. Ours: import, Slack settings from the Parameter Store stand-in, installation read from dynalite and opened through the KMS stand-in, job written to dynalite, first step sent to the SQS stand-in, every endpoint over HTTPS on 127.0.0.1. Bare Bolt: import, /echo.',
});
process.exit(0);
