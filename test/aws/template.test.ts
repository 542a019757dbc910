import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadServerlessYml } from './serverless-yml.js';
import { functionLogicalId, type StackView, viewOfServerless, viewOfTemplate } from './template.js';

/**
 * Template hardening, checked offline on every function, route, queue, table and key:
 * serverless.yml resolved in every run; with TEMPLATE=<packaged template json> (CI, after
 * `sls package`) the packaged CloudFormation template as well.
 */
const views: StackView[] = [viewOfServerless(loadServerlessYml('serverless.yml'))];
if (process.env.TEMPLATE) views.push(viewOfTemplate(JSON.parse(readFileSync(process.env.TEMPLATE, 'utf8'))));

/** Environment variables that must never hold a secret's value (they name where it is kept instead). */
const SECRET_ENV = /SECRET|PASSWORD|TOKEN(?!_ROTATION)|PRIVATE_KEY|API_KEY/i;

const ofType = (view: StackView, type: string) =>
  Object.entries(view.resources).filter(([, r]) => r.Type === type);

describe.each(views)('hardening ($source)', (view) => {
  it('keeps every table and key on stack removal or replacement; tables have point-in-time recovery', () => {
    const tables = ofType(view, 'AWS::DynamoDB::Table');
    const keys = ofType(view, 'AWS::KMS::Key');
    expect(tables.length).toBeGreaterThan(0);
    expect(keys.length).toBeGreaterThan(0);
    for (const [id, r] of [...tables, ...keys]) {
      expect({ id, deletion: r.DeletionPolicy, replace: r.UpdateReplacePolicy }).toEqual({
        id,
        deletion: 'Retain',
        replace: 'Retain',
      });
    }
    for (const [id, r] of tables) {
      const pitr = r.Properties?.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean };
      expect({ id, pitr: pitr?.PointInTimeRecoveryEnabled }).toEqual({ id, pitr: true });
    }
    for (const [id, r] of keys)
      expect({ id, rotation: r.Properties?.EnableKeyRotation }).toEqual({ id, rotation: true });
  });

  it('encrypts every queue; each queue has a dead-letter queue or is one, with a depth alarm', () => {
    const queues = ofType(view, 'AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThan(0);
    const dlqs = new Set(
      queues.flatMap(([, r]) => {
        const target = (r.Properties?.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt'?: string[] } })
          ?.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
        return target ? [target] : [];
      }),
    );
    const alarmed = new Set(
      ofType(view, 'AWS::CloudWatch::Alarm').flatMap(([, r]) => {
        const p = r.Properties ?? {};
        if (p.Namespace !== 'AWS/SQS' || p.MetricName !== 'ApproximateNumberOfMessagesVisible') return [];
        if (!(p.AlarmActions as unknown[] | undefined)?.length) return [];
        return (p.Dimensions as Array<{ Name: string; Value: { 'Fn::GetAtt'?: string[] } }>)
          .filter((d) => d.Name === 'QueueName')
          .map((d) => d.Value['Fn::GetAtt']?.[0]);
      }),
    );
    for (const [id, r] of queues) {
      expect({ id, sse: r.Properties?.SqsManagedSseEnabled }).toEqual({ id, sse: true });
      const isDlq = dlqs.has(id);
      expect({ id, redrive: isDlq || Boolean(r.Properties?.RedrivePolicy) }).toEqual({ id, redrive: true });
      if (isDlq) expect({ id, alarm: alarmed.has(id) }).toEqual({ id, alarm: true });
    }
  });

  it('throttles and logs every route of the HTTP API, logs kept for a set time', () => {
    expect(view.routes.length).toBeGreaterThan(0);
    expect(view.httpApi.accessLogs).toBe(true);
    expect(view.httpApi.accessLogRetentionDays).toBeGreaterThan(0);
    const throttle = view.httpApi.throttle;
    expect(typeof throttle?.rate).toBe('number');
    expect(typeof throttle?.burst).toBe('number');
    expect(throttle?.rate).toBeGreaterThan(0);
    expect(throttle?.burst).toBeGreaterThanOrEqual(throttle?.rate as number);
    // Per-route settings would replace the default route's throttling for that route.
    expect(view.httpApi.routeOverrides).toEqual([]);
  });

  it('needs no reserved concurrency, keeps no secret in any environment, keeps logs for a set time', () => {
    expect(view.functions.length).toBeGreaterThan(0);
    for (const fn of view.functions) {
      expect({ fn: fn.name, reserved: fn.reservedConcurrency }).toEqual({ fn: fn.name, reserved: undefined });
      expect({ fn: fn.name, secrets: Object.keys(fn.environment).filter((k) => SECRET_ENV.test(k)) }).toEqual(
        {
          fn: fn.name,
          secrets: [],
        },
      );
      expect(fn.logRetentionDays).toBeGreaterThan(0);
    }
  });
});

type AlarmProps = {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: Array<{ Name: string; Value: unknown }>;
  Metrics?: Array<{
    Expression?: string;
    MetricStat?: {
      Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: unknown }> };
    };
  }>;
  AlarmActions?: unknown[];
  ComparisonOperator?: string;
  Threshold?: number;
};

