import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { removeCredentials, setCredentials } from '../../src/providers/credentials.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { slackMessages } from '../helpers/slack.js';
import {
  control,
  fetchWebhook,
  jobIdIn,
  postWebhook,
  run,
  sandboxState,
  setWebhooks,
  startStack,
  T,
  threadOf,
  zavuEvent,
  zavuSignature,
} from './helpers.js';

/** Our side fails to deliver (as a store outage would) this many times. */
const failNextDelivery = vi.hoisted(() => ({ count: 0 }));
/** What reached deliverEvent (the job's inbox), newest last. */
const delivered = vi.hoisted(() => ({ events: [] as unknown[] }));
vi.mock('../../src/jobs/deliver.js', async (original) => {
  const actual = await original<typeof import('../../src/jobs/deliver.js')>();
  return {
    ...actual,
    deliverEvent: (...args: Parameters<typeof actual.deliverEvent>) => {
      delivered.events.push(args[3]);
      if (failNextDelivery.count > 0) {
        failNextDelivery.count -= 1;
        return Promise.reject(new Error('store unavailable'));
      }
      return actual.deliverEvent(...args);
    },
  };
});

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
      ['invite partner "Acme" --countries USA,MX', /"USA" is not a two-letter ISO 3166 country code/],
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
    expect(senderId).toMatch(/^sender_/);
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

  it('moves the job on an event signed v2, v1 or v1+v2 with the workspace secret, shaped as Zavu documents it', async () => {
    // A body-only v1 is taken only from a workspace whose Zavu webhook signs that way (/wa connect).
    await setCredentials(T, 'zavu', { ...SANDBOX_CREDENTIALS.zavu, webhookSigning: 'v1-body' }, 'U0ADMIN');
    onTestFinished(() => removeCredentials(T, 'zavu').then(() => undefined));
    for (const version of ['v2', 'v1', 'v1+v2'] as const) {
      await setWebhooks('zavu', false); // only our hand-made events reach the app
      const jobId = jobIdIn((await run(stack, `invite partner "Signed ${version}"`)).text);
      const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
      const event = zavuEvent(id, 'pending', 'in_progress', { clientName: `Signed ${version}` });
      const status = await postWebhook('zavu', event, (raw) => ({
        'x-zavu-signature': zavuSignature(raw, undefined, undefined, version),
      }));
      expect(status, version).toBe(200);
      await stack.drain();
      const t = await threadOf(stack, jobId);
      expect(t.posts, version).toEqual([expect.stringContaining(`Signed ${version} opened the link`)]);
      expect(t.job.data.status).toBe('in_progress');
    }
  });

  it('changes nothing on a wrong secret, a stale or future t, a bad body or a replay', async () => {
    await setWebhooks('zavu', false);
    const reply = await run(stack, 'invite partner "Globex"');
    const jobId = jobIdIn(reply.text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    const event = zavuEvent(id, 'pending', 'in_progress', {}, 'evt_replay_1');
    const now = Math.floor(stack.clock.now() / 1000);
    expect(await postWebhook('zavu', event, () => ({}))).toBe(401);
    for (const version of ['v1', 'v2', 'v1+v2'] as const) {
      for (const header of [
        zavuSignature(JSON.stringify(event), undefined, 'whsec_forged', version),
        zavuSignature(JSON.stringify(event), now - 360, undefined, version),
        zavuSignature(JSON.stringify(event), now + 360, undefined, version),
      ]) {
        expect(await postWebhook('zavu', event, () => ({ 'x-zavu-signature': header }))).toBe(401);
      }
    }
    // Signed, but the old invented shape (the invitation object as data) is not Zavu's.
    const invented = { ...event, id: 'evt_invented', data: { id, status: 'in_progress' } };
    expect(await postWebhook('zavu', invented, (raw) => ({ 'x-zavu-signature': zavuSignature(raw) }))).toBe(
      400,
    );
    await stack.drain();
    let t = await threadOf(stack, jobId);
    expect(t.posts).toHaveLength(0);
    expect(t.job.data.status).toBe('pending');

    const sign = (raw: string) => ({ 'x-zavu-signature': zavuSignature(raw) });
    expect(await postWebhook('zavu', event, sign)).toBe(200);
    await stack.drain();
    // The replay of a processed event: answered, changes nothing (event id).
    const replay = await fetchWebhook(event, sign);
    expect(replay).toEqual({ status: 200, body: expect.objectContaining({ duplicate: true }) });
    await stack.drain();
    t = await threadOf(stack, jobId);
    expect(t.posts).toEqual([expect.stringContaining('Globex opened the link')]);
  });

  it('answers 400, on every retry, to a signed event nested deeper than any Zavu event, and changes nothing', async () => {
    await setWebhooks('zavu', false);
    const jobId = jobIdIn((await run(stack, 'invite partner "Deep Nest"')).text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { d: [deep] };
    const event = zavuEvent(id, 'pending', 'in_progress', { extra: deep }, 'evt_deep');
    const sign = (raw: string) => ({ 'x-zavu-signature': zavuSignature(raw) });
    expect(await postWebhook('zavu', event, sign)).toBe(400);
    stack.clock.advance(60_000); // Zavu's retry, re-signed: the same answer
    expect(await postWebhook('zavu', event, sign)).toBe(400);
    await stack.drain();
    const t = await threadOf(stack, jobId);
    expect(t.posts).toHaveLength(0);
    expect(t.job.data.status).toBe('pending');
  });

  it("keeps only the documented fields of an event in the job's inbox", async () => {
    await setWebhooks('zavu', false);
    const jobId = jobIdIn((await run(stack, 'invite partner "Known Fields"')).text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    const event = zavuEvent(id, 'pending', 'completed', {
      clientName: 'Known Fields',
      senderId: 'sender_1',
      connectedAccount: { id: '1234', channel: 'whatsapp', name: 'KF', tracking: { a: { b: [1, 2] } } },
      unknownBlob: { x: { y: { z: 'junk' } } },
    });
    const sign = (raw: string) => ({ 'x-zavu-signature': zavuSignature(raw) });
    delivered.events.length = 0;
    expect(await postWebhook('zavu', event, sign)).toBe(200);
    expect(delivered.events).toEqual([
      {
        type: 'invitation.status_changed',
        data: {
          invitationId: id,
          previousStatus: 'pending',
          currentStatus: 'completed',
          clientName: 'Known Fields',
          clientEmail: null,
          connectionType: 'whatsapp_waba',
          senderId: 'sender_1',
          connectedAccount: { id: '1234', channel: 'whatsapp', name: 'KF' },
        },
      },
    ]);
    await stack.drain();
  });

  it('refuses a body-only v1 signature from a workspace that did not say its Zavu webhook signs that way', async () => {
    await setWebhooks('zavu', false);
    const jobId = jobIdIn((await run(stack, 'invite partner "Replay Ltd"')).text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    const event = zavuEvent(id, 'pending', 'in_progress', {}, 'evt_body_only');
    // Its MAC covers the body only, so a captured one verifies again under any fresh t.
    const bodyOnly = (raw: string) => ({
      'x-zavu-signature': zavuSignature(raw, undefined, undefined, 'v1'),
    });
    expect(await postWebhook('zavu', event, bodyOnly)).toBe(401);
    await stack.drain();
    const t = await threadOf(stack, jobId);
    expect(t.posts).toHaveLength(0);
    expect(t.job.data.status).toBe('pending');
  });

  it("shows a provider's text without the characters that would reverse or hide it", async () => {
    await setWebhooks('zavu', false);
    const jobId = jobIdIn((await run(stack, 'invite partner "Bidi Reason"')).text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    const reason = 'quota\u202Edelexe\u2066\u200B\u0085_hit';
    const event = zavuEvent(id, 'in_progress', 'failed', { failureReason: reason });
    expect(await postWebhook('zavu', event, (raw) => ({ 'x-zavu-signature': zavuSignature(raw) }))).toBe(200);
    await stack.drain();
    const posts = (await threadOf(stack, jobId)).posts.join('\n');
    expect(posts).toContain('Zavu reported `quotadelexe_hit`');
    expect(posts).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u0085]/);
  });

  it('processes the retry of a delivery that failed on our side', async () => {
    await setWebhooks('zavu', false);
    const jobId = jobIdIn((await run(stack, 'invite partner "Retry Corp"')).text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    const event = zavuEvent(id, 'pending', 'in_progress', {}, 'evt_retry_after_failure');
    const sign = (raw: string) => ({ 'x-zavu-signature': zavuSignature(raw) });
    failNextDelivery.count = 1;
    expect(await postWebhook('zavu', event, sign)).toBe(500);
    await stack.drain();
    expect((await threadOf(stack, jobId)).posts).toHaveLength(0);
    // Zavu retries after a minute, re-signed: processed, not dropped as a duplicate.
    stack.clock.advance(60_000);
    expect(await fetchWebhook(event, sign)).toEqual({
      status: 200,
      body: { ok: true, delivered: true },
    });
    await stack.drain();
    expect((await threadOf(stack, jobId)).posts).toEqual([
      expect.stringContaining('Retry Corp opened the link'),
    ]);
  });

  it('tells the requester why an attempt failed, keeps following, and reports the connected account', async () => {
    const jobId = jobIdIn((await run(stack, 'invite partner "Fail Then Win"')).text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    await control('zavu', `invitations/${id}/fail`, { failureReason: 'fb_not_authorized' });
    await stack.tick(); // in_progress
    await stack.tick(); // failed
    let t = await threadOf(stack, jobId);
    expect(t.posts.at(-1)).toContain(
      "Fail Then Win's attempt did not finish: they did not grant the permissions Meta asked for. The same link still works",
    );
    expect(t.job.state).toBe('waiting');
    expect(t.progress).toContain('the same link still works');
    await stack.tick(); // the client retries: in_progress
    await stack.tick(); // completed
    t = await threadOf(stack, jobId);
    expect(t.posts.at(-2)).toContain('Fail Then Win is trying the link again');
    const inv = (await invitations()).find((i) => i.id === id);
    expect(t.posts.at(-1)).toContain(
      `connected their WhatsApp Business account *Fail Then Win* (phone number id \`${inv?.connectedAccount.id}\`): sender \`${inv?.senderId}\``,
    );
    expect(t.job.state).toBe('succeeded');
  });

  it('creates a Messenger invitation with --channel messenger and refuses WhatsApp-only options with it', async () => {
    const refused = await run(stack, 'invite partner "Page Co" --channel messenger --countries US');
    expect(refused.text).toContain('--number and --countries apply to WhatsApp invitations only');
    const jobId = jobIdIn((await run(stack, 'invite partner "Page Co" --channel messenger')).text);
    const id = (await threadOf(stack, jobId)).job.data.invitationId as string;
    expect((await invitations()).find((i) => i.id === id)?.connectionType).toBe('messenger');
    await stack.tick();
    await stack.tick();
    const t = await threadOf(stack, jobId);
    expect(t.posts.at(-1)).toContain('Page Co connected their Facebook Page *Page Co* for Messenger');
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
    // A failure before anything was created: the card says so (not "Creating…"), the thread has the words.
    expect(t.progress).toMatch(/No invitation was created\.[\s\S]*Failed\.\* Zavu refused the request/);
    expect(t.progress).not.toMatch(/Creating the invitation|waiting for the client/);
    expect(t.posts).toContainEqual(
      expect.stringContaining(
        'Partner invitation for Umbrella: Zavu refused the request (phone_number_not_found)',
      ),
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
    expect(t.posts.at(-1)).toMatch(
      /Hooli connected their WhatsApp Business account \*Hooli\* \(phone number id `\d+`\): sender `sender_/,
    );
    expect(t.job.state).toBe('succeeded');
    expect((await threadOf(stack, b)).job.state).toBe('succeeded');

    await setWebhooks('zavu', true);
    const c = jobIdIn((await run(stack, 'invite partner "Wayne" --days 1')).text);
    stack.clock.advance(86_400_000 + 120_000);
    await stack.tick();
    t = await threadOf(stack, c);
    expect(t.posts).toContainEqual(expect.stringContaining('expired before Wayne connected'));
    expect(t.posts.filter((p) => /expired/.test(p))).toHaveLength(1); // said once
    expect(t.job.state).toBe('failed');
    // The card itself says it is over (issue 12, item 3).
    expect(t.progress).toMatch(/expired before the client connected[\s\S]*Failed\./);
  });
});
