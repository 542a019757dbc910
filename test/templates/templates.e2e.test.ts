import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptFaults, TEMPLATE_IDS } from '../../src/sandbox/providers/cm-channels.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { webhookUrl } from '../../src/security/webhooks.js';
import { tenantId } from '../../src/store/keys.js';
import { slackMessages } from '../helpers/slack.js';
import { type Msg, metaEvent, metaSignature, run, sandboxState, textOf } from './support.js';

/** A read-only answer: posted to the command's response_url, for the asker alone. */
const isAnswer = (m: Msg) => m.kind === 'response_url' && m.response_type === 'ephemeral';

// The whole path for real: signed slash commands into the local stack, jobs in dynalite, the
// CM.com Channels and CommBox sandboxes over HTTP, Meta webhooks signed like Meta signs them.
let stack: LocalStack;
let hookUrl: string;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    env: { TEMPLATE_POLL_SECONDS: '0', COMMBOX_RATE_PER_MINUTE: '6000', SANDBOX_FAULT_RATE: '0' },
  });
  hookUrl = await webhookUrl(tenantId('T0SANDBOX'), 'meta');
});
afterAll(async () => {
  await stack?.close();
});

const template = async (id: string) =>
  (await sandboxState(stack.url))['cm-channels'].templates.find((t) => t.id === id);

async function postMeta(body: unknown, signature?: string) {
  const raw = JSON.stringify(body);
  const res = await fetch(hookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature ?? metaSignature(raw) },
    body: raw,
  });
  return res.status;
}

