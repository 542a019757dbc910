import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock, setClock } from '../../src/clock.js';
import {
  FakeSlack,
  issueResponseUrl,
  issueTriggerId,
  SANDBOX_BOT,
  SANDBOX_USERS,
  setTriggerTtl,
} from '../../src/sandbox/fake-slack.js';
import { commandText } from '../../src/sandbox/slack-rules.js';

/**
 * The fake Slack rejects what Slack rejects (shared/slack-platform.md, each rule with its source
 * in src/sandbox/slack-rules.ts and fake-slack.ts). One test per rule: an app that broke the rule
 * would pass against a lenient fake and fail in a real workspace.
 */

let clock: SimulatedClock;
let slack: FakeSlack;
const auth = `Bearer ${SANDBOX_BOT.token}`;
const call = (method: string, params: Record<string, unknown>) => slack.call(method, params, auth);
const section = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
  ...extra,
});
const button = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'button',
  text: { type: 'plain_text', text },
  action_id: 'a',
  value: 'v',
  ...extra,
});
const modal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: { type: 'plain_text', text: 'Title' },
  blocks: [section('hi')],
  ...extra,
});

beforeEach(() => {
  setTriggerTtl(3_000);
  clock = new SimulatedClock();
  setClock(clock);
  slack = new FakeSlack();
});
afterEach(() => setClock(undefined));

async function post(blocks: unknown[] = [section('old')], text = 'old') {
  return call('chat.postMessage', { channel: 'C0SANDBOX', text, blocks }) as { ok: boolean; ts: string };
}

describe('chat.update', () => {
  it('keeps the old blocks when an update sends text without blocks (so a stale card shows)', async () => {
    const { ts } = await post();
    expect(call('chat.update', { channel: 'C0SANDBOX', ts, text: 'new' })).toMatchObject({ ok: true });
    expect(slack.current('C0SANDBOX', ts)).toMatchObject({ text: 'new', blocks: [section('old')] });
  });

  it('replaces the blocks when sent, and removes them with blocks: []', async () => {
    const { ts } = await post();
    call('chat.update', { channel: 'C0SANDBOX', ts, text: 'n', blocks: [section('new')] });
    expect(slack.current('C0SANDBOX', ts)?.blocks).toEqual([section('new')]);
    call('chat.update', { channel: 'C0SANDBOX', ts, text: 'n', blocks: [] });
    expect(slack.current('C0SANDBOX', ts)?.blocks).toEqual([]);
  });

  it('refuses an update with neither text nor blocks (no_text)', async () => {
    const { ts } = await post();
    expect(call('chat.update', { channel: 'C0SANDBOX', ts })).toEqual({ ok: false, error: 'no_text' });
  });

  it('cannot change an ephemeral message', () => {
    const eph = call('chat.postEphemeral', { channel: 'C0SANDBOX', user: 'U0ADMIN', text: 'only you' }) as {
      message_ts: string;
    };
    expect(call('chat.update', { channel: 'C0SANDBOX', ts: eph.message_ts, text: 'x' })).toMatchObject({
      ok: false,
      error: 'message_not_found',
    });
  });

  it('refuses a text over 4,000 characters (msg_too_long)', async () => {
    const { ts } = await post();
    expect(call('chat.update', { channel: 'C0SANDBOX', ts, text: 'x'.repeat(4001) })).toMatchObject({
      ok: false,
      error: 'msg_too_long',
    });
  });
});

