import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { config } from '../../src/config.js';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { interaction } from '../helpers/slack.js';
import { ADMIN, advance, click, cloudState, deployCommand, messages, startStack, texts } from './support.js';

/**
 * The deploy form with the backend as a choice, submitted as Slack submits a modal (text inputs
 * and a static select), and the command's own choice of backend when `--via` is left out.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

function submit(fields: Record<string, string>, selects: Record<string, string>) {
  const values: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(fields)) values[k] = { [k]: { type: 'plain_text_input', value: v } };
  for (const [k, v] of Object.entries(selects))
    values[k] = { [k]: { type: 'static_select', selected_option: { value: v } } };
  return interaction(stack.url, {
    type: 'view_submission',
    user: { id: ADMIN, username: 'u0admin', name: 'u0admin', team_id: 'T0SANDBOX' },
    trigger_id: `${Date.now()}.1.${Math.random().toString(16).slice(2)}`,
    view: {
      id: `V${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
      type: 'modal',
      callback_id: 'form:submit',
      private_metadata: JSON.stringify({ p: 'deploy start', c: 'C0SANDBOX' }),
      state: { values },
      hash: '1.abc',
    },
  });
}

describe('choosing the backend', { timeout: 60_000 }, () => {
  it('given the form with "WhatsApp Cloud API" chosen but no display name, then the name field says so and nothing is added', async () => {
    const res = await submit(
      { phone: '+447911123460', waba: '123456789012345' },
      { via: 'cloud', method: 'sms' },
    );
    expect(res.json.response_action).toBe('errors');
    expect(JSON.stringify(res.json.errors)).toMatch(/name/);
    await stack.drain();
    expect((await cloudState(stack)).numbers).toHaveLength(0);
  });

  it('given the form with the Cloud API, a display name and no PIN, then the number is added there and a PIN is made, shown only to the requester once registered', async () => {
    const res = await submit(
      { phone: '+447911123460', waba: '123456789012345', name: 'Acme Bakery' },
      { via: 'cloud', method: 'voice' },
    );
    expect(res.status).toBe(200);
    await stack.drain();
    await advance(stack);
    const n = (await cloudState(stack)).numbers.find((x) => x.phone_number === '7911123460');
    expect(n?.verified_name).toBe('Acme Bakery');
    await deployCommand(stack, `deploy verify ${n?.id} 123456`);
    for (let i = 0; i < 3; i++) await advance(stack);
    const after = (await cloudState(stack)).numbers.find((x) => x.phone_number === '7911123460');
    expect(after).toMatchObject({ status: 'CONNECTED', registrations: 1, pinSet: true });
    const pinned = (await texts(stack)).filter((t) => t.includes('two-step verification PIN of the number'));
    expect(pinned).toHaveLength(1);
    expect(pinned[0]).toMatch(/\*\d{6}\*/);
    // Ephemeral, to the requester alone; nowhere else.
    const pin = pinned[0]?.match(/\*(\d{6})\*/)?.[1] as string;
    const all = await messages(stack);
    const carrying = all.filter((m) => JSON.stringify(m).includes(pin));
    expect(carrying.map((m) => [m.kind, m.user])).toEqual([['chat.postEphemeral', ADMIN]]);
  });

  it('given no --via, then --cert means Vonage, --name the Cloud API, and neither asks which', async () => {
    const neither = await deployCommand(stack, 'deploy start +447911123461 --waba 123456789012345');
    expect(neither.json.text).toMatch(/missing --cert \(Vonage\) or --name \(WhatsApp Cloud API\)/);
    const both = await deployCommand(
      stack,
      'deploy start +447911123461 --waba 123456789012345 --name "Acme" --cert AbCdEFGHiJK123456',
    );
    expect(both.json.text).toMatch(/--via: is needed/);
    const cloud = await deployCommand(
      stack,
      'deploy start +447911123461 --waba 123456789012345 --name "Acme Deli"',
    );
    expect(cloud.json.text).toMatch(/on the WhatsApp Cloud API/);
    const wrongFlag = await deployCommand(
      stack,
      'deploy start +447911123462 --via cloud --waba 123456789012345 --name "Acme" --cert AbCdEFGHiJK123456',
    );
    expect(wrongFlag.json.text).toMatch(/--cert: is for --via vonage/);
  });

  it("given a number ending 0000, then Meta says the code is sent but none comes: 123456 is not accepted, and code requests past Meta's limit are refused with when to try again", async () => {
    await deployCommand(
      stack,
      'deploy start +447911120000 --via cloud --waba 123456789012345 --name "Acme Zero" --pin 135790',
    );
    await advance(stack);
    const n = (await cloudState(stack)).numbers.find((x) => x.phone_number === '7911120000');
    const id = n?.id as string;
    expect(n?.codeRequests).toHaveLength(1);
    await deployCommand(stack, `deploy verify ${id} 123456`);
    await advance(stack);
    expect(
      (await texts(stack)).some((t) => t.includes(`That code was not accepted for deployment \`${id}\``)),
    ).toBe(true);
    // Six requests within one hour (a minute apart, our own gap; the first request is two hours
    // old by now): the sandbox allows 5 an hour.
    for (let i = 0; i < 6; i++) {
      stack.clock.advance(61_000);
      await deployCommand(stack, `deploy resend ${id}`);
      await stack.tick();
    }
    const all = await texts(stack);
    expect(all.filter((t) => t.includes(`A new code for deployment \`${id}\` is on its way`))).toHaveLength(
      5,
    );
    const refused = all.find((t) => t.includes(`would not send a code for deployment \`${id}\``));
    expect(refused).toMatch(/136024/);
    expect(refused).toMatch(/wait an hour/);
  });

  it('given a number left waiting for its code for over a week, when the code comes later, then a new job verifies it and registers it with the PIN kept sealed on its record', async () => {
    await deployCommand(
      stack,
      'deploy start +447911123463 --via cloud --waba 123456789012345 --name "Acme Late" --pin 864200',
    );
    await advance(stack);
    const id = (await cloudState(stack)).numbers.find((x) => x.phone_number === '7911123463')?.id as string;
    stack.clock.advance(8 * 86_400_000);
    await stack.tick();
    expect((await texts(stack)).some((t) => t.includes('no code was entered for a week'))).toBe(true);
    const res = await deployCommand(stack, `deploy verify ${id} 123456`);
    expect(res.json.text).toMatch(/submitting the code/);
    for (let i = 0; i < 3; i++) await advance(stack);
    const n = (await cloudState(stack)).numbers.find((x) => x.id === id);
    expect(n).toMatchObject({ status: 'CONNECTED', registrations: 1, pinSet: true });
    expect((await texts(stack)).some((t) => t.includes('*ready to use*') && t.includes(id))).toBe(true);
    expect(JSON.stringify(await messages(stack))).not.toContain('864200');
  });

  it('given a number someone added to the WABA by hand, when it is started here, then it is taken from there, not added twice', async () => {
    // As WhatsApp Manager would: the number is on the WABA, unverified, followed by no workspace.
    const added = await fetch(`${config().providers.metaCloud}/123456789012345/phone_numbers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${SANDBOX_CREDENTIALS['meta-cloud'].accessToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ cc: '44', phone_number: '7911123464', verified_name: 'Acme Manual' }),
    });
    const { id } = (await added.json()) as { id: string };
    await deployCommand(
      stack,
      'deploy start +447911123464 --via cloud --waba 123456789012345 --name "Acme Manual" --pin 112233',
    );
    await advance(stack);
    const ours = (await cloudState(stack)).numbers.filter((x) => x.phone_number === '7911123464');
    expect(ours.map((x) => x.id)).toEqual([id]);
    expect(ours[0]?.codeRequests).toHaveLength(1);
    const all = await texts(stack);
    expect(all.some((t) => t.includes(`was already on WABA 123456789012345`) && t.includes(id))).toBe(true);
    expect(all.some((t) => t.includes(`verification code for deployment \`${id}\``))).toBe(true);
  });

  it('given a number still waiting for its code, when it is deleted, then nothing is deregistered and it is said so', async () => {
    await deployCommand(
      stack,
      'deploy start +447911123465 --via cloud --waba 123456789012345 --name "Acme Gone" --pin 445566',
    );
    await advance(stack);
    const id = (await cloudState(stack)).numbers.find((x) => x.phone_number === '7911123465')?.id as string;
    await click(stack, 'deploy:delete-confirm', id);
    await advance(stack);
    const n = (await cloudState(stack)).numbers.find((x) => x.id === id);
    expect(n).toMatchObject({ status: 'PENDING', deregistrations: 0 });
    expect(
      (await texts(stack)).some((t) => t.includes(`Deployment \`${id}\` was not registered with Meta`)),
    ).toBe(true);
  });
});
