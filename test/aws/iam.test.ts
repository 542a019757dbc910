import { describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../src/aws/instrument.js';
import { PARAMETER_NAMES } from '../../src/slack/secrets.js';
import { ownRole, type Role, requestsFor, simulate } from './iam.js';
import { roles } from './least-privilege.global.js';
import { loadServerlessYml } from './serverless-yml.js';

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

/** What serverless.yml gives the functions: the Slack settings' path, and each function's own role. */
const yml = loadServerlessYml('serverless.yml') as {
  provider: { environment: Record<string, unknown> };
  functions: Record<string, { role?: string }>;
};
const slackPath = String(yml.provider.environment.SLACK_PARAMETERS);
const roleOf = (fn: string) => {
  const id = yml.functions[fn]?.role;
  if (!id) throw new Error(`serverless.yml: ${fn} has no role of its own`);
  return id;
};

describe.each(roles())('the roles in $source', ({ role, resources }) => {
  const can = (c: RecordedCall, r: Role = role) => allowed(c, r);
  const getParameters = (...names: string[]) => call('SSMClient', 'GetParameters', { Names: names });
  const item = (op: string) => call('DynamoDBClient', op, { TableName: configured.tableName });
  const send = call('SQSClient', 'SendMessage', { QueueUrl: configured.queueUrl });
  const due = call('DynamoDBClient', 'Query', { TableName: configured.tableName, IndexName: 'due' });
  const settings = Object.values(PARAMETER_NAMES).map((n) => `${slackPath}${n}`);

  it('reads exactly the four Slack settings under the SLACK_PARAMETERS path serverless.yml gives the functions', async () => {
    expect(slackPath).toMatch(/^\/.+\/$/);
    for (const name of settings)
      expect({ name, allowed: await can(getParameters(name)) }).toEqual({ name, allowed: true });
    expect(await can(getParameters(`${slackPath}another-setting`))).toBe(false);
    const granted = role.statements
      .filter((s) => [s.Action].flat().includes('ssm:GetParameters'))
      .flatMap((s) => [s.Resource].flat())
      .sort();
    const arn = (name: string) =>
      `arn:aws:ssm:${role.region}:123456789012:parameter/${name.replace(/^\//, '')}`;
    expect(granted).toEqual(settings.map(arn).sort());
  });

  it('lets health do nothing but write its logs', async () => {
    const health = ownRole(role, resources, roleOf('health'));
    for (const c of [
      item('GetItem'),
      send,
      getParameters(settings[0] as string),
      generate({ tenant: 'T1' }),
    ]) {
      expect({ call: c.command, allowed: await can(c, health) }).toEqual({ call: c.command, allowed: false });
    }
  });

  it('lets oauth keep installations, read its settings and seal tokens, with no queue, due index or update', async () => {
    const oauth = ownRole(role, resources, roleOf('oauth'));
    for (const c of [
      item('GetItem'),
      item('PutItem'),
      item('DeleteItem'),
      getParameters(...settings),
      generate({ tenant: 'T1' }),
    ]) {
      expect({ call: c.command, allowed: await can(c, oauth) }).toEqual({ call: c.command, allowed: true });
    }
    for (const c of [send, due, item('UpdateItem'), item('Query'), generate()]) {
      expect({ call: c.command, allowed: await can(c, oauth) }).toEqual({ call: c.command, allowed: false });
    }
  });
});
