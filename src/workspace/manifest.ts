import { RESTRICTABLE } from '../security/access.js';
import { type FeatureManifest, jobKind } from '../slack/manifest.js';
import {
  adminsAddCommand,
  adminsContractsCommand,
  adminsListCommand,
  adminsRemoveCommand,
  adminsRestrictCommand,
  adminsSetCountryCommand,
  auditCommand,
  connectCommand,
  jobsCommand,
  workspaceCommands,
} from './commands.js';
import { credentialCheckKind } from './kinds.js';

/** The workspace itself: provider credentials, admins, the audit trail, its country, its jobs. */
export const workspaceManifest: FeatureManifest = {
  name: 'workspace',
  title: 'Admin',
  commands: workspaceCommands,
  actions: [
    { prefix: 'jobs:cancel', load: async () => (await import('./jobs.js')).cancelJobAction },
    { prefix: 'connect:', load: async () => (await import('./connect-interactions.js')).connectAction },
  ],
  views: [{ prefix: 'connect:', load: async () => (await import('./connect-interactions.js')).connectView }],
  home: async (ctx) => (await import('./contracts.js')).contractsHomeBlocks(ctx),
  forms: [
    { command: jobsCommand, title: 'Jobs', submit: 'Show', startsJob: false, fields: [] },
    { command: adminsListCommand, title: 'Admins', submit: 'Show', startsJob: false, fields: [] },
    {
      command: adminsAddCommand,
      title: 'Add an admin',
      submit: 'Add',
      intro: 'Lets someone run admin commands, besides workspace admins and owners.',
      startsJob: false,
      fields: [{ key: 'user', label: 'Person', kind: 'user' }],
    },
    {
      command: adminsRemoveCommand,
      title: 'Remove an admin',
      submit: 'Remove',
      startsJob: false,
      fields: [{ key: 'user', label: 'Person', kind: 'user' }],
    },
    {
      command: adminsRestrictCommand,
      title: 'Restrict a group',
      submit: 'Save',
      startsJob: false,
      fields: [
        {
          key: 'group',
          label: 'Commands',
          kind: 'select',
          options: Object.entries(RESTRICTABLE).map(([value, g]) => ({ value, label: g.label })),
        },
        {
          key: 'state',
          label: 'Who may run them',
          kind: 'select',
          options: [
            { value: 'on', label: 'Admins only' },
            { value: 'off', label: 'Everyone in the workspace' },
          ],
        },
      ],
    },
    {
      command: adminsSetCountryCommand,
      title: 'Default country',
      submit: 'Save',
      intro: 'Numbers typed without a country code are read as numbers of this country.',
      startsJob: false,
      fields: [{ key: 'country', label: 'Country code', kind: 'text', placeholder: 'NL, or none' }],
    },
    {
      command: adminsContractsCommand,
      title: 'Provider contracts',
      submit: 'Show',
      startsJob: false,
      fields: [],
    },
  ],
  launcher: [
    {
      name: 'Workspace',
      entries: [
        { command: jobsCommand, label: 'Running jobs', action: 'form:open' },
        { command: adminsListCommand, label: 'Who can do what', action: 'form:open' },
      ],
    },
    {
      name: 'Admin',
      entries: [
        {
          command: connectCommand,
          label: 'Provider credentials',
          action: 'form:connect',
          view: async (ctx) => (await import('./connect.js')).homeView(ctx.tenant),
        },
        {
          command: auditCommand,
          label: 'Audit trail',
          action: 'form:audit',
          view: async (ctx) => (await import('./audit.js')).auditModal(ctx),
        },
        { command: adminsAddCommand, label: 'Add an admin', action: 'form:open' },
        { command: adminsRemoveCommand, label: 'Remove an admin', action: 'form:open' },
        { command: adminsRestrictCommand, label: 'Restrict a group', action: 'form:open' },
        { command: adminsSetCountryCommand, label: 'Default country', action: 'form:open' },
        { command: adminsContractsCommand, label: 'Provider contracts', action: 'form:open' },
      ],
    },
  ],
  kinds: [
    {
      ...jobKind(credentialCheckKind, async () => (await import('./check-job.js')).credentialCheck),
      internal: () => true,
    },
  ],
};
