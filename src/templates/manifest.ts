import { type FeatureManifest, jobKind } from '../slack/manifest.js';
import { templateCommands, templateSendCommand, templateWatchCommand } from './commands.js';
import { templateSendForm } from './forms.js';
import { templateLookupKind, templateSendKind, templateWatchKind } from './kinds.js';

/** WhatsApp template approval (CM.com Channels) and templated messages (CommBox). */
export const templatesManifest: FeatureManifest = {
  name: 'templates',
  commands: templateCommands,
  forms: [templateSendForm],
  kinds: [
    jobKind(templateLookupKind, async () => (await import('./lookup-job.js')).templateLookup),
    jobKind(
      templateWatchKind,
      async () => (await import('./watch-job.js')).templateWatch,
      templateWatchCommand,
    ),
    jobKind(templateSendKind, async () => (await import('./send.js')).templateSend, templateSendCommand, {
      label: 'Template send',
      progress: () => ({ waitingFor: 'CommBox to send the messages', next: 'provider' }),
    }),
  ],
  launcher: {
    name: 'Templates',
    entries: [{ command: templateSendCommand, label: 'Send a template', action: 'form:open', common: true }],
  },
};
