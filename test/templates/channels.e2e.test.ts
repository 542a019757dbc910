import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setFetch } from '../../src/http/client.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { scriptFaults, TEMPLATE_IDS } from '../../src/sandbox/providers/cm-channels.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { webhookUrl } from '../../src/security/webhooks.js';
import { tenantId } from '../../src/store/keys.js';
import { metaJson } from '../../src/templates/meta.js';
import { fixture } from '../helpers/fixtures.js';
import { interaction, issueResponseUrl, issueTriggerId, slackMessages } from '../helpers/slack.js';
import { metaSignature, run, sandboxState, textOf } from './support.js';

/** A click on an ephemeral message's "Edit" (`form:open`), as Slack sends it; the modal it opened. */
async function clickForm(value: string) {
  const res = await interaction(stack.url, {
    type: 'block_actions',
    user: { id: 'U0ADMIN', username: 'ada.admin', name: 'ada.admin', team_id: 'T0SANDBOX' },
    trigger_id: issueTriggerId(),
    channel: { id: 'C0SANDBOX', name: 'onboarding' },
    container: { type: 'message', message_ts: '1.000002', channel_id: 'C0SANDBOX', is_ephemeral: true },
    response_url: issueResponseUrl(stack.url),
    actions: [
      { type: 'button', action_id: 'form:open', block_id: 'b', value, action_ts: `${Date.now() / 1000}` },
    ],
  });
  expect(res.status).toBe(200);
  return (await slackMessages(stack.url)).filter((m) => m.kind === 'views.open').at(-1) as
    | { view?: unknown; callback_id?: string }
    | undefined;
}

// CM.com Channels keyed by language name, CommBox answering per recipient, Meta's documented
// events, and a send never repeated after a lost answer or a crash, through the whole stack.
const T = tenantId('T0SANDBOX');
let stack: LocalStack;
let hookUrl: string;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    env: {
      LOG_LEVEL: 'ERROR',
      TEMPLATE_POLL_SECONDS: '0',
      COMMBOX_RATE_PER_MINUTE: '6000',
      SANDBOX_FAULT_RATE: '0',
      // A lost answer is found out in 300 ms instead of 8 s.
      TEMPLATE_HTTP_TIMEOUT_MS: '300',
    },
  });
  hookUrl = await webhookUrl(T, 'meta');
  for (const n of ['+31611110001', '+31611110002', '+31611110003', '+31611110000'])
    await run(stack.url, `contact optin ${n} --source "signup form on acme.example"`);
});
afterEach(() => setFetch(undefined));
afterAll(async () => {
  await stack?.close();
});

const sends = async () => (await sandboxState(stack.url)).commbox.sends;
const jobIdIn = (text: string | undefined) => /job `(j[0-9a-z]+)`/.exec(text ?? '')?.[1] ?? '';
type SentBody = { data: Array<{ template_data: { to: string; template: { language: { code: string } } } }> };

