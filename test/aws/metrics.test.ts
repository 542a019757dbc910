import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpHandler } from '../../src/edge/http.js';
import { ProviderHttp } from '../../src/http/client.js';
import { MemoryRateLimiter } from '../../src/http/rate-limit.js';
import { flushMetrics, NAMESPACE, recordAckLatency, recordJob, setMetrics } from '../../src/metrics.js';
import { type RunningSandbox, route, startSandbox } from '../../src/sandbox/providers/framework.js';
import { tenantId } from '../../src/store/keys.js';

/**
 * The metrics as CloudWatch would read them: each published EMF document (Powertools' own
 * serialisation), captured instead of written to stdout.
 */
type Emf = { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> } } & Record<
  string,
  unknown
>;
const published: Emf[] = [];

class Captured extends Metrics {
  override publishStoredMetrics(): this {
    if (this.hasStoredMetrics()) published.push(this.serializeMetrics() as unknown as Emf);
    this.clearMetrics();
    return this;
  }
  override singleMetric(): Metrics {
    return new Captured({ namespace: NAMESPACE, serviceName: 'wa-onboarding', singleMetric: true });
  }
}

let provider: RunningSandbox;

beforeAll(async () => {
  setMetrics(new Captured({ namespace: NAMESPACE, serviceName: 'wa-onboarding' }));
  provider = await startSandbox('scripted', [
    route('GET', '/v1/thing', async () => ({ status: 400, body: { error: { code: 'bad' } } })),
  ]);
});
afterAll(async () => {
  setMetrics(undefined);
  await provider.close();
});
beforeEach(() => {
  published.length = 0;
});

const find = (name: string) => published.filter((d) => name in d);

describe('metrics (EMF)', () => {
  it('counts job steps and outcomes by kind', () => {
    recordJob('invite.sign', 'step');
    recordJob('invite.sign', 'failed');
    const [failed] = find('JobsFailed');
    expect(failed).toMatchObject({ kind: 'invite.sign', JobsFailed: 1, service: 'wa-onboarding' });
    expect(failed?._aws.CloudWatchMetrics[0]?.Namespace).toBe(NAMESPACE);
    expect(failed?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toContain('kind');
    expect(find('JobSteps')).toHaveLength(1);
  });

  it('counts provider errors by provider and kind, per attempt', async () => {
    const http = new ProviderHttp({
      provider: 'zavu',
      baseUrl: `${provider.url}/v1`,
      tenant: tenantId('T0METRICS'),
      auth: () => ({}),
      parseError: (_s, body) => ({ code: (body as { error?: { code?: string } })?.error?.code }),
    });
    await expect(http.request('GET', '/thing', { schema: z.object({}) })).rejects.toMatchObject({
      name: 'ProviderError',
    });
    const errors = find('ProviderErrors');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ provider: 'zavu', kind: 'permanent', ProviderErrors: 1 });
  });

  it('counts rate-limit waits and their length by bucket', async () => {
    const limiter = new MemoryRateLimiter();
    const limit = { perMinute: 600 };
    await Promise.all([0, 1, 2].map(() => limiter.acquire(tenantId('T0METRICS'), 'commbox', limit)));
    const waits = find('RateLimitWaits');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits[0]).toMatchObject({ bucket: 'commbox', RateLimitWaits: 1 });
    expect(find('RateLimitWaitMs')[0]?.RateLimitWaitMs).toBeGreaterThan(0);
  });

  it('sends what an HTTP invocation stored once it has answered (the edge flushes)', async () => {
    const handler = httpHandler(async () => {
      recordAckLatency(42.4);
      return { statusCode: 200, body: '' };
    });
    await handler({ requestContext: { requestId: 'r1' }, rawPath: '/x' } as never);
    expect(find('AckLatency')).toHaveLength(1);
    expect(find('AckLatency')[0]).toMatchObject({ AckLatency: 42 });
    flushMetrics();
    expect(find('AckLatency')).toHaveLength(1);
  });
});