/** Each alarm as (namespace, metric, dimension value) triples it watches, with its actions. */
function alarmsOf(view: StackView) {
  return ofType(view, 'AWS::CloudWatch::Alarm').map(([id, r]) => {
    const p = (r.Properties ?? {}) as AlarmProps;
    const watched = [
      ...(p.MetricName ? [{ ns: p.Namespace, metric: p.MetricName, dims: p.Dimensions ?? [] }] : []),
      ...(p.Metrics ?? []).flatMap((m) =>
        m.MetricStat
          ? [
              {
                ns: m.MetricStat.Metric.Namespace,
                metric: m.MetricStat.Metric.MetricName,
                dims: m.MetricStat.Metric.Dimensions ?? [],
              },
            ]
          : [],
      ),
    ];
    return {
      id,
      watched,
      actions: p.AlarmActions ?? [],
      fires: p.ComparisonOperator,
      threshold: p.Threshold,
    };
  });
}

const refTo = (v: unknown) => (v as { Ref?: string } | undefined)?.Ref;

describe.each(views)('operations ($source)', (view) => {
  const alarms = alarmsOf(view);
  const topics = ofType(view, 'AWS::SNS::Topic').map(([id]) => id);
  /** The alarms that watch `metric` in `ns` with a dimension referring to `target`, sending to a topic. */
  const watching = (ns: string, metric: string, target: string) =>
    alarms.filter(
      (a) =>
        a.actions.some((x) => topics.includes(String(refTo(x)))) &&
        a.fires === 'GreaterThanThreshold' &&
        a.threshold === 0 &&
        a.watched.some(
          (w) => w.ns === ns && w.metric === metric && w.dims.some((d) => refTo(d.Value) === target),
        ),
    );
  const fn = (name: string) => {
    const f = view.functions.find((x) => x.name === name || x.logicalId === functionLogicalId(name));
    if (!f) throw new Error(`no function ${name} in ${view.source}`);
    return f;
  };

  it('alarms to the alarm topic on scheduler errors, worker errors and API 5xx', () => {
    expect(topics.length).toBeGreaterThan(0);
    expect(watching('AWS/Lambda', 'Errors', fn('scheduler').logicalId).map((a) => a.id)).not.toEqual([]);
    expect(watching('AWS/Lambda', 'Errors', fn('worker').logicalId).map((a) => a.id)).not.toEqual([]);
    const api =
      Object.entries(view.resources).find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api')?.[0] ?? 'HttpApi';
    expect(watching('AWS/ApiGateway', '5xx', api).map((a) => a.id)).not.toEqual([]);
  });

  it("alarms to the alarm topic when any of the stack's functions is throttled", () => {
    const unwatched = view.functions
      .filter((f) => watching('AWS/Lambda', 'Throttles', f.logicalId).length === 0)
      .map((f) => f.name);
    expect(unwatched).toEqual([]);
  });

  it("bounds the worker's queue trigger (maximumConcurrency 2..1000) without reserving concurrency", () => {
    const worker = fn('worker');
    expect(worker.queueTriggers.length).toBeGreaterThan(0);
    for (const t of worker.queueTriggers) {
      expect(typeof t.maximumConcurrency).toBe('number');
      expect(t.maximumConcurrency).toBeGreaterThanOrEqual(2);
      expect(t.maximumConcurrency).toBeLessThanOrEqual(1000);
    }
    expect(worker.reservedConcurrency).toBeUndefined();
  });

  it('gives health a role of its own that allows nothing but its logs, and oauth one without the queue', () => {
    const statements = (role: string | undefined) => {
      const r = role ? view.resources[role] : undefined;
      const policies = (r?.Properties?.Policies ?? []) as Array<{
        PolicyDocument: { Statement: Array<{ Action: string | string[] }> };
      }>;
      return policies.flatMap((p) => p.PolicyDocument.Statement).flatMap((s) => [s.Action].flat());
    };
    const health = fn('health');
    expect(health.role).toBeDefined();
    expect([...new Set(statements(health.role))].sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const oauth = fn('oauth');
    expect(oauth.role).toBeDefined();
    const actions = statements(oauth.role);
    expect(actions.filter((a) => a.startsWith('sqs:'))).toEqual([]);
    expect(actions).toContain('ssm:GetParameters');
  });
});
