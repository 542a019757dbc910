import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HttpEvent, HttpResult } from '../../src/http/apigw.js';
import type { QueueMessage } from '../../src/jobs/model.js';
import { startTestTable } from '../helpers/dynamo.js';
import { slackLambdaEvent as event, slashCommandBody } from '../helpers/slack.js';

// What a warm ack of functions/slack.ts costs in calls: every DynamoDB call made while the
// handler answers one command, in a container that has answered one before (installation and
// data keys cached). Jobs are captured, not run.

type Call = { op: string; sk: string; start: number; end: number; items?: Array<Record<string, unknown>> };
const calls: Call[] = [];
const sent: QueueMessage[] = [];
let handler: (e: HttpEvent) => Promise<HttpResult>;
let table: Awaited<ReturnType<typeof startTestTable>>;

beforeAll(async () => {
  table = await startTestTable({
    SANDBOX_CREDENTIALS: 'true',
    // Nothing on these paths may call Slack: a closed port would turn such a call into an error reply.
    SLACK_API_URL: 'http://127.0.0.1:9/slack/api/',
    PUBLIC_URL: 'http://127.0.0.1:3000',
  });
  await (await import('../../src/sandbox/server.js')).seedSandboxInstallation();
  const { setJobQueue } = await import('../../src/jobs/queue.js');
  setJobQueue({ send: async (messages) => void sent.push(...messages) });
  const { ddb } = await import('../../src/store/dynamo.js');
  ddb().middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        Key?: { sk?: string };
        Item?: { sk?: string };
        ExpressionAttributeValues?: Record<string, unknown>;
      };
      const call: Call = {
        op: String(context.commandName).replace(/Command$/, ''),
        // A query is named by the key prefix it reads (`:c` = 'CLIENT#'), a job query by JOB#.
        sk: String(
          input.Key?.sk ??
            input.Item?.sk ??
            Object.values(input.ExpressionAttributeValues ?? {}).find(
              (v) => typeof v === 'string' && /^(?!T#)[A-Z]+#/.test(v),
            ) ??
            'JOB#…',
        ).replace(/#.*/, '#…'),
        start: performance.now(),
        end: 0,
      };
      calls.push(call);
      const out = await next(args);
      call.end = performance.now();
      call.items = (out.output as { Items?: Array<Record<string, unknown>> }).Items;
      return out;
    },
    { step: 'initialize', name: 'testAckCalls', priority: 'high' },
  );
  handler = (await import('../../functions/slack.js')).handler;
});

afterAll(async () => {
  await table?.close();
});

/** Answers one command; returns its reply text and the DynamoDB calls it made. */
async function ack(body: string, headers: Record<string, string> = {}) {
  calls.length = 0;
  const res = await handler(event(body, headers));
  expect(res.statusCode).toBe(200);
  return { text: String(JSON.parse(String(res.body)).text), calls: [...calls] };
}

const wa = (text: string) => slashCommandBody('http://127.0.0.1:9', text, { user_id: 'U0ADMIN' });
const names = (list: Call[]) => list.map((c) => `${c.op} ${c.sk}`).sort();
const overlap = (a: Call, b: Call) => a.start < b.end && b.start < a.end;

