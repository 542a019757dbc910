import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptFaults } from '../../src/sandbox/providers/cm-channels.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { latestAudit } from '../../src/security/audit.js';
import { tenantId } from '../../src/store/keys.js';
import { run, sandboxState, textOf } from '../templates/support.js';

// Opt-ins live in DynamoDB (answered on the ack path); verification goes to the CommBox sandbox
// over HTTP only for opted-in numbers, under a daily cap of 6 for this file.
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    env: { CONTACT_VERIFY_DAILY_CAP: '6', COMMBOX_RATE_PER_MINUTE: '6000', SANDBOX_FAULT_RATE: '0' },
  });
});
afterAll(async () => {
  await stack?.close();
});

const validations = async () => (await sandboxState(stack.url)).commbox.validations;

describe('opt-ins and contact verification', () => {
  it('refuses to verify before an opt-in is recorded, and answers after (1 of 6 today)', async () => {
    // Given no opt-in for the number
    const refused = await run(stack.url, 'contact verify +31612345678');
    // Then it is refused with the reason, and CommBox is not asked
    expect(refused.ack.json.text).toMatch(/No opt-in is on record for \+31612345678,[\s\S]*ban/);
    await stack.drain();
    expect(await validations()).toHaveLength(0);

    // When the opt-in is recorded
    const optin = await run(
      stack.url,
      'contact optin +31612345678 --source "Signed the paper form at the Utrecht store"',
    );
    expect(optin.ack.json.text).toMatch(
      /Opt-in recorded for \+31612345678.*\*Sandbox Workspace\*.*Utrecht store/,
    );
    const show = await run(stack.url, 'contact show +31612345678');
    expect(show.ack.json.text).toMatch(
      /opted in[\s\S]*Business: Sandbox Workspace[\s\S]*Recorded by <@U0ADMIN>/,
    );
    // Times as Slack shows them, in each reader's zone, with a plain fallback: no raw ISO.
    for (const text of [optin.ack.json.text, show.ack.json.text]) {
      expect(text).toMatch(
        /<!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC>/,
      );
      expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    }

    // Then verification runs as a job and shows CommBox's answer, as the provider's answer
    const verified = await run(stack.url, 'contact verify +31612345678');
    expect(verified.ack.json.text).toContain('Looking it up');
    await stack.drain();
    const report = textOf(await verified.since());
    expect(report).toMatch(/\+31•+78: :white_check_mark: CommBox says valid/);
    expect(report).toContain('may report any number as valid');
    expect(await validations()).toEqual([expect.objectContaining({ phone: '31612345678', valid: true })]);
  });

  it('withdraws an opt-in, after which verification is refused again; every change is audited', async () => {
    await run(stack.url, 'contact optin +31687654321 --source "web form" --business "Acme Ltd"');
    const out = await run(stack.url, 'contact optout +31687654321');
    expect(out.ack.json.text).toContain('Opt-in withdrawn');
    const again = await run(stack.url, 'contact optout +31687654321');
    expect(again.ack.json.text).toContain('no active opt-in');
    const show = await run(stack.url, 'contact show +31687654321');
    expect(show.ack.json.text).toMatch(/withdrawn[\s\S]*Business: Acme Ltd/);
    expect(show.ack.json.text).toMatch(/Withdrawn by <@U0ADMIN> <!date\^\d+\^/);
    expect(show.ack.json.text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    const verify = await run(stack.url, 'contact verify +31687654321');
    expect(verify.ack.json.text).toContain('No opt-in is on record');

    const trail = await latestAudit(tenantId('T0SANDBOX'), 50);
    const actions = trail.map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining(['optin.recorded:ok', 'optin.withdrawn:ok', 'contact.verify:refused']),
    );
    expect(JSON.stringify(trail)).not.toContain('31687654321');
  });

  it('verifies a comma list as one job, updating one progress message, skipping numbers without opt-in (5 of 6)', async () => {
    for (const n of ['+31611110000', '+31622223333', '+31633332222'])
      await run(stack.url, `contact optin ${n} --source "web form"`);
    const before = (await validations()).length;
    await run(stack.url, 'contact optin +31644440000 --source "web form"');
    const { ack, since } = await run(
      stack.url,
      'contact verify +31611110000,+31622223333, +31633332222,+31633334444,+31644440000',
    );
    expect(ack.json.text).toMatch(
      /checking 4 opted-in numbers[\s\S]*Not checked, no opt-in on record: \+31633334444\./,
    );
    await stack.drain();
    const msgs = await since();
    const posted = msgs.filter((m) => m.kind === 'chat.postMessage');
    // One card, posted as the job starts and kept current (issue 12, item 3).
    expect(posted).toHaveLength(1);
    expect(posted[0]?.text).toContain('0 of 4 done');
    const updates = msgs.filter((m) => m.kind === 'chat.update');
    expect(updates.every((u) => u.ts === posted[0]?.ts)).toBe(true);
    expect(updates.some((u) => String(u.text).includes('3 of 4 done'))).toBe(true);
    expect(updates.at(-1)?.text).toMatch(
      /\+31•+00: :x: CommBox says not valid[\s\S]*\+31•+33: :white_check_mark:[\s\S]*\+31•+22: :white_check_mark:[\s\S]*\+31•+00: :x:[\s\S]*may report any number as valid/,
    );
    expect(await validations()).toHaveLength(before + 4);
  });

  it('enforces the daily cap with a clear refusal, checking nothing', async () => {
    const numbers = ['+31644445555', '+31655556666'];
    for (const n of numbers) await run(stack.url, `contact optin ${n} --source "web form"`);
    const before = (await validations()).length;
    const over = await run(stack.url, `contact verify ${numbers.join(',')}`);
    expect(over.ack.json.text).toMatch(
      /may verify 6 numbers a day[\s\S]*has 1 left today; you asked for 2[\s\S]*Nothing was checked/,
    );
    const fits = await run(stack.url, `contact verify ${numbers[0]}`);
    expect(fits.ack.json.text).toContain('6 of 6 verifications used today');
    await stack.drain();
    const last = await run(stack.url, `contact verify ${numbers[1]}`);
    expect(last.ack.json.text).toContain('has 0 left today');
    await stack.drain();
    expect(await validations()).toHaveLength(before + 1);
  });

  it('rejects malformed numbers with the usage line', async () => {
    const bad = await run(stack.url, 'contact optin 0612345678 --source x');
    expect(bad.ack.json.text).toMatch(/is not a phone number in E\.164 form[\s\S]*Usage/);
    const noSource = await run(stack.url, 'contact optin +31612345678');
    expect(noSource.ack.json.text).toMatch(/missing --source/);
  });
});

describe('verification under provider faults', () => {
  it('completes despite a 500 and a 429 from CommBox', async () => {
    // The cap of 6 is used up today in this file: the counter is per UTC day, so lift it.
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { ddb, tableName } = await import('../../src/store/dynamo.js');
    const { keys } = await import('../../src/store/keys.js');
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.settings(tenantId('T0SANDBOX')),
        UpdateExpression: 'SET verifyDailyCap = :c',
        ExpressionAttributeValues: { ':c': 100 },
      }),
    );
    scriptFaults('commbox', ['500', '429']);
    const faults = (await sandboxState(stack.url)).commbox.stats.faults;
    const { since } = await run(stack.url, 'contact verify +31612345678');
    await stack.drain();
    expect(textOf(await since())).toMatch(/CommBox says valid/);
    expect((await sandboxState(stack.url)).commbox.stats.faults).toBe(faults + 2);
  });
});