describe('template approval (CM.com Channels + Meta webhooks)', () => {
  it('submits a complete draft, and a signed Meta webhook decides it before polling would', async () => {
    // Given a complete template never submitted
    const { ack, since } = await run(stack.url, `template submit ${TEMPLATE_IDS.feedbackSurvey}`);
    // Then the ack comes at once, without waiting on CM.com
    expect(ack.status).toBe(200);
    expect(ack.json.text).toContain('On it');
    await stack.drain();
    expect((await template(TEMPLATE_IDS.feedbackSurvey))?.validations).toBe(1);
    expect(textOf(await since())).toContain('Requested validation of template *feedback_survey*');

    // When Meta approves it (webhook), long before CM.com's polls would show it
    expect(await postMeta(metaEvent('feedback_survey', 'en_US', 'APPROVED'))).toBe(200);
    await stack.drain();

    // Then the verdict is reported in the thread, and CM.com still shows it waiting
    const msgs = await since();
    const verdict = msgs.find(
      (m) => m.kind === 'chat.postMessage' && m.thread_ts && /approved in every language/.test(m.text ?? ''),
    );
    expect(verdict?.text).toContain('Meta webhook');
    const cm = await template(TEMPLATE_IDS.feedbackSurvey);
    expect(cm?.isActive).toBe(false);

    // And later PAUSED changes are reported in the same thread
    expect(await postMeta(metaEvent('feedback_survey', 'en_US', 'PAUSED', { reason: 'LOW_QUALITY' }))).toBe(
      200,
    );
    await stack.drain();
    const paused = (await since()).find((m) => /paused by Meta/.test(m.text ?? ''));
    expect(paused?.text).toContain('LOW_QUALITY');
    expect(paused?.thread_ts).toBe(verdict?.thread_ts);
  });

  it('refuses a forged Meta webhook with 401 and answers the GET handshake only with the right token', async () => {
    const body = metaEvent('appointment_reminder', 'en_US', 'APPROVED');
    expect(await postMeta(body, metaSignature(JSON.stringify(body), 'not-the-app-secret'))).toBe(401);
    expect(await postMeta(body, 'sha256=')).toBe(401);

    const ok = await fetch(
      `${hookUrl}?hub.mode=subscribe&hub.verify_token=sandbox-meta-verify-token&hub.challenge=1158201444`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const bad = await fetch(`${hookUrl}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444`);
    expect(bad.status).toBe(403);
    const unknown = await fetch(`${stack.url}/webhooks/meta/AAAAAAAAAAAAAAAAAAAAAAAA`, {
      method: 'POST',
      body: '{}',
    });
    expect(unknown.status).toBe(404);
  });

  it('answers 400, on every retry, to a signed Meta body nested deeper than any Meta event', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = [deep];
    const body = metaEvent('appointment_reminder', 'en_US', 'APPROVED', { other_info: { title: 'x', deep } });
    expect(await postMeta(body)).toBe(400);
    expect(await postMeta(body)).toBe(400);
  });

  it('watches a pending template through the polls to approval, reported once in the thread', async () => {
    const { ack, since } = await run(stack.url, `template watch ${TEMPLATE_IDS.appointmentReminder}`);
    expect(ack.json.text).toContain('Looking it up');
    await stack.drain();
    expect(textOf(await since())).toMatch(/Watching template \*appointment_reminder\*[\s\S]*pending/);

    for (let i = 0; i < 4; i++) await stack.tick();
    const msgs = await since();
    const verdicts = msgs.filter(
      (m) => m.kind === 'chat.postMessage' && /approved in every language/.test(m.text ?? ''),
    );
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]?.text).toMatch(/en_US.*approved[\s\S]*nl.*approved/);
    expect(verdicts[0]?.thread_ts).toBeTruthy();
    expect((await template(TEMPLATE_IDS.appointmentReminder))?.isActive).toBe(true);
  });

  it('reports a rejection with its reason, already rejected or rejected after polling', async () => {
    const seeded = await run(stack.url, `template watch ${TEMPLATE_IDS.flashSale}`);
    await stack.drain();
    expect(textOf(await seeded.since())).toMatch(/rejected[\s\S]*INCORRECT_CATEGORY[\s\S]*2025-03-04/);

    const later = await run(stack.url, `template watch ${TEMPLATE_IDS.holidayHours}`);
    await stack.drain();
    await stack.tick();
    await stack.tick();
    expect(textOf(await later.since())).toMatch(/holiday_hours\* was rejected[\s\S]*INVALID_FORMAT/);
  });

  it('refuses to submit an incomplete template and submits nothing', async () => {
    const { since } = await run(stack.url, `template submit ${TEMPLATE_IDS.accountAlert}`);
    await stack.drain();
    expect(textOf(await since())).toMatch(/incomplete: Dutch has empty content[\s\S]*Nothing was submitted/);
    expect((await template(TEMPLATE_IDS.accountAlert))?.validations).toBe(0);
  });

  it('keeps submit to admins and answers bad or unknown ids clearly', async () => {
    const member = await run(stack.url, `template submit ${TEMPLATE_IDS.feedbackSurvey}`, 'U0MEMBER');
    expect(member.ack.json.text).toContain('for workspace admins');
    const malformed = await run(stack.url, 'template status welcome-message!');
    expect(malformed.ack.json.text).toMatch(
      /"welcome-message!" is neither a template name[\s\S]*nor a template id[\s\S]*Usage/,
    );
    const unknown = await run(stack.url, 'template status 99999999-9999-4999-8999-999999999999');
    expect(unknown.ack.json.text).toContain('Looking it up');
    await stack.drain();
    const answer = (await unknown.since()).find(isAnswer);
    expect(answer?.text).toContain('There is no template `99999999-9999-4999-8999-999999999999`');
  });

  it('lists templates with their per-language state and shows one in full, ephemerally', async () => {
    const list = await run(stack.url, 'template list');
    expect(list.ack.json.text).toContain('Looking it up');
    expect((await list.since()).length).toBe(0);
    await stack.drain();
    const listed = (await list.since()).find(isAnswer);
    expect(listed?.text).toContain('*welcome_message*');
    expect(listed?.text).toMatch(/flash_sale[\s\S]*rejected \(INCORRECT_CATEGORY/);
    expect(listed?.text).toContain('account_alert');
    // Its Dutch was rejected once and emptied since: incomplete (the flag), not rejected (a date).
    const alert = listed?.text?.split('\n').find((l) => l.includes('account_alert')) ?? '';
    expect(alert).toContain(':warning: incomplete');
    expect(alert).not.toMatch(/rejected/);

    const filtered = await run(stack.url, 'template list welcome');
    await stack.drain();
    const onlyWelcome = (await filtered.since()).find(isAnswer);
    expect(onlyWelcome?.text).toContain('welcome_message');
    expect(onlyWelcome?.text).not.toContain('flash_sale');

    const status = await run(stack.url, `template status ${TEMPLATE_IDS.welcome}`);
    await stack.drain();
    const full = (await status.since()).find(isAnswer);
    expect(full?.text).toContain('Hallo {{1}}, welkom bij {{2}}!');
    expect(full?.text).toContain('{{1}} first_name (text), {{2}} company (text)');
  });
});

