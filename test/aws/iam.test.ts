import { describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../src/aws/instrument.js';
import { type Role, requestsFor, simulate } from './iam.js';
import { roles } from './least-privilege.global.js';

/**
 * The checker behind the least-privilege run (least-privilege.global.ts) must be able to fail:
 * these put hand-made calls, shaped as the recorder writes them, to the role in serverless.yml,
 * and to the same role with one grant taken out.
 */
const configured = {
  tableName: 'wa-onboarding',
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
  kmsKeyId: 'k',
};

const call = (client: string, command: string, input: Record<string, unknown>): RecordedCall => ({
  client,
  command: `${command}Command`,
  input,
  configured,
  origin: 'app',
});

async function allowed(c: RecordedCall, r: Role): Promise<boolean> {
  const verdicts = await Promise.all(requestsFor(c, r).map((req) => simulate(r, req)));
  const errors = verdicts.filter((v) => v.detail.startsWith('simulation error'));
  if (errors.length) throw new Error(errors.map((e) => e.detail).join('\n'));
  return verdicts.every((v) => v.allowed);
}

function without(role: Role, action: string): Role {
  return {
    ...role,
    statements: role.statements.map((s) => ({
      ...s,
      Action: (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => a !== action),
    })),
  };
}

const batchGet = call('DynamoDBClient', 'BatchGetItem', { RequestItems: ['wa-onboarding'] });
const generate = (ctx?: Record<string, string>) =>
  call('KMSClient', 'GenerateDataKey', { KeyId: 'k', ...(ctx ? { EncryptionContext: ctx } : {}) });

describe.each(roles())('IAM role in $source', ({ role }) => {
  const can = (c: RecordedCall, r: Role = role) => allowed(c, r);

  it('allows the batch read the opt-in lookup makes, and denies it once the grant is removed', async () => {
    expect(await can(batchGet)).toBe(true);
    expect(await can(batchGet, without(role, 'dynamodb:BatchGetItem'))).toBe(false);
  });

  it('allows queries on the due index but no item writes there, and nothing on another table', async () => {
    expect(await can(call('DynamoDBClient', 'Query', { TableName: 'wa-onboarding', IndexName: 'due' }))).toBe(
      true,
    );
    expect(await can(call('DynamoDBClient', 'Scan', { TableName: 'wa-onboarding' }))).toBe(false);
    expect(await can(call('DynamoDBClient', 'GetItem', { TableName: 'another-table' }))).toBe(false);
  });

  it('lets KMS make data keys only with a tenant encryption context', async () => {
    expect(await can(generate({ tenant: 'T0001' }))).toBe(true);
    expect(await can(generate({ tenant: 'E0001' }))).toBe(true);
    // No context at all: what ForAllValues alone would have let through.
    expect(await can(generate())).toBe(false);
    expect(await can(generate({ purpose: 'x' }))).toBe(false);
    expect(await can(generate({ tenant: 'not-a-team' }))).toBe(false);
    expect(
      await can(call('KMSClient', 'Decrypt', { KeyId: 'another-key', EncryptionContext: { tenant: 'T1' } })),
    ).toBe(false);
  });

  it('sends to the job queue only (SendMessageBatch is authorised as sqs:SendMessage)', async () => {
    const send = (url: string) => call('SQSClient', 'SendMessageBatch', { QueueUrl: url });
    expect(await can(send(configured.queueUrl))).toBe(true);
    expect(await can(send(configured.queueUrl), without(role, 'sqs:SendMessage'))).toBe(false);
    expect(await can(send('https://sqs.eu-west-1.amazonaws.com/1/other'))).toBe(false);
  });
});
