// zod/mini, not zod: this module is on the slack function's cold path (imported before the first
// ack), and full zod's chainable classes weigh ~190 KB there. Same core, same checks and messages;
// each `z.x(...)` below is what the classic method of the same name builds.
import * as z from 'zod/mini';

const bool = z.pipe(
  z.optional(z.enum(['true', 'false', '1', '0', ''])),
  z.transform((v) => v === 'true' || v === '1'),
);

const optionalUrl = z.pipe(
  z.pipe(
    z.optional(z.string()),
    z.transform((v) => (v ? v : undefined)),
  ),
  z.optional(z.url()),
);

const str = (fallback: string) => z._default(z.string(), fallback);
const url = (fallback: string) => z._default(z.url(), fallback);
const intIn = (min: number, max: number, fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.gte(min), z.lte(max)), fallback);

/** Development default so `npm start` works out of the box; printed by the local stack, refused in AWS. */
export const DEV_SIGNING_SECRET = 'sandbox-signing-secret-not-for-production';
/** 32 bytes, base64: the local stand-in for KMS. Never used when KMS_KEY_ID is set. */
const DEV_MASTER_KEY = 'c2FuZGJveC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc=';

const SLACK_ENV = [
  'SLACK_SIGNING_SECRET',
  'SLACK_CLIENT_ID',
  'SLACK_CLIENT_SECRET',
  'SLACK_STATE_SECRET',
] as const;

