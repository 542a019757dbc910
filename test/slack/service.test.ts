import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CommandContext, CommandSpec } from '../../src/slack/command.js';
import { tenantId } from '../../src/store/keys.js';

// Every door of an action calls the same service function with the same command spec: the
// command (router) and the form (view submission). The function itself is replaced here so the
// test sees exactly what each door hands it.
const calls: Array<{ path: string; raw: Record<string, unknown>; user: string }> = [];
vi.mock('../../src/slack/service.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/slack/service.js')>();
  return {
    ...actual,
    perform: vi.fn(async (spec: CommandSpec, raw: Record<string, unknown>, ctx: CommandContext) => {
      calls.push({ path: spec.path, raw, user: ctx.userId });
      return { status: 'refused', reply: { response_type: 'ephemeral', text: ':no_entry: refused' } };
    }),
  };
});

const { runCommand } = await import('../../src/app/router.js');
const { formSubmit } = await import('../../src/app/form-door.js');

const tenant = tenantId('T0UNIT');
const ctx: CommandContext = {
  tenant,
  teamId: 'T0UNIT',
  userId: 'U1',
  channelId: 'C0UNIT1',
  client: {} as never,
  isAdmin: async () => false,
};

async function submitForm(path: string, fields: Record<string, string>) {
  const ack = vi.fn(async () => undefined);
  const values: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(fields)) values[k] = { [k]: { type: 'plain_text_input', value: v } };
  await formSubmit({
    ack,
    body: { user: { id: 'U1' }, team: { id: 'T0UNIT' } },
    view: {
      callback_id: 'form:submit',
      private_metadata: JSON.stringify({ p: path, c: 'C0UNIT1' }),
      state: { values },
    },
    client: {},
    tenant,
  } as never);
  return ack.mock.calls[0] as unknown[] | undefined;
}

beforeEach(() => {
  calls.length = 0;
});

describe('one service function per action', () => {
  const cases: Array<[string, string, Record<string, string>]> = [
    [
      'invite sign',
      'invite sign "Ana Silva" ana@example.com +31612345678 --expires 30',
      { inviteeName: 'Ana Silva', email: 'ana@example.com', phone: '+31612345678', expires: '30' },
    ],
    ['invite partner', 'invite partner "Acme Ltd" --days 7', { clientName: 'Acme Ltd', days: '7' }],
    ['contact optin', 'contact optin +31612345678 --source web', { phone: '+31612345678', source: 'web' }],
    [
      'deploy photo',
      'deploy photo dep1 https://example.com/a.png',
      { deploymentId: 'dep1', imageUrl: 'https://example.com/a.png' },
    ],
  ];

  it.each(cases)(
    '%s: the command and its form call it with the same spec and input',
    async (path, text, fields) => {
      const byCommand = await runCommand(text, ctx);
      const ack = await submitForm(path, fields);
      expect(calls.map((c) => c.path)).toEqual([path, path]);
      const norm = (raw: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join(' ') : v]));
      expect(norm(calls[1]?.raw ?? {})).toEqual(norm(calls[0]?.raw ?? {}));
      // The service's answer is what both doors show.
      expect(byCommand.text).toBe(':no_entry: refused');
      expect(JSON.stringify(ack?.[0])).toContain(':no_entry: refused');
    },
  );

  it('every form belongs to a command and asks only for keys its schema reads', async () => {
    const { commands, forms } = await import('../../src/app/catalog.js');
    for (const form of forms) {
      const spec = commands.find((c) => c.path === form.command.path);
      expect(spec?.handler, form.command.path).toBeDefined();
      const keys = Object.keys((spec?.schema as unknown as { shape?: object })?.shape ?? {});
      if (keys.length)
        for (const f of form.fields.filter((x) => !x.ifSchemaHas))
          expect(keys, `${form.command.path} ${f.key}`).toContain(f.key);
      expect(form.title.length).toBeLessThanOrEqual(24);
      expect(form.submit.length).toBeLessThanOrEqual(24);
    }
  });
});
