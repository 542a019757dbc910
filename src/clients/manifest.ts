import type { FeatureManifest } from '../slack/manifest.js';
import { clientCommand, clientCommands, clientListCommand } from './commands.js';
import { clientForm, clientListForm } from './forms.js';

/** Clients: every piece of work may name one; one client's onboarding in one place. */
export const clientsManifest: FeatureManifest = {
  name: 'clients',
  title: 'Clients',
  commands: clientCommands,
  forms: [clientForm, clientListForm],
  home: async (ctx) => (await import('./handlers.js')).clientsHomeBlocks(ctx),
  launcher: {
    name: 'Clients',
    entries: [
      { command: clientCommand, label: 'Look up a client', action: 'form:open', common: true },
      { command: clientListCommand, label: 'All clients', action: 'form:open' },
    ],
  },
};
