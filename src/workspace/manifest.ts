import type { FeatureManifest } from '../slack/manifest.js';
import { auditCommand, connectCommand, workspaceCommands } from './commands.js';

/** The workspace itself: provider credentials, admins, the audit trail, its country, its jobs. */
export const workspaceManifest: FeatureManifest = {
  name: 'workspace',
  commands: workspaceCommands,
  actions: [
    { prefix: 'jobs:cancel', load: async () => (await import('./jobs.js')).cancelJobAction },
    { prefix: 'connect:', load: async () => (await import('./connect-interactions.js')).connectAction },
  ],
  views: [{ prefix: 'connect:', load: async () => (await import('./connect-interactions.js')).connectView }],
  launcher: {
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
};
