import { clock } from '../clock.js';
import { type Config, config, DEV_SIGNING_SECRET } from '../config.js';
import { logger } from '../log.js';

/**
 * The Slack app's settings that are secret or known only after the first deploy (the Slack app
 * is created from the deployment's URL): a port with two adapters.
 * - AWS: SSM Parameter Store, SecureString parameters under SLACK_PARAMETERS (serverless.yml
 *   grants ssm:GetParameters on exactly these four), read at cold start through Powertools
 *   Parameters and again every REFRESH_MS (a rotated secret is seen without a redeploy).
 * - Local stack: the environment (config()), with the sandbox values as defaults.
 * Nothing else reads these values; they are never logged.
 */
export interface SlackSecrets {
  signingSecret: string;
  clientId: string;
  clientSecret: string;
  stateSecret: string;
}

/** The parameter names under SLACK_PARAMETERS, by setting. */
export const PARAMETER_NAMES: Record<keyof SlackSecrets, string> = {
  signingSecret: 'signing-secret',
  clientId: 'client-id',
  clientSecret: 'client-secret',
  stateSecret: 'state-secret',
};

/** Values that only the local stack may use: refused from Parameter Store. */
const SANDBOX_VALUES = new Set([
  DEV_SIGNING_SECRET,
  'sandbox-client-id',
  'sandbox-client-secret',
  'sandbox-state-secret',
]);

/** Wrong Slack settings (e.g. the sandbox's values in AWS): answered 500 by the edge (src/edge/http.ts). */
class SlackSettingsError extends Error {
  override readonly name: string = 'SlackSettingsError';
  readonly httpStatus: number = 500;
  readonly publicMessage: string = 'This app is misconfigured: its administrator can see why in its logs.';
  readonly logLevel = 'error' as const;
}

/**
 * Not set yet: the state right after a first deploy. The Slack endpoints answer 503 (through the
 * edge) and GET /slack/install shows what to set.
 */
export class SlackNotConfiguredError extends SlackSettingsError {
  override readonly name = 'SlackNotConfiguredError';
  override readonly httpStatus = 503;
  override readonly publicMessage =
    'This app is not set up yet: its administrator can open /slack/install on this deployment to see what to set.';
  constructor(readonly missing: string[]) {
    super(`Slack settings not set yet: ${missing.join(', ')}`);
  }
}

export interface SlackSecretsSource {
  load(): Promise<SlackSecrets>;
}

class EnvSlackSecrets implements SlackSecretsSource {
  constructor(private readonly slack: Config['slack']) {}
  async load(): Promise<SlackSecrets> {
    const { signingSecret, clientId, clientSecret, stateSecret } = this.slack;
    if (!signingSecret || !clientId || !clientSecret || !stateSecret) {
      throw new SlackSettingsError('the local stack has no Slack settings in its environment');
    }
    return { signingSecret, clientId, clientSecret, stateSecret };
  }
}

class SsmSlackSecrets implements SlackSecretsSource {
  constructor(
    private readonly prefix: string,
    private readonly region: string,
  ) {}

  parameterNames(): string[] {
    return Object.values(PARAMETER_NAMES).map((n) => `${this.prefix}${n}`);
  }

  async load(): Promise<SlackSecrets> {
    // Loaded only in AWS: the local stack and the Slack function's cold path never import them.
    const [{ SSMProvider }, { SSMClient }, { instrument }] = await Promise.all([
      import('@aws-lambda-powertools/parameters/ssm'),
      import('@aws-sdk/client-ssm'),
      import('../aws/instrument.js'),
    ]);
    ssmClient ??= instrument(new SSMClient({ region: this.region }), () => ({}));
    // A provider per read: its cache would hand back a refused or partial read; slackSecrets() caches.
    const ssm = new SSMProvider({ awsSdkV3Client: ssmClient });
    const names = Object.fromEntries(this.parameterNames().map((n) => [n, {}]));
    const got = (await ssm.getParametersByName<string>(names, {
      decrypt: true,
      throwOnError: false,
    })) as Record<string, unknown> & { _errors?: string[] };
    const values = {} as SlackSecrets;
    const missing: string[] = [];
    for (const [key, name] of Object.entries(PARAMETER_NAMES) as Array<[keyof SlackSecrets, string]>) {
      const v = got[`${this.prefix}${name}`];
      if (typeof v === 'string' && v.trim() && v.trim() !== '-') values[key] = v.trim();
      else missing.push(`${this.prefix}${name}`);
    }
    if (missing.length) throw new SlackNotConfiguredError(missing);
    const sandbox = (Object.keys(values) as Array<keyof SlackSecrets>).filter((k) =>
      SANDBOX_VALUES.has(values[k]),
    );
    if (sandbox.length) {
      throw new SlackSettingsError(
        `refusing the local stack's sandbox values outside it: ${sandbox.map((k) => `${this.prefix}${PARAMETER_NAMES[k]}`).join(', ')}`,
      );
    }
    return values;
  }
}

let ssmClient: import('@aws-sdk/client-ssm').SSMClient | undefined;

function slackSecretsSource(c: Config = config()): SlackSecretsSource {
  return c.slack.parameters
    ? new SsmSlackSecrets(c.slack.parameters, c.region)
    : new EnvSlackSecrets(c.slack);
}

/** After a failed read, the next request reads again no sooner than this (no SSM call per request). */
export const RETRY_MS = 10_000;

/**
 * A good read is used this long, then read again, so a rotated secret (a new signing secret, a
 * new client secret) is taken up within minutes, without a redeploy. One SSM call per instance
 * per period: far inside GetParameters' throughput.
 */
export const REFRESH_MS = 5 * 60_000;

let cached: { config: Config; at: number; value: Promise<SlackSecrets>; failed: boolean } | undefined;
let source: SlackSecretsSource | undefined;

/**
 * The Slack settings, read at cold start and again every REFRESH_MS. A failed first read (not
 * set yet, SSM unreachable) is kept for RETRY_MS, then read again, so setting the parameters
 * needs no redeploy. A failed refresh keeps the settings read before (a working app does not
 * stop because SSM did not answer once) and is tried again after RETRY_MS.
 * The promise is the same object until the settings are read again: callers that build
 * something from them (Bolt, InstallProvider) rebuild when it changes.
 */
export function slackSecrets(): Promise<SlackSecrets> {
  const c = config();
  const now = clock.now();
  if (cached && cached.config === c) {
    if (now - cached.at < (cached.failed ? RETRY_MS : REFRESH_MS)) return cached.value;
  }
  const previous = cached?.config === c && !cached.failed ? cached.value : undefined;
  const loaded = (source ?? slackSecretsSource(c)).load();
  const entry = { config: c, at: now, value: loaded, failed: false };
  if (previous) {
    entry.value = loaded.catch((err: unknown) => {
      // Read again soon, not in a full period.
      entry.at = now - REFRESH_MS + RETRY_MS;
      logger.error('Slack settings could not be read again: keeping the ones read before', {
        error: err as Error,
      });
      return previous;
    });
  } else {
    loaded.catch((err: unknown) => {
      entry.failed = true;
      if (err instanceof SlackNotConfiguredError) {
        logger.error('Slack settings are not set yet: the Slack endpoints answer 503 until they are', {
          missing: err.missing,
          next: `${c.publicUrl}/slack/install shows what to set`,
        });
      } else {
        logger.error('Slack settings could not be read', { error: err as Error });
      }
    });
  }
  cached = entry;
  return entry.value;
}