describe('Block Kit limits in messages (invalid_blocks with a json-pointer)', () => {
  const cases: Array<[string, unknown[], string]> = [
    [
      '51 blocks',
      Array.from({ length: 51 }, () => section('x')),
      'no more than 50 items allowed [json-pointer:/blocks]',
    ],
    ['section text of 3,001', [section('x'.repeat(3001))], '/blocks/0/text/text'],
    [
      'header over 150',
      [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }],
      '/blocks/0/text/text',
    ],
    ['mrkdwn header', [{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }], '/blocks/0/text/type'],
    [
      'button text over 75',
      [{ type: 'actions', elements: [button('x'.repeat(76))] }],
      '/blocks/0/elements/0/text/text',
    ],
    [
      'action_id over 255',
      [{ type: 'actions', elements: [button('ok', { action_id: 'a'.repeat(256) })] }],
      '/blocks/0/elements/0/action_id',
    ],
    ['block_id over 255', [section('x', { block_id: 'b'.repeat(256) })], '/blocks/0/block_id'],
    [
      'a repeated block_id',
      [section('x', { block_id: 'b' }), section('y', { block_id: 'b' })],
      '/blocks/1/block_id',
    ],
    [
      '26 buttons',
      [{ type: 'actions', elements: Array.from({ length: 26 }, () => button('b')) }],
      '/blocks/0/elements',
    ],
    [
      '11 section fields',
      [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }],
      '/blocks/0/fields',
    ],
    [
      'option value over 150',
      [
        {
          type: 'actions',
          elements: [
            {
              type: 'static_select',
              action_id: 's',
              options: [{ text: { type: 'plain_text', text: 'o' }, value: 'v'.repeat(151) }],
            },
          ],
        },
      ],
      '/blocks/0/elements/0/options/0/value',
    ],
  ];
  it.each(cases)('refuses %s', async (_name, blocks, pointer) => {
    const res = call('chat.postMessage', { channel: 'C0SANDBOX', text: 't', blocks }) as {
      ok: boolean;
      error: string;
      response_metadata: { messages: string[] };
    };
    expect(res).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(res.response_metadata.messages.join('\n')).toContain(pointer);
    expect(slack.messages.items).toHaveLength(0);
  });

  it('refuses the same on chat.update and chat.postEphemeral', async () => {
    const { ts } = await post();
    const bad = [section('x'.repeat(3001))];
    expect(call('chat.update', { channel: 'C0SANDBOX', ts, text: 't', blocks: bad })).toMatchObject({
      error: 'invalid_blocks',
    });
    expect(
      call('chat.postEphemeral', { channel: 'C0SANDBOX', user: 'U0ADMIN', text: 't', blocks: bad }),
    ).toMatchObject({ error: 'invalid_blocks' });
  });

  it('accepts a message at the limits', () => {
    const blocks = [
      ...Array.from({ length: 48 }, () => section('x'.repeat(3000))),
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      { type: 'actions', elements: [button('b'.repeat(75), { action_id: 'a'.repeat(255) })] },
    ];
    expect(call('chat.postMessage', { channel: 'C0SANDBOX', text: 't', blocks })).toMatchObject({ ok: true });
  });
});

describe('Block Kit limits in views (invalid_arguments)', () => {
  const open = (view: unknown) => call('views.open', { trigger_id: issueTriggerId(), view });
  it.each([
    ['101 blocks', modal({ blocks: Array.from({ length: 101 }, () => section('x')) }), '/view/blocks'],
    ['private_metadata over 3,000', modal({ private_metadata: 'x'.repeat(3001) }), '/view/private_metadata'],
    ['a title over 24', modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } }), '/view/title/text'],
    [
      'a submit over 24',
      modal({ submit: { type: 'plain_text', text: 'x'.repeat(25) } }),
      '/view/submit/text',
    ],
    [
      'input blocks without submit',
      modal({
        blocks: [
          {
            type: 'input',
            label: { type: 'plain_text', text: 'L' },
            element: { type: 'plain_text_input', action_id: 'i' },
          },
        ],
      }),
      '/view/submit',
    ],
  ])('refuses %s', (_name, view, pointer) => {
    const res = open(view) as { ok: boolean; error: string; response_metadata: { messages: string[] } };
    expect(res).toMatchObject({ ok: false, error: 'invalid_arguments' });
    expect(res.response_metadata.messages.join('\n')).toContain(pointer);
  });

  it('lets App Home hold 100 blocks but not 101', () => {
    const home = (n: number) => ({ type: 'home', blocks: Array.from({ length: n }, () => section('x')) });
    expect(call('views.publish', { user_id: 'U0ADMIN', view: home(100) })).toMatchObject({ ok: true });
    expect(call('views.publish', { user_id: 'U0ADMIN', view: home(101) })).toMatchObject({
      ok: false,
      error: 'invalid_arguments',
    });
  });
});

