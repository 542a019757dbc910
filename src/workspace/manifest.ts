import type { FeatureManifest } from '../slack/manifest.js';
import {
  adminsListCommand,
  auditCommand,
  connectCommand,
  jobsCommand,
  workspaceCommands,
} from './commands.js';

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
      ],
    },
  ],
};