describe('CM.com Channels languages are keyed by name', () => {
  it('sends `welcome_message en_US` to a template whose languages CM keys by name, and `en` or the name alike', async () => {
    // Given the sandbox keys the template's languages by NAME, with no code on any language
    const tpl = (await sandboxState(stack.url))['cm-channels'].templates.find(
      (t) => t.id === TEMPLATE_IDS.welcome,
    ) as unknown as { languages: Record<string, Record<string, unknown>> };
    expect(Object.keys(tpl.languages).sort()).toEqual(['Dutch', 'English (US)']);
    expect(Object.values(tpl.languages).every((l) => !('code' in l))).toBe(true);

    const before = (await sends()).length;
    for (const lang of ['en_US', 'en', '"English (US)"']) {
      // When a person names the language by code, bare language or name
      const { since } = await run(
        stack.url,
        `template send welcome_message ${lang} +31611110001 --param Ada --param Acme`,
      );
      await stack.drain();
      // Then the report shows the name and the code, and CommBox gets Meta's code
      expect(textOf(await since())).toContain('(English (US) · en_US) sent through CommBox: 1 of 1 accepted');
    }
    const bodies = (await sends()).slice(before).map((s) => s.body as SentBody);
    expect(bodies.map((b) => b.data[0]?.template_data.template.language.code)).toEqual([
      'en_US',
      'en_US',
      'en_US',
    ]);
  });

  it('refuses a language the template lacks to the asker alone, listing its languages, with an Edit button', async () => {
    const before = (await sends()).length;
    const { since } = await run(
      stack.url,
      'template send welcome_message de +31611110001 --param A --param B',
    );
    await stack.drain();
    const after = await since();
    // No card in the channel: the answer goes through the command's response_url, ephemeral.
    expect(after.filter((m) => m.kind === 'chat.postMessage')).toEqual([]);
    const answer = after.find((m) => /has no language/.test(m.text ?? ''));
    expect(answer?.kind).toBe('response_url');
    expect(answer?.response_type).toBe('ephemeral');
    expect(answer?.text).toMatch(
      /has no language `de` \(it has English \(US\) · en_US, Dutch · nl[\s\S]*Nothing was sent/,
    );
    expect(await sends()).toHaveLength(before);

    // Edit reopens the send form with what was typed (the numbers in E.164).
    type Element = { action_id?: string; text?: { text?: string }; value?: string };
    const blocks = (answer?.blocks ?? []) as Array<{ elements?: Element[] }>;
    const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.text?.text === 'Edit');
    expect(button?.action_id).toBe('form:open');
    const value = button?.value ?? '';
    expect(JSON.parse(value)).toEqual({
      p: 'template send',
      v: { templateName: 'welcome_message', language: 'de', recipients: '+31611110001', param: 'A\nB' },
    });
    const opened = await clickForm(value);
    const form = JSON.stringify(opened?.view);
    expect(opened?.callback_id).toBe('form:submit');
    expect(form).toContain('"initial_value":"+31611110001"');
    expect(form).toContain('"initial_value":"A\\nB"');
  });

  it('lists a template with each language by name and code', async () => {
    const { since } = await run(stack.url, `template status ${TEMPLATE_IDS.welcome}`);
    await stack.drain();
    expect(textOf(await since())).toMatch(/\*English \(US\)\* \(en_US\)[\s\S]*\*Dutch\* \(nl\)/);
  });
});

describe('CommBox per-recipient results', () => {
  it('reports each recipient of a 206 partial failure in one message, with CommBox’s reason', async () => {
    const { since } = await run(
      stack.url,
      'template send welcome_message en_US +31611110002,+31611110000,+31611110003 --param Ada --param Acme',
    );
    await stack.drain();
    const msgs = (await since()).filter((m) => /sent through CommBox/.test(m.text ?? ''));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]?.text).toMatch(/2 of 3 accepted/);
    expect(msgs[0]?.text).toMatch(/\+31•+02: :white_check_mark: sent/);
    expect(msgs[0]?.text).toMatch(/\+31•+00: :x: failed \(invalid — Not a valid WhatsApp user\)/);
    expect(msgs[0]?.text).toMatch(/\+31•+03: :white_check_mark: sent/);
    const last = (await sends()).at(-1) as unknown as { http: number };
    expect(last.http).toBe(206);
  });

  it('sends once after CommBox throttles (429 certainly sent nothing), in a later round', async () => {
    const before = (await sends()).length;
    // Three 429s outlast the in-request retries: the job waits and tries again in a new round.
    scriptFaults('commbox', ['429', '429', '429']);
    const { ack, since } = await run(
      stack.url,
      'template send welcome_message en_US +31611110001 --param Ada --param Acme',
    );
    await stack.drain();
    expect(await sends()).toHaveLength(before);
    stack.clock.advance(60_000);
    await stack.tick();
    expect(textOf(await since())).toContain('1 of 1 accepted');
    expect(await sends()).toHaveLength(before + 1);
    const job = await new JobRepository().get(T, jobIdIn(ack.json.text));
    expect(Object.keys(job?.effects ?? {}).sort()).toEqual(['send:0', 'send:1']);
  });
});

