import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { slackMessages } from '../helpers/slack.js';
import {
  CM_SECRET,
  clickButton,
  control,
  job,
  jobIdIn,
  postWebhook,
  run,
  sandboxState,
  setWebhooks,
  startStack,
  threadOf,
} from './helpers.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack({ INVITES_HTTP_TIMEOUT_MS: '500' });
});
afterAll(async () => {
  await stack?.close();
});
afterEach(async () => {
  await setWebhooks('cm-sign', true);
});

const dossierCount = async () => (await sandboxState(stack))['cm-sign'].dossiers.length;

describe('/wa invite sign', () => {
  it('refuses bad input with the usage line and creates nothing', async () => {
    const before = await dossierCount();
    const cases: Array<[string, RegExp]> = [
      ['invite sign "Ada" not-an-email +31612345678', /not an email address/],
      ['invite sign "Ada" ada@example.com 0612345678', /E\.164/],
      ['invite sign "Ada" ada@example.com +31612345678 --expires 91', /expiry must be between 1 and 90/],
      ['invite sign "Ada" ada@example.com +31612345678 --expires 0', /expiry must be between 1 and 90/],
      [`invite sign "${'A'.repeat(101)}" ada@example.com +31612345678`, /longer than 100/],
      [
        'invite sign "Ada" ada@example.com +31612345678 --template T1 --remind 30 --expires 30',
        /shorter than the expiry/,
      ],
      ['invite sign "Ada" ada@example.com', /missing the phone/],
    ];
    for (const [text, expected] of cases) {
      const reply = await run(stack, text);
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toMatch(expected);
      expect(reply.text).toContain('Usage: `/wa invite sign');
    }
    expect(await dossierCount()).toBe(before);
  });

  it('creates the dossier, sends the WhatsApp invite and follows webhooks to signed', async () => {
    const reply = await run(
      stack,
      'invite sign "Ada Lovelace" ada@example.com +31612345678 --template 06c2e210-54a8-417f-adf2-fc767c31c929 --dossier "Purchase contract" --remind 7 --expires 14',
    );
    const jobId = jobIdIn(reply.text);
    // The asker sees the number as read; the card in the channel masks it.
    expect(reply.text).toContain('+31612345678');

    const dossier = (await sandboxState(stack))['cm-sign'].dossiers.find(
      (d) => d.name === 'Purchase contract',
    );
    expect(dossier).toMatchObject({
      state: 'pending',
      reminderIn: 7 * 86_400,
      template: '06c2e210-54a8-417f-adf2-fc767c31c929',
      invitees: [{ name: 'Ada Lovelace', email: 'ada@example.com', phoneNumber: '+31612345678' }],
    });
    expect(dossier?.invites).toHaveLength(1);
    expect(dossier?.invites[0]).toMatchObject({ channel: 'whatsapp', expiresIn: 14 * 86_400 });

    let t = await threadOf(stack, jobId);
    expect(t.progress).toContain(`Dossier \`${dossier?.id}\` created`);
    expect(t.progress).toMatch(/Invite sent over WhatsApp to \+31•+78; it expires <!date\^\d+\^/);
    expect(t.progress).not.toContain('+31612345678');

    await stack.tick();
    t = await threadOf(stack, jobId);
    expect(t.posts).toEqual([expect.stringContaining('opened the signing invite')]);
    expect(t.progress).toContain('viewed by the invitee');

    await stack.tick();
    t = await threadOf(stack, jobId);
    expect(t.posts.at(-1)).toContain('Ada Lovelace signed');
    expect(t.posts).toHaveLength(2); // invitee + dossier events, one "signed" post
    expect(t.progress).toContain(':white_check_mark: signed');
    // Signed: when it would have expired is no longer said.
    expect(t.progress).toMatch(/Invite sent over WhatsApp to \+31•+78\./);
    expect(t.progress).not.toContain('expires');
    expect(t.job.state).toBe('succeeded');

    const status = await run(stack, `invite status ${dossier?.id}`);
    expect(status.text).toContain('Signing invite for Ada Lovelace');
    expect(status.text).toContain('no longer followed (job succeeded)');
  });

  it('offers email when WhatsApp is undelivered, and the button resends through the job', async () => {
    const reply = await run(
      stack,
      'invite sign "Bob Byron" bob@example.com +31612340000 --template 06c2e210-54a8-417f-adf2-fc767c31c929',
    );
    const jobId = jobIdIn(reply.text);
    await stack.tick();
    let t = await threadOf(stack, jobId);
    expect(t.posts.at(-1)).toMatch(/could not be delivered.*b•••@example\.com/);
    const offer = t.all.find(
      (m) => m.thread_ts === t.job.report.progressTs && /could not be delivered/.test(m.text ?? ''),
    );
    // The thread is history: the button is on the card, while it applies (issue 12, item 3).
    expect(JSON.stringify(offer?.blocks)).not.toContain('invite:resend-email');
    const card = () => stack.slack.current('C0SANDBOX', t.job.report.progressTs ?? '');
    expect(JSON.stringify(card()?.blocks)).toContain('invite:resend-email');
    expect(card()?.text).toContain('could not be delivered');

    const click = await clickButton(stack, 'invite:resend-email', jobId);
    expect(click.status).toBe(200);
    await stack.drain();
    const dossier = (await sandboxState(stack))['cm-sign'].dossiers.find(
      (d) => d.id === t.job.data.dossierId,
    );
    expect(dossier?.invites.map((i: { channel: string }) => i.channel)).toEqual(['whatsapp', 'email']);
    t = await threadOf(stack, jobId);
    expect(t.posts.at(-1)).toContain('<@U0ADMIN> re-sent the invite by email');

    // Once used, the button is gone from the card; a click on an old copy answers the state now,
    // to the clicker alone, and sends nothing more.
    expect(JSON.stringify(card()?.blocks)).not.toContain('invite:resend-email');
    expect(card()?.text).toContain('invite re-sent by email');
    const before = (await threadOf(stack, jobId)).posts.length;
    await clickButton(stack, 'invite:resend-email', jobId);
    await stack.drain();
    expect(
      (await sandboxState(stack))['cm-sign'].dossiers.find((d) => d.id === dossier?.id)?.invites,
    ).toHaveLength(2);
    const answer = (await slackMessages(stack.url)).filter((m) => m.kind === 'chat.postEphemeral').at(-1);
    expect(answer?.text).toMatch(
      /now invite re-sent by email, waiting for the invitee, and it was already sent by email; that button no longer applies, so nothing was sent/,
    );
    expect((await threadOf(stack, jobId)).posts).toHaveLength(before);

    await stack.tick(); // email viewed
    await stack.tick(); // signed
    t = await threadOf(stack, jobId);
    expect(t.job.state).toBe('succeeded');
  });

  it('catches up by polling when webhooks are lost', async () => {
    await setWebhooks('cm-sign', false);
    const reply = await run(
      stack,
      'invite sign "Cleo Curie" cleo@example.com +31612345671 --template 06c2e210-54a8-417f-adf2-fc767c31c929',
    );
    const jobId = jobIdIn(reply.text);
    await stack.tick();
    await stack.tick(); // signed at CM, but nobody told us
    let t = await threadOf(stack, jobId);
    expect(t.job.state).toBe('waiting');
    expect(t.progress).toContain('waiting for the invitee');

    stack.clock.advance(16 * 60_000); // the scheduled poll comes due
    await stack.tick();
    t = await threadOf(stack, jobId);
    expect(t.posts.at(-1)).toContain('Cleo Curie signed');
    expect(t.job.state).toBe('succeeded');
  });

  it('reminds the requester before expiry, then reports the expiry', async () => {
    const reply = await run(
      stack,
      'invite sign "Dora Dirac" dora@example.com +31612345672 --template 06c2e210-54a8-417f-adf2-fc767c31c929 --expires 3',
    );
    const jobId = jobIdIn(reply.text);
    const start = stack.clock.now();
    stack.clock.advance(start + 2 * 86_400_000 - stack.clock.now()); // 1 day left: inside the 2-day reminder window
    await setWebhooks('cm-sign', false); // the sandbox must not move the invite on
    await stack.tick();
    let t = await threadOf(stack, jobId);
    expect(
      t.posts.filter((p) => p.includes(':alarm_clock: <@U0ADMIN> Dora Dirac has not signed')),
    ).toHaveLength(1);

    await setWebhooks('cm-sign', true);
    stack.clock.advance(start + 3 * 86_400_000 + 120_000 - stack.clock.now());
    await stack.tick();
    t = await threadOf(stack, jobId);
    expect(t.posts).toContainEqual(expect.stringContaining('expired before Dora Dirac signed'));
    // The thread says it once: the step's note is the failure's words, not followed by a second one.
    expect(t.posts.filter((p) => /expired/.test(p))).toHaveLength(1);
    expect(t.job.state).toBe('failed');
    expect(t.progress).toMatch(/expired .*unsigned/);
  });

  it('refuses forged webhooks and processes a replayed one once', async () => {
    const reply = await run(
      stack,
      'invite sign "Emil Euler" emil@example.com +31612345673 --template 06c2e210-54a8-417f-adf2-fc767c31c929',
    );
    const jobId = jobIdIn(reply.text);
    const dossierId = (await threadOf(stack, jobId)).job.data.dossierId as string;
    const event = {
      id: 'evt-viewed-1',
      type: 'dossier.invite.viewed',
      data: { dossier: { id: dossierId } },
    };

    expect(await postWebhook('cm-sign', event, () => ({}))).toBe(401);
    expect(
      await postWebhook('cm-sign', event, () => ({ 'x-webhook-secret': 'wrong-secret-0123456789' })),
    ).toBe(401);
    await stack.drain();
    expect((await threadOf(stack, jobId)).posts).toHaveLength(0);

    expect(await postWebhook('cm-sign', event, () => ({ 'x-webhook-secret': CM_SECRET }))).toBe(200);
    expect(await postWebhook('cm-sign', event, () => ({ 'x-webhook-secret': CM_SECRET }))).toBe(200);
    await stack.drain();
    const t = await threadOf(stack, jobId);
    expect(t.posts).toEqual([expect.stringContaining('Emil Euler opened the signing invite')]);
  });

  it('does not send a second WhatsApp invite when the answer to the first was lost', async () => {
    await control('cm-sign', 'lose-next-invites');
    const reply = await run(
      stack,
      'invite sign "Gus Gauss" gus@example.com +31612345675 --template 06c2e210-54a8-417f-adf2-fc767c31c929 --dossier "Lost answer"',
    );
    const jobId = jobIdIn(reply.text);
    expect((await threadOf(stack, jobId)).job.effects['invite-whatsapp']?.status).toBe('started');

    stack.clock.advance(60 * 60_000);
    await stack.tick(); // the retry sees the dossier out of draft: the invite went out
    const dossiers = (await sandboxState(stack))['cm-sign'].dossiers.filter((d) => d.name === 'Lost answer');
    expect(dossiers).toHaveLength(1);
    expect(dossiers[0]?.invites).toHaveLength(1);
    const t = await threadOf(stack, jobId);
    expect(t.progress).toContain('Invite sent over WhatsApp');
  });

  it('says what exists when CM.com refuses the invite after creating the dossier', async () => {
    await control('cm-sign', 'refuse-next-invites');
    const reply = await run(
      stack,
      'invite sign "Hal Hopper" hal@example.com +31612345676 --template 06c2e210-54a8-417f-adf2-fc767c31c929 --dossier "Refused invite"',
    );
    const jobId = jobIdIn(reply.text);
    const t = await threadOf(stack, jobId);
    expect(t.job.state).toBe('failed');
    const [dossier] = (await sandboxState(stack))['cm-sign'].dossiers.filter(
      (d) => d.name === 'Refused invite',
    );
    expect(dossier?.state).toBe('draft');
    // The card names the dossier that exists, a draft at CM.com, and what CM.com said.
    expect(t.progress).not.toContain('No dossier was created');
    expect(t.progress).toContain(`Dossier \`${dossier?.id}\` was created and stays a draft at CM.com Sign`);
    expect(t.progress).toContain('No invite was sent');
    expect(t.progress).toContain('WhatsApp invites are not enabled for this account');
    expect(t.progress).not.toMatch(/\.\./);
  });

  it('shows the invite by job id', async () => {
    const reply = await run(
      stack,
      'invite sign "Fay Fermi" fay@example.com +31612345674 --template 06c2e210-54a8-417f-adf2-fc767c31c929',
    );
    const jobId = jobIdIn(reply.text);
    const before = (await slackMessages(stack.url)).length;
    const status = await run(stack, `invite status ${jobId}`, { user_id: 'U0MEMBER' });
    // Read-only: the asker alone sees the answer (the command's ephemeral reply), with a link
    // to the invite's card and thread (Slack's permalink of the card).
    expect(status.response_type).toBe('ephemeral');
    expect(status.text).toContain('Signing invite for Fay Fermi');
    expect(status.text).toContain('invite sent, waiting for the invitee');
    expect(status.text).toContain('fresh status');
    const cardTs = (await job(jobId)).report.progressTs ?? '';
    expect(cardTs).not.toBe('');
    expect(status.text).toContain(
      `<https://sandbox.slack.com/archives/C0SANDBOX/p${cardTs.replace('.', '')}|the invite's card and thread>`,
    );
    // Nothing changed at CM.com, so nothing was posted in the channel or its thread.
    const since = (await slackMessages(stack.url)).slice(before);
    expect(since.filter((m) => m.kind === 'chat.postMessage')).toHaveLength(0);
    const unknown = await run(stack, 'invite status j00000000zzzz');
    expect(unknown.text).toMatch(/do not know an invite/);
    const cancel = await run(stack, `invite cancel ${jobId}`);
    expect(cancel.text).toMatch(/cancels Zavu partner invitations/);
    expect((await slackMessages(stack.url)).length).toBeGreaterThan(0);
  });
});