describe('trigger_id', () => {
  it('is single-use (exchanged_trigger_id)', () => {
    const trigger_id = issueTriggerId();
    expect(call('views.open', { trigger_id, view: modal() })).toMatchObject({ ok: true });
    expect(call('views.open', { trigger_id, view: modal() })).toEqual({
      ok: false,
      error: 'exchanged_trigger_id',
    });
  });

  it('expires 3 seconds after it was sent (expired_trigger_id)', () => {
    const trigger_id = issueTriggerId();
    clock.advance(3_001);
    expect(call('views.open', { trigger_id, view: modal() })).toEqual({
      ok: false,
      error: 'expired_trigger_id',
    });
  });

  it('must be one Slack sent (invalid_trigger_id)', () => {
    expect(call('views.open', { trigger_id: '1.2.made-up', view: modal() })).toEqual({
      ok: false,
      error: 'invalid_trigger_id',
    });
  });
});

describe('response_url', () => {
  const idOf = (url: string) => url.split('/').pop() as string;

  it('takes at most 5 posts', () => {
    const id = idOf(issueResponseUrl('http://x'));
    for (let i = 0; i < 5; i++) expect(slack.respond(id, { text: `${i}` }).status).toBe(200);
    expect(slack.respond(id, { text: 'sixth' }).status).toBe(404);
    expect(slack.messages.items.filter((m) => m.kind === 'response_url')).toHaveLength(5);
  });

  it('expires 30 minutes after it was sent', () => {
    const id = idOf(issueResponseUrl('http://x'));
    clock.advance(30 * 60_000 + 1);
    expect(slack.respond(id, { text: 'late' }).status).toBe(404);
  });

  it('must be one Slack sent', () => {
    expect(slack.respond('made-up', { text: 'x' }).status).toBe(404);
  });
});

describe('slash-command text as Slack sends it', () => {
  const dir = { users: SANDBOX_USERS, channels: [{ id: 'C0SANDBOX', name: 'onboarding' }] };

  it('the manifest turns should_escape on', () => {
    const manifest = JSON.parse(readFileSync('slack/manifest.json', 'utf8'));
    expect(manifest.features.slash_commands[0].should_escape).toBe(true);
    expect(slack.shouldEscape).toBe(true);
  });

  it('always sends &, < and > as entities', () => {
    expect(commandText('invite partner "O\'Brien & Sons <b>"', false, dir)).toBe(
      'invite partner "O\'Brien &amp; Sons &lt;b&gt;"',
    );
  });

  it('with should_escape, sends mentions, channels, links and emails as control sequences', () => {
    expect(commandText('admins add @max.member', true, dir)).toBe('admins add <@U0MEMBER|max.member>');
    expect(commandText('see #onboarding, @here', true, dir)).toBe('see <#C0SANDBOX|onboarding>, <!here>');
    expect(commandText('--email ada@example.com', true, dir)).toBe(
      '--email <mailto:ada@example.com|ada@example.com>',
    );
    expect(commandText('photo https://x.example/a.png?a=1&b=2.', true, dir)).toBe(
      'photo <https://x.example/a.png?a=1&amp;b=2>.',
    );
    expect(commandText('@nobody.known', true, dir)).toBe('@nobody.known');
  });

  it('without should_escape, sends them as typed', () => {
    expect(commandText('admins add @max.member ada@example.com', false, dir)).toBe(
      'admins add @max.member ada@example.com',
    );
  });
});
