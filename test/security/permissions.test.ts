import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Clock, setClock } from '../../src/clock.js';
import { resetConfig } from '../../src/config.js';
import { FakeSlack } from '../../src/sandbox/fake-slack.js';
import { addAdmin, getAccessSettings, setRestricted } from '../../src/security/access.js';
import { latestAudit } from '../../src/security/audit.js';
import type { CommandContext } from '../../src/slack/command.js';
import {
  clearAdminCache,
  isAdmin,
  isEligibleUser,
  isWorkspaceAdmin,
  mayNeedAdmin,
  refusal,
  requiredAccess,
  whoCan,
} from '../../src/slack/permissions.js';
import { ddb, resetDdb, tableName } from '../../src/store/dynamo.js';
import { keys, type TenantId, tenantId } from '../../src/store/keys.js';
import { startTestTable } from '../helpers/dynamo.js';
import { startFakeSlackApi } from '../helpers/fake-slack-api.js';
import { captureOutput } from '../helpers/output.js';

/**
 * Who may run admin commands, against the fake Slack's users.info over HTTP (its directory has
 * guests, the app's bot user and a deactivated account), the access settings in dynalite, and a
 * clock the test moves.
 */

let table: Awaited<ReturnType<typeof startTestTable>>;
let slack: Awaited<ReturnType<typeof startFakeSlackApi>>;
let tenantSeq = 0;
/** A workspace of its own per test, so allowlists and audits never mix. */
let T: TenantId;
let now = Date.UTC(2026, 11, 6, 12);
const testClock: Clock = { now: () => now };

beforeAll(async () => {
  table = await startTestTable();
  slack = await startFakeSlackApi();
  setClock(testClock);
});
afterAll(async () => {
  setClock(undefined);
  await slack.close();
  await table.close();
});
beforeEach(() => {
  T = tenantId(`T0PERM${++tenantSeq}`);
  clearAdminCache();
  slack.calls.length = 0;
  // Everyone as the sandbox directory has them, whatever the last test promoted or deactivated.
  slack.fake.users.splice(0, slack.fake.users.length, ...new FakeSlack().users);
});

/** Runs `fn` with the table's name pointing at a table that does not exist: every read fails. */
async function withFailingTable<R>(fn: () => Promise<R>): Promise<R> {
  const name = process.env.TABLE_NAME;
  process.env.TABLE_NAME = 'no-such-table';
  resetConfig();
  resetDdb();
  try {
    return await fn();
  } finally {
    process.env.TABLE_NAME = name;
    resetConfig();
    resetDdb();
  }
}

const user = (id: string) => slack.fake.users.find((u) => u.id === id) as (typeof slack.fake.users)[number];
const usersInfoCalls = () => slack.calls.filter((c) => c === 'users.info').length;

describe('who counts as an admin', () => {
  it('given a full member on the allowlist, when asked, then they are an admin; off it, they are not', async () => {
    const client = slack.client();
    expect(await isAdmin(client, T, 'U0MEMBER')).toBe(false);
    await addAdmin(T, 'U0MEMBER', 'U0ADMIN');
    clearAdminCache();
    expect(await isAdmin(client, T, 'U0MEMBER')).toBe(true);
    expect(await isEligibleUser(client, T, 'U0MEMBER')).toBe(true);
    expect(await isWorkspaceAdmin(client, T, 'U0MEMBER')).toBe(false);
  });

  it.each([
    ['a multi-channel guest', 'U0GUEST'],
    ['a single-channel guest', 'U0SCGUEST'],
    ["the app's bot user", 'U0BOT'],
    ['a deactivated account', 'U0GONE'],
  ])('given %s on the allowlist, when asked, then they are not an admin', async (_what, id) => {
    // Allowlisted while a full member, say, and since made a guest or deactivated.
    await addAdmin(T, id, 'U0ADMIN');
    expect((await getAccessSettings(T)).admins).toContain(id);
    const client = slack.client();
    expect(await isAdmin(client, T, id)).toBe(false);
    expect(await isEligibleUser(client, T, id)).toBe(false);
  });

  it.each([
    ['is_admin', { is_admin: true }],
    ['is_owner', { is_owner: true }],
    ['is_primary_owner', { is_primary_owner: true }],
  ])(
    'given Slack says %s, when asked, then they are an admin without the allowlist',
    async (_flag, facts) => {
      Object.assign(user('U0MEMBER'), { is_admin: false, is_owner: false, ...facts });
      const client = slack.client();
      expect(await isWorkspaceAdmin(client, T, 'U0MEMBER')).toBe(true);
      expect(await isAdmin(client, T, 'U0MEMBER')).toBe(true);
    },
  );

  it('given a workspace admin, when asked, then the allowlist is not read', async () => {
    // The settings cannot be read: an admin is still an admin, from users.info alone.
    const client = slack.client();
    expect(await withFailingTable(() => isAdmin(client, T, 'U0ADMIN'))).toBe(true);
  });

  it('given a user Slack does not know, when asked, then they are nobody, allowlisted or not', async () => {
    await addAdmin(T, 'U0STRANGER', 'U0ADMIN');
    const client = slack.client();
    expect(await isAdmin(client, T, 'U0STRANGER')).toBe(false);
    expect(await isEligibleUser(client, T, 'U0STRANGER')).toBe(false);
  });

  it('given Slack cannot be reached, when asked, then the error comes through as it is', async () => {
    const client = new WebClient('xoxb-any', {
      slackApiUrl: 'http://127.0.0.1:1/api/',
      retryConfig: { retries: 0 },
    });
    await expect(isAdmin(client, T, 'U0ADMIN')).rejects.toMatchObject({ code: 'slack_webapi_request_error' });
  });

  it('given Slack refuses the call itself (a revoked token), when asked, then the error is not taken for "not an admin"', async () => {
    const client = slack.client('xoxb-revoked');
    await expect(isAdmin(client, T, 'U0ADMIN')).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });
});

