import type { FormSpec } from '../slack/forms.js';
import { clientCommand, clientListCommand } from './commands.js';

export const clientForm: FormSpec = {
  command: clientCommand,
  title: 'Look up a client',
  submit: 'Show',
  intro: 'Everything under way for one client, across every provider, and who acts next.',
  startsJob: false,
  fields: [{ key: 'name', label: 'Client name', kind: 'text', placeholder: 'Acme Foods' }],
  salvage: (words) => ({ name: words.join(' ').trim() }),
};

export const clientListForm: FormSpec = {
  command: clientListCommand,
  title: 'Clients',
  submit: 'Show',
  intro: "This workspace's clients, with their open work.",
  startsJob: false,
  fields: [],
};
