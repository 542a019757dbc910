import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { advanceUntil, deployCommand, startStack, vonageState } from '../deployments/support.js';
import { clickButton, interaction, issueTriggerId } from '../helpers/slack.js';

// Issue 26: three quick clicks on a deployment's Resend, Delete or the code modal's submit (each
// a signed request through the local stack, all at once) reach Vonage once while an identical
// request is pending or in flight; the clicks that were coalesced say so.

let stack: LocalStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

async function deployment(number: string): Promise<string> {
  await deployCommand(stack, `deploy start ${number} --waba 123456789012 --cert AbCdEFGHiJK123456`);
  const dep = (await vonageState(stack)).deployments.find((d) => `+${d.country_code}${d.number}` === number);
  if (!dep) throw new Error('no deployment');
  await advanceUntil(stack, dep.id, 'CODE_SENT');
  return dep.id;
}

const callsTo = async (id: string, suffix: string) =>
  (await vonageState(stack)).requests.filter((r) => r.path.includes(id) && r.pattern.endsWith(suffix));

const threeClicks = (actionId: string, id: string) =>
  Promise.all(
    Array.from({ length: 3 }, (_, i) =>
      clickButton(stack.url, actionId, id, { responseUrlId: `${actionId}-${id}-${i}` }),
    ),
  );

/** What the app answered to a click (its response_url posts). */
async function answersTo(actionId: string, id: string): Promise<string[]> {
  const { slackMessages } = await import('../helpers/slack.js');
  return (await slackMessages(stack.url))
    .filter((m) => String(m.responseUrlId ?? '').startsWith(`${actionId}-${id}-`))
    .map((m) => m.text ?? '');
}

function submitCode(id: string, code: string) {
  return interaction(stack.url, {
    type: 'view_submission',
    user: { id: 'U0ADMIN', username: 'u0admin', name: 'u0admin', team_id: 'T0SANDBOX' },
    trigger_id: issueTriggerId(),
    view: {
      id: `VCODE${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
      type: 'modal',
      callback_id: 'deploy:verify',
      private_metadata: JSON.stringify({ id, channel: 'C0SANDBOX' }),
      state: { values: { code: { code: { type: 'plain_text_input', value: code } } } },
      hash: 'h',
    },
  });
}

describe('double clicks on a deployment', () => {
  it('three quick clicks on Resend by SMS send one request to Vonage', async () => {
    const id = await deployment('+31612340001');
    const answers = await threeClicks('deploy:resend-sms', id);
    await stack.drain();
    for (const a of answers) expect(a.status).toBe(200);
    expect(await callsTo(id, '/resend-otp')).toHaveLength(1);
    // Each click was answered: the first "On it", those coalesced into it "already asked".
    const told = await answersTo('deploy:resend-sms', id);
    expect(told).toHaveLength(3);
    expect(told.filter((t) => /already asked for by <@U0ADMIN>/.test(t)).length).toBeGreaterThanOrEqual(1);
    expect(told.filter((t) => /On it/.test(t)).length).toBeGreaterThanOrEqual(1);
    // A later click, after the first was answered, is a new request.
    await clickButton(stack.url, 'deploy:resend-sms', id);
    await stack.drain();
    expect(await callsTo(id, '/resend-otp')).toHaveLength(2);
  });

  it('three quick submits of the code modal send one verify; the others are told it is being checked', async () => {
    const id = await deployment('+31612340002');
    const answers = await Promise.all(Array.from({ length: 3 }, () => submitCode(id, '123456')));
    await stack.drain();
    expect(await callsTo(id, '/verify')).toHaveLength(1);
    const told = answers.filter((a) => /is being checked right now/.test(JSON.stringify(a.json ?? {})));
    // Each submit either went through (the modal closes) or was told; at least one went through.
    expect(told.length).toBeLessThanOrEqual(2);
    expect(answers.filter((a) => a.json?.response_action === undefined)).toHaveLength(3 - told.length);
  });

  it('three quick clicks on Delete of a READY deployment (no job follows it any more) send one DELETE', async () => {
    const id = await deployment('+31612340003');
    await submitCode(id, '123456');
    await stack.drain();
    await advanceUntil(stack, id, 'READY');
    await stack.drain();
    await threeClicks('deploy:delete-confirm', id);
    await stack.drain();
    expect(
      await callsTo(id, '/deployments/:id').then((c) => c.filter((r) => r.method === 'DELETE')),
    ).toHaveLength(1);
  });
});
