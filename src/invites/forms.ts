import { CLIENT_FIELDS } from '../clients/port.js';
import { config } from '../config.js';
import { type FormSpec, joinWords, PHONE_HINT } from '../slack/forms.js';
import {
  inviteCancelCommand,
  inviteLinkCommand,
  invitePartnerCommand,
  inviteSignCommand,
  inviteStatusCommand,
} from './commands.js';

export const inviteSignForm: FormSpec = {
  command: inviteSignCommand,
  title: 'Signing invite',
  submit: 'Send invite',
  intro:
    'Creates a CM.com Sign dossier and sends the signing invite over WhatsApp. *The document: exactly one of* a PDF URL, a Slack file link or a CM.com Sign template id.',
  startsJob: true,
  fields: [
    { key: 'inviteeName', label: 'Invitee name', kind: 'text', placeholder: 'Ana Silva' },
    { key: 'email', label: 'Email', kind: 'email', placeholder: 'ana@example.com' },
    {
      key: 'phone',
      label: 'WhatsApp number',
      kind: 'text',
      placeholder: '+31 6 1234 5678',
      hint: PHONE_HINT,
    },
    // The document to sign: exactly one of the three, as `--url`, `--file` or `--template`.
    {
      key: 'url',
      label: 'Document (1 of 3): PDF URL',
      kind: 'url',
      optional: true,
      ifSchemaHas: true,
      hint: 'Fill exactly one of these three: a PDF URL, a Slack file link or a template id.',
      // A URL that works where the form is shown: the local stack serves a sample PDF.
      get placeholder() {
        const c = config();
        return c.sandboxCredentials
          ? `${c.publicUrl}/_sandbox/documents/contract.pdf`
          : 'https://example.com/contract.pdf';
      },
    },
    {
      key: 'file',
      label: 'Document (2 of 3): or a Slack file link',
      kind: 'text',
      optional: true,
      ifSchemaHas: true,
      hint: 'In Slack: the PDF’s ⋯ menu → Copy link to file. Leave empty when you gave a URL or a template.',
    },
    {
      key: 'template',
      label: 'Document (3 of 3): or a template id',
      kind: 'text',
      optional: true,
      ifSchemaHas: true,
      hint: 'A CM.com Sign template id (Templates → info). Leave empty when you gave a URL or a file.',
    },
    { key: 'dossier', label: 'Dossier name', kind: 'text', optional: true },
    { key: 'remind', label: 'Remind every (days)', kind: 'number', optional: true },
    { key: 'expires', label: 'Expires after (days)', kind: 'number', optional: true, initial: '30' },
    ...CLIENT_FIELDS,
  ],
  // `/wa invite sign Jan de Vries jan@example.nl +31 6 ...` (name not quoted): the words
  // before the email are the name, the words after it the number.
  salvage: (words): Record<string, string> => {
    const at = words.findIndex((w) => w.includes('@'));
    if (at === -1) return { inviteeName: joinWords(words.filter((w) => !/^[+(\d]/.test(w))) };
    return {
      inviteeName: joinWords(words.slice(0, at)),
      email: words[at] ?? '',
      phone: joinWords(words.slice(at + 1)),
    };
  },
};

export const invitePartnerForm: FormSpec = {
  command: invitePartnerCommand,
  title: 'Partner invitation',
  submit: 'Create link',
  intro: 'Creates a Zavu partner invitation link; it comes to you only.',
  startsJob: true,
  fields: [
    {
      key: 'clientName',
      label: 'Client name',
      kind: 'text',
      placeholder: 'Acme Ltd',
      hint: 'The invitation is listed under this client (/wa client).',
    },
    { key: 'email', label: 'Client email', kind: 'email', optional: true },
    { key: 'phone', label: 'Client phone', kind: 'text', optional: true, hint: PHONE_HINT },
    { key: 'days', label: 'Valid for (days, 1-30)', kind: 'number', optional: true },
    { key: 'countries', label: 'Countries', kind: 'text', optional: true, placeholder: 'US,MX' },
    { key: 'number', label: 'Zavu phone number id', kind: 'text', optional: true },
    {
      key: 'channel',
      label: 'Channel',
      kind: 'select',
      optional: true,
      ifSchemaHas: true,
      options: [
        { value: 'whatsapp', label: 'WhatsApp Business account' },
        { value: 'messenger', label: 'Messenger (a Facebook Page)' },
      ],
    },
    CLIENT_FIELDS[1],
  ],
  salvage: (words) => ({ clientName: joinWords(words) }),
};

const byRef = (command: FormSpec['command'], title: string, submit: string, intro: string): FormSpec => ({
  command,
  title,
  submit,
  intro,
  startsJob: false,
  fields: [
    {
      key: 'id',
      label: 'Invite',
      kind: 'text',
      placeholder: 'INV-12',
      hint: 'Its reference from the card (INV-12), or its job, dossier or invitation id.',
    },
  ],
  salvage: (words) => ({ id: words[0] ?? '' }),
});

export const inviteStatusForm = byRef(
  inviteStatusCommand,
  'Invite status',
  'Show',
  'Where a signing invite or partner invitation stands, to you only.',
);
export const inviteLinkForm = byRef(
  inviteLinkCommand,
  'Partner link again',
  'Show',
  'The link of a partner invitation you asked for, read back from Zavu, to you only.',
);
export const inviteCancelForm = byRef(
  inviteCancelCommand,
  'Cancel invitation',
  'Cancel it',
  'Cancels a Zavu partner invitation: its link stops working.',
);
