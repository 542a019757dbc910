import { defineCommand } from '../slack/command.js';
import { noInput } from '../slack/no-input.js';
import { adminUserInput, countryInput, jobsInput, restrictInput } from './schemas.js';

export const connectCommand = defineCommand({
  path: 'connect',
  usage: '/wa connect',
  summary: "Set this workspace's provider credentials (opens a form)",
  access: 'admin',
  schema: noInput,
  handler: async () => (await import('./connect.js')).openConnect,
});

export const jobsCommand = defineCommand({
  path: 'jobs',
  usage: '/wa jobs [--all]',
  summary: "List this workspace's running jobs (--all: with recently finished ones)",
  access: 'member',
  flags: { all: 'boolean' },
  schema: jobsInput,
  handler: async () => (await import('./jobs.js')).listJobs,
});

export const auditCommand = defineCommand({
  path: 'audit',
  usage: '/wa audit',
  summary: 'Show the latest entries of the audit trail',
  access: 'admin',
  schema: noInput,
  handler: async () => (await import('./audit.js')).showAudit,
});

export const adminsAddCommand = defineCommand({
  path: 'admins add',
  usage: '/wa admins add @user',
  summary: 'Let someone run admin commands (besides workspace admins and owners)',
  access: 'admin',
  positionals: ['user'],
  schema: adminUserInput,
  handler: async () => (await import('./admins.js')).addAdminCommand,
});

export const adminsRemoveCommand = defineCommand({
  path: 'admins remove',
  usage: '/wa admins remove @user',
  summary: 'Take someone off the admin allowlist',
  access: 'admin',
  positionals: ['user'],
  schema: adminUserInput,
  handler: async () => (await import('./admins.js')).removeAdminCommand,
});

export const adminsListCommand = defineCommand({
  path: 'admins list',
  usage: '/wa admins list',
  summary: 'Show who can run admin commands, and which member commands are restricted',
  access: 'member',
  schema: noInput,
  handler: async () => (await import('./admins.js')).listAdminsCommand,
});

export const adminsRestrictCommand = defineCommand({
  path: 'admins restrict',
  usage: '/wa admins restrict <invites|optins|verify|templates> <on|off>',
  summary: 'Make a group of member commands admin-only (on) or open to everyone again (off)',
  access: 'admin',
  positionals: ['group', 'state'],
  schema: restrictInput,
  handler: async () => (await import('./admins.js')).restrictCommand,
});

export const adminsSetCountryCommand = defineCommand({
  path: 'admins set country',
  usage: '/wa admins set country <XX|none>',
  summary:
    'Read phone numbers typed without a country code (06 1234 5678, (415) 555-1234) as numbers of this country',
  access: 'admin',
  positionals: ['country'],
  schema: countryInput,
  handler: async () => (await import('./country.js')).setCountryCommand,
});

export const adminsContractsCommand = defineCommand({
  path: 'admins contracts',
  usage: '/wa admins contracts',
  summary: 'What providers sent that differs from what the app assumes (shapes, never values)',
  access: 'admin',
  schema: noInput,
  handler: async () => (await import('./contracts.js')).showContracts,
});

/** In the order `/wa help` lists them. */
export const workspaceCommands = [
  connectCommand,
  jobsCommand,
  auditCommand,
  adminsAddCommand,
  adminsRemoveCommand,
  adminsListCommand,
  adminsRestrictCommand,
  adminsSetCountryCommand,
  adminsContractsCommand,
];
