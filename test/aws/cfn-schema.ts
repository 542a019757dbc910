import { createRequire } from 'node:module';
import type { Property, PropertyType, SpecDatabase } from '@aws-cdk/service-spec-types';

/**
 * A template's resources checked against CloudFormation's own resource schemas, offline, as
 * CloudFormation would check them at deploy time: the resource type exists, every property is
 * one the type has, each value has the property's type (nested definitions, arrays and maps
 * included), required properties are there, and a property whose values the schema's own
 * documentation enumerates has one of them.
 *
 * The schemas: `@aws-cdk/aws-service-spec`, the AWS CDK team's database of the CloudFormation
 * Registry resource schemas of every region (the source aws-cdk-lib's L1 classes are generated
 * from), republished on npm as the registry changes. It keeps types, required properties and the
 * property documentation, but not JSON Schema `enum` keywords; and the registry schema itself does
 * not enumerate some values CloudFormation refuses (TreatMissingData: cfn-lint adds that enum by
 * hand). Allowed values are therefore read from the property's documentation where it lists them
 * and nothing else ("Valid values are `a` , `b` , and `c` ." / "Valid values: `a` | `b`"); a
 * sentence that explains each value in prose is not read as a list. docs/operations.md says more.
 */
const require = createRequire(import.meta.url);
let db: SpecDatabase | undefined;

export function specDatabase(): SpecDatabase {
  db ??= (
    require('@aws-cdk/aws-service-spec') as { loadAwsServiceSpecSync(): SpecDatabase }
  ).loadAwsServiceSpecSync();
  return db;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [attribute: string]: unknown;
}

const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Condition',
  'Metadata',
  'CreationPolicy',
  'UpdatePolicy',
]);
const DELETION_POLICIES = ['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot'];

/** `{"Ref": ...}`, `{"Fn::GetAtt": ...}`...: resolved by CloudFormation, so not checked here. */
function isIntrinsic(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return (
    keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || String(keys[0]).startsWith('Fn::'))
  );
}

const LIST = '`[^`]+`(?:\\s*(?:,\\s*(?:and|or)?|\\||and|or)\\s*`[^`]+`)*';
const DOCUMENTED = [
  new RegExp(`Valid [vV]alues(?: are)?\\s*:?\\s*(${LIST})\\s*(?:\\.|\\n|$)`),
  new RegExp(`\\*Allowed values\\*\\s*:\\s*(${LIST})\\s*(?:\\.|\\n|$)`),
];

