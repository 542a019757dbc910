import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { launchChromium, noBrowser } from '../helpers/browser.js';
import { sandboxFetch, slackMessages } from '../helpers/slack.js';

// Issue 12's "Done when", as a person does it in the console (headless Chromium): commands are
// typed, buttons clicked, time moves with the Tick button. Each test asserts on what the fake
// Slack recorded (what a real workspace would hold) and on what the page shows.

const CHANNEL = 'C0SANDBOX';
const ADMIN = 'U0ADMIN';
const MEMBER = 'U0MEMBER';

let stack: LocalStack;
let browser: Browser;
let page: Page;

type Rec = Awaited<ReturnType<typeof slackMessages>>[number];
const records = (): Promise<Rec[]> => slackMessages(stack.url);

async function actAs(user: string): Promise<void> {
  await page.getByTestId('user-switch').selectOption(user);
}

/**
 * Types a command and waits for the app's answer to the request; returns the form Slack sent
 * and the app's immediate answer (which Slack shows the person; the fake Slack never sees it).
 */
async function slash(text: string): Promise<{ sent: URLSearchParams; ack: string }> {
  const request = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
  const req = await request;
  const res = await req.response();
  expect(res?.status()).toBe(200);
  const ack = (await res?.text()) ?? '';
  // Work the command queued has run.
  await stack.drain();
  return { sent: new URLSearchParams(req.postData() ?? ''), ack };
}

/** Clicks Tick (one scheduler period) until `done` holds; fails after `max` clicks. */
async function tickUntil(done: () => Promise<boolean>, max = 15): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await done()) return;
    const response = page.waitForResponse((r) => r.url().endsWith('/_sandbox/scheduler/tick'));
    await page.getByTestId('tick').click();
    await response;
    await stack.drain();
  }
  expect(await done()).toBe(true);
}

/** The deployment's status card: the top-level message about it, as the fake Slack holds it now. */
async function cardOf(deploymentId: string) {
  const cards = (await records())
    .filter((m) => m.kind === 'chat.postMessage' && m.channel === CHANNEL && !m.thread_ts)
    .map((m) => stack.slack.current(CHANNEL, m.ts))
    .filter((now) => JSON.stringify([now?.text, now?.blocks]).includes(deploymentId));
  expect(cards, `one card for ${deploymentId}`).toHaveLength(1);
  const now = cards[0];
  return { ts: now?.ts ?? '', text: String(now?.text ?? ''), blocks: JSON.stringify(now?.blocks ?? []) };
}

const cardOnPage = (ts: string): Locator =>
  page.locator(`[data-testid="messages"] > [data-testid="message"][data-ts="${ts}"]`);
/** The card's own blocks, without its thread. */
const cardBlocks = (ts: string): Locator => cardOnPage(ts).locator(':scope > .msg-body > .blocks');

