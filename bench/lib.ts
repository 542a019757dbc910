import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Context, SQSEvent } from 'aws-lambda';

/** One JSON object per line on stdout: the benchmark's figures. */
export function emit(figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** Progress notes go to stderr, so stdout stays one JSON object per line. */
export function note(...args: unknown[]): void {
  process.stderr.write(`${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export const median = (values: number[]) => percentile(values, 50);
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export type BenchCertificate = { keyPath: string; certPath: string; key: Buffer; cert: Buffer };

/**
 * A throwaway self-signed certificate for 127.0.0.1 (openssl, valid one day), so stand-ins speak
 * HTTPS as AWS endpoints do; a client trusts it through NODE_EXTRA_CA_CERTS=certPath.
 */
export function benchCertificate(dir: string): BenchCertificate {
  mkdirSync(dir, { recursive: true });
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1']
      .concat(['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
      .concat(['-keyout', keyPath, '-out', certPath]),
    { stdio: 'ignore' },
  );
  return { keyPath, certPath, key: readFileSync(keyPath), cert: readFileSync(certPath) };
}

/** dynalite in a child process (the benchmark's own process stays free for the app). */
export async function startDynaliteProcess(
  tls?: BenchCertificate,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('./dynalite-server.mjs', import.meta.url)),
      ...(tls ? [tls.keyPath, tls.certPath] : []),
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  // Never outlive the benchmark, however it ends.
  process.once('exit', () => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return {
    endpoint: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * dynalite in its own process and the app configured for it (a benchmark's own table): the
 * environment, with `env` on top, is set before the app's config is first read.
 */
export async function startBenchTable(table: string, env: Record<string, string> = {}) {
  const db = await startDynaliteProcess();
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: db.endpoint,
    TABLE_NAME: table,
    DUE_SHARDS: '4',
    LOG_LEVEL: 'ERROR',
    SLACK_API_URL: 'http://127.0.0.1:9/',
    // One bench user starts hundreds of jobs: the start limits (src/jobs/admission.ts) are set
    // out of the way; their one UpdateItem per start is still made, and measured.
    START_LIMIT_PER_PERSON: '1000000',
    START_LIMIT_PER_WORKSPACE: '1000000',
    ...env,
  });
  const { ensureTable } = await import('../src/sandbox/server.js');
  const { config } = await import('../src/config.js');
  await ensureTable(db.endpoint, config().tableName);
  return db;
}

/** The SQS event the event source mapping hands the worker for one queue message. */
export function sqsEvent(message: unknown): SQSEvent {
  return {
    Records: [
      {
        messageId: Math.random().toString(36).slice(2),
        receiptHandle: 'bench',
        body: JSON.stringify(message),
        attributes: {},
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:jobs',
        awsRegion: 'eu-west-1',
      },
    ],
  } as unknown as SQSEvent;
}

/** A Lambda context for calling a handler in-process, with the function's timeout. */
export function lambdaContext(name: string, timeoutMs: number): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: `bench-${Math.random().toString(36).slice(2)}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * The size DynamoDB bills an item at: attribute names plus values (strings as UTF-8, numbers
 * about one byte per two digits plus one, 3 bytes per map or list plus 1 per element).
 */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: unknown): number {
  const v = value as Record<string, unknown>;
  if ('S' in v) return Buffer.byteLength(v.S as string);
  if ('N' in v) {
    const digits = String(v.N).replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if ('B' in v) return (v.B as Uint8Array).length;
  if ('BOOL' in v || 'NULL' in v) return 1;
  if ('L' in v) return 3 + (v.L as unknown[]).reduce<number>((s, e) => s + 1 + valueSize(e), 0);
  if ('M' in v) {
    const m = v.M as Record<string, unknown>;
    return 3 + Object.keys(m).length + itemSize(m);
  }
  if ('SS' in v) return (v.SS as string[]).reduce((s, e) => s + Buffer.byteLength(e), 0);
  return 0;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The machine's 1-minute load average beside each figure (the development machine is shared). */
export function loadAverage(): number {
  return round(loadavg()[0] ?? 0, 1);
}
