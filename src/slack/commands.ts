import { contactCommands } from '../contacts/commands.js';
import { deploymentCommands } from '../deployments/commands.js';
import { inviteCommands } from '../invites/commands.js';
import { jobsInput } from '../jobs/schemas.js';
import { templateCommands } from '../templates/commands.js';
import { adminUserInput, restrictInput } from './admins-schemas.js';
import { type CommandSpec, defineCommand } from './command.js';
import { countryInput } from './country-schema.js';
import { noInput } from './no-input.js';

const coreCommands = [
  defineCommand({
    path: 'help',
    usage: '/wa help',
    summary: 'Show this list',
    access: 'member',
    schema: noInput,
    handler: async () => (await import('./help.js')).help,
  }),
  defineCommand({
    path: 'connect',
    usage: '/wa connect',
    summary: "Set this workspace's provider credentials (opens a form)",
    access: 'admin',
    schema: noInput,
    handler: async () => (await import('./connect.js')).openConnect,
  }),
  defineCommand({
    path: 'jobs',
    usage: '/wa jobs [--all]',
    summary: "List this workspace's running jobs (--all: with recently finished ones)",
    access: 'member',
    flags: { all: 'boolean' },
    schema: jobsInput,
    handler: async () => (await import('../jobs/commands.js')).listJobs,
  }),
  defineCommand({
    path: 'audit',
    usage: '/wa audit',
    summary: 'Show the latest entries of the audit trail',
    access: 'admin',
    schema: noInput,
    handler: async () => (await import('./audit-view.js')).showAudit,
  }),
  defineCommand({
    path: 'admins add',
    usage: '/wa admins add @user',
    summary: 'Let someone run admin commands (besides workspace admins and owners)',
    access: 'admin',
    positionals: ['user'],
    schema: adminUserInput,
    handler: async () => (await import('./admins.js')).addAdminCommand,
  }),
  defineCommand({
    path: 'admins remove',
    usage: '/wa admins remove @user',
    summary: 'Take someone off the admin allowlist',
    access: 'admin',
    positionals: ['user'],
    schema: adminUserInput,
    handler: async () => (await import('./admins.js')).removeAdminCommand,
  }),
  defineCommand({
    path: 'admins list',
    usage: '/wa admins list',
    summary: 'Show who can run admin commands, and which member commands are restricted',
    access: 'member',
    schema: noInput,
    handler: async () => (await import('./admins.js')).listAdminsCommand,
  }),
  defineCommand({
    path: 'admins restrict',
    usage: '/wa admins restrict <invites|optins|verify|templates> <on|off>',
    summary: 'Make a group of member commands admin-only (on) or open to everyone again (off)',
    access: 'admin',
    positionals: ['group', 'state'],
    schema: restrictInput,
    handler: async () => (await import('./admins.js')).restrictCommand,
  }),
  defineCommand({
    path: 'admins set country',
    usage: '/wa admins set country <XX|none>',
    summary:
      'Read phone numbers typed without a country code (06 1234 5678, (415) 555-1234) as numbers of this country',
    access: 'admin',
    positionals: ['country'],
    schema: countryInput,
    handler: async () => (await import('./country.js')).setCountryCommand,
  }),
];

/** The whole `/wa` surface, in the order `/wa help` lists it. */
export const commands: CommandSpec[] = [
  ...coreCommands.slice(0, 2),
  ...inviteCommands,
  ...templateCommands,
  ...contactCommands,
  ...deploymentCommands,
  ...coreCommands.slice(2),
] as CommandSpec[];

/** The command whose path is the longest prefix of the tokens, and the tokens after it. */
export function findCommand(tokens: string[]): { spec: CommandSpec; rest: string[] } | undefined {
  let best: { spec: CommandSpec; rest: string[] } | undefined;
  for (const spec of commands) {
    const words = spec.path.split(' ');
    const matches = words.every((w, i) => tokens[i]?.toLowerCase() === w);
    if (matches && (!best || words.length > best.spec.path.split(' ').length)) {
      best = { spec, rest: tokens.slice(words.length) };
    }
  }
  return best;
}

/** Commands under a group word like `invite`, for "needs a subcommand" answers. */
export function commandsUnder(group: string): CommandSpec[] {
  return commands.filter((c) => c.path.startsWith(`${group.toLowerCase()} `));
}
