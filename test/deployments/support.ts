import type { LocalStack } from '../../src/sandbox/server.js';
import { startLocalStack } from '../../src/sandbox/server.js';
import { clearSlackClients } from '../../src/slack/tenant-client.js';
import {
  clickButton,
  command,
  issueTriggerId,
  sandboxFetch,
  interaction as sharedInteraction,
  slackMessages,
} from '../helpers/slack.js';

export const ADMIN = 'U0ADMIN';
export const MEMBER = 'U0MEMBER';
export const TEAM = 'T0SANDBOX';

/** Polls come every second in these tests (and `advance` makes seconds pass at once). */
export const TEST_ENV = {
  DEPLOY_POLL_MS: '1000',
  DEPLOY_CODE_POLL_MS: '1000',
  VONAGE_TIMEOUT_MS: '3000',
  LOG_LEVEL: 'ERROR',
};

export async function startStack(env: Record<string, string> = {}, dataDir?: string): Promise<LocalStack> {
  // Web API clients are cached per tenant with the Slack URL of the stack that made them; a
  // second stack in the same process (a restart) has another URL.
  clearSlackClients();
  return startLocalStack({ port: 0, env: { ...TEST_ENV, ...env }, ...(dataDir ? { dataDir } : {}) });
}

/**
 * Time passes: two hours go by on the simulated clock (past any poll interval or retry backoff)
 * and then one scheduler period runs (scheduler handler, then the worker drains the queue). Each
 * call is one poll of every waiting job.
 */
export async function advance(stack: LocalStack, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    stack.clock.advance(2 * 3_600_000);
    await stack.tick();
  }
}

export async function deployCommand(stack: LocalStack, text: string, user = ADMIN) {
  const res = await command(stack.url, text, { user_id: user });
  await stack.drain();
  return res;
}

export interface SandboxDeployment {
  id: string;
  state: string;
  number: string;
  country_code: string;
  waba_id: string;
  profile: Record<string, unknown>;
  photo?: string;
  stickerpacks: unknown[];
}

export interface LoggedCall {
  method: string;
  path: string;
  pattern: string;
  body: unknown;
  status: number;
  response: unknown;
}

export async function vonageState(stack: LocalStack) {
  const res = await sandboxFetch(stack.url, '/_sandbox/state');
  const all = (await res.json()) as {
    vonage: {
      deployments: SandboxDeployment[];
      requests: LoggedCall[];
      stats: { faults: number; requests: number };
    };
  };
  return all.vonage;
}

export async function messages(stack: LocalStack) {
  return slackMessages(stack.url);
}

/** Every text the app showed in Slack (posts, updates, ephemeral, response_url). */
export async function texts(stack: LocalStack): Promise<string[]> {
  return (await messages(stack)).map((m) => String(m.text ?? ''));
}

function interaction(stack: LocalStack, payload: Record<string, unknown>) {
  return sharedInteraction(stack.url, payload);
}

const trigger = () => issueTriggerId();
const userOf = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: TEAM });

/** A click on a button of a message in the channel, as Slack sends it. */
export async function click(stack: LocalStack, actionId: string, value: string, user = ADMIN) {
  const res = await clickButton(stack.url, actionId, value, { user });
  await stack.drain();
  return res;
}

/** The submission of a modal with one plain-text input. */
export async function submitView(
  stack: LocalStack,
  view: { callback_id: string; private_metadata: string },
  values: Record<string, string>,
  user = ADMIN,
) {
  const res = await interaction(stack, {
    type: 'view_submission',
    user: userOf(user),
    trigger_id: trigger(),
    view: {
      id: 'VCODE',
      team_id: TEAM,
      type: 'modal',
      hash: 'h',
      ...view,
      state: {
        values: Object.fromEntries(
          Object.entries(values).map(([k, v]) => [k, { [k]: { type: 'plain_text_input', value: v } }]),
        ),
      },
    },
    response_urls: [],
  });
  await stack.drain();
  return res;
}

/** Advances until the sandbox shows the deployment in `state` (or gives up after `max` polls). */
export async function advanceUntil(stack: LocalStack, id: string, state: string, max = 12): Promise<void> {
  for (let i = 0; i < max; i++) {
    const d = (await vonageState(stack)).deployments.find((x) => x.id === id);
    // The sandbox moves on a poll and answers that poll with the new state: the job has seen it.
    if (d?.state === state) return;
    await advance(stack);
  }
  throw new Error(`deployment ${id} did not reach ${state}`);
}

/** A number as the Cloud API sandbox keeps it (`/_sandbox/state`, key `meta-cloud`). */
export interface CloudNumber {
  id: string;
  waba_id: string;
  cc: string;
  phone_number: string;
  verified_name: string;
  code_verification_status: string;
  name_status: string;
  status: string;
  codeRequests: number[];
  registrations: number;
  deregistrations: number;
  pinSet: boolean;
  profile: Record<string, unknown>;
}

export async function cloudState(stack: LocalStack) {
  const res = await sandboxFetch(stack.url, '/_sandbox/state');
  const all = (await res.json()) as {
    'meta-cloud': {
      numbers: CloudNumber[];
      requests: Array<{ method: string; path: string; status: number; code?: number }>;
      uploads: Array<{ id: string; file_length: number; received: number }>;
      stats: { faults: number; requests: number };
    };
  };
  return all['meta-cloud'];
}