describe('a warm ack makes only the calls it needs', () => {
  it('/wa help: one DynamoDB call, the delivery record (no settings read for a command without input)', async () => {
    await ack(wa('help')); // the cold one: installation read and opened
    const { text, calls: made } = await ack(wa('help'));
    expect(text).toContain('/wa commands');
    expect(names(made)).toEqual(['PutItem IDEM#…']);
  });

  it("/wa invite partner: the settings item read once; credentials, the target's latest job and the start count together", async () => {
    await ack(wa('invite partner "Warm Up Co"'));
    const jobsBefore = sent.length;
    const { text, calls: made } = await ack(wa('invite partner "Acme Calls"'));
    expect(text).toMatch(/On it/);
    // A new client (the invitation's client name): looked up, compared with the known ones (near
    // misses; their names were read by the warm-up command and are kept a minute in the container),
    // recorded alongside the job, and the job listed under it. Issue 26 added one write: the start
    // counted against the start limits (UpdateItem STARTS#, src/jobs/admission.ts), alongside the
    // checks; the target's pointer became the lock but stays one write.
    expect(names(made)).toEqual([
      'GetItem CLIENT#…',
      'GetItem CRED#…',
      'GetItem SETTINGS',
      'GetItem TARGET#…',
      'PutItem CLIENT#…',
      'PutItem IDEM#…',
      'PutItem JOB#…',
      'PutItem JOBREF#…',
      'PutItem TARGET#…',
      'PutItem WORK#…',
      'UpdateItem SEQ#…',
      'UpdateItem STARTS#…',
    ]);
    // The client is recorded alongside the start, not after the job is written.
    const saved = made.find((c) => c.sk === 'CLIENT#…' && c.op === 'PutItem') as Call;
    const job = made.find((c) => c.sk === 'JOB#…' && c.op === 'PutItem') as Call;
    expect(saved.start).toBeLessThan(job.end);
    const cred = made.find((c) => c.sk === 'CRED#…') as Call;
    const lookup = made.find((c) => c.sk === 'TARGET#…' && c.op === 'GetItem') as Call;
    expect(overlap(cred, lookup)).toBe(true);
    // The client is looked up alongside the other checks, not after them.
    const client = made.find((c) => c.sk === 'CLIENT#…' && c.op === 'GetItem') as Call;
    expect(overlap(client, cred)).toBe(true);
    // Its short reference is numbered alongside the checks too.
    const seq = made.find((c) => c.sk === 'SEQ#…') as Call;
    expect(overlap(seq, cred)).toBe(true);
    // The start is counted alongside the checks too, not after them.
    const count = made.find((c) => c.sk === 'STARTS#…') as Call;
    expect(overlap(count, cred)).toBe(true);
    // The target's pointer is the lock (one conditional write decides among identical starts):
    // written after the checks and before the job, which is then sent once.
    const put = made.find((c) => c.sk === 'JOB#…' && c.op === 'PutItem') as Call;
    const pointer = made.find((c) => c.sk === 'TARGET#…' && c.op === 'PutItem') as Call;
    expect(pointer.start).toBeGreaterThanOrEqual(Math.max(cred.end, lookup.end, count.end, seq.end));
    expect(put.start).toBeGreaterThanOrEqual(pointer.end);
    // The delivery record is written while the settings are read, and before the job.
    const record = made.find((c) => c.sk === 'IDEM#…') as Call;
    const settings = made.find((c) => c.sk === 'SETTINGS') as Call;
    expect(overlap(record, settings)).toBe(true);
    expect(put.start).toBeGreaterThanOrEqual(record.end);
    expect(sent.length).toBe(jobsBefore + 1);
  });

  it('an identical active job is found with two small reads, no query over the workspace jobs', async () => {
    for (let i = 0; i < 5; i++) await ack(wa(`invite partner "Filler ${i}"`));
    const first = await ack(wa('invite partner "Same Co"'));
    const firstId = first.text.match(/job `(j[0-9a-z]+)`/)?.[1] as string;
    expect(firstId).toBeDefined();
    const again = await ack(wa('invite partner "same co"'));
    expect(again.text).toContain('You already started this');
    expect(again.text).toContain(firstId);
    // Nothing is written but the delivery record, the reference counter (numbered alongside the
    // checks, so a refused start leaves a gap rather than adding a wait) and the attempt's count
    // (issue 26: counted alongside the checks, so an attempt answered with the active job counts
    // too); no job, no pointer, no query over the workspace's jobs.
    expect(names(again.calls)).toEqual([
      'GetItem CLIENT#…',
      'GetItem CRED#…',
      'GetItem JOB#…',
      'GetItem SETTINGS',
      'GetItem TARGET#…',
      'PutItem IDEM#…',
      'UpdateItem SEQ#…',
      'UpdateItem STARTS#…',
    ]);
    // --again starts another, and the next identical command points to that newest one.
    const another = await ack(wa('invite partner "Same Co" --again'));
    const anotherId = another.text.match(/job `(j[0-9a-z]+)`/)?.[1] as string;
    expect(another.text).toMatch(/On it/);
    expect(anotherId).not.toBe(firstId);
    expect((await ack(wa('invite partner "Same Co"'))).text).toContain(anotherId);
    // Once that job has ended, the same command starts a new one.
    const { JobRepository } = await import('../../src/jobs/repository.js');
    const { tenantId } = await import('../../src/store/keys.js');
    expect(await new JobRepository().cancel(tenantId('T0SANDBOX'), anotherId, 'test', Date.now())).toBe(true);
    const fresh = await ack(wa('invite partner "Same Co"'));
    expect(fresh.text).toMatch(/On it/);
  });

  it('a warm command does not load its handler again', async () => {
    const { findCommand } = await import('../../src/app/catalog.js');
    const spec = findCommand(['help'])?.spec as { handler: () => Promise<unknown> };
    const load = spec.handler;
    let loads = 0;
    spec.handler = () => {
      loads += 1;
      return load();
    };
    try {
      await ack(wa('help'));
      await ack(wa('help'));
    } finally {
      spec.handler = load;
    }
    // Loaded by the first help of this file (before the count), kept since.
    expect(loads).toBe(0);
  });

  it('/wa help delivered twice is answered as a repeat, as before', async () => {
    const body = wa('help');
    expect((await ack(body)).text).toContain('/wa commands');
    expect((await ack(body)).text).toMatch(/arrived twice/);
  });

  it('a command Slack retries (x-slack-retry-num) still makes exactly one job', async () => {
    // --again: the repeat is not stopped by the active-job check, only by the delivery record.
    const body = wa('invite partner "Retried Co" --again');
    const before = sent.length;
    const first = await ack(body);
    const retry = await ack(body, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    const twice = await ack(body);
    expect(first.text).toMatch(/On it/);
    expect(retry.text).toMatch(/arrived twice/);
    expect(twice.text).toMatch(/arrived twice/);
    expect(sent.length).toBe(before + 1);
    // The repeats read, but write nothing beyond their (refused) delivery record.
    for (const repeat of [retry, twice]) {
      expect(repeat.calls.filter((c) => c.op !== 'GetItem').map((c) => `${c.op} ${c.sk}`)).toEqual([
        'PutItem IDEM#…',
      ]);
    }
  });
});

describe('a repeated slash command stops before its first side effect', () => {
  const repeat = async (text: string, admin: boolean) => {
    const { runCommand } = await import('../../src/app/router.js');
    const { tenantId } = await import('../../src/store/keys.js');
    const open = vi.fn(async () => ({ ok: true }));
    const outcome = runCommand(text, {
      tenant: tenantId('T0SANDBOX'),
      teamId: 'T0SANDBOX',
      userId: 'U0MEMBER',
      channelId: 'C0SANDBOX',
      triggerId: 'trigger-1',
      client: { views: { open } } as never,
      isAdmin: async () => admin,
      firstDelivery: async () => false,
    });
    return { outcome, open };
  };

  it('`/wa` alone does not open the launcher again', async () => {
    const { DuplicateDeliveryError } = await import('../../src/slack/command.js');
    const { outcome, open } = await repeat('', true);
    await expect(outcome).rejects.toBeInstanceOf(DuplicateDeliveryError);
    expect(open).not.toHaveBeenCalled();
  });

  it('an admin command refused to a member is not audited again', async () => {
    const { DuplicateDeliveryError } = await import('../../src/slack/command.js');
    calls.length = 0;
    const { outcome } = await repeat('admins restrict invites on', false);
    await expect(outcome).rejects.toBeInstanceOf(DuplicateDeliveryError);
    expect(calls.filter((c) => c.op !== 'GetItem' && c.op !== 'Query')).toEqual([]);
  });
});
