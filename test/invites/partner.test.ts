import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { slackMessages } from '../helpers/slack.js';
import {
  control,
  jobIdIn,
  postWebhook,
  run,
  sandboxState,
  setWebhooks,
  startStack,
  threadOf,
  zavuSignature,
} from './helpers.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack({ INVITES_HTTP_TIMEOUT_MS: '500' });
});
afterAll(async () => {
  await stack?.close();
});
afterEach(async () => {
  await setWebhooks('zavu', true);
});

const invitations = async () => (await sandboxState(stack)).zavu.invitations;

describe('/wa invite partner', () => {
  it('refuses bad input with the usage line and creates nothing', async () => {
    const before = (await invitations()).length;
    const cases: Array<[string, RegExp]> = [
      ['invite partner "Acme" --days 31', /validity must be between 1 and 30/],
      ['invite partner "Acme" --days 0', /validity must be between 1 and 30/],
      ['invite partner "Acme" --email nope', /not an email address/],
      ['invite partner "Acme" --phone 12345', /E\.164/],
      ['invite partner "Acme" --countries USA,MX', /"USA" is not a two-letter ISO country code/],
      [`invite partner "${'x'.repeat(101)}"`, /client name is longer than 100/],
      ['invite partner', /missing the client name/],
      ['invite partner "Acme" --number "pn bad"', /not a valid Zavu phone number id/],
    ];
    for (const [text, expected] of cases) {
      const reply = await run(stack, text);
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toMatch(expected);
      expect(reply.text).toContain('Usage: `/wa invite partner');
    }
    expect(await invitations()).toHaveLength(before);
  });

  it('gives the link to the requester only and follows the invitation to completed', async () => {
    const reply = await run(
      stack,
      'invite partner "Acme Corp" --email ops@acme.test --phone +14155551234 --days 10 --countries us,MX --number pn_sandbox_1',
      { user_id: 'U0MEMBER' },
    );
    const jobId = jobIdIn(reply.text);
    const inv = (await invitations()).find((i) => i.clientName === 'Acme Corp');
    expect(inv).toMatchObject({
      status: 'pending',
      clientEmail: 'ops@acme.test',
      clientPhone: '+14155551234',
      phoneNumberId: 'pn_sandbox_1',
      allowedPhoneCountries: ['US', 'MX'],
    });
    expect(Date.parse(inv?.expiresAt) - Date.parse(inv?.createdAt)).toBe(10 * 86_400_000);

    const all = await slackMessages(stack.url);
    const withLink = all.filter((m) => JSON.stringify(m).includes(inv?.url));
    expect(withLink).toHaveLength(1);
    expect(withLink[0]).toMatchObject({ kind: 'chat.postEphemeral', user: 'U0MEMBER', channel: 'C0SANDBOX' });

    let t = await threadOf(stack, jobId);
    expect(t.progress).toContain(`Invitation \`${inv?.id}\` created`);
    expect(t.progress).toContain('waiting for the client');

    await stack.tick();
    t = await threadOf(stack, jobId);
    expect(t.posts).toEqual([expect.stringContaining('is connecting their account')]);

    await stack.tick();
    t = await threadOf(stack, jobId);
    const senderId = (await invitations()).find((i) => i.id === inv?.id)?.senderId;
    expect(senderId).toMatch(/^snd_/);
    expect(t.posts.at(-1)).toContain(`sender \`${senderId}\``);
    expect(t.progress).toContain(':white_check_mark: connected');
    expect(t.job.state).toBe('succeeded');

    const status = await run(stack, `invite status ${inv?.id}`);
    expect(status.text).toContain('Partner invitation for Acme Corp');
    expect(status.text).toContain(senderId);
    expect(status.text).not.toContain(inv?.url);
  });

  it('does not create a second invitation when the answer to the first was lost', async () => {
    await control('zavu', 'lose-next-create');
    const reply = await run(stack, 'invite partner "Lost Answer Ltd" --email la@example.com');
    const jobId = jobIdIn(reply.text);
    let t = await threadOf(stack, jobId);
    expect(t.job.state).toBe('waiting'); // timed out: will retry
    expect(t.job.effects.invitation?.status).toBe('started');
    expect((await invitations()).filter((i) => i.clientName === 'Lost Answer Ltd')).toHaveLength(1);

    stack.clock.advance(60 * 60_000);
    await stack.tick(); // the retry reconciles by listing invitations
    const mine = (await invitations()).filter((i) => i.clientName === 'Lost Answer Ltd');
    expect(mine).toHaveLength(1);
    t = await threadOf(stack, jobId);
    expect(t.job.data.invitationId).toBe(mine[0]?.id);
    const links = (await slackMessages(stack.url)).filter((m) => JSON.stringify(m).includes(mine[0]?.url));
    expect(links).toHaveLength(1);
    expect(links[0]?.kind).toBe('chat.postEphemeral');
  });

  it('refuses forged and stale webhooks, and handles a replay once', async () => {
    const reply = await run(stack, 'invite partner "Globex"');
    const jobId = jobIdIn(reply.text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    const event = {
      id: 'evt_replay_1',
      type: 'invitation.status_changed',
      timestamp: stack.clock.now(),
      senderId: null,
      projectId: 'prj_sandbox',
      data: { id, status: 'in_progress' },
    };
    expect(await postWebhook('zavu', event, () => ({}))).toBe(401);
    expect(
      await postWebhook('zavu', event, (raw) => ({
        'x-zavu-signature': zavuSignature(raw, undefined, 'whsec_forged'),
      })),
    ).toBe(401);
    expect(
      await postWebhook('zavu', event, (raw) => ({
        'x-zavu-signature': zavuSignature(raw, Math.floor(stack.clock.now() / 1000) - 301),
      })),
    ).toBe(401);
    await stack.drain();
    expect((await threadOf(stack, jobId)).posts).toHaveLength(0);

    const sign = (raw: string) => ({ 'x-zavu-signature': zavuSignature(raw) });
    expect(await postWebhook('zavu', event, sign)).toBe(200);
    await stack.drain();
    expect(await postWebhook('zavu', event, sign)).toBe(200);
    await stack.drain();
    const t = await threadOf(stack, jobId);
    expect(t.posts).toEqual([expect.stringContaining('Globex opened the link')]);
  });

  it('cancels through a job, and says so when there is nothing left to cancel', async () => {
    const reply = await run(stack, 'invite partner "Initech"');
    const jobId = jobIdIn(reply.text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    const answer = await run(stack, `invite cancel ${id}`);
    expect(answer.text).toMatch(/Cancelling the partner invitation for \*Initech\*/);
    expect((await invitations()).find((i) => i.id === id)?.status).toBe('cancelled');
    const t = await threadOf(stack, jobId);
    expect(t.posts.some((p) => p.includes('<@U0ADMIN> cancelled the invitation'))).toBe(true);
    expect(t.job.state).toBe('cancelled');
    expect(t.progress).toContain(':no_entry_sign: cancelled');

    const again = await run(stack, `invite cancel ${jobId}`);
    expect(again.text).toMatch(/Nothing to cancel: that invitation is already cancelled/);
  });

  it('shows the provider refusal in plain words', async () => {
    const reply = await run(stack, 'invite partner "Umbrella" --number pn_missing');
    const jobId = jobIdIn(reply.text);
    const t = await threadOf(stack, jobId);
    expect(t.job.state).toBe('failed');
    expect(t.progress).toContain(
      'Partner invitation for Umbrella: Zavu refused the request (phone_number_not_found)',
    );
    expect(t.progress).toContain('Phone number pn_missing was not found');
    expect((await invitations()).some((i) => i.clientName === 'Umbrella')).toBe(false);
  });

  it('catches up by polling when webhooks are lost, and reports expiry', async () => {
    await setWebhooks('zavu', false);
    const a = jobIdIn((await run(stack, 'invite partner "Hooli"')).text);
    const b = jobIdIn((await run(stack, 'invite partner "Stark" --days 1')).text);
    await stack.tick(); // both in_progress at Zavu, unheard
    let t = await threadOf(stack, a);
    expect(t.posts).toHaveLength(0);

    stack.clock.advance(16 * 60_000);
    await stack.tick(); // Hooli/Stark complete at Zavu; the sweep polls them
    t = await threadOf(stack, a);
    expect(t.posts.at(-1)).toMatch(/Hooli connected their WhatsApp Business account: sender `snd_/);
    expect(t.job.state).toBe('succeeded');
    expect((await threadOf(stack, b)).job.state).toBe('succeeded');

    await setWebhooks('zavu', true);
    const c = jobIdIn((await run(stack, 'invite partner "Wayne" --days 1')).text);
    stack.clock.advance(86_400_000 + 120_000);
    await stack.tick();
    t = await threadOf(stack, c);
    expect(t.posts.at(-1)).toContain('expired before Wayne connected');
    expect(t.job.state).toBe('failed');
  });
});