describe('template queries answer the asker alone (issue 12, item 4)', () => {
  it('template status goes to the asker through the response_url, links the watched template’s card, and posts nothing in the channel', async () => {
    // The first test of the file watches feedback_survey: its card is in the channel.
    const status = await run(stack.url, `template status ${TEMPLATE_IDS.feedbackSurvey}`, 'U0MEMBER');
    await stack.drain();
    const msgs = await status.since();
    const answer = msgs.find(isAnswer);
    expect(answer?.text).toContain('*feedback_survey*');
    const link =
      /<(https:\/\/sandbox\.slack\.com\/archives\/C0SANDBOX\/p\d+)\|Open the template's card and its thread>/.exec(
        answer?.text ?? '',
      )?.[1];
    expect(link).toBeDefined();
    // The link is the card of the watch job (the message its verdict was posted under).
    const all = await slackMessages(stack.url);
    const verdict = all.find(
      (m) =>
        m.kind === 'chat.postMessage' && m.thread_ts && /feedback_survey\* is approved/.test(m.text ?? ''),
    );
    expect(link).toBe(
      `https://sandbox.slack.com/archives/C0SANDBOX/p${String(verdict?.thread_ts).replace('.', '')}`,
    );
    expect(msgs.filter((m) => m.kind === 'chat.postMessage' || m.kind === 'chat.update')).toHaveLength(0);
    expect(msgs.filter((m) => m.kind === 'chat.postEphemeral')).toHaveLength(0);
  });

  it('a template nobody watches is answered without a link', async () => {
    const status = await run(stack.url, `template status ${TEMPLATE_IDS.welcome}`);
    await stack.drain();
    const answer = (await status.since()).find(isAnswer);
    expect(answer?.text).toContain('*welcome_message*');
    expect(answer?.text).not.toContain('slack.com/archives');
  });
});

