import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { launchChromium, noBrowser } from '../helpers/browser.js';
import { sandboxFetch } from '../helpers/slack.js';

// The launcher and the action forms, driven in headless Chromium on the console page against
// the real app in the local stack: what a person sees and clicks.
const WAIT = 10_000;

let stack: LocalStack;
let browser: Browser;

async function openConsole(user = 'U0ADMIN'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.setDefaultTimeout(WAIT);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  (page as Page & { jsErrors?: string[] }).jsErrors = errors;
  await page.goto(stack.consoleUrl);
  await page.locator('[data-testid="composer"]:enabled').waitFor();
  await page.getByTestId('user-switch').selectOption(user);
  return page;
}

const jsErrors = (page: Page) => (page as Page & { jsErrors?: string[] }).jsErrors ?? [];

async function slash(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

/** The modal on top, once its callback id is the one expected. */
async function modal(page: Page, callbackId: string): Promise<Locator> {
  const m = page.locator(`[data-testid="modal"][data-callback-id="${callbackId}"]`);
  await m.waitFor();
  return m;
}

const field = (m: Locator, key: string) => m.locator(`[data-block-id="${key}"][data-action-id="${key}"]`);

/** A CM.com Sign template the sandbox knows: the document to sign, when the form asks for one. */
const SIGN_TEMPLATE = '06c2e210-54a8-417f-adf2-fc767c31c929';
async function chooseDocument(form: Locator) {
  if (await field(form, 'template').count()) await field(form, 'template').fill(SIGN_TEMPLATE);
}

async function state() {
  return (await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as {
    'cm-sign': { dossiers: Array<{ name: string }> };
    zavu: { invitations: Array<Record<string, unknown>> };
  };
}

describe.skipIf(noBrowser)('launcher and forms on the console', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startLocalStack({ port: 0, env: { LOG_LEVEL: 'ERROR' } }),
      launchChromium(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('/wa opens the launcher; a member sees no admin actions', async () => {
    const admin = await openConsole('U0ADMIN');
    await slash(admin, '/wa');
    const launcher = await modal(admin, 'form:launcher');
    await launcher.getByRole('button', { name: 'Send a signing invite' }).waitFor();
    expect(await launcher.getByRole('button', { name: 'Provider credentials' }).count()).toBe(1);
    expect(await launcher.getByRole('button', { name: 'Start a deployment' }).count()).toBe(1);
    expect(jsErrors(admin)).toEqual([]);
    await admin.close();

    const member = await openConsole('U0MEMBER');
    await slash(member, '/wa');
    const theirs = await modal(member, 'form:launcher');
    await theirs.getByRole('button', { name: 'Send a signing invite' }).waitFor();
    expect(await theirs.getByRole('button', { name: 'Create a partner invitation' }).count()).toBe(1);
    expect(await theirs.getByRole('button', { name: 'Provider credentials' }).count()).toBe(0);
    expect(await theirs.getByRole('button', { name: 'Start a deployment' }).count()).toBe(0);
    expect(await theirs.getByText('Admin', { exact: true }).count()).toBe(0);
    expect(jsErrors(member)).toEqual([]);
    await member.close();
  });

  it('starts a signing invite from its form; a bad email is shown beside the email field and creates nothing', async () => {
    const page = await openConsole('U0ADMIN');
    await slash(page, '/wa');
    await (await modal(page, 'form:launcher')).getByRole('button', { name: 'Send a signing invite' }).click();
    const form = await modal(page, 'form:submit');
    expect(await form.getByTestId('modal-title').textContent()).toBe('Signing invite');
    await field(form, 'inviteeName').fill('Browser Bea');
    await field(form, 'email').fill('bea-at-example');
    await field(form, 'phone').fill('+31 6 1234 5673');
    await field(form, 'dossier').fill('Browser dossier');
    await chooseDocument(form);
    const before = (await state())['cm-sign'].dossiers.length;
    await form.getByTestId('modal-submit').click();

    const error = form.locator(
      '[data-block-id="email"][data-block-type="input"] [data-testid="field-error"], .block-input:has([data-block-id="email"]) [data-testid="field-error"]',
    );
    await error.first().waitFor();
    expect(await error.first().textContent()).toContain('not an email address');
    expect(await form.locator('[data-testid="field-error"]').count()).toBe(1);
    await stack.drain();
    expect((await state())['cm-sign'].dossiers.length).toBe(before);

    await field(form, 'email').fill('bea@example.com');
    await form.getByTestId('modal-submit').click();
    const done = await modal(page, 'form:done');
    await done.getByText('On it').waitFor();
    expect(await done.textContent()).toMatch(/job j[0-9a-z]+/);
    await stack.drain();
    expect((await state())['cm-sign'].dossiers.some((d) => d.name === 'Browser dossier')).toBe(true);
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('starts a partner invite from its form', async () => {
    const page = await openConsole('U0MEMBER');
    await slash(page, '/wa');
    await (await modal(page, 'form:launcher'))
      .getByRole('button', { name: 'Create a partner invitation' })
      .click();
    const form = await modal(page, 'form:submit');
    await field(form, 'clientName').fill('Browser Partner Ltd');
    await field(form, 'days').fill('7');
    const before = (await state()).zavu.invitations.length;
    await form.getByTestId('modal-submit').click();
    const done = await modal(page, 'form:done');
    await done.getByText('Zavu partner invitation').waitFor();
    await stack.drain();
    expect((await state()).zavu.invitations.length).toBe(before + 1);
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });

  it('an invalid /wa invite sign offers the form, prefilled with what could be read', async () => {
    const page = await openConsole('U0ADMIN');
    await slash(page, '/wa invite sign Jan de Vries jan@example.nl +31 6 1234 5674');
    const reply = page.locator('[data-testid="message"][data-kind="ack"]').last();
    await reply.getByText('not an email address').waitFor();
    await reply.getByRole('button', { name: 'Open the form' }).click();
    const form = await modal(page, 'form:submit');
    expect(await field(form, 'inviteeName').inputValue()).toBe('Jan de Vries');
    expect(await field(form, 'email').inputValue()).toBe('jan@example.nl');
    expect(await field(form, 'phone').inputValue()).toBe('+31 6 1234 5674');
    await chooseDocument(form);
    await form.getByTestId('modal-submit').click();
    const done = await modal(page, 'form:done');
    await done.getByText('On it').waitFor();
    expect(await done.textContent()).toContain('+31612345674');
    expect(jsErrors(page)).toEqual([]);
    await page.close();
  });
});
