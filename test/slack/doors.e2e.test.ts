import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import {
  command,
  interaction,
  issueTriggerId,
  postSlack,
  sandboxFetch,
  slackMessages,
  slashCommandBody,
} from '../helpers/slack.js';
import { clickButton, job, jobIdIn, run, sandboxState, startStack } from '../invites/helpers.js';

// One action, three doors: a command, its form and its buttons go through the same service
// function (src/slack/service.ts). These tests drive each door as Slack would and compare.

const ADMIN = 'U0ADMIN';
const MEMBER = 'U0MEMBER';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack({ INVITES_HTTP_TIMEOUT_MS: '500' });
});
afterAll(async () => {
  await stack?.close();
});

/** Trigger ids as Slack hands them out: issued by the fake Slack (single use, 3 s). */
const trigger = () => issueTriggerId();
const as = (user: string) => ({ user_id: user, user_name: user.toLowerCase() });

type Values = Record<string, string>;

/** A form's submission as Slack sends it: every field a plain text input of its key. */
function submit(path: string, fields: Values, user = ADMIN, opts: { again?: boolean } = {}) {
  const values: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(fields)) values[k] = { [k]: { type: 'plain_text_input', value: v } };
  if (opts.again) values.again = { again: { type: 'checkboxes', selected_options: [{ value: 'again' }] } };
  return interaction(stack.url, {
    type: 'view_submission',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
    trigger_id: trigger(),
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

const invitations = async () => (await sandboxState(stack)).zavu.invitations;
const dossiers = async () => (await sandboxState(stack))['cm-sign'].dossiers;
const lastView = async (kind = 'views.open') =>
  (await slackMessages(stack.url)).filter((m) => m.kind === kind).at(-1)?.view as
    | { callback_id?: string; private_metadata?: string; blocks: Array<Record<string, unknown>> }
    | undefined;
const viewText = (view: unknown) => JSON.stringify(view);
/** Slack shows form errors as plain text and messages as mrkdwn (escaped): compare the words. */
const unescapeSlack = (s: string | undefined) =>
  (s ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('permission refusals are the same by every door', () => {
  it('a restricted group refuses a member by command and by form alike, creating nothing', async () => {
    await run(stack, 'admins restrict invites on');
    try {
      const before = (await invitations()).length;
      const byCommand = await run(stack, 'invite partner "Door Co"', as(MEMBER));
      expect(byCommand.text).toMatch(/:no_entry: `\/wa invite partner` is for workspace admins/);
      const byForm = await submit('invite partner', { clientName: 'Door Co' }, MEMBER);
      expect(byForm.json.response_action).toBe('update');
      expect(viewText(byForm.json)).toContain(JSON.stringify(byCommand.text).slice(1, -1));
      await stack.drain();
      expect((await invitations()).length).toBe(before);
    } finally {
      await run(stack, 'admins restrict invites off');
    }
  });

  it('an admin-only action refuses a member by command and by form alike', async () => {
    const byCommand = await run(
      stack,
      'deploy start +447911000111 --waba 1234567 --cert AbCdEFGHiJK123456',
      as(MEMBER),
    );
    const byForm = await submit(
      'deploy start',
      { phone: '+447911000111', waba: '1234567', cert: 'AbCdEFGHiJK123456' },
      MEMBER,
    );
    expect(byCommand.text).toMatch(/:no_entry:/);
    expect(viewText(byForm.json)).toContain(JSON.stringify(byCommand.text).slice(1, -1));
  });
});

describe('opt-in refusals are the same by every door', () => {
  it('template send to a number without opt-in: the same words by command and beside the recipients field', async () => {
    const byCommand = await run(stack, 'template send order_update en +31611110000');
    expect(byCommand.text).toMatch(/No opt-in is on record/);
    const byForm = await submit('template send', {
      templateName: 'order_update',
      language: 'en',
      recipients: '+31 6 1111 0000',
    });
    expect(byForm.json.response_action).toBe('errors');
    expect(`:warning: ${byForm.json.errors?.recipients}`).toBe(unescapeSlack(byCommand.text));
  });

  it('contact verify without opt-in: the same words by command and beside the numbers field', async () => {
    const byCommand = await run(stack, 'contact verify +31611110001');
    const byForm = await submit('contact verify', { numbers: '+31611110001' });
    expect(byForm.json.errors?.numbers).toBeDefined();
    expect(`:warning: ${byForm.json.errors?.numbers}`).toBe(unescapeSlack(byCommand.text));
  });
});

describe('forms', () => {
  it('a bad email comes back beside the email field and nothing is created', async () => {
    const before = (await dossiers()).length;
    const res = await submit('invite sign', {
      inviteeName: 'Eve Form',
      email: 'not-an-email',
      phone: '+31612345670',
    });
    expect(res.json.response_action).toBe('errors');
    // No document was given either: both are said at once.
    expect(Object.keys(res.json.errors ?? {}).sort()).toEqual(['email', 'file']);
    expect(res.json.errors?.email).toMatch(/not an email address/);
    expect(res.json.errors?.file).toMatch(/exactly one of/);
    await stack.drain();
    expect((await dossiers()).length).toBe(before);
  });

  it.each([
    ['a text-direction override', '\u202e'],
    ['an isolate', '\u2066'],
    ['a zero-width space', '\u200b'],
    ['a next-line control', '\u0085'],
  ])('%s is refused by command and by form alike, beside the field, creating nothing', async (_what, ch) => {
    const before = (await invitations()).length;
    const byCommand = await run(stack, `invite partner "Acme${ch}Corp"`);
    expect(byCommand.text).toMatch(/not allowed/);
    const byForm = await submit('invite partner', { clientName: `Acme${ch}Corp` });
    expect(byForm.json.response_action).toBe('errors');
    expect(Object.keys(byForm.json.errors ?? {})).toEqual(['clientName']);
    const code = (ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0');
    expect(byForm.json.errors?.clientName).toContain(`(U+${code}), which is not allowed`);
    const profile = await submit('invite sign', {
      inviteeName: 'Eve Form',
      email: 'eve@example.com',
      phone: '+31612345670',
      url: 'https://example.com/a.pdf',
      dossier: `Lease${ch}`,
    });
    expect(Object.keys(profile.json.errors ?? {})).toEqual(['dossier']);
    await stack.drain();
    expect((await invitations()).length).toBe(before);
  });

  it('every wrong field comes back at once, each beside its own field, in the command’s words', async () => {
    const before = (await invitations()).length;
    const res = await submit('invite partner', {
      clientName: 'Many Mistakes Ltd',
      email: 'nope',
      days: '99',
      countries: 'UK, XX',
    });
    expect(res.json.response_action).toBe('errors');
    const errors = res.json.errors ?? {};
    expect(Object.keys(errors).sort()).toEqual(['countries', 'days', 'email']);
    expect(errors.email).toBe('"nope" is not an email address');
    expect(errors.countries).toMatch(/"UK" .*did you mean GB \(United Kingdom\)\?; "XX" is not/);
    // The command says the same about each.
    const byCommand = await command(
      stack.url,
      'invite partner "Many Mistakes Ltd" --email nope --days 99 --countries "UK, XX"',
    );
    for (const words of Object.values(errors)) expect(unescapeSlack(byCommand.json.text)).toContain(words);
    expect((await invitations()).length).toBe(before);
  });

  it('a valid form starts the same job as the command, and shows the number back in E.164', async () => {
    const res = await submit('invite partner', {
      clientName: 'Formed Ltd',
      phone: '+44 7911 123 457',
      days: '7',
    });
    expect(res.json.response_action).toBe('update');
    const id = jobIdIn(viewText(res.json));
    expect(id).toMatch(/^j/);
    await stack.drain();
    const j = await job(id);
    expect(j.kind).toBe('invite.partner');
    expect(j.payload).toMatchObject({ clientName: 'Formed Ltd', phone: '+447911123457', days: 7 });
    expect(viewText(res.json)).toContain('as +447911123457');
  });
});

describe('destructive commands and their buttons share one rule: the requester or an admin', () => {
  it('a member cannot cancel an admin’s partner invitation by command or by button', async () => {
    const started = await run(stack, 'invite partner "Cancel Me Co"');
    const id = jobIdIn(started.text);
    const zavuId = (await job(id)).data.invitationId as string;
    expect(zavuId).toBeTruthy();

    const byCommand = await run(stack, `invite cancel ${id}`, as(MEMBER));
    expect(byCommand.text).toMatch(/Only <@U0ADMIN> \(who started it\) or an admin can cancel/);
    await clickButton(stack, 'jobs:cancel', id, MEMBER);
    await stack.drain();
    expect((await invitations()).find((i) => i.id === zavuId)?.status).not.toBe('cancelled');
    expect((await job(id)).state).not.toBe('cancelled');
  });

  it('"Resend by email" refuses a member on an admin’s invite, and follows /wa admins restrict', async () => {
    const started = await run(
      stack,
      'invite sign "Undelivered Una" una@example.com +31612340000 --template 06c2e210-54a8-417f-adf2-fc767c31c929',
      as(MEMBER),
    );
    const id = jobIdIn(started.text);
    await stack.tick();
    const dossierId = (await job(id)).data.dossierId;
    const invites = async () => (await dossiers()).find((d) => d.id === dossierId)?.invites.length;
    expect(await invites()).toBe(1);

    const adminInvite = jobIdIn(
      (
        await run(
          stack,
          'invite sign "Admin Ann" ann@example.com +31612340000 --template 06c2e210-54a8-417f-adf2-fc767c31c929',
        )
      ).text,
    );
    await stack.tick();
    await clickButton(stack, 'invite:resend-email', adminInvite, MEMBER);
    await stack.drain();
    const refusals = (await slackMessages(stack.url)).filter(
      (m) => m.kind === 'chat.postEphemeral' && m.user === MEMBER && /Only <@U0ADMIN>/.test(m.text ?? ''),
    );
    expect(refusals.length).toBeGreaterThan(0);

    // Restricted: even the member's own invite is refused, as `/wa invite sign` would be.
    await run(stack, 'admins restrict invites on');
    try {
      await clickButton(stack, 'invite:resend-email', id, MEMBER);
      await stack.drain();
      expect(await invites()).toBe(1);
    } finally {
      await run(stack, 'admins restrict invites off');
    }
    await clickButton(stack, 'invite:resend-email', id, MEMBER);
    await stack.drain();
    expect(await invites()).toBe(2);
  });
});

describe('a command delivered twice runs once', () => {
  it('the same signed body twice creates one Zavu invitation', async () => {
    const before = (await invitations()).length;
    const body = slashCommandBody(stack.url, 'invite partner "Twice Co"');
    const first = await postSlack(stack.url, body);
    const second = await postSlack(stack.url, body);
    await stack.drain();
    expect(first.json.text).toMatch(/On it/);
    expect(second.json.text).toMatch(/arrived twice/);
    expect(
      (await invitations()).filter((i) => String(i.clientName ?? i.client_name ?? '').includes('Twice Co'))
        .length,
    ).toBeLessThanOrEqual(1);
    expect((await invitations()).length).toBe(before + 1);
  });

  it('an identical job still active is pointed to; --again starts another', async () => {
    const first = await run(stack, 'invite partner "Again Co"');
    const firstId = jobIdIn(first.text);
    const before = (await invitations()).length;
    const second = await run(stack, 'invite partner "again co"');
    expect(second.text).toContain(`You already started this`);
    expect(second.text).toContain(firstId);
    expect(second.text).toContain('--again');
    expect((await invitations()).length).toBe(before);
    const third = await run(stack, 'invite partner "Again Co" --again');
    expect(jobIdIn(third.text)).not.toBe(firstId);
    expect((await invitations()).length).toBe(before + 1);
    // By the form: the same answer beside "Start another anyway", and the box starts another.
    const byForm = await submit('invite partner', { clientName: 'Again Co' });
    expect(byForm.json.errors?.again).toContain('You already started this');
    const ticked = await submit('invite partner', { clientName: 'Again Co' }, ADMIN, { again: true });
    expect(ticked.json.response_action).toBe('update');
  });
});

describe('phone numbers as people type them', () => {
  it('reads national numbers in the workspace default country and shows the E.164 form back', async () => {
    const refused = await run(stack, 'contact optin 06 1234 5670 --source "shop counter"');
    expect(refused.text).toMatch(/not a phone number in E\.164 form.*admins set country/s);
    expect((await run(stack, 'admins set country NL')).text).toMatch(/NL numbers/);
    const nl = await run(stack, 'contact optin 06 1234 5670 --source "shop counter"');
    expect(nl.text).toContain('+31612345670');
    expect((await run(stack, 'contact optin +31 6 1234 5671 --source "web"')).text).toContain('+31612345671');
    await run(stack, 'admins set country US');
    const us = await run(stack, 'contact optin (415) 555-1234 --source "call"');
    expect(us.text).toContain('+14155551234');
    expect((await run(stack, 'admins set country XX')).text).toMatch(/not a two-letter country code/);
    const viaForm = await submit('contact optin', { phone: '(415) 555-1235', source: 'form' });
    expect(viewText(viaForm.json)).toContain('+14155551235');
    await run(stack, 'admins set country none');
    const members = await run(stack, 'admins set country NL', as(MEMBER));
    expect(members.text).toMatch(/:no_entry:/);
  });
});

describe('the launcher', () => {
  const labels = (view: unknown) =>
    [...viewText(view).matchAll(/"text":"([^"]+)","emoji"?|"value":"([a-z ]+)"/g)].map((m) => m[2] ?? m[1]);

  it('/wa alone opens it; a member sees no admin actions, and restricted groups follow /wa admins restrict', async () => {
    const res = await command(stack.url, '', as(ADMIN));
    expect(res.json.text).toMatch(/Opened/);
    const adminView = await lastView();
    expect(adminView?.callback_id).toBe('form:launcher');
    expect(labels(adminView)).toEqual(
      expect.arrayContaining(['invite sign', 'deploy start', 'connect', 'audit']),
    );

    await command(stack.url, '', as(MEMBER));
    const memberView = await lastView();
    expect(labels(memberView)).toEqual(expect.arrayContaining(['invite sign', 'template send']));
    expect(labels(memberView)).not.toContain('deploy start');
    expect(labels(memberView)).not.toContain('connect');
    expect(viewText(memberView)).not.toContain('*Admin*');

    await run(stack, 'admins restrict invites on');
    try {
      await command(stack.url, '', as(MEMBER));
      expect(labels(await lastView())).not.toContain('invite sign');
    } finally {
      await run(stack, 'admins restrict invites off');
    }
  });

  it('the signing form asks for exactly one document, and its placeholder URL is a PDF this stack serves', async () => {
    // The launcher's "Send a signing invite" button (form:open), as Slack sends its click.
    await clickButton(stack, 'form:open:invite-sign', 'invite sign');
    const form = await lastView();
    expect(form?.callback_id).toBe('form:submit');
    const text = viewText(form);
    expect(text).toContain('exactly one of* a PDF URL, a Slack file link or a CM.com Sign template id');
    const sample = `${stack.url}/_sandbox/documents/contract.pdf`;
    expect(text).toContain(`"placeholder":{"type":"plain_text","text":"${sample}"}`);
    // Anyone can fetch it (no control token), as a PDF on the web.
    const pdf = await fetch(sample);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');

    // The console's Try-it panel says so.
    const tryIt = JSON.stringify(await (await sandboxFetch(stack.url, '/_sandbox/try')).json());
    expect(tryIt).toContain(`--url ${sample}`);
    expect(tryIt).toContain('exactly one of URL, Slack file or template');

    // Submitted with it, the invite goes out: one dossier holding the served PDF.
    const before = (await dossiers()).length;
    const res = await submit('invite sign', {
      inviteeName: 'Sam Sample',
      email: 'sam@example.com',
      phone: '+31612345671',
      url: sample,
    });
    expect(res.json.response_action).toBe('update');
    await stack.drain();
    const made = (await dossiers()).slice(before);
    expect(made).toHaveLength(1);
    expect(made[0]?.files).toHaveLength(1);
  });

  it('an invalid /wa invite sign offers the form, prefilled with what could be read', async () => {
    const res = await command(stack.url, 'invite sign Jan de Vries jan@example.nl +31 6 1234 5672');
    expect(res.json.text).toMatch(/not an email address/);
    const button = JSON.stringify(res.json.blocks);
    expect(button).toContain('Open the form');
    const offer = res.json.blocks?.at(-1) as { elements?: Array<{ value?: string }> } | undefined;
    const value = offer?.elements?.[0]?.value ?? '';
    await clickButton(stack, 'form:open', value);
    const form = await lastView();
    expect(form?.callback_id).toBe('form:submit');
    const initial = Object.fromEntries(
      form?.blocks
        .filter((b) => b.type === 'input')
        .map((b) => [b.block_id, (b.element as { initial_value?: string }).initial_value]) ?? [],
    );
    expect(initial).toMatchObject({
      inviteeName: 'Jan de Vries',
      email: 'jan@example.nl',
      phone: '+31 6 1234 5672',
    });
  });

  it('a member clicking a launcher button for an admin-only action is refused in the modal', async () => {
    await clickButton(stack, 'form:open:deploy-start', 'deploy start', MEMBER);
    const view = await lastView();
    expect(view?.callback_id).toBe('form:done');
    expect(viewText(view)).toContain(':no_entry:');
  });

  it('the template form offers the approved templates, then placeholders named after the replacement fields', async () => {
    await clickButton(stack, 'form:open:template-send', 'template send');
    const opened = (await slackMessages(stack.url)).filter((m) => m.kind === 'views.open').at(-1);
    expect(viewText(opened?.view)).toContain('Looking up the approved templates');
    await stack.drain();
    type Block = {
      block_id?: string;
      element?: { options?: Array<{ value: string }>; initial_option?: { value: string } };
      label?: { text: string };
    };
    const updated = () =>
      slackMessages(stack.url).then(
        (all) =>
          all.filter((m) => m.kind === 'views.update' && m.view_id === opened?.view_id).at(-1)?.view as
            | { blocks: Block[] }
            | undefined,
      );
    const withChoices = await updated();
    const pick = withChoices?.blocks.find((b) => b.block_id === 'pick');
    const options = pick?.element?.options ?? [];
    expect(options.length).toBeGreaterThan(0);
    expect(withChoices?.blocks.some((b) => b.block_id === 'templateName')).toBe(false);

    const chosen = options[0]?.value ?? '';
    await interaction(stack.url, {
      type: 'block_actions',
      user: { id: ADMIN, username: 'u0admin', name: 'u0admin', team_id: 'T0SANDBOX' },
      trigger_id: trigger(),
      container: { type: 'view', view_id: opened?.view_id },
      view: {
        id: opened?.view_id,
        type: 'modal',
        callback_id: 'form:submit',
        private_metadata: '{"p":"template send"}',
        state: { values: {} },
        hash: 'h',
      },
      actions: [
        {
          type: 'static_select',
          action_id: 'form:pick',
          block_id: 'pick',
          selected_option: { value: chosen },
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    });
    await stack.drain();
    const withFields = await updated();
    expect(withFields?.blocks.find((b) => b.block_id === 'pick')?.element?.initial_option?.value).toBe(
      chosen,
    );
    const params = withFields?.blocks.filter((b) => /^param_\d+$/.test(b.block_id ?? '')) ?? [];
    expect(params.length).toBeGreaterThan(0);
    expect(params.map((b) => b.label?.text.slice(0, 5))).toEqual(params.map((_, i) => `{{${i + 1}}}`));

    // Submitted with the choice: the same opt-in refusal as the command, beside the recipients.
    const values: Record<string, Record<string, unknown>> = {
      pick: { 'form:pick': { type: 'static_select', selected_option: { value: chosen } } },
      recipients: { recipients: { type: 'plain_text_input', value: '+31 6 2222 0000' } },
    };
    params.forEach((b) => {
      values[b.block_id as string] = { [b.block_id as string]: { type: 'plain_text_input', value: 'x' } };
    });
    const res = await interaction(stack.url, {
      type: 'view_submission',
      user: { id: ADMIN, username: 'u0admin', name: 'u0admin', team_id: 'T0SANDBOX' },
      trigger_id: trigger(),
      view: {
        id: opened?.view_id,
        type: 'modal',
        callback_id: 'form:submit',
        private_metadata: '{"p":"template send"}',
        state: { values },
        hash: 'h',
        blocks: withFields?.blocks,
      },
    });
    expect(res.json.response_action).toBe('errors');
    expect(res.json.errors?.recipients).toMatch(/No opt-in is on record/);
  });
});
