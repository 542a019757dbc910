import { defineCommand } from '../slack/command.js';

export const templateCommands = [
  defineCommand({
    path: 'template list',
    usage: '/wa template list [<query>]',
    summary: 'List WhatsApp templates (CM.com Channels) with their approval state',
    access: 'member',
  }),
  defineCommand({
    path: 'template status',
    usage: '/wa template status <templateId>',
    summary: 'Show one template in full: languages, content, rejection reasons',
    access: 'member',
  }),
  defineCommand({
    path: 'template watch',
    usage: '/wa template watch <templateId>',
    summary: 'Watch a template until every language is approved or rejected',
    access: 'member',
  }),
  defineCommand({
    path: 'template submit',
    usage: '/wa template submit <templateId>',
    summary: 'Request validation of a template and watch it',
    access: 'admin',
  }),
  defineCommand({
    path: 'template send',
    usage: '/wa template send <template-name> <language> <+E164>[,<+E164>...] [--param <value>]...',
    summary: 'Send an approved template to up to 20 opted-in recipients (CommBox)',
    access: 'member',
  }),
];