describe('the admin facts cache', () => {
  it('given a burst of checks within a minute, when asked, then users.info is called once', async () => {
    const client = slack.client();
    for (let i = 0; i < 5; i++) {
      expect(await isWorkspaceAdmin(client, T, 'U0ADMIN')).toBe(true);
      now += 10_000;
    }
    expect(usersInfoCalls()).toBe(1);
  });

  it('given an admin demoted in Slack, when the clock passes the cache time (60 s), then they are no longer an admin', async () => {
    const client = slack.client();
    expect(await isAdmin(client, T, 'U0ADMIN')).toBe(true);
    user('U0ADMIN').is_admin = false;
    now += 59_999;
    expect(await isAdmin(client, T, 'U0ADMIN')).toBe(true);
    now += 1;
    expect(await isAdmin(client, T, 'U0ADMIN')).toBe(false);
    expect(usersInfoCalls()).toBe(2);
  });

  it('given a member deactivated in Slack, when the cache time has passed, then the allowlist no longer makes them an admin', async () => {
    await addAdmin(T, 'U0MEMBER', 'U0ADMIN');
    const client = slack.client();
    expect(await isAdmin(client, T, 'U0MEMBER')).toBe(true);
    user('U0MEMBER').deleted = true;
    now += 60_000;
    expect(await isAdmin(client, T, 'U0MEMBER')).toBe(false);
  });

  it('given a user unknown to Slack, when asked again within a minute, then Slack is not asked again', async () => {
    const client = slack.client();
    expect(await isAdmin(client, T, 'U0STRANGER')).toBe(false);
    expect(await isAdmin(client, T, 'U0STRANGER')).toBe(false);
    expect(usersInfoCalls()).toBe(1);
  });

  it('given the same user id in two workspaces, when asked, then each workspace gets its own facts', async () => {
    const other = await startFakeSlackApi();
    try {
      (other.fake.users.find((u) => u.id === 'U0MEMBER') as { is_admin: boolean }).is_admin = true;
      const T2 = tenantId(`${T}X`);
      expect(await isWorkspaceAdmin(other.client(), T2, 'U0MEMBER')).toBe(true);
      expect(await isWorkspaceAdmin(slack.client(), T, 'U0MEMBER')).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('given a cleared cache, when asked, then Slack is asked again', async () => {
    const client = slack.client();
    await isAdmin(client, T, 'U0ADMIN');
    clearAdminCache();
    await isAdmin(client, T, 'U0ADMIN');
    expect(usersInfoCalls()).toBe(2);
  });
});

describe('the access a command needs', () => {
  const invite = { path: 'invite partner', access: 'member', restrict: 'invites' } as const;
  const connect = { path: 'connect', access: 'admin' } as const;
  const jobs = { path: 'jobs', access: 'member' } as const;

  it('given an admin command, then it needs admin, whatever the settings', async () => {
    expect(await withFailingTable(() => requiredAccess(connect, T))).toBe('admin');
    expect(mayNeedAdmin(connect)).toBe(true);
  });

  it('given a member command no admin can restrict, then it needs member and reads nothing', async () => {
    expect(await withFailingTable(() => requiredAccess(jobs, T))).toBe('member');
    expect(mayNeedAdmin(jobs)).toBe(false);
  });

  it('given a restrictable command, when its group is restricted, then it needs admin; when another group is, member', async () => {
    expect(mayNeedAdmin(invite)).toBe(true);
    expect(await requiredAccess(invite, T)).toBe('member');
    await setRestricted(T, 'templates', true, 'U0ADMIN');
    expect(await requiredAccess(invite, T)).toBe('member');
    await setRestricted(T, 'invites', true, 'U0ADMIN');
    expect(await requiredAccess(invite, T)).toBe('admin');
  });

  it("given the command's own read of the settings, then that read decides", async () => {
    const restricted = async () => ({ restricted: new Set(['invites']) });
    expect(await requiredAccess(invite, T, restricted)).toBe('admin');
  });

  it('given the settings cannot be read, when a restrictable command asks, then it needs admin (fail closed), and says so in the log', async () => {
    const out: string[] = [];
    captureOutput(out);
    try {
      expect(await withFailingTable(() => requiredAccess(invite, T))).toBe('admin');
    } finally {
      vi.restoreAllMocks();
    }
    const line = out.find((l) =>
      l.includes('could not read access settings; treating the command as admin-only'),
    );
    expect(line).toContain('"level":"WARN"');
    expect(line).toContain('ResourceNotFoundException');
    const failing = () => Promise.reject(new Error('ProvisionedThroughputExceededException'));
    expect(await requiredAccess(invite, T, failing)).toBe('admin');
  });
});

describe('refusing an admin command', () => {
  const NOBODY_ELSE =
    'workspace admins and owners (nobody else is on this app’s admin list yet: a workspace admin or owner can add people with `/wa admins add @user`)';
  const ctx = () => ({ tenant: T, userId: 'U0MEMBER' }) as CommandContext;

  it('given a member, when refused, then the refusal is audited and names who can run it', async () => {
    await addAdmin(T, 'U0ALLOWED', 'U0ADMIN');
    const reply = await refusal({ path: 'audit' }, ctx());
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toBe(
      ':no_entry: `/wa audit` is for workspace admins/owners and <@U0ALLOWED>. Ask one of them to run it.',
    );
    expect(await latestAudit(T)).toEqual([
      expect.objectContaining({
        actor: 'U0MEMBER',
        action: 'command.refused',
        target: '/wa audit',
        outcome: 'refused',
        detail: 'not an admin',
      }),
    ]);
  });

  it('given a restricted group, when refused, then the refusal says an admin restricted it', async () => {
    const reply = await refusal({ path: 'invite sign', restrict: 'invites' }, ctx());
    expect(reply.text).toBe(
      `:no_entry: \`/wa invite sign\` is for ${NOBODY_ELSE}. An admin has restricted sending and cancelling invites to admins in this workspace. Ask one of them to run it.`,
    );
  });

  it('given the table cannot be written or read, when refused, then the refusal still answers, and the log says what failed', async () => {
    const out: string[] = [];
    captureOutput(out);
    let reply: Awaited<ReturnType<typeof refusal>>;
    try {
      reply = await withFailingTable(() => refusal({ path: 'audit' }, ctx()));
    } finally {
      vi.restoreAllMocks();
    }
    for (const message of ['could not audit a refusal', 'could not read the admin allowlist']) {
      const line = out.find((l) => l.includes(message));
      expect(line, message).toContain('"level":"WARN"');
      expect(line, message).toContain('ResourceNotFoundException');
    }
    expect(reply.text).toContain('is for workspace admins and owners, and people an admin has allowlisted.');
  });

  it('given several allowlisted people, then whoCan names them all', async () => {
    expect(await whoCan(T)).toBe(NOBODY_ELSE);
    await addAdmin(T, 'U0AAA', 'U0ADMIN');
    await addAdmin(T, 'U0BBB', 'U0ADMIN');
    expect(await whoCan(T)).toBe('workspace admins/owners and <@U0AAA>, <@U0BBB>');
  });
});

describe('the access settings as stored', () => {
  const putSettings = (item: Record<string, unknown>) =>
    ddb().send(new PutCommand({ TableName: tableName(), Item: { ...keys.settings(T), ...item } }));

  it('given people allowlisted out of order, when read, then the allowlist comes back sorted', async () => {
    await addAdmin(T, 'U0ZED', 'U0ADMIN');
    await addAdmin(T, 'U0ABE', 'U0ADMIN');
    await addAdmin(T, 'U0MID', 'U0ADMIN');
    expect((await getAccessSettings(T)).admins).toEqual(['U0ABE', 'U0MID', 'U0ZED']);
  });

  it('given an allowlist and restrictions stored as lists (written by hand), when read, then they count like sets', async () => {
    await putSettings({ admins: ['U0ZED', 'U0ABE'], restricted: ['verify', 'invites'] });
    const settings = await getAccessSettings(T);
    expect(settings.admins).toEqual(['U0ABE', 'U0ZED']);
    expect(settings.restricted).toEqual(['invites', 'verify']);
  });

  it('given a restriction of a group that does not exist (any more), when read, then it is left out', async () => {
    await putSettings({ restricted: new Set(['bogus', 'templates']) });
    expect((await getAccessSettings(T)).restricted).toEqual(['templates']);
  });

  it('given a full allowlist, when one more is added, then the refusal says so', async () => {
    await putSettings({ admins: new Set(Array.from({ length: 50 }, (_, i) => `U0FULL${i}`)) });
    const err = await addAdmin(T, 'U0ONEMORE', 'U0ADMIN').catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'AllowlistFullError',
      code: 'allowlist_full',
      message: 'the allowlist holds at most 50 people',
    });
  });

  it('given a change, when read, then who made it and when are kept', async () => {
    now = Date.UTC(2026, 11, 6, 13);
    await setRestricted(T, 'optins', true, 'U0ADMIN');
    expect(await getAccessSettings(T)).toMatchObject({
      restricted: ['optins'],
      changedBy: 'U0ADMIN',
      changedAt: '2026-12-06T13:00:00.000Z',
    });
  });
});
