import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkResources, documentedValues, type TemplateResource } from './cfn-schema.js';
import { loadServerlessYml } from './serverless-yml.js';

/**
 * The stack's resources against CloudFormation's own resource schemas (test/aws/cfn-schema.ts):
 * serverless.yml's resources in every run, and with TEMPLATE=<packaged template> (CI, after
 * `sls package`) every resource of the template the framework writes.
 */
type Resources = Record<string, TemplateResource>;
const yml = loadServerlessYml('serverless.yml') as {
  resources: { Resources: Resources; extensions?: Record<string, { Properties?: Record<string, unknown> }> };
};

/** What the framework names the resources serverless.yml extends (osls lib/plugins/aws/lib/naming.js). */
const EXTENDED: Record<string, string> = { HttpApiStage: 'AWS::ApiGatewayV2::Stage' };

const alarm = (): TemplateResource =>
  structuredClone(yml.resources.Resources.JobDeadLetterAlarm as TemplateResource);
const withProps = (props: Record<string, unknown>): Resources => {
  const a = alarm();
  a.Properties = { ...a.Properties, ...props };
  return { Alarm: a };
};

describe('the template against CloudFormation resource schemas', () => {
  it("serverless.yml's resources and extensions pass", () => {
    expect(checkResources(yml.resources.Resources)).toEqual([]);
    const extensions = Object.entries(yml.resources.extensions ?? {}).map(([id, e]) => {
      const type = EXTENDED[id];
      if (!type) throw new Error(`serverless.yml extends ${id}: name its type in EXTENDED`);
      return [id, { Type: type, Properties: e.Properties ?? {} }] as const;
    });
    expect(checkResources(Object.fromEntries(extensions), { partial: true })).toEqual([]);
  });

  it.runIf(Boolean(process.env.TEMPLATE))(
    'the packaged template passes, every resource the framework wrote included',
    () => {
      const template = JSON.parse(readFileSync(String(process.env.TEMPLATE), 'utf8')) as {
        Resources: Resources;
      };
      expect(Object.keys(template.Resources).length).toBeGreaterThan(20);
      expect(checkResources(template.Resources)).toEqual([]);
    },
  );

  it('refuses a value outside the documented set (TreatMissingData: notbreaching), as a deploy would', () => {
    expect(checkResources(withProps({ TreatMissingData: 'notBreaching' }))).toEqual([]);
    expect(checkResources(withProps({ TreatMissingData: 'notbreaching' }))).toEqual([
      'Alarm.Properties.TreatMissingData: "notbreaching" is not one of breaching, notBreaching, ignore, missing',
    ]);
  });

  it('refuses an unknown property, a wrong type, a missing required property and an unknown resource type', () => {
    expect(checkResources(withProps({ TreatMissingDatum: 'ignore' }))).toEqual([
      'Alarm.Properties.TreatMissingDatum: not a property of this type',
    ]);
    expect(checkResources(withProps({ Period: 'five minutes' }))).toEqual([
      'Alarm.Properties.Period: expected integer, got "five minutes"',
    ]);
    const role = structuredClone(yml.resources.Resources.HealthRole as TemplateResource);
    delete role.Properties?.AssumeRolePolicyDocument;
    expect(checkResources({ Role: role })).toEqual(['Role.Properties.AssumeRolePolicyDocument: required']);
    expect(checkResources(withProps({ Dimensions: [{ Name: 'QueueName' }] }))).toEqual([
      'Alarm.Properties.Dimensions[0].Value: required',
    ]);
    expect(checkResources({ A: { ...alarm(), Type: 'AWS::CloudWatch::Alarms' } })).toEqual([
      'A: AWS::CloudWatch::Alarms is not a CloudFormation resource type',
    ]);
    expect(checkResources({ A: { ...alarm(), DeletionPolicy: 'Keep' } })).toEqual([
      'A.DeletionPolicy: "Keep" is not one of Delete, Retain, RetainExceptOnCreate, Snapshot',
    ]);
  });

  it('reads allowed values only from documentation that lists them and nothing else', () => {
    expect(
      documentedValues('Valid values are `breaching` , `notBreaching` , `ignore` , and `missing` .'),
    ).toEqual(['breaching', 'notBreaching', 'ignore', 'missing']);
    expect(documentedValues('Valid Values: `ReportBatchItemFailures`')).toEqual(['ReportBatchItemFailures']);
    expect(documentedValues('Valid values: `units` | `vcpu` | `memory-mib`')).toEqual([
      'units',
      'vcpu',
      'memory-mib',
    ]);
    // Prose around the values: not a closed list.
    expect(
      documentedValues(
        'Valid values are `TOKEN` for a Lambda function using a token, `REQUEST` for one using',
      ),
    ).toBe(undefined);
    expect(documentedValues('Valid values are 1–3,600 seconds.')).toBe(undefined);
  });
});
