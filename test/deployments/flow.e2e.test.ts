import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import {
  ADMIN,
  advance,
  advanceUntil,
  click,
  deployCommand,
  MEMBER,
  messages,
  startStack,
  submitView,
  texts,
  vonageState,
} from './support.js';

/**
 * A WhatsApp number from `/wa deploy start` through a wrong code and the right one to READY,
 * then deleted, on the local stack: signed Slack requests, dynalite, the Vonage sandbox over
 * real HTTP, the fake Slack recording what the app says.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const NUMBER = '+31612345678';

describe('deployment from Slack to READY', () => {
  let id = '';

  it('given an admin, when they start a deployment, then it is provisioned in the job and its id reported', async () => {
    const res = await deployCommand(
      stack,
      `deploy start ${NUMBER} --waba 123456789012 --cert AbCdEFGHiJK123456`,
    );
    expect(res.status).toBe(200);
    // The business's own number, not a customer's: shown whole.
    expect(res.json.text).toContain(`On it: provisioning ${NUMBER}`);

    const vonage = await vonageState(stack);
    expect(vonage.deployments).toHaveLength(1);
    const dep = vonage.deployments[0] as NonNullable<(typeof vonage.deployments)[number]>;
    expect(dep).toMatchObject({
      country_code: '31',
      number: '612345678',
      waba_id: '123456789012',
      state: 'INITIALIZING',
    });
    id = dep.id;
    expect((await texts(stack)).some((t) => t.includes(id) && t.includes('INITIALIZING'))).toBe(true);
  });

  it('when polled, then every state to CODE_SENT is reported and the requester is asked for the code', async () => {
    await advanceUntil(stack, id, 'CODE_SENT');
    const all = await texts(stack);
    for (const state of ['CREATING_CLUSTER', 'CLUSTER_CREATED', 'CODE_SENT']) {
      expect(all.some((t) => t.includes(id) && t.includes(state))).toBe(true);
    }
    const prompt = (await messages(stack)).find((m) =>
      String(m.text).includes('verification code for deployment'),
    );
    expect(prompt?.text).toContain(`<@${ADMIN}>`);
    // Progress is one card kept current, with the code buttons on it; the prompt is history in
    // its thread, without buttons.
    const updates = (await messages(stack)).filter((m) => m.kind === 'chat.update');
    expect(new Set(updates.map((u) => u.ts)).size).toBe(1);
    expect(prompt?.thread_ts).toBe(updates[0]?.ts);
    expect(JSON.stringify(prompt?.blocks)).not.toContain('deploy:enter-code');
    const card = JSON.stringify(updates.at(-1)?.blocks);
    expect(card).toContain('deploy:enter-code');
    expect(card).toContain('deploy:resend-sms');
  });

  it('given a member, when they click the code button, then they are refused and no modal opens', async () => {
    await click(stack, 'deploy:enter-code', id, MEMBER);
    const all = await messages(stack);
    expect(all.filter((m) => m.kind === 'views.open')).toHaveLength(0);
    expect(all.some((m) => m.kind === 'response_url' && String(m.text).includes(':no_entry:'))).toBe(true);
  });

  it('when the admin clicks the button, then a code modal opens; bad input is refused in the modal', async () => {
    await click(stack, 'deploy:enter-code', id);
    const view = (await messages(stack)).find((m) => m.kind === 'views.open');
    expect(view?.callback_id).toBe('deploy:verify');
    const modal = view?.view as { callback_id: string; private_metadata: string };

    const bad = await submitView(stack, modal, { code: '12ab' });
    expect(bad.json).toMatchObject({
      response_action: 'errors',
      errors: { code: expect.stringMatching(/6 digits/) },
    });
    expect((await vonageState(stack)).requests.filter((r) => r.pattern.endsWith('/verify'))).toHaveLength(0);

    const wrong = await submitView(stack, modal, { code: '654 321' });
    expect(wrong.status).toBe(200);
    expect(wrong.json?.response_action).toBeUndefined();
    const all = await texts(stack);
    const told = all.find((t) => t.includes('That code was not accepted') && t.includes(id)) ?? '';
    // A wrong code is not the end: the message says so and asks for another, in clean sentences
    // (Vonage's "…the verification failed." joined to "code: Invalid code provided." read ".;").
    expect(told).toMatch(/Nothing is lost: the deployment is still waiting for its code\. Try again/);
    expect(told).toContain(
      '“Deployment could not be created because the verification failed; code: Invalid code provided”',
    );
    expect(told).not.toMatch(/[.;:,]\s*[.;]/);
    const verifies = (await vonageState(stack)).requests.filter((r) => r.pattern.endsWith('/verify'));
    expect(verifies).toHaveLength(1);
    expect(verifies[0]).toMatchObject({ body: { code: '654321' }, status: 422 });
  });

  it('when polled after the wrong code, then WRONG_CODE is reported once, with retry and resend offered', async () => {
    await advance(stack);
    const all = await messages(stack);
    expect(all.some((m) => m.kind === 'chat.update' && String(m.text).includes('WRONG_CODE'))).toBe(true);
    const wrongPosts = all.filter(
      (m) => m.kind === 'chat.postMessage' && String(m.text).includes('not accepted'),
    );
    expect(wrongPosts).toHaveLength(1);
    const card = all.filter((m) => m.kind === 'chat.update').at(-1);
    expect(JSON.stringify(card?.blocks)).toContain('deploy:resend-voice');
  });

  it('when the admin asks for a new code by voice, then the job sends it', async () => {
    await click(stack, 'deploy:resend-voice', id);
    const resends = (await vonageState(stack)).requests.filter((r) => r.pattern.endsWith('/resend-otp'));
    expect(resends).toMatchObject([{ body: { method: 'voice' }, status: 202 }]);
    expect((await texts(stack)).some((t) => t.includes('new code') && t.includes('voice call'))).toBe(true);
  });

  it('when the right code comes by command, then CODE_VERIFIED, FINALIZING and READY are reported', async () => {
    const res = await deployCommand(stack, `deploy verify ${id} 123456`);
    expect(res.json.text).toMatch(/submitting the code/);
    expect(res.json.text).not.toContain('123456');
    await advanceUntil(stack, id, 'READY');
    const all = await texts(stack);
    for (const state of ['CODE_VERIFIED', 'FINALIZING', 'READY']) {
      expect(all.some((t) => t.includes(id) && t.includes(state))).toBe(true);
    }
    expect(all.some((t) => t.includes('Code accepted'))).toBe(true);
    expect(all.some((t) => t.includes('*ready to use*'))).toBe(true);
    // Its card names the business number whole.
    expect(all.some((t) => t.includes(`Deployment \`${id}\` for ${NUMBER}`))).toBe(true);
    // Provisioned exactly once.
    expect(
      (await vonageState(stack)).requests.filter((r) => r.method === 'POST' && r.pattern === '/deployments'),
    ).toHaveLength(1);
  });

  it('then /wa deploy list shows it from our own records, to members too', async () => {
    const res = await deployCommand(stack, 'deploy list', MEMBER);
    expect(res.json.text).toContain(id);
    expect(res.json.text).toContain('READY');
    expect(res.json.text).toContain(NUMBER);
  });

  it('given a member, when they run admin deploy commands, then they are refused and nothing is queued', async () => {
    const before = (await vonageState(stack)).requests.length;
    for (const text of [
      `deploy start ${NUMBER} --waba 1234567 --cert AbCdEFGHiJK123456`,
      `deploy verify ${id} 123456`,
      `deploy delete ${id}`,
      `deploy profile ${id} --about hi`,
    ]) {
      const res = await deployCommand(stack, text, MEMBER);
      expect(res.json.text).toMatch(/:no_entry:/);
    }
    expect((await vonageState(stack)).requests.length).toBe(before);
  });

  it('when the admin deletes it, then nothing happens before the confirmation, and it follows DELETING to DELETED', async () => {
    const res = await deployCommand(stack, `deploy delete ${id}`);
    expect(res.json.response_type).toBe('ephemeral');
    expect(JSON.stringify(res.json.blocks)).toContain('deploy:delete-confirm');
    expect((await vonageState(stack)).requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);

    await click(stack, 'deploy:delete-cancel', id);
    expect((await vonageState(stack)).requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);

    await click(stack, 'deploy:delete-confirm', id, MEMBER);
    expect((await vonageState(stack)).requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);

    await click(stack, 'deploy:delete-confirm', id);
    const deletes = (await vonageState(stack)).requests.filter((r) => r.method === 'DELETE');
    expect(deletes).toMatchObject([{ status: 204 }]);
    await advanceUntil(stack, id, 'DELETED');
    const all = await texts(stack);
    expect(all.some((t) => t.includes(id) && t.includes('DELETING'))).toBe(true);
    expect(all.some((t) => t.includes(`Deployment \`${id}\` is deleted`))).toBe(true);
    const list = await deployCommand(stack, 'deploy list');
    expect(list.json.text).toMatch(/DELETED/);
  });

  it('then the one card says deleted, without buttons, and an old button answers the state now and changes nothing', async () => {
    const all = await messages(stack);
    const cardTs = all.find((m) => m.kind === 'chat.update' && String(m.text).includes(id))?.ts as string;
    const card = stack.slack.current('C0SANDBOX', cardTs);
    expect(card?.text).toContain('DELETED');
    expect(JSON.stringify(card?.blocks)).toContain('Deleted.');
    expect(JSON.stringify(card?.blocks)).not.toMatch(/deploy:(enter-code|resend)/);
    const before = (await vonageState(stack)).requests.length;
    await click(stack, 'deploy:enter-code', id);
    await click(stack, 'deploy:resend-sms', id);
    const answers = (await messages(stack)).filter((m) => m.kind === 'response_url').slice(-2);
    for (const a of answers) expect(a.text).toMatch(/is now \*DELETED\*.*nothing was changed/);
    expect((await messages(stack)).filter((m) => m.kind === 'views.open')).toHaveLength(1);
    expect((await vonageState(stack)).requests.length).toBe(before);
  });

  it('given the number again, when provisioned while another deployment holds it, then number-in-use points to it', async () => {
    await deployCommand(stack, `deploy start +447911123456 --waba 1234567 --cert AbCdEFGHiJK123456`);
    const first = (await vonageState(stack)).deployments.find((d) => d.number === '7911123456');
    expect(first).toBeDefined();
    // The same person starting the same number again is pointed to their active job first...
    const again = await deployCommand(
      stack,
      `deploy start +44 7911 123456 --waba 1234567 --cert AbCdEFGHiJK123456`,
    );
    expect(again.json.text).toMatch(/You already started this: .*job `j\w+`.*--again/s);
    // ...and with --again the provider is asked, and says the number is in use.
    await deployCommand(stack, `deploy start +447911123456 --waba 1234567 --cert AbCdEFGHiJK123456 --again`);
    await advance(stack);
    const all = await texts(stack);
    expect(all.some((t) => t.includes('number-in-use') && t.includes(`/wa deploy status ${first?.id}`))).toBe(
      true,
    );
    // The failure came after the card's first post: the card itself shows it, blocks included.
    const cards = (await messages(stack))
      .filter((m) => m.kind === 'chat.postMessage' && !m.thread_ts)
      .map((m) => stack.slack.current('C0SANDBOX', m.ts));
    const failed = cards.find((c) => String(c?.text).includes('number-in-use'));
    expect(JSON.stringify(failed?.blocks)).toMatch(/Failed\..*number-in-use/);
    expect(JSON.stringify(failed?.blocks)).not.toContain('provisioning with the provider');
    expect((await vonageState(stack)).deployments.filter((d) => d.number === '7911123456')).toHaveLength(1);
  });

  it('given a bad certificate, when the deployment fails, then the detail and what to do are reported', async () => {
    await deployCommand(stack, `deploy start +33612345678 --waba 1234567 --cert invalidCERT123`);
    const dep = (await vonageState(stack)).deployments.find(
      (d) => d.number === '612345678' && d.country_code === '33',
    );
    await advanceUntil(stack, dep?.id ?? '', 'ERROR');
    const all = await texts(stack);
    expect(all.some((t) => t.includes('Invalid vname certificate') && t.includes('/wa deploy delete'))).toBe(
      true,
    );
  });
});
