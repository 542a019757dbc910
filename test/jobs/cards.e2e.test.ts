import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRepository } from '../../src/jobs/repository.js';
import { TEMPLATE_IDS } from '../../src/sandbox/providers/cm-channels.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { tenantId } from '../../src/store/keys.js';
import { clickButton, command, sandboxFetch, slackMessages } from '../helpers/slack.js';

/**
 * Issue 12, item 3, for every kind that posts a first message (signing invites, partner
 * invitations, template watches, contact verification): one card per job, rendered from the
 * job's state alone and updated with full blocks on every transition (progress, success,
 * failure, cancel); the thread holds the history; buttons that no longer apply are gone, and a
 * click on an old one answers the clicker what the state is now and changes nothing. On the
 * local stack, with the fake Slack keeping each message as Slack would (a text-only update
 * keeps the old blocks, so a stale card would show).
 */

const T = tenantId('T0SANDBOX');
const CHANNEL = 'C0SANDBOX';
const TEMPLATE = '06c2e210-54a8-417f-adf2-fc767c31c929';
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    env: {
      LOG_LEVEL: 'ERROR',
      TEMPLATE_POLL_SECONDS: '0',
      COMMBOX_RATE_PER_MINUTE: '6000',
      SANDBOX_FAULT_RATE: '0',
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

const jobIdIn = (text: string | undefined) => /job `(j[0-9a-z]+)`/.exec(text ?? '')?.[1] ?? '';

async function start(text: string, user = 'U0ADMIN') {
  const res = await command(stack.url, text, { user_id: user });
  await stack.drain();
  const id = jobIdIn(res.json.text);
  expect(id, res.json.text).not.toBe('');
  return id;
}

async function jobOf(id: string) {
  const job = await new JobRepository().get(T, id);
  if (!job) throw new Error(`no job ${id}`);
  return job;
}

/** The job's card as Slack now shows it, every message sent to its ts, and its thread. */
async function cardOf(id: string) {
  const job = await jobOf(id);
  const ts = job.report.progressTs ?? '';
  const all = await slackMessages(stack.url);
  const versions = all.filter(
    (m) => m.ts === ts && (m.kind === 'chat.postMessage' || m.kind === 'chat.update'),
  );
  const thread = all.filter((m) => m.kind === 'chat.postMessage' && m.thread_ts === ts);
  const current = stack.slack.current(CHANNEL, ts);
  return {
    job,
    versions,
    thread,
    text: String(current?.text ?? ''),
    blocks: JSON.stringify(current?.blocks ?? []),
    /** Top-level posts of this job: only its card (everything else is in the thread). */
    topLevel: all.filter(
      (m) =>
        m.kind === 'chat.postMessage' &&
        !m.thread_ts &&
        m.channel === CHANNEL &&
        String(m.text).includes(job.id) &&
        m.ts !== ts,
    ),
  };
}

/** Every version of a card carried its blocks: Slack keeps the old ones on an update without. */
function expectFullBlocks(versions: Array<Record<string, unknown>>) {
  expect(versions.length).toBeGreaterThan(0);
  for (const v of versions) {
    expect(v.blocksKept, JSON.stringify(v)).toBeUndefined();
    expect(Array.isArray(v.blocks) && (v.blocks as unknown[]).length > 0).toBe(true);
  }
}

describe('a signing invite has one card that always tells the truth', () => {
  it('is posted first, kept current through viewed and signed, with the history in its thread', async () => {
    const id = await start(`invite sign "Card Carla" carla@example.com +31612345601 --template ${TEMPLATE}`);
    let c = await cardOf(id);
    expect(c.text).toContain('Status: :outbox_tray: invite sent, waiting for the invitee');
    expect(c.blocks).toContain(`Job \`${id}\``);
    for (let i = 0; i < 3 && c.job.state !== 'succeeded'; i++) {
      await stack.tick();
      c = await cardOf(id);
    }
    expect(c.job.state).toBe('succeeded');
    expect(c.text).toContain(':white_check_mark: signed');
    expect(c.thread.map((m) => m.text).join('\n')).toContain('Card Carla signed');
    expect(c.topLevel).toHaveLength(0);
    expectFullBlocks(c.versions);
  });

  it('a cancelled invite says so on its card, loses its button, and an old button changes nothing', async () => {
    // +31612340000 is a number the CM.com Sign sandbox cannot reach on WhatsApp: undelivered.
    const id = await start(`invite sign "Card Cora" cora@example.com +31612340000 --template ${TEMPLATE}`);
    await stack.tick();
    let c = await cardOf(id);
    expect(c.text).toContain('could not be delivered');
    expect(c.blocks).toContain('invite:resend-email');

    const cancel = await clickButton(stack.url, 'jobs:cancel', id, {
      user: 'U0ADMIN',
      responseUrlId: 'cards-cancel',
    });
    expect(cancel.status).toBe(200);
    await stack.drain();
    c = await cardOf(id);
    expect(c.job.state).toBe('cancelled');
    expect(c.text).toMatch(/No longer followed\.\* cancelled by <@U0ADMIN>/);
    expect(c.blocks).not.toContain('invite:resend-email');
    expectFullBlocks(c.versions);

    const dossiers = async () =>
      (
        (await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as {
          'cm-sign': { dossiers: Array<{ id: string; invites: unknown[] }> };
        }
      )['cm-sign'].dossiers.find((d) => d.id === c.job.data.dossierId)?.invites.length;
    const invites = await dossiers();
    await clickButton(stack.url, 'invite:resend-email', id, { user: 'U0ADMIN', responseUrlId: 'cards-old' });
    await stack.drain();
    const answer = (await slackMessages(stack.url)).filter((m) => m.kind === 'chat.postEphemeral').at(-1);
    expect(answer?.text).toMatch(/no longer followed \(job cancelled\); nothing was sent/);
    expect(await dossiers()).toBe(invites);
    expect((await cardOf(id)).job.state).toBe('cancelled');
  });
});

describe('a partner invitation has one card', () => {
  it('shows the cancel on the card, with blocks, and the history in the thread', async () => {
    const id = await start('invite partner "Card Corp"');
    let c = await cardOf(id);
    expect(c.text).toContain('waiting for the client to open the link');
    const res = await command(stack.url, `invite cancel ${id}`);
    expect(res.json.text).toMatch(/Cancelling/);
    await stack.drain();
    c = await cardOf(id);
    expect(c.job.state).toBe('cancelled');
    expect(c.text).toMatch(
      /Status: :no_entry_sign: cancelled[\s\S]*No longer followed\.\* the invitation was cancelled/,
    );
    expect(c.thread.map((m) => m.text).join('\n')).toContain('cancelled the invitation');
    expect(c.topLevel).toHaveLength(0);
    expectFullBlocks(c.versions);
  });

  it('a failure on the first step still gets a card that says nothing was created', async () => {
    const id = await start('invite partner "Card Missing" --number pn_missing');
    const c = await cardOf(id);
    expect(c.job.state).toBe('failed');
    expect(c.text).toMatch(/No invitation was created\.[\s\S]*Failed\.\* Zavu refused the request/);
    expect(c.thread.map((m) => m.text).join('\n')).toContain(
      'Partner invitation for Card Missing: Zavu refused',
    );
    expectFullBlocks(c.versions);
  });
});

describe('a template watch has one card', () => {
  it('shows each language while waiting, then the verdict on the same card; reasons go in the thread', async () => {
    const id = await start(`template watch ${TEMPLATE_IDS.appointmentReminder}`);
    let c = await cardOf(id);
    expect(c.text).toMatch(/Watching template \*appointment_reminder\*[\s\S]*pending/);
    for (let i = 0; i < 5 && !/approved in every language/.test(c.text); i++) {
      await stack.tick();
      c = await cardOf(id);
    }
    expect(c.text).toMatch(/approved in every language[\s\S]*en_US.*approved/);
    expect(c.text).not.toContain('Watching template');
    expect(c.thread.filter((m) => /approved in every language/.test(String(m.text)))).toHaveLength(1);
    expect(c.topLevel).toHaveLength(0);
    expectFullBlocks(c.versions);
  });

  it('an unknown template fails on its card, not on a "looking it up" card', async () => {
    const id = await start('template watch 99999999-9999-4999-8999-999999999999');
    const c = await cardOf(id);
    expect(c.job.state).toBe('failed');
    expect(c.text).toMatch(/Failed\.\* There is no template/);
    expect(c.text).not.toMatch(/Looking up/);
    expectFullBlocks(c.versions);
  });

  it('a refused submit ends on a card that names the template and why', async () => {
    const id = await start(`template submit ${TEMPLATE_IDS.accountAlert}`);
    const c = await cardOf(id);
    expect(c.job.state).toBe('failed');
    expect(c.text).toMatch(
      /^Template \*account_alert\* \(`[0-9a-f-]+`\)\.\n:x: \*Failed\.\* it is incomplete/,
    );
    expectFullBlocks(c.versions);
  });
});

describe('a contact verification has one card', () => {
  it('ends on its card with every answer and the caveat', async () => {
    await command(stack.url, 'contact optin +31612345602 --source "web form"');
    const id = await start('contact verify +31612345602');
    const c = await cardOf(id);
    expect(c.job.state).toBe('succeeded');
    expect(c.text).toMatch(
      /Verification with CommBox \(1 number\):\n• \+31•+02: :white_check_mark: CommBox says valid/,
    );
    expect(c.text).toContain('may report any number as valid');
    expectFullBlocks(c.versions);
  });
});
