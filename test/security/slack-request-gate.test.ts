import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSlackRequest, type SlackRequestVerdict } from '../../src/security/slack-request.js';

/**
 * The gate in front of Bolt, request by request: what Slack sends (every payload kind this app
 * handles, Enterprise Grid's org-wide forms, ssl_check) passes with the kind that decides where it
 * goes next; what a forger or a broken client sends is refused with 401 or 400. Bodies follow
 * Slack's documented shapes (api.slack.com/reference/interaction-payloads, /events,
 * /interactivity/slash-commands, /authentication/verifying-requests-from-slack).
 */

const SECRET = 'gate-test-signing-secret';
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const TS = String(NOW / 1000);
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** Slack's signature: v0= hex HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret. */
const sign = (body: string, ts = TS, secret = SECRET) =>
  `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

const check = (body: string, contentType: string, over: { ts?: string; signature?: string } = {}) =>
  checkSlackRequest(
    {
      rawBody: body,
      contentType,
      timestamp: over.ts ?? TS,
      signature: over.signature ?? sign(body, over.ts ?? TS),
    },
    SECRET,
    NOW,
  );

const unauthorized = (v: SlackRequestVerdict) => !v.ok && v.status === 401;
/** Whether a request with this body, timestamp and signature gets past the signature check. */
const signedOk = (body: string, ts: string | undefined, signature: string | undefined, secret = SECRET) =>
  !unauthorized(
    checkSlackRequest({ rawBody: body, contentType: FORM, timestamp: ts, signature }, secret, NOW),
  );
/** Whether a correctly signed request stamped `ts` is fresh at `now`. */
const fresh = (ts: string | undefined, now = NOW) =>
  !unauthorized(
    checkSlackRequest(
      { rawBody: 'x', contentType: FORM, timestamp: ts, signature: sign('x', ts) },
      SECRET,
      now,
    ),
  );

const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
const user = { id: 'U0ADMIN', username: 'ada', name: 'ada', team_id: 'T0SANDBOX' };
const team = { id: 'T0SANDBOX', domain: 'sandbox' };

const click = (over: Record<string, unknown> = {}) => ({
  type: 'block_actions',
  team,
  enterprise: null,
  user,
  api_app_id: 'A0SANDBOX',
  trigger_id: '1.2.abc',
  response_url: 'https://hooks.slack.com/actions/T0SANDBOX/1/abc',
  container: { type: 'message', message_ts: '1.000001', channel_id: 'C0SANDBOX' },
  channel: { id: 'C0SANDBOX', name: 'onboarding' },
  message: { ts: '1.000001', text: 'card' },
  actions: [{ type: 'button', action_id: 'jobs:cancel', block_id: 'b1', value: 'j1', action_ts: '1.1' }],
  ...over,
});

const view = (over: Record<string, unknown> = {}) => ({
  id: 'V0MODAL',
  team_id: 'T0SANDBOX',
  type: 'modal',
  callback_id: 'deploy:code',
  private_metadata: '{"id":"dep"}',
  hash: '1.abc',
  app_installed_team_id: 'T0SANDBOX',
  state: { values: { code: { code: { type: 'plain_text_input', value: '123456' } } } },
  ...over,
});

const submission = (over: Record<string, unknown> = {}) => ({
  type: 'view_submission',
  team,
  user,
  api_app_id: 'A0SANDBOX',
  trigger_id: '1.3.abc',
  view: view(),
  ...over,
});

const slash = (over: Record<string, string> = {}) =>
  new URLSearchParams({
    token: 'legacy',
    team_id: 'T0SANDBOX',
    team_domain: 'sandbox',
    channel_id: 'C0SANDBOX',
    channel_name: 'onboarding',
    user_id: 'U0ADMIN',
    user_name: 'ada',
    command: '/wa',
    text: 'help',
    api_app_id: 'A0SANDBOX',
    is_enterprise_install: 'false',
    response_url: 'https://hooks.slack.com/commands/T0SANDBOX/1/abc',
    trigger_id: '1.4.abc',
    ...over,
  }).toString();

const event = (over: Record<string, unknown> = {}, inner: Record<string, unknown> = {}) =>
  JSON.stringify({
    token: 'legacy',
    team_id: 'T0SANDBOX',
    api_app_id: 'A0SANDBOX',
    type: 'event_callback',
    event_id: 'Ev0001',
    event_time: NOW / 1000,
    event: {
      type: 'app_home_opened',
      user: 'U0MEMBER',
      channel: 'D0HOME',
      tab: 'home',
      event_ts: '1.1',
      ...inner,
    },
    authorizations: [
      {
        team_id: 'T0SANDBOX',
        enterprise_id: null,
        user_id: 'U0BOT',
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    ...over,
  });

describe('what Slack sends passes the gate, with its kind', () => {
  it.each([
    ['a slash command', slash(), FORM, 'command'],
    [
      'a slash command from an Enterprise Grid workspace',
      slash({ enterprise_id: 'E0GRID' }),
      FORM,
      'command',
    ],
    ['a button click', form(click()), FORM, 'interaction'],
    [
      'a click in a modal (no channel)',
      form(click({ channel: undefined, view: view() })),
      FORM,
      'interaction',
    ],
    ['a modal submission', form(submission()), FORM, 'interaction'],
    [
      'a modal closed',
      form({ type: 'view_closed', team, user, view: view({ state: undefined }) }),
      FORM,
      'interaction',
    ],
    [
      'a global shortcut',
      form({ type: 'shortcut', team, user, callback_id: 'wa:launcher', trigger_id: '1.5.abc' }),
      FORM,
      'interaction',
    ],
    [
      'a message shortcut (message_action)',
      form({
        type: 'message_action',
        team,
        user,
        callback_id: 'invite:sign-shortcut',
        trigger_id: '1.6.abc',
        channel: { id: 'C0SANDBOX' },
        message: { ts: '1.1', text: 'the PDF' },
        response_url: 'https://hooks.slack.com/app/T0SANDBOX/1/abc',
      }),
      FORM,
      'interaction',
    ],
    [
      'a global shortcut from an org-wide (Enterprise Grid) install, team null',
      form({
        type: 'shortcut',
        team: null,
        enterprise: { id: 'E0GRID' },
        user,
        callback_id: 'wa:launcher',
        trigger_id: '1.7.abc',
      }),
      FORM,
      'interaction',
    ],
    [
      'a click from an org-wide (Enterprise Grid) install, team null',
      form(click({ team: null, enterprise: { id: 'E0GRID', name: 'Grid' }, is_enterprise_install: true })),
      FORM,
      'interaction',
    ],
    ['an App Home event', event(), JSON_TYPE, 'event'],
    [
      'an event of an org-wide install (enterprise id, no team id)',
      event({
        team_id: undefined,
        enterprise_id: 'E0GRID',
        authorizations: [{ team_id: null, enterprise_id: 'E0GRID', is_enterprise_install: true }],
      }),
      JSON_TYPE,
      'event',
    ],
    [
      'another event type',
      event({}, { type: 'app_uninstalled', user: undefined, tab: undefined }),
      JSON_TYPE,
      'event',
    ],
    [
      'the URL verification handshake',
      JSON.stringify({ type: 'url_verification', challenge: 'abc123' }),
      JSON_TYPE,
      'event',
    ],
    [
      'a rate-limit notice',
      JSON.stringify({ type: 'app_rate_limited', team_id: 'T0SANDBOX', minute_rate_limited: 1 }),
      JSON_TYPE,
      'event',
    ],
    ['an ssl_check', 'ssl_check=1&token=legacy', FORM, 'ssl_check'],
    [
      'a message event with its author',
      event({}, { type: 'message', user: 'U0MEMBER', tab: undefined, channel: 'C0SANDBOX' }),
      JSON_TYPE,
      'event',
    ],
    [
      'an event whose user is an object',
      event({}, { type: 'user_change', user: { id: 'U0MEMBER' }, tab: undefined }),
      JSON_TYPE,
      'event',
    ],
  ])('given %s, when checked, then it passes with its kind', (_what, body, type, kind) => {
    expect(check(body, type)).toEqual({ ok: true, kind });
  });
});

describe('what is not a Slack payload is refused with 400', () => {
  it.each([
    ['an unsupported content type', slash(), 'text/plain'],
    ['form data sent as JSON', slash(), JSON_TYPE],
    ['a repeated form field', `${slash()}&user_id=U0OTHER`, FORM],
    [
      'a command with an ssl_check field',
      slash({ ssl_check: '1' }).replace('command=%2Fwa', 'command=wa'),
      FORM,
    ],
    ['a command that is not a slash command', slash({ command: 'wa' }), FORM],
    ['a command from a team id that is not a Slack id', slash({ team_id: 'team-1' }), FORM],
    ['a command from a user id in lower case', slash({ user_id: 'u0admin' }), FORM],
    ['a command with no channel', slash({ channel_id: '' }), FORM],
    ['a command whose text is over 40,000 characters', slash({ text: 'x'.repeat(40_001) }), FORM],
    ['a command whose response_url is not a URL', slash({ response_url: 'not a url' }), FORM],
    ['payload=null', 'payload=null', FORM],
    ['a payload that is not JSON', 'payload=%7Bnope', FORM],
    ['an unknown interaction type', form(click({ type: 'dialog_submission' })), FORM],
    ['a click with no user', form(click({ user: undefined })), FORM],
    ['a click by a user id that is not Slack’s', form(click({ user: { id: 'admin' } })), FORM],
    ['a click with no team and no enterprise', form(click({ team: null, enterprise: null })), FORM],
    ['a click with no actions', form(click({ actions: [] })), FORM],
    ['a click with 26 actions', form(click({ actions: Array(26).fill({ action_id: 'a' }) })), FORM],
    ['a click whose channel is null', form(click({ channel: null })), FORM],
    [
      'a click whose value is over 2,000 characters',
      form(click({ actions: [{ action_id: 'a', value: 'v'.repeat(2001) }] })),
      FORM,
    ],
    ['a submission with no view state', form(submission({ view: view({ state: undefined }) })), FORM],
    [
      'a submission whose metadata is over 3,000 characters',
      form(submission({ view: view({ private_metadata: 'm'.repeat(3001) }) })),
      FORM,
    ],
    [
      'a shortcut with no trigger_id',
      form({ type: 'shortcut', team, user, callback_id: 'wa:launcher' }),
      FORM,
    ],
    ['an event whose event is null', event({ event: null }), JSON_TYPE],
    ['an event with no team and no enterprise', event({ team_id: undefined }), JSON_TYPE],
    ['an App Home event with no user', event({}, { user: undefined }), JSON_TYPE],
    ['an event whose channel is null', event({}, { type: 'message', channel: null }), JSON_TYPE],
    [
      'an event with 11 authorizations',
      event({ authorizations: Array(11).fill({ team_id: 'T0SANDBOX' }) }),
      JSON_TYPE,
    ],
    ['a JSON body that is not JSON', '{"type":', JSON_TYPE],
    ['a field Slack never repeats, repeated', `${slash()}&token=again`, FORM],
    ['a command preceded by text', slash({ command: 'x/wa' }), FORM],
    ['a command followed by punctuation', slash({ command: '/wa!' }), FORM],
    ['a click whose enterprise id is not Slack’s', form(click({ enterprise: { id: 'grid-1' } })), FORM],
    ['a click whose container type is a number', form(click({ container: { type: 7 } })), FORM],
    [
      'a click whose channel id is over 64 characters',
      form(click({ channel: { id: `C${'0'.repeat(64)}` } })),
      FORM,
    ],
    [
      'a click in a modal whose state values are not a map',
      form(click({ view: view({ state: { values: 'x' } }) })),
      FORM,
    ],
    [
      'a submission whose block values are not maps',
      form(submission({ view: view({ state: { values: { b: 'x' } } }) })),
      FORM,
    ],
    [
      'an event whose user id is over 64 characters',
      event({}, { type: 'user_change', user: { id: 'U'.repeat(65) }, tab: undefined }),
      JSON_TYPE,
    ],
    [
      'an event whose authorization names a team that is not Slack’s',
      event({ authorizations: [{ team_id: 'team-1' }] }),
      JSON_TYPE,
    ],
    ['an unknown JSON type', JSON.stringify({ type: 'block_actions' }), JSON_TYPE],
  ])('given %s, when checked, then it is refused with 400', (_what, body, type) => {
    expect(check(body, type)).toMatchObject({ ok: false, status: 400 });
  });
});

describe('a refusal says what was wrong', () => {
  it.each([
    ['an interaction', 'payload=null', FORM, 'not a Slack interaction payload'],
    ['a slash command', slash({ team_id: 'x' }), FORM, 'not a Slack slash command'],
    ['an event', '{}', JSON_TYPE, 'not a Slack event'],
    ['a content type', '{}', 'text/plain', 'unsupported content type'],
    ['a repeated field', `${slash()}&token=again`, FORM, 'repeated form field'],
  ])('given a bad %s, then the reason names it', (_what, body, type, reason) => {
    expect(check(body, type)).toEqual({ ok: false, status: 400, reason });
  });
});

describe('only Slack, and only now, can sign', () => {
  it('given a valid body signed with another secret, when checked, then it is refused with 401 before its shape is read', () => {
    const body = form(click());
    expect(check(body, FORM, { signature: sign(body, TS, 'another-secret') })).toEqual({
      ok: false,
      status: 401,
      reason: 'bad signature',
    });
    expect(signedOk(body, TS, sign(body, TS, 'another-secret'))).toBe(false);
  });

  it('given a signature over another body or timestamp, when checked, then it is refused with 401', () => {
    const body = slash();
    expect(check(body, FORM, { signature: sign(slash({ text: 'jobs' })) })).toMatchObject({ status: 401 });
    expect(check(body, FORM, { signature: sign(body, String(NOW / 1000 - 1)) })).toMatchObject({
      status: 401,
    });
  });

  it('given a signature in upper-case hex, when checked, then it passes', () => {
    const body = slash();
    expect(check(body, FORM, { signature: `v0=${sign(body).slice(3).toUpperCase()}` })).toEqual({
      ok: true,
      kind: 'command',
    });
  });

  it.each([
    ['missing', undefined],
    ['another scheme', `v1=${'a'.repeat(64)}`],
    ['too short', `v0=${'a'.repeat(63)}`],
    ['trailing text', `${sign(slash())}0`],
    ['leading text', ` ${sign(slash())}`],
    ['over 1,024 characters', `${sign(slash())}${' '.repeat(1100)}`],
  ])('given a signature that is %s, when checked, then it is refused with 401', (_what, signature) => {
    expect(signedOk(slash(), TS, signature)).toBe(false);
  });

  it('given no signing secret, then nothing is valid', () => {
    expect(signedOk(slash(), TS, sign(slash(), TS, ''), '')).toBe(false);
    expect(signedOk(slash(), TS, sign(slash()), SECRET)).toBe(true);
  });

  it('given timestamps up to 5 minutes away either way, then they pass; a second more, they do not', () => {
    const at = (s: number) => String(NOW / 1000 + s);
    for (const s of [0, 1, 300, -300]) expect(fresh(at(s)), `${s}`).toBe(true);
    for (const s of [301, -301, 3600, 10 * 365 * 86_400]) expect(fresh(at(s)), `${s}`).toBe(false);
    // Within the last second of the window, the fraction of the current second does not count.
    expect(fresh(at(-300), NOW + 999)).toBe(true);
    expect(fresh(at(300), NOW + 999)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a number', 'abc'],
    ['in exponent form', '1e9'],
    ['with a fraction', `${NOW / 1000}.5`],
    ['negative', '-1'],
    ['with a leading sign', `+${NOW / 1000}`],
    ['with text after it', `${NOW / 1000}x`],
    ['with text before it', `x${NOW / 1000}`],
    ['of 13 digits', '1'.repeat(13)],
  ])('given a timestamp that is %s, when checked, then it is refused with 401', (_what, ts) => {
    const body = slash();
    expect(
      checkSlackRequest(
        { rawBody: body, contentType: FORM, timestamp: ts, signature: sign(body, ts) },
        SECRET,
        NOW,
      ),
    ).toEqual({ ok: false, status: 401, reason: 'timestamp missing or more than 5 minutes away' });
  });

  it('given a stale request that is otherwise perfect, when checked, then it is refused with 401', () => {
    const body = slash();
    const ts = String(NOW / 1000 - 301);
    expect(check(body, FORM, { ts })).toMatchObject({ ok: false, status: 401 });
  });

  it('given the wall clock, when no time is passed, then now is used', () => {
    const body = slash();
    const stamped = (ts: string) =>
      checkSlackRequest(
        { rawBody: body, contentType: FORM, timestamp: ts, signature: sign(body, ts) },
        SECRET,
      );
    expect(stamped(String(Math.floor(Date.now() / 1000)))).toEqual({ ok: true, kind: 'command' });
    expect(stamped(String(Math.floor(Date.now() / 1000) - 86_400))).toMatchObject({ status: 401 });
  });
});
