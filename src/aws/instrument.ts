import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test-mode recorder of the AWS calls the app makes, so a test can check each one against the
 * IAM role in serverless.yml (test/aws/). Off unless AWS_CALL_LOG names a directory (only the
 * test suite sets it); in Lambda this adds nothing to the client.
 *
 * Only the call's shape is kept (service, command, the names of what it addresses, the KMS
 * encryption context): enough to build the IAM request, no item data or secrets.
 */
interface Stackable {
  middlewareStack: {
    add(
      mw: (next: (args: { input: unknown }) => Promise<unknown>, context: CallContext) => unknown,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ): void;
  };
}

interface CallContext {
  clientName?: string;
  commandName?: string;
}

export interface RecordedCall {
  client: string;
  command: string;
  input: Record<string, unknown>;
  /** The names configured when the call was made: the table, queue and key the app means. */
  configured: Record<string, string | undefined>;
  /** Where the call came from: the app (src/, functions/) or a test harness (test/, src/sandbox/). */
  origin: 'app' | 'harness';
  /** The Lambda function whose handler it ran under (`functions/<name>.ts`), when the stack shows one. */
  fn?: string;
}

const SHAPE_KEYS = [
  'TableName',
  'IndexName',
  'QueueUrl',
  'KeyId',
  'EncryptionContext',
  'Name',
  'Names',
  'Path',
];

function shape(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of SHAPE_KEYS) if (input[k] !== undefined) out[k] = input[k];
  if (input.RequestItems && typeof input.RequestItems === 'object') {
    out.RequestItems = Object.keys(input.RequestItems);
  }
  if (Array.isArray(input.TransactItems)) {
    out.TransactItems = input.TransactItems.map((item: Record<string, { TableName?: string }>) =>
      Object.entries(item).map(([op, v]) => ({ op, TableName: v?.TableName })),
    );
  }
  return out;
}

/** The first frame of this repository that is not a dependency decides who made the call. */
function originOf(stack: string | undefined): RecordedCall['origin'] {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    if (line.includes('node_modules') || line.includes('/src/aws/instrument.')) continue;
    if (/[\\/](test|bench)[\\/]|[\\/]src[\\/]sandbox[\\/]/.test(line)) return 'harness';
    if (/[\\/](src|functions)[\\/]/.test(line)) return 'app';
  }
  return 'app';
}

/** The function file a call ran under: its handler's frame, synchronous or awaited (async frames). */
function functionOf(stack: string | undefined): string | undefined {
  return /[\\/]functions[\\/]([\w-]+)\.(?:ts|js|mjs)\b/.exec(stack ?? '')?.[1];
}

export function instrument<T>(client: T, configured: () => Record<string, string | undefined>): T {
  const dir = process.env.AWS_CALL_LOG;
  if (!dir) return client;
  (client as unknown as Stackable).middlewareStack.add(
    (next, context) => async (args: { input: unknown }) => {
      // Deep enough to reach the handler's frame through the SDK's middleware (tests only).
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 100;
      const stack = new Error().stack;
      Error.stackTraceLimit = limit;
      const fn = functionOf(stack);
      const call: RecordedCall = {
        client: context.clientName ?? 'unknown',
        command: context.commandName ?? 'unknown',
        input: shape((args.input ?? {}) as Record<string, unknown>),
        configured: configured(),
        origin: originOf(stack),
        ...(fn ? { fn } : {}),
      };
      appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(call)}\n`);
      return next(args);
    },
    { step: 'initialize', name: 'recordAwsCall', priority: 'high' },
  );
  return client;
}
