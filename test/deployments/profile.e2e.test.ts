import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock } from '../../src/clock.js';
import { IMAGE_REFUSED } from '../../src/deployments/image.js';
import { removeCredentials, setCredentials } from '../../src/providers/credentials.js';
import type { LocalStack } from '../../src/sandbox/server.js';
import { claimObject } from '../../src/security/ownership.js';
import { tenantId } from '../../src/store/keys.js';
import { slackMessages } from '../helpers/slack.js';
import { imageServer, jpegHead, pngHead } from './images.js';
import { advanceUntil, deployCommand, MEMBER, startStack, TEAM, texts, vonageState } from './support.js';

/**
 * Bad input for every deploy command (nothing reaches Vonage), then the business profile,
 * profile photo and stickerpacks of a READY deployment.
 */

let stack: LocalStack;
let images: Awaited<ReturnType<typeof imageServer>>;
let id = '';

beforeAll(async () => {
  images = await imageServer({
    'ok.png': { body: pngHead(640, 640), type: 'image/png' },
    'ok.jpg': { body: jpegHead(300, 200), type: 'image/jpeg' },
    'small.png': { body: pngHead(100, 300), type: 'image/png' },
    'wide.jpg': { body: jpegHead(800, 600), type: 'image/jpeg' },
    'huge.png': { body: pngHead(500, 500), type: 'image/png', size: 6 * 1024 * 1024 },
    'doc.gif': { body: Buffer.from('GIF89a........'), type: 'image/gif' },
  });
  // The image server is on 127.0.0.1 over http: only the explicit local allowlist lets the
  // SSRF guard fetch from it.
  stack = await startStack({ SAFE_FETCH_TEST_ALLOWLIST: images.url });
  await deployCommand(stack, 'deploy start +31612345679 --waba 5550001 --cert AbCdEFGHiJK123456');
  id = (await vonageState(stack)).deployments[0]?.id ?? '';
  await advanceUntil(stack, id, 'CODE_SENT');
  await deployCommand(stack, `deploy verify ${id} 123456`);
  await advanceUntil(stack, id, 'READY');
});
afterAll(async () => {
  await Promise.all([stack?.close(), images?.close()]);
});

async function refused(text: string, pattern: RegExp) {
  const before = (await vonageState(stack)).requests.length;
  const res = await deployCommand(stack, text);
  expect(res.json.response_type).toBe('ephemeral');
  expect(res.json.text).toMatch(/^:warning:/);
  expect(res.json.text).toMatch(pattern);
  expect(res.json.text).toContain('Usage: `/wa deploy');
  expect((await vonageState(stack)).requests.length).toBe(before);
}

describe('bad input is refused with a clear error before anything is sent', () => {
  it('when the number is not E.164 or not valid, then it says so', async () => {
    await refused(
      'deploy start 0612345678 --waba 123456 --cert AbCdEFGHiJK123456',
      /not a phone number in E\.164 form/,
    );
    await refused(
      'deploy start +999123 --waba 123456 --cert AbCdEFGHiJK123456',
      /E\.164|not a valid phone number/,
    );
  });
  it('when --waba or --cert is missing or malformed, then it names the flag', async () => {
    await refused('deploy start +31612345678 --cert AbCdEFGHiJK123456', /missing --waba/);
    await refused('deploy start +31612345678 --waba 123456', /missing --cert/);
    await refused(
      'deploy start +31612345678 --waba abc --cert AbCdEFGHiJK123456',
      /--waba: "abc" is not a WABA id/,
    );
    await refused(
      'deploy start +31612345678 --waba 123456 --cert AbCdEFGHiJK123456 --method fax',
      /--method: must be sms or voice/,
    );
    await refused(
      'deploy start +31612345678 --waba 123456 --cert AbCdEFGHiJK123456 --pin 12',
      /--pin: must be the 6-digit/,
    );
  });
  it('when the code is not 6 digits, then it is refused', async () => {
    await refused(`deploy verify ${id} 12345`, /6 digits/);
    await refused(`deploy verify ${id}`, /missing the code/);
  });
  it('when profile fields break the documented limits, then each is named', async () => {
    await refused(
      `deploy profile ${id} --about "${'a'.repeat(140)}"`,
      /--about: is 140 characters; the limit is 139/,
    );
    await refused(
      `deploy profile ${id} --address "${'a'.repeat(257)}"`,
      /--address: is 257 characters; the limit is 256/,
    );
    await refused(
      `deploy profile ${id} --description "${'d'.repeat(257)}"`,
      /--description: is 257 characters/,
    );
    await refused(
      `deploy profile ${id} --email "${'e'.repeat(120)}@example.com"`,
      /--email: is 132 characters; the limit is 128/,
    );
    await refused(
      `deploy profile ${id} --email not-an-email`,
      /--email: "not-an-email" is not an email address/,
    );
    await refused(
      `deploy profile ${id} --vertical Bakery`,
      /--vertical: "Bakery" is not a WhatsApp vertical; use one of: Automotive/,
    );
    await refused(
      `deploy profile ${id} --website https://a.example --website https://b.example --website https://c.example`,
      /at most 2 websites/,
    );
    await refused(`deploy profile ${id} --website https://x.example/${'p'.repeat(260)}`, /longer than 256/);
    await refused(`deploy profile ${id} --website ftp://x.example`, /not an http\(s\) URL/);
  });
  it('when a photo URL or stickerpack link is malformed, then it is refused', async () => {
    await refused(`deploy photo ${id} not-a-url`, /not an http\(s\) URL/);
    await refused(`deploy stickerpack-create ${id} --publisher Acme`, /missing --name/);
    await refused(
      `deploy stickerpack-create ${id} --name Pack --publisher Acme --ios https://example.com/app`,
      /App Store link/,
    );
  });
});

