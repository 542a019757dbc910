import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { RecordedCall } from '../../src/aws/instrument.js';

/**
 * The Lambda role as IAM sees it, and the IAM requests an AWS call makes, so each recorded call
 * can be put to an IAM policy simulator (@cloud-copilot/iam-simulate): the role's identity
 * policy, the KMS key policy as the resource policy, resources and condition keys included.
 *
 * Physical names are stand-ins (account 123456789012, generated-looking resource names): the
 * checks are about which action on which resource under which condition, not about names.
 */
export const ACCOUNT = '123456789012';

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Role {
  region: string;
  stage: string;
  service: string;
  statements: Statement[];
  keyPolicy: unknown;
  /** Stand-in ARNs of the stack's resources, by logical id. */
  arns: Record<string, string>;
  /** What `Ref` gives for each resource (table name, queue URL, key id). */
  refs: Record<string, string>;
  /** The resource each configured name points at (TABLE_NAME: !Ref Table → tableName: Table). */
  bound: Record<string, string>;
}

/** The environment variables the app reads its AWS resource names from, by config field. */
const BOUND_ENV: Record<string, string> = {
  TABLE_NAME: 'tableName',
  QUEUE_URL: 'queueUrl',
  KMS_KEY_ID: 'kmsKeyId',
};

function boundOf(env: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, field] of Object.entries(BOUND_ENV)) {
    const v = env?.[name] as { Ref?: string } | undefined;
    if (v?.Ref) out[field] = v.Ref;
  }
  return out;
}

export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  /** The recorded call this request came from, for the failure message. */
  from: string;
}

/** Stand-in physical ids, shaped like the ones CloudFormation generates. */
function physical(
  service: string,
  stage: string,
  region: string,
  resources: Record<string, { Type: string }>,
) {
  const arns: Record<string, string> = {};
  const refs: Record<string, string> = {};
  for (const [id, r] of Object.entries(resources)) {
    const name = `${service}-${stage}-${id}-1A2B3C4D5E6F`;
    if (r.Type === 'AWS::DynamoDB::Table') {
      refs[id] = name;
      arns[id] = `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}`;
    } else if (r.Type === 'AWS::SQS::Queue') {
      refs[id] = `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${name}`;
      arns[id] = `arn:aws:sqs:${region}:${ACCOUNT}:${name}`;
    } else if (r.Type === 'AWS::KMS::Key') {
      refs[id] = '1234abcd-12ab-34cd-56ef-1234567890ab';
      arns[id] = `arn:aws:kms:${region}:${ACCOUNT}:key/${refs[id]}`;
    } else if (r.Type === 'AWS::SSM::Parameter') {
      refs[id] = `/${name}`;
      arns[id] = `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${name}`;
    } else {
      refs[id] = name;
      arns[id] = `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${service}-${stage}/${id}`;
    }
  }
  return { arns, refs };
}

/** Resolves Ref, Fn::GetAtt (Arn), Fn::Join and Fn::Sub against the stand-in ids. */
export function resolveIntrinsics(value: unknown, role: Pick<Role, 'arns' | 'refs' | 'region'>): unknown {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': role.region,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const ref = (name: string): string => {
    const v = pseudo[name] ?? role.refs[name];
    if (v === undefined) throw new Error(`template: Ref to unknown ${name}`);
    return v;
  };
  const getAtt = (id: string, attr: string): string => {
    if (attr !== 'Arn') throw new Error(`template: GetAtt ${id}.${attr} is not modelled`);
    const v = role.arns[id];
    if (!v) throw new Error(`template: GetAtt of unknown ${id}`);
    return v;
  };
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      if ('Ref' in o) return ref(String(o.Ref));
      if ('Fn::GetAtt' in o) {
        const [id, attr] = o['Fn::GetAtt'] as [string, string];
        return getAtt(id, attr);
      }
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return (walk(parts) as unknown[]).join(sep);
      }
      if ('Fn::Sub' in o) {
        return String(o['Fn::Sub']).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          const [id, attr] = name.split('.');
          return attr ? getAtt(id as string, attr) : ref(name);
        });
      }
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
  };
  return walk(value);
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

function keyPolicyOf(resources: Resources): unknown {
  const key = Object.values(resources).find((r) => r.Type === 'AWS::KMS::Key');
  return key?.Properties?.KeyPolicy;
}

