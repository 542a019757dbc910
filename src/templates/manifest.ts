import { type FeatureManifest, jobKind } from '../slack/manifest.js';
import {
  templateCommands,
  templateListCommand,
  templateSendCommand,
  templateStatusCommand,
  templateSubmitCommand,
  templateWatchCommand,
} from './commands.js';
import {
  templateListForm,
  templateSendForm,
  templateStatusForm,
  templateSubmitForm,
  templateWatchForm,
} from './forms.js';
import { templateLookupKind, templateSendKind, templateWatchKind } from './kinds.js';

/** WhatsApp template approval (CM.com Channels) and templated messages (CommBox). */
export const templatesManifest: FeatureManifest = {
  name: 'templates',
  title: 'Templates',
  commands: templateCommands,
  forms: [templateSendForm, templateListForm, templateStatusForm, templateWatchForm, templateSubmitForm],
  kinds: [
    {
      ...jobKind(templateLookupKind, async () => (await import('./lookup-job.js')).templateLookup),
      // The send form's own lookups (filling its template list) are no one's work to follow.
      internal: (payload) => (payload as { op?: string } | undefined)?.op === 'form',
    },
    jobKind(
      templateWatchKind,
      async () => (await import('./watch-job.js')).templateWatch,
      templateWatchCommand,
    ),
    {
      ...jobKind(
        templateSendKind,
        async () => (await import('./send.js')).templateSend,
        templateSendCommand,
        {
          label: 'Template send',
          progress: () => ({ waitingFor: 'CommBox to send the messages', next: 'provider' }),
        },
      ),
      form: templateSendCommand,
    },
  ],
  launcher: {
    name: 'Templates',
    entries: [
      { command: templateSendCommand, label: 'Send a template', action: 'form:open', common: true },
      { command: templateListCommand, label: 'List templates', action: 'form:open' },
      { command: templateStatusCommand, label: 'Template status', action: 'form:open' },
      { command: templateWatchCommand, label: 'Watch a template', action: 'form:open' },
      { command: templateSubmitCommand, label: 'Submit a template', action: 'form:open' },
    ],
  },
};