describe('templated sends (CommBox)', () => {
  const sends = async () => (await sandboxState(stack.url)).commbox.sends;

  it('a refusal among many recipients names, whole, the ones without an opt-in', async () => {
    const opted = ['+31600000101', '+31600000102', '+31600000103'];
    for (const n of opted) await run(stack.url, `contact optin ${n} --source "list test"`);
    const { ack } = await run(
      stack.url,
      `template send welcome_message en_US ${[...opted, '+31600000104', '+31600000105'].join(',')} --param A --param B`,
    );
    const text = ack.json.text ?? '';
    expect(text).toContain('No opt-in is on record for +31600000104, +31600000105.');
    for (const n of opted) expect(text).not.toContain(n);
  });

  it('refuses recipients without an opt-in on the ack path, sending nothing', async () => {
    const { ack } = await run(
      stack.url,
      'template send welcome_message en_US +31612345678 --param Ada --param Acme',
    );
    // The person who typed the number sees it whole (E.164): masking is for channel posts and logs.
    expect(ack.json.text).toMatch(/No opt-in is on record for \+31612345678\.[\s\S]*Nothing was sent/);
    await stack.drain();
    expect(await sends()).toHaveLength(0);
  });

  it('refuses more than 20 recipients', async () => {
    const numbers = Array.from({ length: 21 }, (_, i) => `+316123456${String(i).padStart(2, '0')}`).join(',');
    const { ack } = await run(stack.url, `template send welcome_message en_US ${numbers}`);
    expect(ack.json.text).toMatch(/at most 20 recipients at a time; you gave 21/);
    expect(await sends()).toHaveLength(0);
  });

  it('sends an approved template with parameters and a header URL, with the documented body', async () => {
    for (const n of ['+31612345678', '+31612340000'])
      await run(stack.url, `contact optin ${n} --source "signup form on acme.example"`);
    const { ack, since } = await run(
      stack.url,
      'template send welcome_message en_US +31612345678,+31612340000 --param Ada --param "Acme Ltd"',
    );
    expect(ack.json.text).toContain('Looking it up');
    await stack.drain();

    const [sent] = await sends();
    expect(sent?.body).toEqual({
      data: ['31612345678', '31612340000'].map((to) => ({
        template_data: {
          to,
          template: {
            name: 'welcome_message',
            language: { code: 'en_US' },
            components: [
              {
                type: 'body',
                parameters: [
                  { type: 'text', text: 'Ada' },
                  { type: 'text', text: 'Acme Ltd' },
                ],
              },
            ],
          },
        },
      })),
    });
    const report = textOf(await since());
    expect(report).toMatch(/1 of 2 accepted/);
    expect(report).toMatch(/\+31•+78: :white_check_mark: sent/);
    expect(report).toMatch(/\+31•+00: :x: failed \(invalid — Not a valid WhatsApp user\)/);
    expect(report).toContain('(English (US) · en_US)');

    await run(
      stack.url,
      'template send order_update en_US +31612345678 --param A-1001 --header-url https://files.acme.example/invoice.pdf',
    );
    await stack.drain();
    const header = (await sends())[1]?.body as {
      data: Array<{ template_data: { template: { components: unknown[] } } }>;
    };
    expect(header.data[0]?.template_data.template.components[0]).toEqual({
      type: 'header',
      parameters: [{ type: 'document', document: { link: 'https://files.acme.example/invoice.pdf' } }],
    });
  });

  it('refuses unapproved or unknown templates and wrong parameter counts in the job, sending nothing', async () => {
    const before = (await sends()).length;
    const rejected = await run(stack.url, 'template send flash_sale en_US +31612345678');
    await stack.drain();
    expect(textOf(await rejected.since())).toMatch(
      /flash_sale\* \(English \(US\) · en_US\) is not approved[\s\S]*Nothing was sent/,
    );
    const unknown = await run(stack.url, 'template send no_such_template en_US +31612345678');
    await stack.drain();
    expect(textOf(await unknown.since())).toMatch(
      /no template named `no_such_template`[\s\S]*Nothing was sent/,
    );
    const params = await run(stack.url, 'template send welcome_message nl +31612345678 --param Ada');
    await stack.drain();
    expect(textOf(await params.since())).toMatch(/2 body placeholders; you gave 1[\s\S]*Nothing was sent/);
    expect(await sends()).toHaveLength(before);
  });

  it('completes despite a provider 500 and 429 (fault injection)', async () => {
    const before = (await sends()).length;
    const faultsBefore = (await sandboxState(stack.url)).commbox.stats.faults;
    scriptFaults('cm-channels', ['500']);
    scriptFaults('commbox', ['429']);
    const { since } = await run(
      stack.url,
      'template send welcome_message nl +31612345678 --param Ada --param Acme',
    );
    await stack.drain();
    expect(textOf(await since())).toContain('1 of 1 accepted');
    const state = await sandboxState(stack.url);
    expect(state.commbox.sends).toHaveLength(before + 1);
    expect(state.commbox.stats.faults).toBe(faultsBefore + 1);
    expect(state['cm-channels'].stats.faults).toBeGreaterThanOrEqual(1);
  });
});
