import { CLIENT_FIELDS } from '../clients/port.js';
import { type FormSpec, joinWords, PHONE_HINT } from '../slack/forms.js';
import {
  contactOptinCommand,
  contactOptoutCommand,
  contactShowCommand,
  contactVerifyCommand,
} from './commands.js';

export const contactOptinForm: FormSpec = {
  command: contactOptinCommand,
  title: 'Record an opt-in',
  submit: 'Record',
  startsJob: false,
  fields: [
    { key: 'phone', label: 'Phone number', kind: 'text', hint: PHONE_HINT },
    {
      key: 'source',
      label: 'Where consent was given',
      kind: 'text',
      placeholder: 'Signup form on example.com',
    },
    { key: 'business', label: 'Business name shown', kind: 'text', optional: true },
    ...CLIENT_FIELDS,
  ],
  salvage: (words) => ({ phone: joinWords(words) }),
};

export const contactVerifyForm: FormSpec = {
  command: contactVerifyCommand,
  title: 'Verify contacts',
  submit: 'Verify',
  intro: 'Checks opted-in numbers with CommBox. Numbers without an opt-in on record are refused.',
  startsJob: true,
  fields: [{ key: 'numbers', label: 'Numbers', kind: 'multiline', list: 'phones', hint: 'One per line.' }],
  salvage: (words) => ({ numbers: words.join('\n') }),
};

export const contactShowForm: FormSpec = {
  command: contactShowCommand,
  title: 'Opt-in of a number',
  submit: 'Show',
  startsJob: false,
  fields: [{ key: 'phone', label: 'Phone number', kind: 'text', hint: PHONE_HINT }],
  salvage: (words) => ({ phone: joinWords(words) }),
};

export const contactOptoutForm: FormSpec = {
  command: contactOptoutCommand,
  title: 'Withdraw an opt-in',
  submit: 'Withdraw',
  startsJob: false,
  fields: [{ key: 'phone', label: 'Phone number', kind: 'text', hint: PHONE_HINT }],
  salvage: (words) => ({ phone: joinWords(words) }),
};
