/**
 * One view of the deployable stack, from either source the checks read:
 * - serverless.yml resolved offline (test/aws/serverless-yml.ts), in every `npm test`;
 * - the packaged CloudFormation template (`sls package` output), in CI (.ci/run sets TEMPLATE).
 * Only what the hardening checks look at is modelled.
 */
export type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
export type Resources = Record<string, Resource>;

export interface StackFunction {
  name: string;
  /** The function's logical id in the template (`webhook-zavu` → `WebhookDashzavuLambdaFunction`). */
  logicalId: string;
  /** The logical id of its own role, when it has one (otherwise the shared IamRoleLambdaExecution). */
  role: string | undefined;
  /** Its SQS triggers, with their concurrency bound (undefined = unbounded). */
  queueTriggers: Array<{ queue: unknown; maximumConcurrency: unknown }>;
  environment: Record<string, unknown>;
  reservedConcurrency: unknown;
  logRetentionDays: unknown;
  handler: string;
}

export interface StackView {
  source: string;
  resources: Resources;
  functions: StackFunction[];
  routes: string[];
  httpApi: {
    accessLogs: boolean;
    accessLogRetentionDays: unknown;
    throttle: { rate: unknown; burst: unknown } | undefined;
    /** Route keys with their own settings (which would replace the default route's throttling). */
    routeOverrides: string[];
  };
}

type Sls = {
  provider: {
    environment?: Record<string, unknown>;
    logRetentionInDays?: number;
    logs?: { httpApi?: unknown };
  };
  functions: Record<
    string,
    {
      handler: string;
      role?: string;
      environment?: Record<string, unknown>;
      reservedConcurrency?: unknown;
      logRetentionInDays?: unknown;
      events?: Array<Record<string, unknown>>;
    }
  >;
  resources?: {
    Resources?: Resources;
    extensions?: Record<string, { Properties?: Record<string, unknown> }>;
  };
};

export function viewOfServerless(raw: Record<string, unknown>): StackView {
  const sls = raw as unknown as Sls;
  const settings = sls.resources?.extensions?.HttpApiStage?.Properties?.DefaultRouteSettings as
    | { ThrottlingRateLimit?: unknown; ThrottlingBurstLimit?: unknown }
    | undefined;
  return {
    source: 'serverless.yml',
    resources: sls.resources?.Resources ?? {},
    functions: Object.entries(sls.functions).map(([name, fn]) => ({
      name,
      logicalId: functionLogicalId(name),
      role: fn.role,
      queueTriggers: (fn.events ?? []).flatMap((e) => {
        const sqs = e.sqs as { arn?: unknown; maximumConcurrency?: unknown } | undefined;
        return sqs ? [{ queue: sqs.arn, maximumConcurrency: sqs.maximumConcurrency }] : [];
      }),
      handler: fn.handler,
      environment: { ...sls.provider.environment, ...fn.environment },
      reservedConcurrency: fn.reservedConcurrency,
      logRetentionDays: fn.logRetentionInDays ?? sls.provider.logRetentionInDays,
    })),
    routes: Object.values(sls.functions).flatMap((fn) =>
      (fn.events ?? []).flatMap((e) => (e.httpApi ? [String(e.httpApi)] : [])),
    ),
    httpApi: {
      accessLogs: Boolean(sls.provider.logs?.httpApi),
      accessLogRetentionDays: sls.provider.logRetentionInDays,
      throttle: settings
        ? { rate: settings.ThrottlingRateLimit, burst: settings.ThrottlingBurstLimit }
        : undefined,
      routeOverrides: [],
    },
  };
}

export function viewOfTemplate(template: { Resources: Resources }): StackView {
  const resources = template.Resources;
  const byType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const stage = byType('AWS::ApiGatewayV2::Stage')[0]?.[1]?.Properties ?? {};
  const settings = stage.DefaultRouteSettings as
    | { ThrottlingRateLimit?: unknown; ThrottlingBurstLimit?: unknown }
    | undefined;
  const access = stage.AccessLogSettings as
    | { DestinationArn?: { 'Fn::GetAtt'?: [string, string] } }
    | undefined;
  const accessGroup = access?.DestinationArn?.['Fn::GetAtt']?.[0];
  return {
    source: 'packaged template',
    resources,
    functions: byType('AWS::Lambda::Function').map(([id, r]) => {
      const p = r.Properties ?? {};
      const group = resources[id.replace(/LambdaFunction$/, 'LogGroup')];
      const role = (p.Role as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
      return {
        name: id,
        logicalId: id,
        role: role === 'IamRoleLambdaExecution' ? undefined : role,
        queueTriggers: byType('AWS::Lambda::EventSourceMapping')
          .filter(
            ([, m]) =>
              (m.Properties?.FunctionName as { 'Fn::GetAtt'?: string[] })?.['Fn::GetAtt']?.[0] === id,
          )
          .map(([, m]) => ({
            queue: m.Properties?.EventSourceArn,
            maximumConcurrency: (m.Properties?.ScalingConfig as { MaximumConcurrency?: unknown } | undefined)
              ?.MaximumConcurrency,
          })),
        handler: String(p.Handler),
        environment: (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
        reservedConcurrency: p.ReservedConcurrentExecutions,
        logRetentionDays: group?.Properties?.RetentionInDays,
      };
    }),
    routes: byType('AWS::ApiGatewayV2::Route').map(([, r]) => String(r.Properties?.RouteKey)),
    httpApi: {
      accessLogs: Boolean(accessGroup),
      accessLogRetentionDays: accessGroup ? resources[accessGroup]?.Properties?.RetentionInDays : undefined,
      throttle: settings
        ? { rate: settings.ThrottlingRateLimit, burst: settings.ThrottlingBurstLimit }
        : undefined,
      routeOverrides: Object.keys((stage.RouteSettings as Record<string, unknown> | undefined) ?? {}),
    },
  };
}

/**
 * The logical id the framework gives a function (osls lib/plugins/aws/lib/naming.js,
 * getNormalizedFunctionName + getLambdaLogicalId): first letter up, `-` → `Dash`, `_` → `Underscore`.
 */
export function functionLogicalId(name: string): string {
  const normal = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normal.charAt(0).toUpperCase()}${normal.slice(1)}LambdaFunction`;
}
