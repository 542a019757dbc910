import { type FeatureManifest, jobKind } from '../slack/manifest.js';
import {
  contactCommands,
  contactOptinCommand,
  contactOptoutCommand,
  contactShowCommand,
  contactVerifyCommand,
} from './commands.js';
import { contactOptinForm, contactOptoutForm, contactShowForm, contactVerifyForm } from './forms.js';
import { contactVerifyKind } from './kinds.js';

/** Opt-ins and contact verification (CommBox): no number is checked without an opt-in. */
export const contactsManifest: FeatureManifest = {
  name: 'contacts',
  title: 'Contacts',
  commands: contactCommands,
  forms: [contactOptinForm, contactVerifyForm, contactShowForm, contactOptoutForm],
  kinds: [
    jobKind(
      contactVerifyKind,
      async () => (await import('./verify-job.js')).contactVerify,
      contactVerifyCommand,
    ),
  ],
  launcher: {
    name: 'Contacts',
    entries: [
      { command: contactOptinCommand, label: 'Record an opt-in', action: 'form:open', common: true },
      { command: contactVerifyCommand, label: 'Verify contacts', action: 'form:open' },
      { command: contactShowCommand, label: 'Opt-in of a number', action: 'form:open' },
      { command: contactOptoutCommand, label: 'Withdraw an opt-in', action: 'form:open' },
    ],
  },
};