/** The values a property's documentation lists as its only valid ones, if it lists them. */
export function documentedValues(doc: string | undefined): string[] | undefined {
  for (const re of DOCUMENTED) {
    const m = doc?.match(re);
    if (m?.[1]) return [...m[1].matchAll(/`([^`]+)`/g)].map((x) => x[1] as string);
  }
  return undefined;
}

function describe(t: PropertyType): string {
  if (t.type === 'array' || t.type === 'map') return `${t.type} of ${describe(t.element)}`;
  if (t.type === 'union') return t.types.map(describe).join(' or ');
  return t.type === 'ref' ? 'object' : t.type;
}

/**
 * Problems CloudFormation would refuse, one line each (`Logical.Properties.Path: what`).
 * `partial`: the resources are extensions (serverless.yml `resources.extensions`), merged into
 * resources the framework writes, so their required properties may come from there.
 */
export function checkResources(
  resources: Record<string, TemplateResource>,
  options: { partial?: boolean } = {},
): string[] {
  const spec = specDatabase();
  const problems: string[] = [];

  const checkProperties = (
    value: unknown,
    properties: Record<string, Property>,
    path: string,
    out: string[],
    requireAll = true,
  ): void => {
    if (isIntrinsic(value)) return;
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      out.push(`${path}: expected an object`);
      return;
    }
    const given = value as Record<string, unknown>;
    for (const [name, v] of Object.entries(given)) {
      const prop = properties[name];
      if (!prop) {
        out.push(`${path}.${name}: not a property of this type`);
        continue;
      }
      checkProperty(v, prop, `${path}.${name}`, out);
    }
    for (const [name, prop] of Object.entries(properties)) {
      if (requireAll && prop.required && !(name in given)) out.push(`${path}.${name}: required`);
    }
  };

  const checkProperty = (v: unknown, prop: Property, path: string, out: string[]): void => {
    // A property whose type changed accepts its earlier types too (as the registry does).
    const types = [prop.type, ...(prop.previousTypes ?? [])];
    const attempts = types.map((t) => {
      const found: string[] = [];
      checkValue(v, t, path, found, documentedValues(prop.documentation));
      return found;
    });
    const ok = attempts.find((a) => a.length === 0);
    if (!ok) out.push(...(attempts[0] ?? []));
  };

  const checkValue = (
    v: unknown,
    t: PropertyType,
    path: string,
    out: string[],
    allowed: string[] | undefined,
  ): void => {
    if (isIntrinsic(v)) return;
    const wrong = () => out.push(`${path}: expected ${describe(t)}, got ${JSON.stringify(v)}`);
    switch (t.type) {
      case 'string':
      case 'date-time':
        if (typeof v === 'number' || typeof v === 'boolean') return; // CloudFormation passes scalars as strings
        if (typeof v !== 'string') return void wrong();
        if (allowed && !allowed.includes(v))
          out.push(`${path}: ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
        return;
      case 'number':
      case 'integer': {
        const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
        if (typeof n !== 'number' || Number.isNaN(n) || (t.type === 'integer' && !Number.isInteger(n)))
          wrong();
        return;
      }
      case 'boolean':
        if (typeof v !== 'boolean' && v !== 'true' && v !== 'false') wrong();
        return;
      case 'json':
        if (v === null || (typeof v !== 'object' && typeof v !== 'string')) wrong();
        return;
      case 'null':
        if (v !== null) wrong();
        return;
      case 'tag':
        if (!v || typeof v !== 'object' || !('Key' in v) || !('Value' in v)) wrong();
        return;
      case 'array':
        if (!Array.isArray(v)) return void wrong();
        v.forEach((x, i) => {
          checkValue(x, t.element, `${path}[${i}]`, out, allowed);
        });
        return;
      case 'map':
        if (!v || typeof v !== 'object' || Array.isArray(v)) return void wrong();
        for (const [k, x] of Object.entries(v)) checkValue(x, t.element, `${path}.${k}`, out, undefined);
        return;
      case 'ref': {
        const def = spec.get('typeDefinition', t.reference);
        checkProperties(v, def.properties, path, out);
        return;
      }
      case 'union': {
        const attempts = t.types.map((u) => {
          const found: string[] = [];
          checkValue(v, u, path, found, allowed);
          return found;
        });
        if (!attempts.some((a) => a.length === 0)) out.push(...(attempts[0] ?? []));
        return;
      }
      default:
        // A kind of type this check does not know yet: say so rather than pass it unread.
        out.push(`${path}: schema type ${JSON.stringify(t)} is not read by this check`);
    }
  };

  for (const [id, r] of Object.entries(resources)) {
    for (const key of Object.keys(r)) {
      if (!RESOURCE_ATTRIBUTES.has(key)) problems.push(`${id}.${key}: not a resource attribute`);
    }
    for (const key of ['DeletionPolicy', 'UpdateReplacePolicy']) {
      if (r[key] !== undefined && !DELETION_POLICIES.includes(String(r[key]))) {
        problems.push(
          `${id}.${key}: ${JSON.stringify(r[key])} is not one of ${DELETION_POLICIES.join(', ')}`,
        );
      }
    }
    if (r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource') continue;
    const found = spec.lookup('resource', 'cloudFormationType', 'equals', r.Type);
    const type = found[0];
    if (!type) {
      problems.push(`${id}: ${r.Type} is not a CloudFormation resource type`);
      continue;
    }
    checkProperties(r.Properties ?? {}, type.properties, `${id}.Properties`, problems, !options.partial);
  }
  return problems;
}
