import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { commands, findCommand } from '../../src/app/catalog.js';
import { runCommand } from '../../src/app/router.js';
import { parseFlags } from '../../src/slack/args.js';
import { type CommandContext, defineCommand, validateInput } from '../../src/slack/command.js';
import { days, e164, email, name } from '../../src/slack/schemas.js';
import { tenantId } from '../../src/store/keys.js';

function ctx(admin: boolean): CommandContext {
  return {
    tenant: tenantId('T0UNIT'),
    teamId: 'T0UNIT',
    userId: 'U1',
    channelId: 'C1',
    client: {} as never,
    isAdmin: vi.fn(async () => admin),
  };
}

const demo = defineCommand({
  path: 'demo sign',
  usage: '/wa demo sign "<name>" <email> <+E164> [--days <n>]',
  summary: 'demo',
  access: 'member',
  positionals: ['who', 'email', 'phone'],
  flags: { days: 'value' },
  schema: z.object({ who: name('invitee name', 10), email, phone: e164, days: days(1, 30).optional() }),
});

const validate = (tokens: string[]) => validateInput(demo, parseFlags(tokens, demo.flags));

describe('validateInput', () => {
  it('turns valid arguments into typed input, normalising the phone number', async () => {
    expect(await validate(['Ada', 'ada@example.com', '+31 6 1234 5678', '--days', '7'])).toEqual({
      who: 'Ada',
      email: 'ada@example.com',
      phone: '+31612345678',
      days: 7,
    });
  });

  it('names a missing positional', async () => {
    await expect(validate(['Ada', 'ada@example.com'])).rejects.toThrow('missing the phone');
  });

  it('says why a phone number is not E.164', async () => {
    await expect(validate(['Ada', 'ada@example.com', '0612345678'])).rejects.toThrow(
      /not a phone number in E\.164/,
    );
    await expect(validate(['Ada', 'ada@example.com', '+999123'])).rejects.toThrow(
      /not a (valid )?phone number/,
    );
  });

  it('says what is wrong with an email, a day range and a long name', async () => {
    await expect(validate(['Ada', 'not-an-email', '+31612345678'])).rejects.toThrow(/not an email address/);
    await expect(validate(['Ada', 'ada@example.com', '+31612345678', '--days', '31'])).rejects.toThrow(
      /--days: days must be between 1 and 30/,
    );
    await expect(validate(['Ada Lovelace Byron', 'ada@example.com', '+31612345678'])).rejects.toThrow(
      /longer than 10/,
    );
  });

  it('refuses an extra argument', async () => {
    await expect(validate(['Ada', 'ada@example.com', '+31612345678', 'extra'])).rejects.toThrow(
      'unexpected argument "extra"',
    );
  });
});

describe('router', () => {
  it('finds the longest matching command path, case-insensitively', () => {
    expect(findCommand(['Invite', 'SIGN', 'x'])?.spec.path).toBe('invite sign');
    expect(findCommand(['invite'])).toBeUndefined();
  });

  it('answers /wa help with every subcommand of the surface, one line each', async () => {
    const reply = await runCommand('help', ctx(false));
    expect(reply.response_type).toBe('ephemeral');
    for (const c of commands) expect(reply.text).toContain(c.usage);
    const sections = JSON.stringify(reply.blocks);
    expect(sections).toContain('/wa deploy start');
  });

  it('treats an empty command as help', async () => {
    expect((await runCommand('   ', ctx(false))).text).toContain('/wa commands');
  });

  it('names an unknown subcommand and points to help', async () => {
    const reply = await runCommand('frobnicate now', ctx(true));
    expect(reply.text).toMatch(/Unknown subcommand `frobnicate`/);
    expect(reply.text).toContain('/wa help');
  });

  it('lists the usage lines of a group given without a subcommand', async () => {
    const reply = await runCommand('deploy', ctx(true));
    expect(reply.text).toContain('needs a subcommand');
    expect(reply.text).toContain('/wa deploy start');
  });

  it('answers hostile text with a clear ephemeral message', async () => {
    for (const text of ['"unbalanced', 'help\u0007', 'x'.repeat(3000), '\u202e\u200b']) {
      const reply = await runCommand(text, ctx(true));
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text.length).toBeGreaterThan(10);
    }
  });

  it('refuses admin-only commands to members before validating, saying who can', async () => {
    const adminOnly = commands.find((c) => c.access === 'admin' && c.handler);
    expect(adminOnly).toBeDefined();
    const member = ctx(false);
    const reply = await runCommand(adminOnly?.path ?? '', member);
    expect(member.isAdmin).toHaveBeenCalled();
    expect(reply.text).toMatch(/admins/);
  });
});
