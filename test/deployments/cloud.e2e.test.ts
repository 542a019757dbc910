import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/sandbox/server.js';
import { webhookUrl } from '../../src/security/webhooks.js';
import { ddb, tableName } from '../../src/store/dynamo.js';
import { tenantId } from '../../src/store/keys.js';
import { metaSignature } from '../templates/support.js';
import { imageServer, jpegHead } from './images.js';
import {
  ADMIN,
  advance,
  type CloudNumber,
  click,
  cloudState,
  deployCommand,
  MEMBER,
  messages,
  startStack,
  texts,
} from './support.js';

/**
 * A number onboarded on Meta's WhatsApp Cloud API from `/wa deploy start --via cloud`: added to
 * the WABA, a code asked for, a wrong code explained, the right one verified, the two-step PIN
 * set, the number registered, then its About text set. Through the local stack: Slack-signed
 * commands, dynalite, the Cloud API sandbox over real HTTP, the fake Slack recording every word.
 */

let stack: LocalStack;
let images: Awaited<ReturnType<typeof imageServer>>;
beforeAll(async () => {
  images = await imageServer({ 'logo.jpg': { body: jpegHead(640, 640), type: 'image/jpeg' } });
  stack = await startStack({ SAFE_FETCH_TEST_ALLOWLIST: images.url });
});
afterAll(async () => {
  await Promise.all([stack?.close(), images?.close()]);
});

const START =
  'deploy start +447911123459 --via cloud --waba 123456789012345 --name "Acme Foods" --method sms --pin 246810';

