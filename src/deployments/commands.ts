import { defineCommand } from '../slack/command.js';

export const deploymentCommands = [
  defineCommand({
    path: 'deploy start',
    usage:
      '/wa deploy start <+E164> --waba <wabaId> --cert <vnameCertificate> [--method sms|voice] [--pin <pin>]',
    summary: 'Provision a WhatsApp number deployment (Vonage) and follow it to READY',
    access: 'admin',
  }),
  defineCommand({
    path: 'deploy status',
    usage: '/wa deploy status <deploymentId>',
    summary: 'Show a deployment',
    access: 'member',
  }),
  defineCommand({
    path: 'deploy verify',
    usage: '/wa deploy verify <deploymentId> <code>',
    summary: 'Submit the OTP code a deployment is waiting for',
    access: 'admin',
  }),
  defineCommand({
    path: 'deploy resend',
    usage: '/wa deploy resend <deploymentId> [--method sms|voice]',
    summary: 'Send the OTP code again',
    access: 'admin',
  }),
  defineCommand({
    path: 'deploy profile',
    usage:
      '/wa deploy profile <deploymentId> [--about ..] [--address ..] [--description ..] [--email ..] [--vertical ..] [--website ..]',
    summary: "Show or change a deployment's business profile",
    access: 'admin',
  }),
  defineCommand({
    path: 'deploy delete',
    usage: '/wa deploy delete <deploymentId>',
    summary: 'Delete a deployment (asks for confirmation)',
    access: 'admin',
  }),
  defineCommand({
    path: 'deploy list',
    usage: '/wa deploy list',
    summary: "List this workspace's deployments",
    access: 'member',
  }),
];
