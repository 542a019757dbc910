import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadServerlessYml } from './serverless-yml.js';
import { type StackView, viewOfServerless, viewOfTemplate } from './template.js';

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
