import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Application metrics as CloudWatch Embedded Metric Format (Powertools Metrics): one JSON line on
 * stdout per flush, turned into metrics by CloudWatch Logs, no API call and no IAM grant.
 * Namespace WaOnboarding, service wa-onboarding. In Lambda only (AWS_LAMBDA_FUNCTION_NAME is set
 * by the runtime); the local stack and tests record nothing unless a test installs an instance.
 *
 * - AckLatency (ms): a Slack request from arrival to Bolt's answer.
 * - JobSteps, JobsFinished, JobsFailed, JobRetries (count), by job kind.
 * - ProviderErrors (count), by provider and error kind (transient, permanent, garbage, ...).
 * - RateLimitWaits (count) and RateLimitWaitMs, by bucket: a request that had to wait for a slot.
 */
export const NAMESPACE = 'WaOnboarding';

let instance: Metrics | undefined;
let installed = false;

function metrics(): Metrics | undefined {
  if (!installed && !instance && process.env.AWS_LAMBDA_FUNCTION_NAME) {
    instance = new Metrics({ namespace: NAMESPACE, serviceName: 'wa-onboarding' });
  }
  return instance;
}

/** Tests: an instance to record into (undefined: back to "in Lambda only"). */
export function setMetrics(m: Metrics | undefined): void {
  instance = m;
  installed = m !== undefined;
}

/** Metrics with their own dimensions go out at once (EMF allows one dimension set per line). */
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

function count(name: string, dimensions: Record<string, string>, value = 1, unit: Unit = MetricUnit.Count) {
  const m = metrics();
  if (!m) return;
  const single = m.singleMetric();
  single.addDimensions(dimensions);
  single.addMetric(name, unit, value);
}

export function recordAckLatency(ms: number): void {
  metrics()?.addMetric('AckLatency', MetricUnit.Milliseconds, Math.round(ms));
}

export type JobOutcome = 'step' | 'finished' | 'failed' | 'retry';
const JOB_METRIC: Record<JobOutcome, string> = {
  step: 'JobSteps',
  finished: 'JobsFinished',
  failed: 'JobsFailed',
  retry: 'JobRetries',
};

export function recordJob(kind: string, outcome: JobOutcome): void {
  count(JOB_METRIC[outcome], { kind });
}

export function recordProviderError(provider: string, kind: string): void {
  count('ProviderErrors', { provider, kind });
}

/** A provider answer or webhook that did not match what we assumed (src/http/drift.ts). */
export function recordProviderDrift(provider: string, kind: string): void {
  count('ProviderDrift', { provider, kind });
}

export function recordRateLimitWait(bucket: string, ms: number): void {
  count('RateLimitWaits', { bucket });
  count('RateLimitWaitMs', { bucket }, Math.round(ms), MetricUnit.Milliseconds);
}

/** Sends what the invocation stored (called by the edge after each invocation). */
export function flushMetrics(): void {
  const m = metrics();
  if (m?.hasStoredMetrics()) m.publishStoredMetrics();
}
