import { createHmac } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/app/catalog.js';
import { issueTriggerId } from '../../src/sandbox/fake-slack.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { launchChromium, noBrowser } from '../helpers/browser.js';
import { sandboxFetch, slackMessages } from '../helpers/slack.js';

// The console page at / is a fake Slack client: these tests drive it in headless Chromium
// against the real app running in the local stack.
const WAIT = 8_000;

let stack: LocalStack;
let browser: Browser;
let signingSecret: string;

async function openConsole(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  page.setDefaultTimeout(WAIT);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  (page as Page & { jsErrors?: string[] }).jsErrors = errors;
  await page.goto(stack.consoleUrl);
  // The composer is enabled once the config and the first poll of the fake Slack are in.
  await page.locator('[data-testid="composer"]:enabled').waitFor();
  return page;
}

async function slash(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

function jsErrors(page: Page): string[] {
  return (page as Page & { jsErrors?: string[] }).jsErrors ?? [];
}

async function slackApi(method: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.url}/_sandbox/slack/api/${method}`, {
    method: 'POST',
    headers: { authorization: 'Bearer xoxb-sandbox-T0SANDBOX', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

function expectSlackSignature(headers: Record<string, string>, body: string): void {
  const ts = headers['x-slack-request-timestamp'] ?? '';
  expect(Math.abs(Date.now() / 1000 - Number(ts))).toBeLessThan(60);
  const mac = createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex');
  expect(headers['x-slack-signature']).toBe(`v0=${mac}`);
}

describe.skipIf(noBrowser)('console page (headless Chromium)', { timeout: 15_000 }, () => {
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack({ port: 0 }), launchChromium()]);
    const config = (await (await sandboxFetch(stack.url, '/_sandbox/console/config')).json()) as {
      signingSecret: string;
    };
    signingSecret = config.signingSecret;
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('sends a signed /wa help and shows the ephemeral command list', async () => {
    const page = await openConsole();
    const request = page.waitForRequest((r) => r.url().endsWith('/slack/events') && r.method() === 'POST');
    await slash(page, '/wa help');
    const req = await request;
    const body = req.postData() ?? '';
    expectSlackSignature(req.headers(), body);
    const form = new URLSearchParams(body);
    expect(form.get('command')).toBe('/wa');
    expect(form.get('text')).toBe('help');
    expect(form.get('user_id')).toBe('U0ADMIN');
    expect(form.get('team_id')).toBe('T0SANDBOX');
    expect(form.get('response_url')).toMatch(new RegExp(`^${stack.url}/_sandbox/response/\\w+$`));
    expect(req.headers()['content-type']).toBe('application/x-www-form-urlencoded');

    const reply = page.locator('[data-testid="message"][data-kind="ack"]').last();
    await reply.getByText('/wa invite sign', { exact: false }).first().waitFor();
    expect(await reply.getAttribute('data-ephemeral')).toBe('true');
    expect(await reply.textContent()).toContain('Only visible to you');
    // The header block renders as a header; inline code as <code>.
    expect(await reply.locator('.block-header').textContent()).toContain('/wa');
    expect(await reply.locator('code').count()).toBeGreaterThan(3);
    await page.screenshot({ path: '/tmp/console.png' });
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('accepts text without /wa and shows the unknown-subcommand warning', async () => {
    const page = await openConsole();
    await slash(page, 'frobnicate');
    const reply = page.locator('[data-testid="message"][data-kind="ack"]').last();
    await reply.getByText('Unknown subcommand').waitFor();
    const text = await reply.textContent();
    expect(text).toContain('⚠️'); // :warning: rendered as an emoji
    expect(text).toContain('frobnicate');
    expect(await reply.locator('code').first().textContent()).toBe('frobnicate');
    await page.close();
  });

  it('answers a member running an admin-only command, and only that member sees it', async () => {
    // Whichever admin-only command is built gets the admin refusal; until one is, the router
    // says `/wa connect` is not built yet. Either way the page shows the app's own answer.
    const built = commands.find((c) => c.access === 'admin' && c.handler);
    const command = built ? built.path : 'connect';
    const expected = built ? 'is for workspace admins' : 'is not built yet';
    const page = await openConsole();
    await page.getByTestId('user-switch').selectOption('U0MEMBER');
    const request = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
    await slash(page, `/wa ${command}`);
    expect(new URLSearchParams((await request).postData() ?? '').get('user_id')).toBe('U0MEMBER');
    const reply = page.locator('[data-testid="message"][data-kind="ack"]').filter({ hasText: expected });
    await reply.waitFor();
    expect(await reply.textContent()).toContain('Only visible to you');
    // Ephemeral answers are for the person who ran the command.
    await page.getByTestId('user-switch').selectOption('U0ADMIN');
    await reply.waitFor({ state: 'detached' });
    await page.getByTestId('user-switch').selectOption('U0MEMBER');
    await reply.waitFor();
    await page.close();
  });

  it('follows response_url replies: replace_original in place, delete_original removes', async () => {
    const page = await openConsole();
    const request = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
    await slash(page, 'help');
    const responseUrl = new URLSearchParams((await request).postData() ?? '').get('response_url') ?? '';
    const ack = page.locator('[data-testid="message"][data-kind="ack"]');
    await ack.getByText('/wa invite sign').first().waitFor();
    const respond = (body: unknown) =>
      fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    await respond({ replace_original: true, text: 'Working on it :hourglass_flowing_sand:' });
    const replaced = page.locator('[data-testid="message"][data-kind="response_url"]');
    await replaced.getByText('Working on it ⏳').waitFor();
    expect(await ack.count()).toBe(0);
    expect(await replaced.count()).toBe(1);
    expect(await replaced.textContent()).toContain('Only visible to you');

    await respond({ response_type: 'in_channel', text: 'Done for everyone' });
    const shared = page
      .locator('[data-testid="message"][data-kind="response_url"]')
      .filter({ hasText: 'Done' });
    await shared.waitFor();
    expect(await shared.getAttribute('data-ephemeral')).toBe('false');

    await respond({ delete_original: true });
    await shared.waitFor({ state: 'detached' });
    expect(await page.getByText('Working on it').count()).toBe(1);
    await page.close();
  });

  it('renders what the app posts, updates it in place, and signs button clicks', async () => {
    const page = await openConsole();
    const posted = await slackApi('chat.postMessage', {
      channel: 'C0SANDBOX',
      text: 'hello',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '*Bold* <https://example.com|a link> <@U0MEMBER> &lt;b&gt;x&lt;/b&gt;',
          },
        },
        {
          type: 'context',
          elements: [{ type: 'plain_text', text: '<img src=x onerror="window.pwned=1">' }],
        },
        {
          type: 'actions',
          block_id: 'acts',
          elements: [
            {
              type: 'button',
              action_id: 'x:y',
              text: { type: 'plain_text', text: 'Click me' },
              value: '1',
            },
          ],
        },
      ],
    });
    expect(posted.ok).toBe(true);
    const message = page.locator(`[data-testid="message"][data-ts="${posted.ts}"]`);
    await message.waitFor();
    expect(await message.getAttribute('data-kind')).toBe('chat.postMessage');
    expect(await message.locator('strong').textContent()).toBe('Bold');
    expect(await message.locator('a').getAttribute('href')).toBe('https://example.com');
    expect(await message.locator('.mention').textContent()).toBe('@max.member');
    // Raw HTML in text stays text.
    expect(await message.locator('b').count()).toBe(0);
    expect(await message.textContent()).toContain('<b>x</b>');
    expect(await message.locator('img').count()).toBe(0);
    expect(await message.textContent()).toContain('<img src=x');

    const button = message.locator('button[data-action-id="x:y"]');
    const response = page.waitForResponse((r) => r.url().endsWith('/slack/events'));
    await button.click();
    const res = await response;
    const req = res.request();
    const body = req.postData() ?? '';
    expectSlackSignature(req.headers(), body);
    // Bolt answers 401 to a bad signature; an action no listener handles is its 404.
    expect(res.status()).not.toBe(401);
    const payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'block_actions',
      team: { id: 'T0SANDBOX', domain: 'sandbox' },
      user: { id: 'U0ADMIN', username: 'ada.admin', team_id: 'T0SANDBOX' },
      api_app_id: 'A0SANDBOX',
      channel: { id: 'C0SANDBOX', name: 'onboarding' },
      container: { type: 'message', message_ts: posted.ts, channel_id: 'C0SANDBOX', is_ephemeral: false },
      message: { ts: posted.ts, text: 'hello' },
      actions: [{ type: 'button', action_id: 'x:y', block_id: 'acts', value: '1' }],
      is_enterprise_install: false,
      enterprise: null,
    });
    expect(payload.response_url).toMatch(/\/_sandbox\/response\/\w+$/);
    expect(payload.actions[0].action_ts).toMatch(/^\d+\.\d{6}$/);

    // chat.update replaces it in place (blocks: [] drops the old blocks, as in Slack); a thread
    // reply is collapsed under it as "1 reply" until the thread is opened.
    await slackApi('chat.update', {
      channel: 'C0SANDBOX',
      ts: posted.ts,
      text: 'updated :white_check_mark:',
      blocks: [],
    });
    await slackApi('chat.postMessage', { channel: 'C0SANDBOX', thread_ts: posted.ts, text: 'a reply' });
    await message.getByText('updated ✅').waitFor();
    expect(await message.getAttribute('data-kind')).toBe('chat.update');
    const toggle = message.getByTestId('thread-toggle');
    await expect.poll(() => toggle.textContent()).toBe('1 reply');
    expect(await page.getByText('a reply').count()).toBe(0);
    await toggle.click();
    await message.locator('.thread [data-testid="message"]').getByText('a reply').waitFor();
    expect(await page.locator(`[data-testid="message"][data-ts="${posted.ts}"]`).count()).toBe(1);
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('renders bare URLs, labelled links, mentions and permalinks as Slack does, and nothing from escaped text', async () => {
    const page = await openConsole();
    const parent = await slackApi('chat.postMessage', { channel: 'C0SANDBOX', text: 'the card' });
    const permalink = (await slackApi('chat.getPermalink', {
      channel: 'C0SANDBOX',
      message_ts: parent.ts,
    })) as { permalink: string };
    await slackApi('chat.postMessage', {
      channel: 'C0SANDBOX',
      thread_ts: parent.ts,
      text: 'deep in the thread',
    });
    const posted = await slackApi('chat.postMessage', {
      channel: 'C0SANDBOX',
      text: [
        'see https://example.com/a?b=1&amp;c=2. and <https://x.example/doc|the doc>',
        'by <@U0MEMBER|someone.else> in <#C0GENERAL> and <#C0SANDBOX|old-name>',
        `the <${permalink.permalink}|card>`,
        'typed: &lt;https://evil.example|Verify your account&gt; &lt;!channel&gt;',
      ].join('\n'),
    });
    const message = page.locator(`[data-testid="message"][data-ts="${posted.ts}"]`);
    await message.waitFor();
    const links = message.locator('a');
    expect(await links.evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]))).toEqual([
      ['https://example.com/a?b=1&c=2', 'https://example.com/a?b=1&c=2'],
      ['the doc', 'https://x.example/doc'],
      ['card', permalink.permalink],
      // Escaped text stays text: the only link is the bare URL itself, never the phishing label.
      ['https://evil.example', 'https://evil.example'],
    ]);
    expect(await message.locator('.mention').allTextContents()).toEqual([
      '@max.member',
      '#general',
      '#onboarding',
    ]);
    const text = await message.textContent();
    expect(text).toContain('c=2. and');
    expect(text).toContain('<https://evil.example|Verify your account> <!channel>');
    // A permalink to a message here opens it (and its thread) instead of leaving the page.
    expect(await page.getByText('deep in the thread').count()).toBe(0);
    await links.nth(2).click();
    await page.getByText('deep in the thread').waitFor();
    expect(page.url()).toBe(`${stack.url}/`);
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('the App Home tab sends a signed app_home_opened and shows the view the app published, buttons working', async () => {
    const page = await openConsole();
    const published = async (user: string) =>
      (await slackMessages(stack.url)).filter((m) => m.kind === 'views.publish' && m.user === user);
    const before = (await published('U0ADMIN')).length;
    const request = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
    await page.getByTestId('tab-home').click();
    const req = await request;
    const body = req.postData() ?? '';
    expectSlackSignature(req.headers(), body);
    // Events come as JSON in Slack's event_callback envelope, not as a form.
    expect(req.headers()['content-type']).toBe('application/json');
    expect(JSON.parse(body)).toMatchObject({
      type: 'event_callback',
      team_id: 'T0SANDBOX',
      api_app_id: 'A0SANDBOX',
      event_id: expect.stringMatching(/^Ev\w+$/),
      event: { type: 'app_home_opened', user: 'U0ADMIN', tab: 'home' },
    });
    expect((await req.response())?.status()).toBe(200);
    const home = page.getByTestId('home-view');
    await home.locator('.block-header').getByText('WhatsApp onboarding').waitFor();
    await expect.poll(async () => (await published('U0ADMIN')).length).toBe(before + 1);
    const view = (await published('U0ADMIN')).at(-1)?.view as { id: string };
    expect(await home.getAttribute('data-view-id')).toBe(view.id);
    // The channel and its composer are not on this tab.
    expect(await page.getByTestId('messages').isHidden()).toBe(true);
    expect(await page.getByTestId('composer').isHidden()).toBe(true);

    // A button on the Home tab sends block_actions from the view; this one opens its form.
    const click = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
    await home.getByRole('button', { name: 'Send a signing invite' }).click();
    const payload = JSON.parse(new URLSearchParams((await click).postData() ?? '').get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ADMIN' },
      container: { type: 'view', view_id: view.id },
      view: { id: view.id, type: 'home' },
      actions: [{ type: 'button', action_id: expect.stringMatching(/^form:open/) }],
    });
    expect(payload.response_url).toBeUndefined();
    expect(payload.message).toBeUndefined();
    const modal = page.getByTestId('modal');
    await modal.waitFor();
    expect(await modal.getByTestId('modal-title').textContent()).toBe('Signing invite');
    await page.getByTestId('modal-dismiss').click();

    // Another person opening the tab gets their own Home.
    const other = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
    await page.getByTestId('user-switch').selectOption('U0MEMBER');
    expect(JSON.parse((await other).postData() ?? '{}').event.user).toBe('U0MEMBER');
    await expect.poll(async () => (await published('U0MEMBER')).length).toBeGreaterThan(0);
    const memberView = (await published('U0MEMBER')).at(-1)?.view as { id: string };
    await expect.poll(() => home.getAttribute('data-view-id')).toBe(memberView.id);

    await page.getByTestId('tab-channel').click();
    await page.getByTestId('composer').waitFor();
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it("keeps the acting user and each person's own commands across a reload", async () => {
    const page = await openConsole();
    await page.getByTestId('user-switch').selectOption('U0MEMBER');
    await slash(page, '/wa help');
    await slash(page, '/wa jobs');
    await page.getByTestId('user-switch').selectOption('U0ADMIN');
    await slash(page, '/wa template list');
    await page.getByTestId('user-switch').selectOption('U0MEMBER');
    await page.reload();
    await page.locator('[data-testid="composer"]:enabled').waitFor();
    expect(await page.getByTestId('user-switch').inputValue()).toBe('U0MEMBER');
    const composer = page.getByTestId('composer');
    await composer.press('ArrowUp');
    expect(await composer.inputValue()).toBe('/wa jobs');
    await composer.press('ArrowUp');
    expect(await composer.inputValue()).toBe('/wa help');
    await composer.press('ArrowDown');
    await composer.press('ArrowDown');
    expect(await composer.inputValue()).toBe('');
    // The admin's commands are the admin's.
    await page.getByTestId('user-switch').selectOption('U0ADMIN');
    await composer.press('ArrowUp');
    expect(await composer.inputValue()).toBe('/wa template list');
    // And a command sent after the reload goes as the remembered person.
    await page.getByTestId('user-switch').selectOption('U0MEMBER');
    await page.reload();
    await page.locator('[data-testid="composer"]:enabled').waitFor();
    const request = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
    await slash(page, '/wa help');
    expect(new URLSearchParams((await request).postData() ?? '').get('user_id')).toBe('U0MEMBER');
    await page.close();
  });

  it('opens a modal from views.open, submits it signed, and closes it', async () => {
    const page = await openConsole();
    const opened = await slackApi('views.open', {
      trigger_id: issueTriggerId(),
      view: {
        type: 'modal',
        callback_id: 'sandbox:form',
        private_metadata: 'meta',
        title: { type: 'plain_text', text: 'A form' },
        submit: { type: 'plain_text', text: 'Save' },
        blocks: [
          {
            type: 'input',
            block_id: 'name',
            label: { type: 'plain_text', text: 'Name' },
            element: { type: 'plain_text_input', action_id: 'v' },
          },
          {
            type: 'input',
            block_id: 'kind',
            label: { type: 'plain_text', text: 'Kind' },
            element: {
              type: 'static_select',
              action_id: 'v',
              options: [
                { text: { type: 'plain_text', text: 'One' }, value: 'one' },
                { text: { type: 'plain_text', text: 'Two' }, value: 'two' },
              ],
            },
          },
          {
            type: 'input',
            block_id: 'flags',
            optional: true,
            label: { type: 'plain_text', text: 'Flags' },
            element: {
              type: 'checkboxes',
              action_id: 'v',
              options: [{ text: { type: 'plain_text', text: 'Urgent' }, value: 'urgent' }],
            },
          },
        ],
      },
    });
    const viewId = (opened.view as { id: string }).id;
    const modal = page.getByTestId('modal');
    await modal.waitFor();
    expect(await modal.getAttribute('data-view-id')).toBe(viewId);
    expect(await modal.getByTestId('modal-title').textContent()).toBe('A form');

    // Required fields are checked before anything is sent, as Slack does.
    await modal.getByTestId('modal-submit').click();
    await modal.locator('[data-block-id="name"] [data-testid="field-error"]').waitFor();

    await modal.locator('[data-block-id="name"][data-action-id="v"]').fill('Acme <Ltd>');
    await modal.locator('[data-block-id="kind"][data-action-id="v"]').selectOption('two');
    await modal.locator('[data-block-id="flags"][data-action-id="v"] input[value="urgent"]').check();
    const request = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
    await modal.getByTestId('modal-submit').click();
    const req = await request;
    expectSlackSignature(req.headers(), req.postData() ?? '');
    const payload = JSON.parse(new URLSearchParams(req.postData() ?? '').get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'view_submission',
      user: { id: 'U0ADMIN' },
      view: {
        id: viewId,
        callback_id: 'sandbox:form',
        private_metadata: 'meta',
        state: {
          values: {
            name: { v: { type: 'plain_text_input', value: 'Acme <Ltd>' } },
            kind: { v: { type: 'static_select', selected_option: { value: 'two' } } },
            flags: { v: { type: 'checkboxes', selected_options: [{ value: 'urgent' }] } },
          },
        },
      },
    });
    // An empty 200 closes the view. With no listener for this callback Bolt answers 404, and
    // the modal stays open with Slack's connection notice.
    const res = await req.response();
    if (res?.status() === 200 && !(await res.text()).trim()) {
      await modal.waitFor({ state: 'detached' });
    } else {
      expect(res?.status()).not.toBe(401);
      await modal.getByTestId('modal-notice').waitFor();
      await page.getByTestId('modal-dismiss').click();
      await modal.waitFor({ state: 'detached' });
    }
    await page.close();
  });
});
