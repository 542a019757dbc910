import { defineCommand } from '../slack/command.js';

export const inviteCommands = [
  defineCommand({
    path: 'invite sign',
    usage:
      '/wa invite sign "<invitee name>" <email> <+E164> [--dossier "<name>"] [--remind <days>] [--expires <days>]',
    summary: 'Send a CM.com Sign signing invite over WhatsApp and follow it to signed',
    access: 'member',
  }),
  defineCommand({
    path: 'invite partner',
    usage:
      '/wa invite partner "<client name>" [--email <e>] [--phone <+E164>] [--days <1-30>] [--countries US,MX] [--number <phoneNumberId>]',
    summary: 'Create a Zavu partner invitation link so a client connects their WhatsApp Business account',
    access: 'member',
  }),
  defineCommand({
    path: 'invite status',
    usage: '/wa invite status <id>',
    summary: 'Show a signing invite or partner invitation',
    access: 'member',
  }),
  defineCommand({
    path: 'invite cancel',
    usage: '/wa invite cancel <id>',
    summary: 'Cancel a Zavu partner invitation',
    access: 'member',
  }),
];
