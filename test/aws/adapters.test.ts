import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfig } from '../../src/config.js';
import { SqsJobQueue } from '../../src/jobs/queue.js';
import { KmsKeyProvider, open, seal } from '../../src/security/envelope.js';
import { tenantId } from '../../src/store/keys.js';
import { type FakeAws, startFakeAws } from './fake-aws.js';

/**
 * The AWS adapters the local stack does not use (it has a local key and an in-process queue),
 * run against a witness of KMS and SQS so their calls are sent for real, recorded, and checked
 * against the IAM role with the rest (test/aws/least-privilege.global.ts).
 */
let aws: FakeAws;
const T1 = tenantId('T0001');
const T2 = tenantId('T0002');

beforeAll(async () => {
  aws = await startFakeAws();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: aws.url,
    AWS_ENDPOINT_URL_SQS: aws.url,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    KMS_KEY_ID: aws.kmsKeyId,
    QUEUE_URL: `${aws.url}/123456789012/jobs`,
    SLACK_PARAMETERS: '/wa-onboarding/test/slack/',
  });
  resetConfig();
});

afterAll(async () => {
  await aws.close();
});

describe('KMS envelope keys (KmsKeyProvider)', () => {
  it('seals with a tenant-bound data key and opens only for the same tenant', async () => {
    const keys = new KmsKeyProvider(aws.kmsKeyId);
    const sealed = await seal(T1, 'xoxb-secret', keys, 'credential:zavu');
    expect(await open(T1, sealed, keys, 'credential:zavu')).toBe('xoxb-secret');
    // KMS refuses the other tenant's context: the adapter maps that to a DecryptionError.
    await expect(open(T2, sealed, keys, 'credential:zavu')).rejects.toMatchObject({
      name: 'DecryptionError',
    });
  });
});

describe('SQS job queue (SqsJobQueue)', () => {
  it('sends in batches of at most 10, every message arriving once', async () => {
    const queue = new SqsJobQueue(process.env.QUEUE_URL as string);
    const messages = Array.from({ length: 23 }, (_, i) => ({ tenant: T1, jobId: `job-${i}`, lease: 'l' }));
    await queue.send(messages as never);
    const got = (aws.messages.get('/123456789012/jobs') ?? []).map((m) => JSON.parse(m.body).jobId);
    expect(got).toEqual(messages.map((m) => m.jobId));
  });
});