describe('a number on the WhatsApp Cloud API, from Slack to READY', { timeout: 60_000 }, () => {
  let id = '';

  it('given a member, when they start a Cloud API deployment, then they are refused and nothing is added', async () => {
    const res = await deployCommand(stack, START, MEMBER);
    expect(res.status).toBe(200);
    expect(res.json.text).toMatch(/admin/i);
    expect((await cloudState(stack)).numbers).toHaveLength(0);
  });

  it('given an admin, when they start it, then the number is added, a code is asked for by SMS and the card says CODE_SENT with "Enter code"', async () => {
    const res = await deployCommand(stack, START);
    // The business's own number, not a customer's: shown whole (issue 24).
    expect(res.json.text).toMatch(
      /On it: adding \+447911123459 to WABA 123456789012345 on the WhatsApp Cloud API/,
    );
    // The first run adds the number; the next asks for the code at once.
    await advance(stack);
    const meta = await cloudState(stack);
    expect(meta.numbers).toHaveLength(1);
    const n = meta.numbers[0] as CloudNumber;
    expect(n).toMatchObject({
      cc: '44',
      phone_number: '7911123459',
      verified_name: 'Acme Foods',
      waba_id: '123456789012345',
    });
    expect(n.codeRequests).toHaveLength(1);
    id = n.id;
    const prompt = (await messages(stack)).find((m) =>
      String(m.text).includes(`verification code for deployment \`${id}\``),
    );
    expect(prompt?.text).toContain(`<@${ADMIN}>`);
    const card = (await messages(stack)).filter((m) => m.kind === 'chat.update').at(-1);
    expect(String(card?.text)).toContain('CODE_SENT');
    expect(JSON.stringify(card?.blocks)).toContain('deploy:enter-code');
  });

  it('when Meta signs a phone_number_name_update and an account_update for the waiting number, then each is told once, and a forged delivery is refused', async () => {
    const hook = await webhookUrl(tenantId('T0SANDBOX'), 'meta');
    // Meta's example body (phone_number_name_update reference), for our WABA and number.
    const raw = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '123456789012345',
          time: 1739321024,
          changes: [
            {
              field: 'phone_number_name_update',
              value: {
                display_phone_number: '447911123459',
                decision: 'REJECTED',
                requested_verified_name: 'Acme Foods',
                rejection_reason: 'NAME_FORMAT_UNACCEPTABLE',
              },
            },
            // account_update reference: a policy violation on the WABA.
            {
              field: 'account_update',
              value: { event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } },
            },
          ],
        },
      ],
    });
    const post = (signature: string) =>
      fetch(hook, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        body: raw,
      });
    expect((await post(`sha256=${'0'.repeat(64)}`)).status).toBe(401);
    expect((await post(metaSignature(raw))).status).toBe(200);
    expect((await post(metaSignature(raw))).status).toBe(200); // Meta's retry of the same delivery
    await stack.drain();
    await advance(stack);
    const told = (await texts(stack)).filter((t) =>
      t.includes('Meta rejected the display name “Acme Foods”'),
    );
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('its format is not accepted');
    expect(told[0]).toContain(id);
    const account = (await texts(stack)).filter((t) =>
      t.includes('Meta updated the WhatsApp Business Account'),
    );
    expect(account).toHaveLength(1);
    expect(account[0]).toContain('ACCOUNT_VIOLATION (SCAM)');
  });

  it('when a wrong code is entered, then it is explained with what to do and the number keeps waiting', async () => {
    await deployCommand(stack, `deploy verify ${id} 111111`);
    await advance(stack);
    const all = await texts(stack);
    expect(all.some((t) => t.includes(`That code was not accepted for deployment \`${id}\``))).toBe(true);
    expect(all.some((t) => t.includes('136025'))).toBe(true);
    const n = (await cloudState(stack)).numbers[0] as CloudNumber;
    expect(n.code_verification_status).toBe('NOT_VERIFIED');
    expect(n.registrations).toBe(0);
    const card = (await messages(stack)).filter((m) => m.kind === 'chat.update').at(-1);
    expect(String(card?.text)).toContain('WRONG_CODE');
    expect(JSON.stringify(card?.blocks)).toContain('deploy:enter-code');
  });

  it('when a new code is asked for, then Meta is asked once more and the card waits for the code again', async () => {
    await deployCommand(stack, `deploy resend ${id} --method voice`);
    await advance(stack);
    // The sandbox keeps only the last hour's requests per number (two hours passed): count its log.
    const asked = (await cloudState(stack)).requests.filter(
      (r) => r.path.endsWith(`/${id}/request_code`) && r.status === 200,
    );
    expect(asked).toHaveLength(2);
    expect(
      (await texts(stack)).some((t) =>
        t.includes(`A new code for deployment \`${id}\` is on its way by voice call`),
      ),
    ).toBe(true);
    const card = (await messages(stack)).filter((m) => m.kind === 'chat.update').at(-1);
    expect(String(card?.text)).toContain('CODE_SENT');
  });

  it('when 123456 is entered, then the PIN is set, the number registered once and READY is announced', async () => {
    await deployCommand(stack, `deploy verify ${id} 123456`);
    for (let i = 0; i < 4; i++) await advance(stack);
    const n = (await cloudState(stack)).numbers[0] as CloudNumber;
    expect(n).toMatchObject({
      code_verification_status: 'VERIFIED',
      status: 'CONNECTED',
      registrations: 1,
      pinSet: true,
    });
    const all = await texts(stack);
    expect(
      all.some((t) => t.includes('*ready to use*') && t.includes(id)),
      all.slice(-8).join('\n'),
    ).toBe(true);
    // The PIN given is never echoed anywhere in Slack.
    expect(all.some((t) => t.includes('246810'))).toBe(false);
    expect(JSON.stringify(await messages(stack))).not.toContain('246810');
    // Nor stored anywhere unsealed: no item of the table holds it.
    const items: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await ddb().send(
        new ScanCommand({ TableName: tableName(), ConsistentRead: true, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    expect(items.length).toBeGreaterThan(5);
    expect(items.filter((i) => /(^|[^0-9])246810([^0-9]|$)/.test(JSON.stringify(i)))).toEqual([]);
  });

  it('when /wa deploy profile sets About, then Meta has it and the channel is told', async () => {
    const res = await deployCommand(stack, `deploy profile ${id} --about "Fresh food, delivered fast"`);
    expect(res.json.text).toMatch(/updating about/);
    await advance(stack);
    const n = (await cloudState(stack)).numbers[0] as CloudNumber;
    expect(n.profile.about).toBe('Fresh food, delivered fast');
    expect(
      (await texts(stack)).some(
        (t) => t.includes('Updated the business profile') && t.includes('Fresh food'),
      ),
    ).toBe(true);
  });

  it('when /wa deploy status is asked, then the number’s own fields are read and told to the asker', async () => {
    await deployCommand(stack, `deploy status ${id}`);
    await advance(stack);
    const answer = (await texts(stack)).find((t) => t.includes('Quality rating'));
    expect(answer).toMatch(/Verification:\* VERIFIED/);
    expect(answer).toMatch(/Status:\* CONNECTED/);
  });

  it('when /wa deploy photo is given a fitting JPEG, then it goes up through the resumable upload and becomes the profile picture', async () => {
    await deployCommand(stack, `deploy photo ${id} ${images.url}/logo.jpg`);
    await advance(stack);
    const meta = await cloudState(stack);
    expect(meta.uploads.at(-1)).toMatchObject({ received: meta.uploads.at(-1)?.file_length });
    const n = meta.numbers[0] as CloudNumber;
    expect(String(n.profile.profile_picture_url)).toMatch(/^https:\/\//);
    expect((await texts(stack)).some((t) => t.includes(`Profile photo of deployment \`${id}\` set`))).toBe(
      true,
    );
  });

  it('when the deployment is deleted (with its confirmation), then the number is deregistered once and stays on the WABA', async () => {
    const ask = await deployCommand(stack, `deploy delete ${id}`);
    expect(ask.json.text).toMatch(/Delete deployment/);
    await click(stack, 'deploy:delete-confirm', id);
    await advance(stack);
    const n = (await cloudState(stack)).numbers[0] as CloudNumber;
    expect(n).toMatchObject({ status: 'DISCONNECTED', deregistrations: 1 });
    expect((await texts(stack)).some((t) => t.includes(`Deployment \`${id}\` is deregistered`))).toBe(true);
  });

  it('when the member clicks "Enter code", then they are refused', async () => {
    const before = (await messages(stack)).length;
    await click(stack, 'deploy:enter-code', id, MEMBER);
    const after = (await messages(stack)).slice(before);
    expect(after.some((m) => m.kind === 'views.open')).toBe(false);
  });
});
