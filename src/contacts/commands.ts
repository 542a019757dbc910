import { defineCommand } from '../slack/command.js';

export const contactCommands = [
  defineCommand({
    path: 'contact optin',
    usage: '/wa contact optin <+E164> --source "<where consent was given>"',
    summary: 'Record a WhatsApp opt-in for a number',
    access: 'member',
  }),
  defineCommand({
    path: 'contact optout',
    usage: '/wa contact optout <+E164>',
    summary: 'Withdraw an opt-in',
    access: 'member',
  }),
  defineCommand({
    path: 'contact show',
    usage: '/wa contact show <+E164>',
    summary: 'Show the opt-in record of a number',
    access: 'member',
  }),
  defineCommand({
    path: 'contact verify',
    usage: '/wa contact verify <+E164>[,<+E164>...]',
    summary: 'Check opted-in numbers with CommBox (refused without an opt-in)',
    access: 'member',
  }),
];
