import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRepository } from '../../src/jobs/repository.js';
import { type LocalStack, startLocalStack } from '../../src/sandbox/server.js';
import { countrySuggestion } from '../../src/slack/schemas.js';
import { tenantId } from '../../src/store/keys.js';
import { command, sandboxFetch } from '../helpers/slack.js';

/**
 * Issue 12, item 7: a refused command says what is wrong with what was typed (not a nearby
 * rule), names fields in words, and starts nothing. Run against the local stack: signed slash
 * commands, the real router and schemas, dynalite and the provider sandboxes.
 */

const T = tenantId('T0SANDBOX');
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, env: { LOG_LEVEL: 'ERROR' } });
});
afterAll(async () => {
  await stack?.close();
});

/** Jobs of the workspace and provider records: what a refused command must leave unchanged. */
async function footprint() {
  const jobs = await new JobRepository().list(T, { all: true, limit: 200 });
  const state = (await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as {
    zavu: { invitations: unknown[] };
    'cm-sign': { dossiers: unknown[] };
    vonage: { deployments: unknown[]; requests: unknown[] };
  };
  return {
    jobs: jobs.length,
    invitations: state.zavu.invitations.length,
    dossiers: state['cm-sign'].dossiers.length,
    deployments: state.vonage.deployments.length,
    vonageRequests: state.vonage.requests.length,
  };
}

async function refused(text: string, user = 'U0ADMIN'): Promise<string> {
  const before = await footprint();
  const res = await command(stack.url, text, { user_id: user });
  await stack.drain();
  expect(res.status).toBe(200);
  expect(res.json.response_type).toBe('ephemeral');
  expect(await footprint()).toEqual(before);
  return res.json.text ?? '';
}

const SIGN = 'invite sign "Ann Lee" ann@example.com +31612345678 --template tpl-1';
const UUID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';

describe('validation messages say what is wrong', () => {
  it('--waba 123 is too short (not "digits only"); letters are named as letters', async () => {
    const short = await refused('deploy start +31612345678 --waba 123 --cert AbCdEFGHiJK123456');
    expect(short).toMatch(/--waba: "123" is too short for a WABA id \(3 digits; a WABA id has 5 to 32/);
    expect(short).not.toMatch(/digits only/);
    const letters = await refused('deploy start +31612345678 --waba 12ab45 --cert AbCdEFGHiJK123456');
    expect(letters).toMatch(/--waba: "12ab45" is not a WABA id: a WABA id has only digits/);
    const long = await refused(`deploy start +31612345678 --waba ${'1'.repeat(33)} --cert AbCdEFGHiJK123456`);
    expect(long).toMatch(/--waba: 33 digits are too many for a WABA id/);
  });

  it('--expires abc is not a number (not "missing"); a missing value is still called missing', async () => {
    const abc = await refused(`${SIGN} --expires abc`);
    expect(abc).toMatch(
      /--expires: "abc" is not a number: the expiry is a whole number of days, from 1 to 90\./,
    );
    expect(abc).not.toMatch(/missing/);
    expect(await refused(`${SIGN} --remind soon`)).toMatch(/--remind: "soon" is not a number/);
    expect(await refused('invite partner "Acme" --days 1.5')).toMatch(
      /--days: the validity must be a whole number of days/,
    );
    expect(await refused(`${SIGN} --expires 91`)).toMatch(
      /--expires: the expiry must be between 1 and 90 days/,
    );
    expect(await refused('deploy start +31612345678 --cert AbCdEFGHiJK123456')).toMatch(/missing --waba/);
  });

  it('deploy status and verify refuse what is neither a deployment id nor a number before any job starts', async () => {
    for (const text of [
      'deploy status not-a-uuid',
      'deploy verify not-a-uuid 123456',
      'deploy resend 12345',
    ]) {
      const reply = await refused(text);
      expect(reply).toMatch(
        /is neither a deployment's number \(\+44 7911 123459\) nor its reference \(DEP-3\) nor its id \(aaaaaaaa-bbbb-cccc-dddd-0123456789ab/,
      );
      expect(reply).toContain('Usage: `/wa deploy');
    }
    // A well-formed id is read, and then the code is what is wrong.
    expect(await refused(`deploy verify ${UUID} 12345`)).toMatch(/the code must be the 6 digits/);
  });

  it('--countries is checked against ISO 3166 alpha-2, with the code meant for a common mistake', async () => {
    expect(await refused('invite partner "Acme" --countries US,UK')).toMatch(
      /--countries: "UK" is not an ISO 3166 country code: did you mean GB \(United Kingdom\)\?\n/,
    );
    expect(await refused('invite partner "Acme" --countries EL')).toMatch(/did you mean GR \(Greece\)\?/);
    expect(await refused('invite partner "Acme" --countries QQ')).toMatch(
      /"QQ" is not an ISO 3166 country code \(two letters, like US, MX or GB\)/,
    );
    expect(await refused('invite partner "Acme" --countries USA')).toMatch(
      /"USA" is not a two-letter ISO 3166 country code/,
    );
    // Ascension has phone numbers (libphonenumber) but no ISO 3166-1 code of its own.
    expect(await refused('invite partner "Acme" --countries AC')).toMatch(
      /"AC" is not an ISO 3166 country code/,
    );
    expect(await countrySuggestion('YU')).toBe('RS');
    expect(await countrySuggestion('QQ')).toBeUndefined();
  });

  it('every wrong field is named at once, each country of a list too', async () => {
    const text = await refused('invite partner "Acme" --email nope --days 99 --countries UK,XX');
    const message = text.split('\nUsage:')[0] ?? '';
    expect(message).toContain('--email: "nope" is not an email address.');
    expect(message).toContain('--days: the validity must be between 1 and 30 days.');
    // Both codes, in the order typed, on the countries line.
    expect(message).toMatch(
      /--countries: "UK" is not an ISO 3166 country code: did you mean GB \(United Kingdom\)\?; "XX" is not/,
    );
    expect(message.split('\n')).toHaveLength(3);
  });

  it('a country given by name is answered with its code', async () => {
    expect(await refused('invite partner "Acme" --countries Netherlands')).toMatch(
      /"Netherlands" is not an ISO 3166 country code: did you mean NL \(Netherlands\)\?/,
    );
    expect(await refused('admins set country netherlands')).toMatch(/did you mean NL \(Netherlands\)\?/);
  });

  it('a mistyped subcommand gets a suggestion', async () => {
    expect(await refused('inviet')).toMatch(/Unknown subcommand `inviet`\. Did you mean `\/wa invite`\?/);
    expect(await refused('invite sing "Ann" a@b.co +31612345678')).toMatch(
      /Did you mean `\/wa invite sign`\?/,
    );
    expect(await refused('tempalte list')).toMatch(/Did you mean `\/wa template list`\?/);
    // Nothing near: no guess.
    expect(await refused('zzzzzz')).not.toMatch(/Did you mean/);
  });

  it('valid country codes in any case are accepted, once each', async () => {
    const res = await command(stack.url, 'invite partner "Lowercase Ltd" --countries us,mx,MX');
    await stack.drain();
    expect(res.json.text).toMatch(/On it/);
    const state = (await (await sandboxFetch(stack.url, '/_sandbox/state')).json()) as {
      zavu: { invitations: Array<{ clientName?: string; allowedPhoneCountries?: string[] }> };
    };
    const inv = state.zavu.invitations.find((i) => i.clientName === 'Lowercase Ltd');
    expect(inv?.allowedPhoneCountries).toEqual(['US', 'MX']);
  });

  it('field names are words, never camelCase, in every refusal', async () => {
    const texts = [
      await refused('invite sign'),
      await refused('invite partner'),
      await refused('deploy verify'),
      await refused(`deploy verify ${UUID}`),
      await refused('template send'),
      await refused('contact optin'),
    ];
    expect(texts[0]).toMatch(/missing the invitee name/);
    expect(texts[1]).toMatch(/missing the client name/);
    expect(texts[2]).toMatch(/missing the deployment id/);
    expect(texts[3]).toMatch(/missing the code/);
    for (const t of texts) {
      // The usage line keeps its <placeholders>; the message before it has no camelCase word.
      const message = t.split('\nUsage:')[0] ?? '';
      expect(message).not.toMatch(/\b[a-z]+[A-Z][A-Za-z]*\b/);
    }
  });
});