describe('business profile, photo and stickerpacks', () => {
  it('when the admin sets profile fields, then Vonage gets exactly those, vertical spelled as WhatsApp does', async () => {
    const res = await deployCommand(
      stack,
      `deploy profile ${id} --about "Fresh bread daily" --vertical "food and grocery" --website https://bakery.example --website https://shop.bakery.example --email hello@bakery.example`,
    );
    expect(res.json.text).toMatch(/On it: updating/);
    const dep = (await vonageState(stack)).deployments.find((d) => d.id === id);
    expect(dep?.profile).toEqual({
      about: 'Fresh bread daily',
      vertical: 'Food and Grocery',
      websites: ['https://bakery.example', 'https://shop.bakery.example'],
      email: 'hello@bakery.example',
    });
    expect(
      (await texts(stack)).some(
        (t) => t.includes('Updated the business profile') && t.includes('Fresh bread daily'),
      ),
    ).toBe(true);
  });

  it('when no flag is given, then the profile is shown', async () => {
    await deployCommand(stack, `deploy profile ${id}`);
    const shown = (await texts(stack)).filter((t) => t.includes(':bust_in_silhouette: Business profile'));
    expect(shown.at(-1)).toContain('*Vertical:* Food and Grocery');
  });

  it('when the photo is a fitting PNG or JPEG, then it is set; otherwise the reason is given and nothing is sent', async () => {
    await deployCommand(stack, `deploy photo ${id} ${images.url}/ok.png`);
    expect((await vonageState(stack)).deployments.find((d) => d.id === id)?.photo).toBe(
      `${images.url}/ok.png`,
    );
    await deployCommand(stack, `deploy photo ${id} ${images.url}/ok.jpg`);
    expect((await vonageState(stack)).deployments.find((d) => d.id === id)?.photo).toBe(
      `${images.url}/ok.jpg`,
    );

    for (const [file, reason] of [
      ['small.png', 'it is 100×300 px; it must be at least 192 px'],
      ['wide.jpg', 'it is 800×600 px; it must be at most 640×640 px'],
      ['doc.gif', 'not a PNG or JPEG'],
    ] as const) {
      await deployCommand(stack, `deploy photo ${id} ${images.url}/${file}`);
      expect((await texts(stack)).some((t) => t.includes(file) && t.includes(reason))).toBe(true);
    }
    // Over 5 MB (the guard's size cap), loopback, the metadata service, http, another port: each
    // gets the one sentence for a refused URL, and nothing reaches Vonage.
    const photoCalls = async () =>
      (await vonageState(stack)).requests.filter((r) => r.pattern.endsWith('/profile/photo')).length;
    const sent = await photoCalls();
    const answers = new Set<string>();
    for (const url of [
      `${images.url}/huge.png`,
      'https://127.0.0.1/x.png',
      'https://169.254.169.254/latest/meta-data/',
      'http://images.example/x.png',
      'https://images.example:8443/x.png',
    ]) {
      const before = (await texts(stack)).length;
      await deployCommand(stack, `deploy photo ${id} ${url}`);
      const said = (await texts(stack)).slice(before).join('\n');
      expect(said, url).toContain(IMAGE_REFUSED);
      expect(said.replace(IMAGE_REFUSED, ''), url).not.toMatch(/px|MB|HTTP|status|timeout|redirect/i);
      answers.add(said);
    }
    expect(answers.size).toBe(1);
    expect(await photoCalls()).toBe(sent);
    expect((await vonageState(stack)).deployments.find((d) => d.id === id)?.photo).toBe(
      `${images.url}/ok.jpg`,
    );
  });

  it('when a stickerpack is created and listed, then Vonage gets the documented body and the list shows it', async () => {
    await deployCommand(
      stack,
      `deploy stickerpack-create ${id} --name "Bakery pack" --publisher "Bakery Inc" --android https://play.google.com/store/apps/details?id=com.bakery`,
    );
    const create = (await vonageState(stack)).requests.find(
      (r) => r.method === 'POST' && r.pattern.endsWith('/stickerpacks'),
    );
    expect(create?.body).toEqual({
      publisher: 'Bakery Inc',
      name: 'Bakery pack',
      android_app_store_link: 'https://play.google.com/store/apps/details?id=com.bakery',
    });
    await deployCommand(stack, `deploy stickerpacks ${id}`, MEMBER);
    expect(
      (await texts(stack)).some(
        (t) => t.includes(':frame_with_picture: Stickerpacks') && t.includes('Bakery pack'),
      ),
    ).toBe(true);
    // Said wherever they appear: not in the published API, and On-Premises stickers are gone.
    const list = (await slackMessages(stack.url)).filter((m) =>
      String(m.text).includes(':frame_with_picture: Stickerpacks'),
    );
    expect(JSON.stringify(list.at(-1)?.blocks)).toContain("Not in Vonage's published API");
    const help = await deployCommand(stack, 'help', MEMBER);
    expect(help.json.text).toMatch(/deploy stickerpacks[^\n]*Not in Vonage's published API/);
  });

  it('when the status is asked for, then the fresh state is shown', async () => {
    const res = await deployCommand(stack, `deploy status ${id}`, MEMBER);
    expect(res.json.text).toContain('Last known: *READY*');
    expect((await texts(stack)).at(-1)).toMatch(/READY/);
  });

  it('given credentials Vonage refuses, when a deployment is asked about, then the admin is told to use /wa connect', async () => {
    // A well-formed, unexpired JWT of another application: Vonage (the sandbox) answers 401.
    const { privateKey } = await generateKeyPair('RS256');
    const iat = Math.floor(clock.now() / 1000);
    const other = await new SignJWT({ application_id: '4f1c6a2e-8b1d-4c55-9d7e-0a1b2c3d4e5f' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(privateKey);
    try {
      await setCredentials(tenantId('T0SANDBOX'), 'vonage', { bearerJwt: other }, 'U0ADMIN');
      await deployCommand(stack, `deploy status ${id}`);
      expect((await texts(stack)).at(-1)).toMatch(
        /Vonage refused this workspace's credentials.*`\/wa connect`/,
      );
      // One Vonage would refuse by its own rules (no iat, no exp) is not even sent.
      await setCredentials(tenantId('T0SANDBOX'), 'vonage', { bearerJwt: 'not.the.right-jwt' }, 'U0ADMIN');
      const before = (await vonageState(stack)).requests.length;
      await deployCommand(stack, `deploy status ${id}`);
      expect((await texts(stack)).at(-1)).toMatch(
        /Vonage JWT saved for this workspace cannot be used.*`\/wa connect`/,
      );
      expect((await vonageState(stack)).requests.length).toBe(before);
    } finally {
      await removeCredentials(tenantId('T0SANDBOX'), 'vonage');
    }
  });

  it('when the deployment is unknown to Vonage, then the 404 detail is reported', async () => {
    // A deployment this workspace created (so it may name it) that Vonage no longer knows.
    await claimObject(tenantId(TEAM), 'deployment', '00000000-0000-4000-8000-00000000dead');
    await deployCommand(stack, 'deploy status 00000000-0000-4000-8000-00000000dead');
    expect((await texts(stack)).at(-1)).toMatch(/not-found.*does not exist/);
  });
});
