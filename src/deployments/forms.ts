import { CLIENT_FIELDS } from '../clients/port.js';
import { type FormField, type FormSpec, joinWords, PHONE_HINT } from '../slack/forms.js';
import {
  deployDeleteCommand,
  deployListCommand,
  deployPhotoCommand,
  deployProfileCommand,
  deployResendCommand,
  deployStartCommand,
  deployStatusCommand,
  deployVerifyCommand,
} from './commands.js';
import { PROFILE_VERTICALS } from './port.js';

/** How the verification code is sent: the deploy start form's and the resend form's choice. */
const CODE_METHOD: FormField = {
  key: 'method',
  label: 'Send the code by',
  kind: 'select',
  options: [
    { value: 'sms', label: 'SMS' },
    { value: 'voice', label: 'Voice call' },
  ],
  initial: 'sms',
};

export const deployStartForm: FormSpec = {
  command: deployStartCommand,
  title: 'Start a deployment',
  submit: 'Start',
  intro:
    "Adds a WhatsApp number and follows it through the verification code to READY: on Meta's WhatsApp Cloud API (give the display name) or on Vonage WhatsApp Manager, deprecated (give the certificate).",
  startsJob: true,
  fields: [
    {
      key: 'via',
      label: 'Backend',
      kind: 'select',
      options: [
        { value: 'cloud', label: 'WhatsApp Cloud API (Meta)' },
        { value: 'vonage', label: 'Vonage WhatsApp Manager (deprecated)' },
      ],
      initial: 'cloud',
    },
    { key: 'phone', label: 'Phone number', kind: 'text', hint: PHONE_HINT },
    { key: 'waba', label: 'WABA id', kind: 'text' },
    {
      key: 'name',
      label: 'Display name (Cloud API)',
      kind: 'text',
      optional: true,
      hint: 'The business name shown on WhatsApp, 2 to 75 characters; Meta reviews it.',
    },
    {
      key: 'cert',
      label: 'Verified-name certificate (Vonage)',
      kind: 'multiline',
      optional: true,
      secret: true,
    },
    CODE_METHOD,
    {
      key: 'pin',
      label: 'Two-step verification PIN',
      kind: 'text',
      optional: true,
      secret: true,
      hint: 'Cloud API: leave empty and one is made for you, shown to you alone once the number is registered.',
    },
    ...CLIENT_FIELDS,
  ],
  salvage: (words) => ({ phone: joinWords(words) }),
};

export const deployProfileForm: FormSpec = {
  command: deployProfileCommand,
  title: 'Business profile',
  submit: 'Update',
  intro: 'Changes only the fields you fill in; with none, shows the current profile.',
  startsJob: false,
  fields: [
    {
      key: 'deploymentId',
      label: 'Deployment (its number or id)',
      kind: 'text',
      placeholder: '+44 7911 123459',
    },
    { key: 'about', label: 'About', kind: 'text', optional: true },
    { key: 'address', label: 'Address', kind: 'text', optional: true },
    { key: 'description', label: 'Description', kind: 'multiline', optional: true },
    { key: 'email', label: 'Email', kind: 'email', optional: true },
    {
      key: 'vertical',
      label: 'Vertical',
      kind: 'select',
      optional: true,
      options: PROFILE_VERTICALS.map((v) => ({ value: v, label: v })),
    },
    {
      key: 'website',
      label: 'Websites',
      kind: 'multiline',
      list: 'lines',
      optional: true,
      hint: 'At most 2, one per line.',
    },
  ],
};

export const deployPhotoForm: FormSpec = {
  command: deployPhotoCommand,
  title: 'Profile photo',
  submit: 'Set photo',
  intro: 'PNG or JPEG, 192 to 640×640 px, up to 5 MB, at an https URL.',
  startsJob: false,
  fields: [
    {
      key: 'deploymentId',
      label: 'Deployment (its number or id)',
      kind: 'text',
      placeholder: '+44 7911 123459',
    },
    { key: 'imageUrl', label: 'Image URL', kind: 'url' },
  ],
};

const DEPLOYMENT = {
  key: 'deploymentId',
  label: 'Deployment',
  kind: 'text',
  placeholder: '+44 7911 123459',
  hint: 'Its number, its reference (DEP-3) or its id.',
} as const;

export const deployStatusForm: FormSpec = {
  command: deployStatusCommand,
  title: 'Deployment status',
  submit: 'Show',
  startsJob: false,
  fields: [DEPLOYMENT],
};
export const deployVerifyForm: FormSpec = {
  command: deployVerifyCommand,
  title: 'Enter the code',
  submit: 'Verify',
  intro: 'The 6-digit code the number received by SMS or call.',
  startsJob: false,
  fields: [DEPLOYMENT, { key: 'code', label: 'Code', kind: 'text', secret: true, placeholder: '123456' }],
};
export const deployResendForm: FormSpec = {
  command: deployResendCommand,
  title: 'Send the code again',
  submit: 'Send',
  startsJob: false,
  fields: [DEPLOYMENT, CODE_METHOD],
};
export const deployDeleteForm: FormSpec = {
  command: deployDeleteCommand,
  title: 'Delete a deployment',
  submit: 'Delete',
  intro: 'Deregisters the number from WhatsApp. It cannot be undone.',
  startsJob: false,
  fields: [DEPLOYMENT],
};
export const deployListForm: FormSpec = {
  command: deployListCommand,
  title: 'Deployments',
  submit: 'List',
  startsJob: false,
  fields: [],
};
