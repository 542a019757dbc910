import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { advanceUntil, startStack, vonageState } from '../deployments/support.js';
import {
  clickButton,
  command,
  interaction,
  postSlack,
  sandboxFetch,
  slackMessages,
} from '../helpers/slack.js';

/**
 * Work by client (issue 23), through the local stack with commands signed as Slack signs them:
 * every start names its client, `/wa client` shows one client's work across providers to the
 * asker, `/wa client list` names them all, and names stand in for ids (a template's name, a
 * deployment's number).
 */

const ADMIN = 'U0ADMIN';
const MEMBER = 'U0MEMBER';
const NUMBER = '+447911123459';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const as = (user: string) => ({ user_id: user, user_name: user.toLowerCase() });
async function wa(text: string, user = ADMIN) {
  const res = await command(stack.url, text, as(user));
  expect(res.status).toBe(200);
  await stack.drain();
  return res.json.text ?? '';
}
/** A form's submission as Slack sends it: each field a plain text input of its key. */
function submitForm(path: string, fields: Record<string, string>, user = ADMIN) {
  const values = Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, { [k]: { type: 'plain_text_input', value: v } }]),
  );
  return interaction(stack.url, {
    type: 'view_submission',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
    trigger_id: `${Date.now()}.${Math.random().toString(16).slice(2)}`,
    view: {
      id: `V${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
      type: 'modal',
      callback_id: 'form:submit',
      private_metadata: JSON.stringify({ p: path, c: 'C0SANDBOX' }),
      state: { values },
      hash: '1.abc',
    },
  });
}

const invitations = async () =>
  ((await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as { zavu: { invitations: unknown[] } })
    .zavu.invitations;

describe('one client, across providers', () => {
  it('given a partner invitation, a signing invite and a deployment for Acme Foods, and work for Bravo, then /wa client shows Acme alone', async () => {
    expect(await wa('invite partner "Acme Foods"')).toMatch(/On it/);
    expect(
      await wa('invite sign "Ana Silva" ana@example.com +31612345678 --template tpl-1 --client "Acme Foods"'),
    ).toMatch(/On it/);
    expect(
      await wa(
        `deploy start ${NUMBER} --waba 123456789012345 --cert AbCdEFGHiJK123456 --client "acme foods"`,
      ),
    ).toMatch(/On it/);
    expect(await wa('invite partner "Bravo Ltd"', MEMBER)).toMatch(/On it/);

    const card = await wa('client "ACME FOODS"');
    expect(card).toContain('Client: Acme Foods');
    expect(card).toContain('Partner invitation');
    expect(card).toContain('Signing invite');
    expect(card).toContain('Deployment');
    expect(card).not.toContain('Bravo');
    // Each says where it stands and who acts next.
    expect(card).toMatch(/waiting for[^\n]*\n?[^\n]*next: \*(the client|the provider|us|Meta)\*/);
  });

  it('given a member, when they ask for the client, then admin-only work is counted, not shown', async () => {
    const res = await command(stack.url, 'client acme foods', as(MEMBER));
    const text = res.json.text ?? '';
    expect(text).toContain('Partner invitation');
    expect(text).toContain('Signing invite');
    expect(text).not.toContain('Deployment of');
    expect(JSON.stringify(res.json.blocks)).toContain('1 only admins can see');
    // The answer is the asker's alone.
    expect(res.json.response_type).toBe('ephemeral');
  });

  it('lists both clients, the asker’s own first', async () => {
    const text = await wa('client list', MEMBER);
    expect(text).toContain('Acme Foods');
    expect(text).toContain('Bravo Ltd');
    expect(text.indexOf('Bravo Ltd')).toBeLessThan(text.indexOf('Acme Foods'));
  });

  it('given a near miss of a known client, then it is questioned and nothing starts; --new-client starts a new one', async () => {
    const before = (await invitations()).length;
    const refused = await wa('invite partner "Acme Food"');
    expect(refused).toContain('Did you mean *Acme Foods*?');
    await stack.drain();
    expect((await invitations()).length).toBe(before);
    expect(await wa('invite partner "Acme Food" --new-client')).toMatch(/On it/);
    expect(await wa('client list')).toContain('*Acme Food*');
  });

  it('given an unknown client, then the answer says so and names the candidates', async () => {
    expect(await wa('client "Acme Fodos"')).toMatch(
      /No client named “Acme Fodos”\. Did you mean \*Acme Foods\*/,
    );
    expect(await wa('client "Zeta"')).toMatch(/No client named “Zeta” in this workspace/);
  });
});

describe('names where ids were required', () => {
  it('answers /wa template status for a template named by its name', async () => {
    const before = (await slackMessages(stack.url)).length;
    expect(await wa('template status welcome_message', MEMBER)).toMatch(/Looking it up/);
    const answers = (await slackMessages(stack.url)).slice(before).map((m) => String(m.text ?? ''));
    expect(
      answers.some((t) => t.includes('welcome_message') && t.includes('Hello {{1}}, welcome to {{2}}!')),
    ).toBe(true);
  });

  it('answers /wa deploy status for a deployment named by its number, as typed', async () => {
    const dep = (await vonageState(stack)).deployments.at(-1) as { id: string };
    await advanceUntil(stack, dep.id, 'CODE_SENT');
    const before = (await slackMessages(stack.url)).length;
    expect(await wa('deploy status +44 7911 123459')).toMatch(/On it|Last known/);
    const said = (await slackMessages(stack.url)).slice(before).map((m) => JSON.stringify(m));
    expect(said.some((t) => t.includes(dep.id))).toBe(true);
    expect(await wa('deploy status +44 7911 000000')).toContain(
      'No deployment of +447911000000 in this workspace',
    );
  });
});

describe('every door names a client', () => {
  it('a form submission with a client lists its work under the client', async () => {
    const res = await submitForm('invite partner', { clientName: 'Charlie Co' });
    expect(res.status).toBe(200);
    await stack.drain();
    expect(await wa('client "charlie co"')).toContain('Partner invitation');
  });

  it('a near miss in a form is shown beside the field it came from', async () => {
    const res = await submitForm('invite partner', { clientName: 'Charli Co' });
    expect(res.json.response_action).toBe('errors');
    expect(res.json.errors?.clientName).toContain('Did you mean *Charlie Co*?');
  });

  it('the launcher button opens the client form, and its submission answers with the client', async () => {
    await clickButton(stack.url, 'form:open:client', 'client');
    const opened = (await slackMessages(stack.url)).filter((m) => m.kind === 'views.open').at(-1);
    expect(JSON.stringify(opened?.view)).toContain('Look up a client');
    const res = await submitForm('client', { name: 'acme foods' });
    expect(res.json.response_action).toBe('update');
    expect(JSON.stringify(res.json)).toContain('Partner invitation');
  });

  it('App Home shows a Clients section, the person’s own clients first', async () => {
    const body = JSON.stringify({
      token: 'legacy-token',
      team_id: 'T0SANDBOX',
      api_app_id: 'A0SANDBOX',
      type: 'event_callback',
      event_id: `EvClients${Date.now()}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user: MEMBER, channel: 'D0HOME', tab: 'home', event_ts: '1.1' },
      authorizations: [
        { team_id: 'T0SANDBOX', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false },
      ],
    });
    const res = await postSlack(stack.url, body, { contentType: 'application/json' });
    expect(res.status).toBe(200);
    await stack.drain();
    const home = (await slackMessages(stack.url)).filter((m) => m.kind === 'views.publish').at(-1);
    const text = JSON.stringify(home?.view);
    expect(text).toContain('Clients');
    expect(text.indexOf('Bravo Ltd')).toBeGreaterThan(-1);
    expect(text.indexOf('Bravo Ltd')).toBeLessThan(text.indexOf('Acme Foods'));
  });
});

