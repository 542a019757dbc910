import { PDFDocument } from 'pdf-lib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { launchChromium, noBrowser } from '../helpers/browser.js';
import { sandboxFetch, slackMessages } from '../helpers/slack.js';

// The console shows what Slack would let a person do (issue 24): upload a file into the channel,
// run a message shortcut from its ⋯ menu, copy its link for `--file`, open the ⚡ shortcut menu;
// every message at its time on the simulated clock, with a divider when the day changes; emoji
// shortcodes as emoji. Headless Chromium against the real app in the local stack.
const WAIT = 8_000;

let stack: LocalStack;
let browser: Browser;

async function openConsole(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  page.setDefaultTimeout(WAIT);
  await page.goto(stack.consoleUrl);
  await page.locator('[data-testid="composer"]:enabled').waitFor();
  return page;
}

async function slash(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

async function pdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]);
  return Buffer.from(await doc.save());
}

const dossiers = async () =>
  (
    (await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as {
      'cm-sign': { dossiers: Array<{ name: string; files: unknown[] }> };
    }
  )['cm-sign'].dossiers;

describe.skipIf(noBrowser)(
  'console: what a person does in Slack (headless Chromium)',
  { timeout: 30_000 },
  () => {
    beforeAll(async () => {
      [stack, browser] = await Promise.all([startLocalStack({ port: 0 }), launchChromium()]);
    }, 30_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    it('uploads a PDF into the channel and sends it for signature from the message’s ⋯ menu', async () => {
      const page = await openConsole();
      await page.getByTestId('composer').fill('Contract for Ana, please sign');
      await page.getByTestId('file-input').setInputFiles({
        name: 'contract-ana.pdf',
        mimeType: 'application/pdf',
        buffer: await pdf(),
      });
      const post = page.locator('[data-testid="message"][data-kind="user"]', { hasText: 'contract-ana.pdf' });
      await post.waitFor();
      expect(await post.textContent()).toContain('Contract for Ana, please sign');

      // ⋯ → "Send for signature over WhatsApp": Slack's message_action payload, and the app's modal.
      const request = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
      await post
        .getByTestId('message-actions')
        .selectOption({ label: '⚡ Send for signature over WhatsApp' });
      const payload = JSON.parse(
        new URLSearchParams((await request).postData() ?? '').get('payload') ?? '{}',
      );
      expect(payload).toMatchObject({ type: 'message_action', callback_id: 'invite:sign-shortcut' });
      const modal = page.getByTestId('modal');
      await modal.waitFor();
      expect(await modal.getByTestId('modal-title').textContent()).toBe('Send for signature');
      expect(await modal.textContent()).toContain('contract-ana.pdf');
      await modal.locator('[data-block-id="invitee"][data-action-id="value"]').fill('Ana Shortcut');
      await modal.locator('[data-block-id="email"][data-action-id="value"]').fill('ana@example.com');
      await modal.locator('[data-block-id="phone"][data-action-id="value"]').fill('+31612345601');
      const before = (await dossiers()).length;
      await modal.getByTestId('modal-submit').click();
      await modal.waitFor({ state: 'detached' });
      await stack.drain();
      const made = (await dossiers()).slice(before);
      expect(made).toHaveLength(1);
      expect(made[0]?.files).toHaveLength(1);
      await page.close();
    });

    it('copies a shared file’s link for --file, as "Copy link to file" does', async () => {
      const page = await openConsole();
      await page.getByTestId('file-input').setInputFiles({
        name: 'lease-ben.pdf',
        mimeType: 'application/pdf',
        buffer: await pdf(),
      });
      const post = page.locator('[data-testid="message"][data-kind="user"]', { hasText: 'lease-ben.pdf' });
      await post.waitFor();
      await post.getByTestId('message-actions').selectOption({ label: 'Copy link to file (lease-ben.pdf)' });
      const link = (await post.getByTestId('file').getAttribute('data-permalink')) ?? '';
      expect(link).toMatch(/^https:\/\/sandbox\.slack\.com\/files\/U0ADMIN\/F[A-Z0-9]+\/lease-ben\.pdf$/);
      await page
        .getByTestId('status')
        .filter({ hasText: `Link to lease-ben.pdf copied: ${link}` })
        .waitFor();

      const before = (await dossiers()).length;
      await slash(page, `/wa invite sign "Ben File" ben@example.com +31612345602 --file ${link}`);
      await page.locator('[data-testid="message"]', { hasText: 'Signing for Ben File' }).waitFor();
      await stack.drain();
      expect((await dossiers()).slice(before)).toHaveLength(1);
      await page.close();
    });

    it('the ⚡ menu runs the global shortcut: the launcher opens', async () => {
      const page = await openConsole();
      const request = page.waitForRequest((r) => r.url().endsWith('/slack/events'));
      await page.getByTestId('shortcuts').selectOption({ label: 'WhatsApp onboarding' });
      const payload = JSON.parse(
        new URLSearchParams((await request).postData() ?? '').get('payload') ?? '{}',
      );
      expect(payload).toMatchObject({
        type: 'shortcut',
        callback_id: 'wa:launcher',
        user: { id: 'U0ADMIN' },
      });
      const modal = page.getByTestId('modal');
      await modal.waitFor();
      expect(await modal.getByTestId('modal-title').textContent()).toBe('WhatsApp onboarding');
      await page.close();
    });

    it('shows each message at its simulated time, commands included, with a divider when the day changes', async () => {
      const page = await openConsole();
      const res = await sandboxFetch(stack.url, '/_sandbox/clock', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance: 'P3DT5H' }),
      });
      const { nowMs } = (await res.json()) as { nowMs: number };
      await page.getByTestId('tick').click(); // as a person would: the console learns the clock moved
      await page.getByTestId('status').filter({ hasText: 'Tick (+60 s)' }).waitFor();
      await slash(page, '/wa help');
      const echo = page.getByTestId('command-echo').last();
      await echo.waitFor();
      const [time, day] = await page.evaluate((ms) => {
        const d = new Date(ms + 60_000); // the Tick moved it one more period
        return [
          d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
          d.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
        ];
      }, nowMs);
      expect(await echo.locator('.msg-time').textContent()).toBe(time);
      const answer = page.locator('[data-testid="message"]', { hasText: 'invite sign' }).last();
      await answer.waitFor();
      expect(await answer.locator('.msg-time').first().textContent()).toBe(time);
      // Not the browser's own time: the simulated clock is 3 days and 5 hours ahead.
      const browserTime = await page.evaluate(() =>
        new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      );
      expect(time).not.toBe(browserTime);
      // The divider above today's first message names the simulated day, three days on.
      const dividers = await page.getByTestId('day-divider').allTextContents();
      expect(dividers.at(-1)).toBe(day);
      expect(new Set(dividers).size).toBe(dividers.length);
      await page.close();
    });

    it('renders emoji shortcodes as emoji', async () => {
      const page = await openConsole();
      const token = 'xoxb-sandbox-T0SANDBOX';
      await fetch(`${stack.url}/_sandbox/slack/api/chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          channel: 'C0SANDBOX',
          text: 'emoji check :e-mail: :file_cabinet: :white_check_mark: :hourglass_flowing_sand:',
        }),
      });
      const msg = page.locator('[data-testid="message"]', { hasText: 'emoji check' });
      await msg.waitFor();
      const text = (await msg.locator('.msg-text').textContent()) ?? '';
      expect(text).toBe('emoji check 📧 🗄️ ✅ ⏳');
      expect((await slackMessages(stack.url)).some((m) => m.text?.includes(':e-mail:'))).toBe(true);
      await page.close();
    });
  },
);