const EnvShape = z.object({
  STAGE: str('local'),
  AWS_REGION: str('eu-west-1'),
  TABLE_NAME: z._default(z.string().check(z.minLength(3)), 'wa-onboarding'),
  DYNAMODB_ENDPOINT: optionalUrl,
  // Local stack only: in AWS these come from SSM Parameter Store (src/slack/secrets.ts).
  SLACK_SIGNING_SECRET: z.optional(z.string()),
  SLACK_CLIENT_ID: z.optional(z.string()),
  SLACK_CLIENT_SECRET: z.optional(z.string()),
  SLACK_STATE_SECRET: z.optional(z.string()),
  /** AWS: the SSM path holding the Slack settings, e.g. /wa-onboarding/dev/slack/ */
  SLACK_PARAMETERS: z.optional(
    z.string().check(z.regex(/^\/([\w.-]+\/)+$/, 'an SSM path such as /wa-onboarding/dev/slack/')),
  ),
  SLACK_TOKEN_ROTATION: bool,
  SLACK_API_URL: optionalUrl,
  SLACK_AUTHORIZE_URL: optionalUrl,
  PUBLIC_URL: url('http://127.0.0.1:3000'),
  KMS_KEY_ID: z.optional(z.string()),
  LOCAL_MASTER_KEY: z.optional(z.string()),
  QUEUE_URL: optionalUrl,
  DUE_SHARDS: intIn(1, 64, 4),
  JOB_RETENTION_DAYS: intIn(1, 3650, 30),
  AUDIT_RETENTION_DAYS: intIn(1, 3650, 365),
  /** Jobs one person may start per window, and one workspace (src/jobs/admission.ts); queries are not counted. */
  START_LIMIT_PER_PERSON: intIn(1, 1_000_000, 30),
  START_LIMIT_PER_WORKSPACE: intIn(1, 1_000_000, 300),
  START_LIMIT_WINDOW_MINUTES: intIn(1, 1440, 10),
  CM_SIGN_BASE_URL: url('https://api.cm.com/sign/v1'),
  ZAVU_BASE_URL: url('https://api.zavu.dev'),
  CM_CHANNELS_BASE_URL: url('https://api.cm.com/channels/v1'),
  COMMBOX_BASE_URL: url('https://api.commbox.io'),
  VONAGE_BASE_URL: url('https://api.nexmo.com/v0.1/whatsapp-manager'),
  /** Graph with its version: each version lives about two years, so it is a setting, not code. */
  META_GRAPH_BASE_URL: url('https://graph.facebook.com/v26.0'),
  /** Local stack only: workspaces without stored credentials use the sandboxes' credentials. */
  SANDBOX_CREDENTIALS: bool,
  LOG_LEVEL: z._default(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']), 'INFO'),
  /** How long each scheduler invocation keeps passing over the due index (0: one pass, as the local stack's ticks). */
  SCHEDULER_LOOP_SECONDS: z._default(z.coerce.number().check(z.gte(0), z.lte(50)), 45),
});

const EnvSchema = z.pipe(
  EnvShape,
  z.transform((env: z.output<typeof EnvShape>) => {
    const local = !env.KMS_KEY_ID;
    if (!local) {
      // Outside the local stack nothing falls back to the sandbox, and no secret sits in the environment.
      const inEnv = SLACK_ENV.filter((k) => env[k] !== undefined);
      if (inEnv.length) {
        throw new Error(
          `${inEnv.join(', ')} must not be set outside the local stack: the Slack settings are read from SSM Parameter Store under SLACK_PARAMETERS`,
        );
      }
      if (!env.SLACK_PARAMETERS) throw new Error('SLACK_PARAMETERS is required outside the local stack');
    }
    const masterKey = Buffer.from(env.LOCAL_MASTER_KEY ?? DEV_MASTER_KEY, 'base64');
    if (local && masterKey.length !== 32) throw new Error('LOCAL_MASTER_KEY must be 32 bytes, base64');
    return {
      stage: env.STAGE,
      region: env.AWS_REGION,
      tableName: env.TABLE_NAME,
      dynamoEndpoint: env.DYNAMODB_ENDPOINT,
      slack: {
        // Local stack only (undefined in AWS); read through src/slack/secrets.ts, not from here.
        signingSecret: local ? (env.SLACK_SIGNING_SECRET ?? DEV_SIGNING_SECRET) : undefined,
        clientId: local ? (env.SLACK_CLIENT_ID ?? 'sandbox-client-id') : undefined,
        clientSecret: local ? (env.SLACK_CLIENT_SECRET ?? 'sandbox-client-secret') : undefined,
        stateSecret: local ? (env.SLACK_STATE_SECRET ?? 'sandbox-state-secret') : undefined,
        parameters: local ? undefined : env.SLACK_PARAMETERS,
        tokenRotation: env.SLACK_TOKEN_ROTATION,
        apiUrl: env.SLACK_API_URL,
        authorizeUrl: env.SLACK_AUTHORIZE_URL,
      },
      publicUrl: env.PUBLIC_URL.replace(/\/$/, ''),
      kmsKeyId: env.KMS_KEY_ID,
      localMasterKey: local ? masterKey : undefined,
      queueUrl: env.QUEUE_URL,
      dueShards: env.DUE_SHARDS,
      jobRetentionDays: env.JOB_RETENTION_DAYS,
      auditRetentionDays: env.AUDIT_RETENTION_DAYS,
      startLimit: {
        perPerson: env.START_LIMIT_PER_PERSON,
        perWorkspace: env.START_LIMIT_PER_WORKSPACE,
        windowMs: env.START_LIMIT_WINDOW_MINUTES * 60_000,
      },
      logLevel: env.LOG_LEVEL,
      providers: {
        cmSign: env.CM_SIGN_BASE_URL,
        zavu: env.ZAVU_BASE_URL,
        cmChannels: env.CM_CHANNELS_BASE_URL,
        commbox: env.COMMBOX_BASE_URL,
        vonage: env.VONAGE_BASE_URL,
        metaCloud: env.META_GRAPH_BASE_URL,
      },
      sandboxCredentials: env.SANDBOX_CREDENTIALS && local,
      schedulerLoopMs: env.SCHEDULER_LOOP_SECONDS * 1000,
    };
  }),
);

export type Config = z.output<typeof EnvSchema>;

/**
 * Values injected by the local stack (sandbox URLs, its DynamoDB endpoint, ...) on top of the
 * process environment, so starting a stack never rewrites `process.env`.
 */
let injected: Record<string, string> = {};
/** Bumped whenever the configuration changes; feature settings re-read themselves when it moves. */
let generation = 0;

/** The environment without empty variables: `FOO=` in .env or `${env:FOO, ''}` in serverless.yml means "not set". */
export function definedEnv(env: NodeJS.ProcessEnv = { ...process.env, ...injected }): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => Boolean(e[1])));
}

export function loadConfig(env: NodeJS.ProcessEnv = { ...process.env, ...injected }): Config {
  const parsed = EnvSchema.safeParse(definedEnv(env));
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

let cached: Config | undefined;

/** Read and validated once per cold start; fails loudly. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** For tests, which set the environment before any handler runs. */
export function resetConfig(): void {
  cached = undefined;
  generation += 1;
}

/**
 * The local stack's configuration: these values over the process environment, validated now
 * (a bad value fails the start, as a bad Lambda environment fails the cold start). `{}` removes them.
 */
export function configure(values: Record<string, string>): Config {
  injected = { ...values };
  resetConfig();
  return config();
}

/** Feature settings (invites, templates, ...) cache until the configuration changes. */
export function configGeneration(): number {
  return generation;
}
