import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import {
  issueTriggerId,
  postSlack,
  sandboxFetch,
  slackMessages,
  slashCommandBody,
} from '../helpers/slack.js';

/**
 * POST /slack/events under hostile but correctly signed input: timestamps outside the
 * 5-minute window in either direction, and bodies that are not Slack payloads. Every refused
 * request must answer 400/401 and change nothing (no Slack message, no provider record).
 */

let stack: LocalStack;
const counts = { tried: 0, refused: 0, accepted: 0 };

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, env: { LOG_LEVEL: 'ERROR' } });
});
afterAll(async () => {
  await stack?.close();
  // The figures the README's security section reports.
  console.info(`slack-requests attack figures: ${JSON.stringify(counts)}`);
});

const now = () => Math.floor(Date.now() / 1000);

async function snapshot() {
  await stack.drain();
  return JSON.stringify([
    await slackMessages(stack.url),
    await (await sandboxFetch(stack.url, '/_sandbox/state')).json(),
  ]);
}

async function post(body: string, contentType: string, ts = now()) {
  counts.tried++;
  const res = await postSlack(stack.url, body, { ts, contentType });
  if (res.status >= 400) counts.refused++;
  else counts.accepted++;
  return res;
}

const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

const validClick = () => ({
  type: 'block_actions',
  team: { id: 'T0SANDBOX', domain: 'sandbox' },
  enterprise: null,
  is_enterprise_install: false,
  api_app_id: 'A0SANDBOX',
  user: { id: 'U0ADMIN', username: 'u0admin', name: 'u0admin', team_id: 'T0SANDBOX' },
  trigger_id: `${Date.now()}.1.abc`,
  channel: { id: 'C0SANDBOX', name: 'onboarding' },
  container: { type: 'message', message_ts: '1.000001', channel_id: 'C0SANDBOX', is_ephemeral: false },
  response_url: `${stack.url}/_sandbox/response/fuzz`,
  actions: [
    { type: 'button', action_id: 'jobs:cancel', block_id: 'b', value: 'jnotajob00', action_ts: '1.1' },
  ],
});

const validSubmission = () => ({
  type: 'view_submission',
  team: { id: 'T0SANDBOX', domain: 'sandbox' },
  api_app_id: 'A0SANDBOX',
  user: { id: 'U0ADMIN', team_id: 'T0SANDBOX' },
  trigger_id: `${Date.now()}.2.abc`,
  view: {
    id: 'VFUZZ',
    team_id: 'T0SANDBOX',
    type: 'modal',
    callback_id: 'deploy:code',
    private_metadata: JSON.stringify({ id: 'dep_none', channel: 'C0SANDBOX' }),
    hash: 'h',
    state: { values: { code: { code: { type: 'plain_text_input', value: '12' } } } },
  },
});

const validEvent = () => ({
  token: 'legacy',
  team_id: 'T0SANDBOX',
  api_app_id: 'A0SANDBOX',
  type: 'event_callback',
  event_id: `EvFUZZ${Date.now()}`,
  event_time: now(),
  event: { type: 'app_home_opened', user: 'U0MEMBER', channel: 'D0HOME', tab: 'messages', event_ts: '1.1' },
  authorizations: [{ team_id: 'T0SANDBOX', user_id: 'U0BOT', is_bot: true }],
});