/** The role from serverless.yml (resolved): provider.iam.role.statements. */
export function roleFromServerless(sls: Record<string, unknown>): Role {
  const provider = sls.provider as {
    stage: string;
    region: string;
    environment?: Record<string, unknown>;
    iam: { role: { statements: unknown[] } };
  };
  const resources = ((sls.resources as { Resources?: Resources } | undefined)?.Resources ?? {}) as Resources;
  const base = {
    region: provider.region,
    ...physical(String(sls.service), provider.stage, provider.region, resources),
  };
  return {
    stage: provider.stage,
    service: String(sls.service),
    ...base,
    bound: boundOf(provider.environment),
    statements: resolveIntrinsics(provider.iam.role.statements, base) as Statement[],
    keyPolicy: resolveIntrinsics(keyPolicyOf(resources), base),
  };
}

/** The role from a packaged CloudFormation template (`sls package` output). */
export function roleFromTemplate(
  template: { Resources: Resources },
  names: { service: string; stage: string; region: string },
): Role {
  const resources = template.Resources;
  const base = { region: names.region, ...physical(names.service, names.stage, names.region, resources) };
  const role = resources.IamRoleLambdaExecution?.Properties as
    | { Policies: Array<{ PolicyDocument: { Statement: unknown[] } }> }
    | undefined;
  if (!role) throw new Error('template: no IamRoleLambdaExecution');
  const bound: Record<string, string> = {};
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const env = (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    Object.assign(bound, boundOf(env));
  }
  return {
    ...names,
    ...base,
    bound,
    statements: resolveIntrinsics(
      role.Policies.flatMap((p) => p.PolicyDocument.Statement),
      base,
    ) as Statement[],
    keyPolicy: resolveIntrinsics(keyPolicyOf(resources), base),
  };
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The IAM requests one recorded call makes (a batch or transaction is one request per item/table). */
export function requestsFor(call: RecordedCall, role: Role): IamRequest[] {
  const op = call.command.replace(/Command$/, '');
  const from = `${call.client}.${op}`;
  const input = call.input;
  /** The configured name maps to the resource the template binds it to; any other name is foreign. */
  const boundArn = (field: string, value: unknown): string | undefined => {
    const id = role.bound[field];
    return id && value === call.configured[field] ? role.arns[id] : undefined;
  };

  if (call.client === 'DynamoDBClient') {
    const tableArn = (name: unknown) =>
      boundArn('tableName', name) ?? `arn:aws:dynamodb:${role.region}:${ACCOUNT}:table/${String(name)}`;
    if (op === 'BatchGetItem' || op === 'BatchWriteItem') {
      return list(input.RequestItems as string[]).map((t) => ({
        action: `dynamodb:${op}`,
        resource: tableArn(t),
        context: {},
        from,
      }));
    }
    if (op === 'TransactWriteItems' || op === 'TransactGetItems') {
      const actions: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
        Get: 'GetItem',
      };
      return (input.TransactItems as Array<Array<{ op: string; TableName: string }>>).flat().map((i) => ({
        action: `dynamodb:${actions[i.op] ?? i.op}`,
        resource: tableArn(i.TableName),
        context: {},
        from,
      }));
    }
    const table = tableArn(input.TableName);
    return [
      {
        action: `dynamodb:${op}`,
        resource: input.IndexName ? `${table}/index/${String(input.IndexName)}` : table,
        context: {},
        from,
      },
    ];
  }

  if (call.client === 'SQSClient') {
    const url = String(input.QueueUrl);
    const [, , host = '', account = '', name = ''] = url.split('/');
    const region = host.split('.')[1] ?? role.region;
    const arn = boundArn('queueUrl', url) ?? `arn:aws:sqs:${region}:${account}:${name}`;
    // SendMessageBatch is authorised as sqs:SendMessage (SQS API reference, SendMessageBatch).
    const action = op === 'SendMessageBatch' ? 'SendMessage' : op.replace(/Batch$/, '');
    return [{ action: `sqs:${action}`, resource: arn, context: {}, from }];
  }

  if (call.client === 'KMSClient') {
    const keyId = String(input.KeyId);
    const arn =
      boundArn('kmsKeyId', keyId) ??
      (keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${role.region}:${ACCOUNT}:key/${keyId}`);
    const ctx = (input.EncryptionContext ?? {}) as Record<string, string>;
    const context: Record<string, string | string[]> = {};
    if (Object.keys(ctx).length) {
      context['kms:EncryptionContextKeys'] = Object.keys(ctx);
      for (const [k, v] of Object.entries(ctx)) context[`kms:EncryptionContext:${k}`] = v;
    }
    return [{ action: `kms:${op}`, resource: arn, context, from }];
  }

  if (call.client === 'SSMClient') {
    const param = (name: string) =>
      `arn:aws:ssm:${role.region}:${ACCOUNT}:parameter/${name.replace(/^\//, '')}`;
    if (op === 'GetParameters') {
      return list(input.Names as string[]).map((n) => ({
        action: 'ssm:GetParameters',
        resource: param(n),
        context: {},
        from,
      }));
    }
    const name = String(input.Name ?? input.Path);
    return [{ action: `ssm:${op}`, resource: param(name), context: {}, from }];
  }

  throw new Error(`no IAM mapping for ${from}: add one to test/aws/iam.ts`);
}

export interface Verdict extends IamRequest {
  allowed: boolean;
  detail: string;
}

/**
 * Puts one request to the simulator: the role's statements, and the key policy for KMS keys.
 *
 * runSimulation validates the policies, the action and the resource ARN against AWS's service
 * reference. It does not recognise `kms:EncryptionContext:<key>` as a context key (iam-simulate
 * 0.1.x matches templated keys only after a `/`, as in `aws:ResourceTag/<key>`) and drops it;
 * when only such keys were dropped, the decision is taken by runUnsafeSimulation, which
 * evaluates the same policies with the context as given. Any other dropped key fails loudly.
 */
export async function simulate(role: Role, request: IamRequest): Promise<Verdict> {
  const principal = `arn:aws:iam::${ACCOUNT}:role/${role.service}-${role.stage}-${role.region}-lambdaRole`;
  const simulation: Simulation = {
    request: {
      principal,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT },
      contextVariables: request.context,
    },
    identityPolicies: [{ name: 'lambda', policy: { Version: '2012-10-17', Statement: role.statements } }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.action.startsWith('kms:') && role.keyPolicy ? { resourcePolicy: role.keyPolicy } : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    return { ...request, allowed: false, detail: `simulation error: ${JSON.stringify(result.errors)}` };
  }
  const ignored = result.resultType === 'single' ? (result.result.ignoredContextKeys ?? []) : [];
  if (ignored.length === 0) {
    return { ...request, allowed: result.overallResult === 'Allowed', detail: String(result.overallResult) };
  }
  const unexpected = ignored.filter((k) => !/^kms:EncryptionContext:/i.test(k));
  if (unexpected.length) {
    return {
      ...request,
      allowed: false,
      detail: `simulation error: context keys not valid here: ${unexpected}`,
    };
  }
  // runUnsafeSimulation loads a plain resource policy without the name its analysis reads; a
  // validated-policy wrapper (@cloud-copilot/iam-policy's shape) carries one.
  const decision = runUnsafeSimulation(
    {
      ...simulation,
      ...(simulation.resourcePolicy
        ? {
            resourcePolicy: {
              __validated: true,
              policyDocument: simulation.resourcePolicy,
              metadata: { name: 'key-policy' },
              errors: [],
            },
          }
        : {}),
    },
    {},
  );
  return { ...request, allowed: decision === 'Allowed', detail: String(decision) };
}

/** Actions the Lambda service itself uses with the function role (logs, the SQS event source). */
export const SERVICE_USED = new Set([
  'logs:CreateLogStream',
  'logs:CreateLogGroup',
  'logs:TagResource',
  'logs:PutLogEvents',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ChangeMessageVisibility',
]);

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

/** Each allowed action × resource of the role that no allowed request used. */
export function unusedGrants(role: Role, used: IamRequest[]): string[] {
  const out: string[] = [];
  for (const s of role.statements) {
    if (s.Effect !== 'Allow') continue;
    for (const action of list(s.Action)) {
      for (const resource of list(s.Resource)) {
        const a = glob(action);
        const r = glob(resource);
        if (!used.some((u) => a.test(u.action) && r.test(u.resource))) {
          out.push(
            `${action} on ${resource}${SERVICE_USED.has(action) ? ' (used by the Lambda service)' : ''}`,
          );
        }
      }
    }
  }
  return out;
}

/**
 * The role a function of its own role (serverless.yml `functions.<name>.role: <LogicalId>`) runs
 * with: that IAM::Role resource's inline policies, resolved against the same stand-in ids.
 */
export function ownRole(role: Role, resources: Resources, roleId: string): Role {
  const r = resources[roleId];
  if (r?.Type !== 'AWS::IAM::Role') throw new Error(`template: no IAM role ${roleId}`);
  const policies = (r.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: unknown[] } }>;
  return {
    ...role,
    statements: resolveIntrinsics(
      policies.flatMap((p) => p.PolicyDocument.Statement),
      role,
    ) as Statement[],
  };
}