describe('a customer never gets the same template twice', () => {
  it('a lost answer (CommBox sent it, the answer never came) is reported as unknown and never sent again', async () => {
    const before = (await sends()).length;
    // Given CommBox applies the send but its answer is lost (the client times out)
    scriptFaults('commbox', ['hang']);
    const { ack, since } = await run(
      stack.url,
      'template send welcome_message en_US +31611110003 --param Ada --param Acme',
    );
    await stack.drain();
    // Then the thread says the outcome is unknown, and it was sent exactly once
    expect(textOf(await since())).toMatch(
      /cannot tell whether CommBox sent it[\s\S]*did not send it again[\s\S]*\+31•+03: :grey_question: outcome unknown/,
    );
    expect(await sends()).toHaveLength(before + 1);
    // And nothing later sends it again
    for (let i = 0; i < 3; i++) {
      stack.clock.advance(30 * 60_000);
      await stack.tick();
    }
    expect(await sends()).toHaveLength(before + 1);
    expect((await new JobRepository().get(T, jobIdIn(ack.json.text)))?.state).toBe('succeeded');
  });

  it('a worker dying between the call and recording its answer does not send again on the retry', async () => {
    const before = (await sends()).length;
    // Given CommBox accepts the send, but the worker fails while reading the answer
    let calls = 0;
    setFetch(async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes('sendtemplatedmessage')) return res;
      calls += 1;
      await res.text();
      return new Response(
        new ReadableStream({
          start: (c) => c.error(new Error('worker died while reading the answer')),
        }),
        { status: res.status },
      );
    });
    const { ack, since } = await run(
      stack.url,
      'template send welcome_message en_US +31611110002 --param Ada --param Acme',
    );
    await stack.drain();
    const id = jobIdIn(ack.json.text);
    expect((await new JobRepository().get(T, id))?.effects['send:0']?.status).toBe('started');
    setFetch(undefined);

    // When the job is retried
    for (let i = 0; i < 3; i++) {
      stack.clock.advance(30 * 60_000);
      await stack.tick();
    }
    // Then it reconciles instead of sending: one call, one send, outcome unknown in the thread
    expect(calls).toBe(1);
    expect(await sends()).toHaveLength(before + 1);
    expect(textOf(await since())).toMatch(
      /stopped after calling CommBox[\s\S]*did not send it again[\s\S]*\+31•+02: :grey_question: outcome unknown/,
    );
    expect((await new JobRepository().get(T, id))?.state).toBe('succeeded');
  });
});

describe('Meta template events as documented', () => {
  async function postFixture(name: string, templateName: string) {
    const body = structuredClone(fixture('meta', name).body) as {
      entry: Array<{ changes: Array<{ value: Record<string, unknown> }> }>;
    };
    const value = body.entry[0]?.changes[0]?.value as Record<string, unknown>;
    value.message_template_name = templateName;
    const raw = metaJson(body);
    const res = await fetch(hookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(raw) },
      body: raw,
    });
    return { status: res.status, raw };
  }

  it('reports LOCKED (id above 2^53), PENDING_DELETION (reason null) and DELETED on a watched template', async () => {
    // Given a watched template past its verdict
    const { since } = await run(stack.url, `template watch ${TEMPLATE_IDS.orderUpdate}`);
    await stack.drain();
    expect(textOf(await since())).toContain('approved in every language');

    // When Meta locks it (its id exceeds 2^53 and must stay exact)
    const locked = await postFixture('locked-big-id', 'order_update');
    expect(locked.raw).toContain('"message_template_id":1234567890123456789');
    expect(locked.status).toBe(200);
    await stack.drain();
    expect(textOf(await since())).toMatch(
      /order_update\* \(en_US\) is now :lock: locked by Meta[\s\S]*FIRST_PAUSE/,
    );

    // And schedules it for deletion with a null reason, then deletes it
    expect((await postFixture('pending-deletion-null-reason', 'order_update')).status).toBe(200);
    await stack.drain();
    expect(textOf(await since())).toContain('is now :wastebasket: scheduled for deletion at Meta.');
    expect((await postFixture('deleted', 'order_update')).status).toBe(200);
    await stack.drain();
    expect(textOf(await since())).toContain('was deleted at Meta; I stopped watching it');
  });
});