describe('signed timestamps', () => {
  it('refuses a timestamp more than 5 minutes in the future, as in the past, and runs nothing', async () => {
    const before = await snapshot();
    for (const skew of [6 * 60, 3_600, 10 * 365 * 86_400, -6 * 60]) {
      const res = await post(
        slashCommandBody(stack.url, 'jobs'),
        'application/x-www-form-urlencoded',
        now() + skew,
      );
      expect(res.status, `skew ${skew}`).toBe(401);
    }
    expect(await snapshot()).toBe(before);
    // Inside the window (either way) is accepted: clocks drift a little.
    for (const skew of [4 * 60, -4 * 60]) {
      const res = await post(
        slashCommandBody(stack.url, 'help'),
        'application/x-www-form-urlencoded',
        now() + skew,
      );
      expect(res.status, `skew ${skew}`).toBe(200);
    }
  });

  it('refuses a timestamp that is not a number of seconds', async () => {
    const body = slashCommandBody(stack.url, 'help');
    for (const ts of ['', 'abc', '1e9', `${now()}.5`, '-1']) {
      counts.tried++;
      const res = await fetch(`${stack.url}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': ts,
          'x-slack-signature': `v0=${'0'.repeat(64)}`,
        },
        body,
      });
      expect(res.status, ts).toBe(401);
      counts.refused++;
    }
  });
});

describe('signed bodies that are not Slack payloads', () => {
  const FORM = 'application/x-www-form-urlencoded';
  const JSON_TYPE = 'application/json';
  const cases = (): Array<[string, string, string]> => [
    ['payload=null', 'payload=null', FORM],
    ['payload that is not JSON', 'payload=%7Bnope', FORM],
    ['payload that is a string', form('block_actions'), FORM],
    ['a button with no user', form({ ...validClick(), user: undefined }), FORM],
    ['a button with user null', form({ ...validClick(), user: null }), FORM],
    ['a button with no actions', form({ ...validClick(), actions: [] }), FORM],
    ['a button with actions null', form({ ...validClick(), actions: null }), FORM],
    ['a button with an action that is null', form({ ...validClick(), actions: [null] }), FORM],
    ['a button from no workspace', form({ ...validClick(), team: null, enterprise: null }), FORM],
    ['a button from a team id that is not a Slack id', form({ ...validClick(), team: { id: 'x' } }), FORM],
    ['a submission with no view', form({ ...validSubmission(), view: null }), FORM],
    [
      'a submission with no state',
      form({ ...validSubmission(), view: { ...validSubmission().view, state: null } }),
      FORM,
    ],
    ['an unknown interaction type', form({ ...validClick(), type: 'frobnicate' }), FORM],
    ['an event with event null', JSON.stringify({ ...validEvent(), event: null }), JSON_TYPE],
    ['an event with no team', JSON.stringify({ ...validEvent(), team_id: undefined }), JSON_TYPE],
    [
      'app_home_opened with no user',
      JSON.stringify({ ...validEvent(), event: { type: 'app_home_opened', tab: 'home' } }),
      JSON_TYPE,
    ],
    ['JSON null', 'null', JSON_TYPE],
    ['JSON array', '[]', JSON_TYPE],
    ['broken JSON', '{"type":', JSON_TYPE],
    ['url_verification without challenge', '{"type":"url_verification"}', JSON_TYPE],
    ['a command with no user', slashCommandBody('http://x', 'help', { user_id: '' }), FORM],
    ['a command with a bad team', slashCommandBody('http://x', 'help', { team_id: '../T0SANDBOX' }), FORM],
    ['a command field repeated', `${slashCommandBody('http://x', 'help')}&user_id=U0MEMBER`, FORM],
    ['an empty form', '', FORM],
    ['an unknown content type', JSON.stringify(validEvent()), 'text/plain'],
  ];

  it('answers 400 to each and changes nothing', async () => {
    const before = await snapshot();
    for (const [name, body, type] of cases()) {
      const res = await post(body, type);
      expect(res.status, name).toBe(400);
    }
    expect(await snapshot()).toBe(before);
  });

  it('passes the valid forms of the same payloads on to their listeners, whose effects are seen', async () => {
    const since = async () => {
      const before = (await slackMessages(stack.url)).length;
      return async () => {
        await stack.drain();
        return (await slackMessages(stack.url)).slice(before) as Array<Record<string, unknown>>;
      };
    };
    // Given a click on the launcher's "all actions" button, then its listener opens the launcher.
    let effectsOf = await since();
    const click = await post(
      form({
        ...validClick(),
        trigger_id: issueTriggerId(),
        actions: [
          { type: 'button', action_id: 'form:launcher', block_id: 'b', value: 'all', action_ts: '1.1' },
        ],
      }),
      FORM,
    );
    expect(click.status).toBe(200);
    expect((await effectsOf()).map((m) => m.kind)).toContain('views.open');
    // Given a modal submission, then its listener's answer (the field's error) comes back.
    const submission = await post(form(validSubmission()), FORM);
    expect(submission.status).toBe(200);
    expect(submission.json).toMatchObject({
      response_action: 'errors',
      errors: { code: expect.any(String) },
    });
    // Given a global shortcut, then its listener opens the launcher.
    effectsOf = await since();
    const shortcut = await post(
      form({
        type: 'shortcut',
        team: { id: 'T0SANDBOX', domain: 'sandbox' },
        user: { id: 'U0MEMBER', team_id: 'T0SANDBOX' },
        api_app_id: 'A0SANDBOX',
        callback_id: 'wa:launcher',
        trigger_id: issueTriggerId(),
        action_ts: '1.1',
      }),
      FORM,
    );
    expect(shortcut.status).toBe(200);
    expect((await effectsOf()).map((m) => m.kind)).toContain('views.open');
    // Given the App Home opened, then its listener publishes the Home tab for that person.
    effectsOf = await since();
    const home = await post(
      JSON.stringify({ ...validEvent(), event: { ...validEvent().event, tab: 'home' } }),
      JSON_TYPE,
    );
    expect(home.status).toBe(200);
    expect(await effectsOf()).toContainEqual(
      expect.objectContaining({ kind: 'views.publish', user: 'U0MEMBER' }),
    );
    const challenge = await post('{"type":"url_verification","challenge":"c123","token":"t"}', JSON_TYPE);
    expect(challenge.json).toEqual({ challenge: 'c123' });
  });
});

/** Replaces or removes fields of a valid payload at random depths: what a fuzzer would send. */
const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer(),
  fc.string({ maxLength: 12 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant([null]),
  fc.boolean(),
);

function mutate(value: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  if (value === null || typeof value !== 'object') return value;
  const [head, ...rest] = path as [string, ...string[]];
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
  copy[head] = mutate(copy[head], rest, replacement);
  if (copy[head] === undefined) delete copy[head];
  return copy;
}

function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

describe('fuzzing the interaction and event paths (fast-check, seeded)', () => {
  const fuzz = (name: string, base: () => unknown, encode: (p: unknown) => string, type: string) =>
    it(`${name}: a mutated payload never gets a 5xx, and a refused one changes nothing`, async () => {
      const all = paths(base());
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.constantFrom(...all), junk), { minLength: 1, maxLength: 3 }),
          async (mutations) => {
            let payload = base();
            for (const [p, r] of mutations) payload = mutate(payload, p, r);
            const before = await snapshot();
            const res = await post(encode(payload), type);
            expect(res.status, JSON.stringify(payload)).toBeLessThan(500);
            if (res.status === 400) expect(await snapshot()).toBe(before);
          },
        ),
        { numRuns: 60, seed: Number(process.env.FUZZ_SEED ?? 1414) },
      );
    });
  fuzz('button clicks', validClick, form, 'application/x-www-form-urlencoded');
  fuzz('modal submissions', validSubmission, form, 'application/x-www-form-urlencoded');
  fuzz('events', validEvent, (p) => JSON.stringify(p), 'application/json');
});