describe('short references, who asked, and the partner card', () => {
  const ephemerals = async (since: number) =>
    (await slackMessages(stack.url))
      .slice(since)
      .filter((m) => m.kind === 'chat.postEphemeral' || m.kind === 'response_url')
      .map((m) => String(m.text ?? ''));

  it('numbers each start per workspace, shows the reference and the requester on the card, and takes it where an id goes', async () => {
    const ack = await wa('invite partner "Echo Foods"');
    const ref = /\*(INV-\d+)\*/.exec(ack)?.[1] as string;
    expect(ref).toMatch(/^INV-\d+$/);
    const card = (await slackMessages(stack.url)).find(
      (m) => m.kind === 'chat.postMessage' && JSON.stringify(m.blocks ?? '').includes(ref),
    );
    expect(JSON.stringify(card?.blocks)).toContain(`requested by <@${ADMIN}>`);
    expect(JSON.stringify(card?.blocks)).toContain('client *Echo Foods*');
    // The reference, in any case, wherever an invite id is taken.
    expect(await wa(`invite status ${ref.toLowerCase()}`)).toContain('Partner invitation for Echo Foods');
    expect(await wa('invite status INV-99999')).toContain('I do not know an invite `INV-99999`');
  });

  it('shows the partner link again to the requester alone, and refuses anyone else', async () => {
    const ack = await wa('invite partner "Foxtrot Ltd"', MEMBER);
    const ref = /\*(INV-\d+)\*/.exec(ack)?.[1] as string;
    const before = (await slackMessages(stack.url)).length;
    expect(await wa(`invite link ${ref}`, ADMIN)).toContain(
      `Only <@${MEMBER}>, who asked for this invitation`,
    );
    expect(await wa(`invite link ${ref}`, MEMBER)).toContain('Reading the link');
    const shown = (await slackMessages(stack.url))
      .slice(before)
      .filter((m) => String(m.text ?? '').includes('Partner invitation link for *Foxtrot Ltd*, again'));
    expect(shown).toHaveLength(1);
    expect(shown[0]?.user).toBe(MEMBER);
    expect(String(shown[0]?.text)).toMatch(/https?:\/\//);
  });

  it('the card’s buttons answer the clicker alone: the link only for the requester, Cancel under the rule of /wa invite cancel', async () => {
    const ack = await wa('invite partner "Golf Partners"', MEMBER);
    const jobId = /job `(j[0-9a-z]+)`/.exec(ack)?.[1] as string;
    const card = (await slackMessages(stack.url))
      .filter(
        (m) =>
          JSON.stringify(m.blocks ?? '').includes('invite:show-link') &&
          JSON.stringify(m.blocks).includes(jobId),
      )
      .at(-1);
    expect(card).toBeDefined();
    let since = (await slackMessages(stack.url)).length;
    await clickButton(stack.url, 'invite:show-link', jobId, { user: ADMIN });
    await stack.drain();
    expect((await ephemerals(since)).join('\n')).toContain(`Only <@${MEMBER}>`);
    since = (await slackMessages(stack.url)).length;
    await clickButton(stack.url, 'invite:cancel', jobId, { user: MEMBER });
    await stack.drain();
    expect((await ephemerals(since)).join('\n')).toMatch(
      /Cancelling the partner invitation for \*Golf Partners\*/,
    );
    const after = await wa(`invite status ${jobId}`, MEMBER);
    expect(after).toMatch(/cancelled/);
  });

  it('a refusal for lack of rights names who can, and how to become one', async () => {
    const refused = await wa(
      `deploy start ${NUMBER} --waba 123456789012345 --cert AbCdEFGHiJK123456`,
      MEMBER,
    );
    expect(refused).toContain('is for workspace admins and owners');
    expect(refused).toContain('/wa admins add @user');
  });
});
