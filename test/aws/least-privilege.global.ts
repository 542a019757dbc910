import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RecordedCall } from '../../src/aws/instrument.js';
import {
  type IamRequest,
  ownRole,
  type Role,
  requestsFor,
  roleFromServerless,
  roleFromTemplate,
  simulate,
  unusedGrants,
} from './iam.js';
import { loadServerlessYml } from './serverless-yml.js';

/**
 * Vitest global setup: every test file's app clients record the AWS calls they send
 * (src/aws/instrument.ts, switched on by AWS_CALL_LOG); once all files have run, each call is
 * put to the IAM simulator against the role in serverless.yml. A call the role does not allow
 * fails the run; grants no call used are listed.
 */
export default function setup() {
  const dir = resolve('.data', `aws-calls-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.env.AWS_CALL_LOG = dir;

  return async () => {
    try {
      const calls = readCalls(dir);
      const report = await checkCalls(calls);
      if (process.env.IAM_REPORT !== 'quiet') console.log(report.text);
      if (report.denied.length)
        throw new Error(`IAM: the role does not allow calls the code makes:\n${report.denied.join('\n')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

export function readCalls(dir: string): RecordedCall[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RecordedCall),
    );
}

/** The role in serverless.yml, and with TEMPLATE=<packaged template> (CI) the role in that template too. */
export function roles(): Array<{ source: string; role: Role; resources: Resources }> {
  const yml = loadServerlessYml('serverless.yml');
  const sls = roleFromServerless(yml);
  const out = [{ source: 'serverless.yml', role: sls, resources: resourcesOf(yml) }];
  if (process.env.TEMPLATE) {
    const template = JSON.parse(readFileSync(process.env.TEMPLATE, 'utf8'));
    out.push({
      source: process.env.TEMPLATE,
      role: roleFromTemplate(template, { service: sls.service, stage: sls.stage, region: sls.region }),
      resources: template.Resources,
    });
  }
  return out;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const resourcesOf = (yml: Record<string, unknown>): Resources =>
  ((yml.resources as { Resources?: Resources } | undefined)?.Resources ?? {}) as Resources;

/** The functions serverless.yml gives a role of their own, and that role's logical id. */
function ownRoles(): Record<string, string> {
  const functions = loadServerlessYml('serverless.yml').functions as Record<string, { role?: string }>;
  return Object.fromEntries(
    Object.entries(functions).flatMap(([name, fn]) => (fn.role ? [[name, fn.role]] : [])),
  );
}

export async function checkCalls(calls: RecordedCall[]) {
  const own = ownRoles();
  const reports = await Promise.all(
    roles().map(({ source, role, resources }) =>
      checkAgainst(calls, role, source, (fn) => (own[fn] ? ownRole(role, resources, own[fn]) : undefined)),
    ),
  );
  return {
    denied: reports.flatMap((r) => r.denied),
    text: reports.map((r) => r.text).join('\n'),
  };
}

/**
 * Each call against the role its function runs with: the shared role, or the function's own
 * (a call made under `functions/oauth.ts` is checked against OauthRole).
 */
async function checkAgainst(
  calls: RecordedCall[],
  role: Role,
  source: string,
  roleOf: (fn: string) => Role | undefined,
) {
  const app = calls.filter((c) => c.origin === 'app');
  const requests = new Map<string, { request: IamRequest; role: Role; name: string }>();
  const underOwn: Record<string, number> = {};
  for (const call of app) {
    const own = call.fn ? roleOf(call.fn) : undefined;
    const name = own ? `${call.fn} role` : 'shared role';
    if (own && call.fn) underOwn[call.fn] = (underOwn[call.fn] ?? 0) + 1;
    for (const r of requestsFor(call, own ?? role))
      requests.set(JSON.stringify([name, r.action, r.resource, r.context]), {
        request: r,
        role: own ?? role,
        name,
      });
  }
  const checked = await Promise.all(
    [...requests.values()].map(async (x) => ({ ...x, verdict: await simulate(x.role, x.request) })),
  );
  const verdicts = checked.filter((c) => c.role === role).map((c) => c.verdict);
  const denied = checked
    .filter((c) => !c.verdict.allowed)
    .map(
      ({ verdict: v, name }) =>
        `  ${source} (${name}): ${v.action} on ${v.resource} ${JSON.stringify(v.context)} (from ${v.from}): ${v.detail}`,
    );
  const unused = unusedGrants(
    role,
    verdicts.filter((v) => v.allowed),
  );
  const actions = [...new Set(verdicts.map((v) => v.action))].sort();
  const text = [
    `IAM least privilege (${source}): ${app.length} AWS calls by the app (${calls.length - app.length} by test harnesses, not checked), ${requests.size} distinct requests, ${denied.length} denied; under functions with a role of their own: ${JSON.stringify(underOwn)}.`,
    `  actions used: ${actions.join(', ') || 'none'}`,
    ...(unused.length ? ['  granted but not used by any test:', ...unused.map((u) => `    ${u}`)] : []),
  ].join('\n');
  return { denied, unused, actions, text };
}
