import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_TEMPLATE_ID } from '../../src/sandbox/providers/cm-sign.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { launchChromium, noBrowser } from '../helpers/browser.js';
import { slackMessages } from '../helpers/slack.js';

// A newcomer with `npm start` defaults, in the console: time passes with the Tick button and the
// clock panel, and every documented flow reaches its end in a handful of clicks. Assertions read
// what the app sent to the fake Slack; the clicks and the typing are the person's.
const APPOINTMENT_REMINDER = '11111111-1111-4111-8111-000000000003';

let stack: LocalStack;
let browser: Browser;
let page: Page;
const wall: Record<string, number> = {};
const clicks: Record<string, number> = {};

async function slash(text: string): Promise<void> {
  const before = (await slackMessages(stack.url)).length;
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
  // The ack arrives, and the work the command started finishes.
  await expect
    .poll(async () => (await slackMessages(stack.url)).length, { timeout: 15_000 })
    .toBeGreaterThan(before);
  await stack.drain();
}

const texts = async () =>
  (await slackMessages(stack.url)).map((m) => `${m.text ?? ''} ${JSON.stringify(m.blocks ?? '')}`);

/** Clicks `button` until `done` holds; returns how many clicks it took (at most `max`). */
async function clickUntil(testid: string, done: () => Promise<boolean>, max: number): Promise<number> {
  for (let clicks = 1; clicks <= max; clicks++) {
    const status = page.getByTestId('status');
    const before = await status.textContent();
    await page.getByTestId(testid).click();
    // The move's own answer ("Tick (+60 s): now …", "+1 day: now … · N scheduler period(s) ran"),
    // not any change of the line: the line goes back to idle 8 s after the previous answer, which
    // can fall in the middle of a long move and would end the wait early.
    await expect
      .poll(
        async () => {
          const text = (await status.textContent()) ?? '';
          return text !== before && /: now |failed/.test(text);
        },
        { timeout: 90_000 },
      )
      .toBe(true);
    await stack.drain();
    if (await done()) return clicks;
  }
  return Number.POSITIVE_INFINITY;
}

describe.skipIf(noBrowser)('console clock (headless Chromium)', { timeout: 400_000 }, () => {
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack({ port: 0 }), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // A +1 day move runs every due step of the day (a signing invite polls every 15 min): give it time.
    page.setDefaultTimeout(90_000);
    await page.goto(stack.consoleUrl);
    await page.locator('[data-testid="composer"]:enabled').waitFor();
  }, 60_000);

  afterAll(async () => {
    // Wall time per flow, for the README (not asserted: speed lives in benchmarks).
    console.log(JSON.stringify({ consoleClockWallMs: wall, clicks }));
    await browser?.close();
    await stack?.close();
  });

  it('shows the simulated time and what is due, and says what the sandbox is scripted to do', async () => {
    await expect
      .poll(() => page.getByTestId('sim-time').textContent())
      .toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    const tryIt = page.getByTestId('try-it');
    await tryIt.getByText('123456', { exact: false }).first().waitFor();
    expect(await tryIt.textContent()).toMatch(/ending 0000/);
    expect(await tryIt.textContent()).toMatch(/starting with "invalid"/);
    // A sample command is one click away and runs as typed.
    await tryIt.getByRole('button', { name: '/wa template list' }).click();
    await page.getByTestId('messages').getByText('welcome_message').first().waitFor();
  });

  it('a deployment reaches CODE_SENT, then READY with the scripted code, in a few Ticks', async () => {
    const started = Date.now();
    await slash('/wa deploy start +31612345679 --waba 1234567890 --cert AbCdEFGHiJK123456');
    const codeSent = await clickUntil(
      'tick',
      async () => (await texts()).some((t) => t.includes('CODE_SENT')),
      12,
    );
    expect(codeSent).toBeLessThanOrEqual(12);
    clicks.codeSentTicks = codeSent;
    const id = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(
      (await texts()).find((t) => t.includes('CODE_SENT')) ?? '',
    )?.[1];
    expect(id).toBeDefined();
    await slash(`/wa deploy verify ${id} 123456`);
    const ready = await clickUntil('tick', async () => (await texts()).some((t) => t.includes('READY')), 12);
    expect(ready).toBeLessThanOrEqual(12);
    clicks.readyTicks = ready;
    wall.deployment = Date.now() - started;
  });

  it('a template watch gets its verdict with one +1 h click', async () => {
    const started = Date.now();
    await slash(`/wa template watch ${APPOINTMENT_REMINDER}`);
    const verdict = async () =>
      (await texts()).some((t) => /appointment_reminder/.test(t) && /approved/i.test(t));
    expect(await clickUntil('advance-1h', verdict, 1)).toBe(1);
    wall.templateWatch = Date.now() - started;
  });

  it('a partner invite is completed in a few Ticks', async () => {
    const started = Date.now();
    await slash('/wa invite partner "Acme Foods" --email ops@acme.example');
    const completed = await clickUntil(
      'tick',
      async () => (await texts()).some((t) => t.includes(':white_check_mark:') && t.includes('Acme Foods')),
      12,
    );
    expect(completed).toBeLessThanOrEqual(12);
    clicks.partnerInviteTicks = completed;
    wall.partnerInvite = Date.now() - started;
  });

  it('a signing invite is signed in a few Ticks', async () => {
    const started = Date.now();
    await slash(`/wa invite sign "Ana Silva" ana@example.com +31612345678 --template ${SANDBOX_TEMPLATE_ID}`);
    const signed = await clickUntil(
      'tick',
      async () => (await texts()).some((t) => t.includes('Ana Silva signed')),
      12,
    );
    expect(signed).toBeLessThanOrEqual(12);
    clicks.signingInviteTicks = signed;
    wall.signingInviteSigned = Date.now() - started;
  });

  it("a signing invite's reminder and then its expiry are seen with +1 day clicks", async () => {
    const started = Date.now();
    // The sandbox must not sign it: a number ending 0000 is never delivered over WhatsApp.
    await slash(
      `/wa invite sign "Dora Dirac" dora@example.com +31612340000 --template ${SANDBOX_TEMPLATE_ID} --expires 3`,
    );
    const reminded = await clickUntil(
      'advance-1d',
      async () => (await texts()).some((t) => t.includes(':alarm_clock:') && t.includes('Dora Dirac')),
      3,
    );
    expect(reminded).toBeLessThanOrEqual(3);
    clicks.reminderDayClicks = reminded;
    const expired = await clickUntil(
      'advance-1d',
      async () => (await texts()).some((t) => /Dora Dirac/.test(t) && /expired/i.test(t)),
      3,
    );
    expect(expired).toBeLessThanOrEqual(3);
    clicks.expiryDayClicks = expired;
    wall.signingInvite = Date.now() - started;
    if (process.env.SCREENSHOT_DIR)
      await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/console-clock.png` });
  });
});