async function vonageDeployment(nationalNumber: string): Promise<{ id: string; state: string }> {
  const state = (await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as {
    vonage: { deployments: Array<{ id: string; number: string; state: string }> };
  };
  const dep = state.vonage.deployments.find((d) => d.number === nationalNumber);
  expect(dep, `a Vonage deployment for ${nationalNumber}`).toBeDefined();
  return dep as { id: string; state: string };
}

const CODE_BUTTONS = /deploy:(enter-code|resend)/;

describe.skipIf(noBrowser)('issue 12 in the console (headless Chromium)', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack({ port: 0 }), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    await page.goto(stack.consoleUrl);
    await page.locator('[data-testid="composer"]:enabled').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('a deployment that fails after its first post shows the failure on its card, in place', async () => {
    await actAs(ADMIN);
    // The Vonage sandbox ends a certificate starting with "invalid" in ERROR, a few polls in.
    await slash('/wa deploy start +33612345678 --waba 1234567 --cert invalidCERT123');
    const { id } = await vonageDeployment('612345678');
    const first = await cardOf(id);
    expect(first.text).not.toMatch(/ERROR|Failed/);
    await tickUntil(async () => (await cardOf(id)).text.includes('ERROR'));

    const card = await cardOf(id);
    expect(card.ts).toBe(first.ts);
    expect(card.blocks).toContain('Invalid vname certificate');
    expect(card.blocks).not.toContain('provisioning with the provider');
    expect(card.blocks).not.toMatch(CODE_BUTTONS);
    // Every update of the card carried its blocks: Slack never kept a stale one.
    const updates = (await records()).filter((m) => m.kind === 'chat.update' && m.ts === card.ts);
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.filter((u) => u.blocksKept)).toEqual([]);

    // The page shows the one card, changed where it was, with the failure on it.
    const shown = cardBlocks(card.ts);
    await shown.getByText('Invalid vname certificate').first().waitFor();
    expect(await page.locator(`[data-testid="message"][data-ts="${card.ts}"]`).count()).toBe(1);
    expect(await cardOnPage(card.ts).getAttribute('data-kind')).toBe('chat.update');
    expect(await shown.textContent()).toContain('ERROR');
    expect(await shown.textContent()).not.toContain('provisioning with the provider');
  });

  let id = '';
  it('a deployment walked to READY by clicks: the code buttons leave the card when the state moves on', async () => {
    await slash('/wa deploy start +31612345679 --waba 1234567890 --cert AbCdEFGHiJK123456');
    id = (await vonageDeployment('612345679')).id;
    await tickUntil(async () => (await cardOf(id)).blocks.includes('deploy:enter-code'));
    const { ts } = await cardOf(id);
    const card = cardOnPage(ts);
    // The history is in the card's thread, collapsed under "N replies" as Slack shows it.
    const toggle = card.getByTestId('thread-toggle');
    await expect.poll(() => toggle.textContent()).toMatch(/^\d+ repl(y|ies)$/);
    expect(await card.locator('.thread [data-testid="message"]').count()).toBe(0);

    await card.locator('button[data-action-id="deploy:enter-code"]').click();
    const modal = page.locator('[data-testid="modal"][data-callback-id="deploy:verify"]');
    await modal.waitFor();
    await modal.locator('input').first().fill('123456');
    await modal.getByTestId('modal-submit').click();
    await modal.waitFor({ state: 'detached' });
    await stack.drain();
    await tickUntil(async () => (await cardOf(id)).text.includes('READY'));

    const ready = await cardOf(id);
    expect(ready.blocks).not.toMatch(CODE_BUTTONS);
    await cardBlocks(ts).getByText('READY').first().waitFor();
    await expect.poll(() => cardBlocks(ts).locator('button[data-action-id^="deploy:"]').count()).toBe(0);
    // Opened, the thread holds the history, and no message anywhere still offers a code button.
    await toggle.click();
    await card.locator('.thread [data-testid="message"]').first().waitFor();
    expect(await page.locator('button[data-action-id="deploy:enter-code"]').count()).toBe(0);
    expect(await page.locator('button[data-action-id^="deploy:resend"]').count()).toBe(0);
  });

  it('a status query answers only the asker, with a link that opens the card', async () => {
    await actAs(MEMBER);
    const before = await records();
    const channelPosts = (rs: Rec[]) => rs.filter((m) => m.kind === 'chat.postMessage').length;
    await slash(`/wa deploy status ${id}`);
    await tickUntil(async () =>
      (await records())
        .slice(before.length)
        .some((m) => JSON.stringify([m.text, m.blocks]).includes('READY')),
    );
    const after = (await records()).slice(before.length);
    // Nothing new in the channel: the answer went to the member alone.
    expect(channelPosts(after)).toBe(0);
    const answers = after.filter((m) => JSON.stringify([m.text, m.blocks]).includes(id));
    expect(answers.length).toBeGreaterThan(0);
    for (const a of answers) {
      expect(['response_url', 'chat.postEphemeral']).toContain(a.kind);
      if (a.kind === 'chat.postEphemeral') expect(a.user).toBe(MEMBER);
      else expect(a.response_type).not.toBe('in_channel');
    }

    const answer = page
      .locator('[data-testid="message"][data-ephemeral="true"]')
      .filter({ hasText: id })
      .filter({ hasText: 'READY' })
      .last();
    await answer.waitFor();
    expect(await answer.textContent()).toContain('Only visible to you');
    await actAs(ADMIN);
    await answer.waitFor({ state: 'detached' });
    await actAs(MEMBER);
    await answer.waitFor();
    // Its link to the card opens the card's thread here.
    const link = answer.locator('a[data-permalink]').first();
    const { ts } = await cardOf(id);
    expect(await link.getAttribute('data-permalink')).toBe(`${CHANNEL}/${ts}`);
    const toggle = cardOnPage(ts).getByTestId('thread-toggle');
    if ((await toggle.getAttribute('aria-expanded')) === 'true') await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('false');
    await link.click();
    await expect.poll(() => toggle.getAttribute('aria-expanded')).toBe('true');
    expect(page.url()).toBe(`${stack.url}/`);
  });

  it('after /wa deploy delete the card says deleted, and an outdated button answers the clicker alone', async () => {
    await actAs(ADMIN);
    // Asked twice (as people do), answered once: the second question's button is outdated later.
    await slash(`/wa deploy delete ${id}`);
    await slash(`/wa deploy delete ${id}`);
    const questions = page
      .locator('[data-testid="message"][data-ephemeral="true"]')
      .filter({ has: page.locator('button[data-action-id="deploy:delete-confirm"]') });
    await expect.poll(() => questions.count()).toBe(2);
    const clickConfirm = async (question: Locator) => {
      const response = page.waitForResponse((r) => r.url().endsWith('/slack/events'));
      await question.locator('button[data-action-id="deploy:delete-confirm"]').click();
      expect((await response).status()).toBe(200);
      await stack.drain();
    };
    await clickConfirm(questions.first());
    await tickUntil(async () => (await cardOf(id)).text.includes('DELETED'));

    const card = await cardOf(id);
    expect(card.blocks).toContain('Deleted.');
    expect(card.blocks).not.toMatch(CODE_BUTTONS);
    const shown = cardBlocks(card.ts);
    await shown.getByText('Deleted.').first().waitFor();
    expect(await shown.textContent()).toMatch(/: DELETED/);
    expect(await shown.textContent()).not.toMatch(/: READY|ready to use/);
    expect(await shown.locator('button').count()).toBe(0);
    expect(await page.locator(`[data-testid="message"][data-ts="${card.ts}"]`).count()).toBe(1);

    // The question still on screen is outdated: its click changes nothing at the provider, posts
    // nothing to the channel, and answers the clicker alone with the state now.
    const stale = questions.last();
    await stale.waitFor();
    const providerCalls = await vonageRequests();
    const before = (await records()).length;
    await clickConfirm(stale);
    await expect.poll(async () => (await records()).length).toBeGreaterThan(before);
    const answers = (await records()).slice(before);
    expect(answers.filter((m) => m.kind === 'chat.postMessage' || m.kind === 'chat.update')).toEqual([]);
    for (const a of answers) {
      expect(['response_url', 'chat.postEphemeral']).toContain(a.kind);
      expect(a.response_type).not.toBe('in_channel');
    }
    expect(JSON.stringify(answers)).toMatch(/DELETED|deleted/);
    expect(await vonageRequests()).toBe(providerCalls);
    const answer = page
      .locator('[data-testid="message"][data-ephemeral="true"]')
      .filter({ hasText: /deleted/i });
    await answer.last().waitFor();
    await actAs(MEMBER);
    await expect.poll(() => answer.count()).toBe(0);
    await actAs(ADMIN);
  });

  it('@max.member typed in the console is added as an admin', async () => {
    await actAs(MEMBER);
    expect((await slash('/wa audit')).ack).toContain('is for workspace admins');
    await page.getByText('is for workspace admins').last().waitFor();

    await actAs(ADMIN);
    const { sent } = await slash('/wa admins add @max.member');
    // Slack (should_escape on) sends the mention as an id, which the app takes.
    expect(sent.get('text')).toBe('admins add <@U0MEMBER|max.member>');
    const added = page
      .locator('[data-testid="message"]')
      .filter({ hasText: 'can now run admin commands' })
      .last();
    await added.waitFor();
    expect(await added.locator('.mention').first().textContent()).toBe('@max.member');

    // The member can now run an admin command, and its answer shows the change.
    await actAs(MEMBER);
    const audit = await slash('/wa audit');
    expect(audit.ack).not.toContain('is for workspace admins');
    expect(audit.ack).toContain('admins.added');
    const shown = page
      .locator('[data-testid="message"][data-kind="ack"]')
      .filter({ hasText: 'admins.added' });
    await shown.last().waitFor();
  });

  it('an email typed in --email is accepted and reaches the provider as typed', async () => {
    await actAs(ADMIN);
    const { sent } = await slash('/wa invite partner "O\'Brien & Sons" --email ops@acme.example');
    // What Slack sends: entities escaped, the email as a mailto link.
    expect(sent.get('text')).toBe(
      'invite partner "O\'Brien &amp; Sons" --email <mailto:ops@acme.example|ops@acme.example>',
    );
    await page.getByText('On it').last().waitFor();
    expect(await page.locator('[data-testid="message"]').filter({ hasText: '--email' }).count()).toBe(0);
    await tickUntil(async () => (await zavuInvitations()).length > 0, 5);
    const [invitation] = await zavuInvitations();
    expect(JSON.stringify(invitation)).toContain('ops@acme.example');
    expect(JSON.stringify(invitation)).not.toContain('mailto');
    expect(JSON.stringify(invitation)).toContain("O'Brien & Sons");
  });
});

async function vonageRequests(): Promise<number> {
  const state = (await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as {
    vonage: { requests: unknown[] };
  };
  return state.vonage.requests.length;
}

async function zavuInvitations(): Promise<Array<Record<string, unknown>>> {
  const state = (await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as Record<
    string,
    { invitations?: Array<Record<string, unknown>> }
  >;
  return state.zavu?.invitations ?? [];
}
