import { createHmac } from 'node:crypto';
import { expect } from 'vitest';
import { clock } from '../../src/clock.js';
import { config } from '../../src/config.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { CONTROL_HEADER, controlTokenFor } from '../../src/sandbox/control-plane.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { webhookUrl } from '../../src/security/webhooks.js';
import { tenantId } from '../../src/store/keys.js';
import { command, sandboxFetch, clickButton as sharedClick, slackMessages } from '../helpers/slack.js';

export const T = tenantId('T0SANDBOX');

export async function startStack(env: Record<string, string> = {}): Promise<LocalStack> {
  return startLocalStack({ port: 0, env: { LOG_LEVEL: 'ERROR', ...env } });
}

// biome-ignore lint/suspicious/noExplicitAny: sandbox records are read loosely by the assertions
type Rec = Record<string, any>;

export async function sandboxState(stack: LocalStack) {
  const res = await sandboxFetch(stack.url, '/_sandbox/state');
  return (await res.json()) as {
    'cm-sign': { dossiers: Array<Rec>; webhooks: { deliveries: Array<{ status: number }> } };
    zavu: { invitations: Array<Rec>; webhooks: { deliveries: Array<{ status: number }> } };
  };
}

/** Calls a control route of a provider sandbox (on its own server). */
export async function control(provider: 'cm-sign' | 'zavu', path: string, body: unknown = {}) {
  const base = new URL(provider === 'zavu' ? config().providers.zavu : config().providers.cmSign).origin;
  const res = await fetch(`${base}/_sandbox/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CONTROL_HEADER]: controlTokenFor(base) ?? '' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

/** Turns a provider sandbox's webhooks on or off (its own control route). */
export async function setWebhooks(provider: 'cm-sign' | 'zavu', enabled: boolean) {
  const base = new URL(provider === 'zavu' ? config().providers.zavu : config().providers.cmSign).origin;
  const res = await fetch(`${base}/_sandbox/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CONTROL_HEADER]: controlTokenFor(base) ?? '' },
    body: JSON.stringify({ enabled }),
  });
  expect(res.status).toBe(200);
}

/** Runs `/wa <text>` and waits until the work it started has finished. */
export async function run(stack: LocalStack, text: string, over: Record<string, string> = {}) {
  const res = await command(stack.url, text, over);
  expect(res.status).toBe(200);
  await stack.drain();
  return res.json;
}

export const jobIdIn = (text: string | undefined) => /job `(j[0-9a-z]+)`/.exec(text ?? '')?.[1] ?? '';

export async function job(id: string) {
  const j = await new JobRepository().get(T, id);
  if (!j) throw new Error(`no job ${id}`);
  return j;
}

/** The job's progress message (latest version) and the posts in its thread. */
export async function threadOf(stack: LocalStack, jobId: string) {
  const j = await job(jobId);
  const ts = j.report.progressTs;
  const all = await slackMessages(stack.url);
  const progress = all.filter(
    (m) => m.ts === ts && (m.kind === 'chat.postMessage' || m.kind === 'chat.update'),
  );
  const posts = all.filter((m) => m.kind === 'chat.postMessage' && m.thread_ts === ts);
  return { job: j, progress: progress.at(-1)?.text ?? '', posts: posts.map((m) => m.text ?? ''), all };
}

export function clickButton(stack: LocalStack, actionId: string, value: string, user = 'U0ADMIN') {
  return sharedClick(stack.url, actionId, value, { user, responseUrlId: `click-${user}` });
}

export async function postWebhook(
  provider: 'zavu' | 'cm-sign',
  body: unknown,
  headers: (raw: string) => Record<string, string>,
) {
  const raw = JSON.stringify(body);
  const res = await fetch(await webhookUrl(T, provider), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers(raw) },
    body: raw,
  });
  return res.status;
}

/**
 * `X-Zavu-Signature` made here from Zavu's documented formulas (not with the app's signZavu):
 * v1 = HMAC-SHA256(secret, rawBody), v2 = HMAC-SHA256(secret, "{t}.{rawBody}").
 */
/** Like postWebhook, with the answer's body. */
export async function fetchWebhook(body: unknown, headers: (raw: string) => Record<string, string>) {
  const raw = JSON.stringify(body);
  const res = await fetch(await webhookUrl(T, 'zavu'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers(raw) },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export const zavuSignature = (
  raw: string,
  t = Math.floor(clock.now() / 1000),
  secret = SANDBOX_CREDENTIALS.zavu.webhookSecret ?? '',
  version: 'v1' | 'v2' | 'v1+v2' = 'v2',
) => {
  const mac = (data: string) => createHmac('sha256', secret).update(data).digest('hex');
  const parts = [`t=${t}`];
  if (version !== 'v2') parts.push(`v1=${mac(raw)}`);
  if (version !== 'v1') parts.push(`v2=${mac(`${t}.${raw}`)}`);
  return parts.join(',');
};

let eventSeq = 0;

/** An `invitation.status_changed` event as Zavu documents it (envelope and `data`). */
export function zavuEvent(
  invitationId: string,
  previousStatus: string,
  currentStatus: string,
  extra: Record<string, unknown> = {},
  id = `evt_${clock.now()}_t${++eventSeq}`,
) {
  return {
    id,
    type: 'invitation.status_changed',
    timestamp: clock.now(),
    projectId: 'prj_sandbox',
    data: {
      invitationId,
      clientName: null,
      clientEmail: null,
      connectionType: 'whatsapp_waba',
      previousStatus,
      currentStatus,
      ...extra,
    },
  };
}

export const CM_SECRET = SANDBOX_CREDENTIALS['cm-sign'].webhookSecret ?? '';
