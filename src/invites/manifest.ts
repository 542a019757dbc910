import { type FeatureManifest, jobKind } from '../slack/manifest.js';
import {
  inviteCancelCommand,
  inviteCommands,
  inviteLinkCommand,
  invitePartnerCommand,
  inviteSignCommand,
  inviteStatusCommand,
} from './commands.js';
import {
  inviteCancelForm,
  inviteLinkForm,
  invitePartnerForm,
  inviteSignForm,
  inviteStatusForm,
} from './forms.js';
import { cmSignWebhookKind, partnerKind, partnerProgress, signKind, signProgress } from './kinds.js';

/** Signing invites (CM.com Sign) and partner invitations (Zavu). */
export const invitesManifest: FeatureManifest = {
  name: 'invites',
  title: 'Invites',
  commands: inviteCommands,
  forms: [inviteSignForm, invitePartnerForm, inviteStatusForm, inviteLinkForm, inviteCancelForm],
  actions: [{ prefix: 'invite:', load: async () => (await import('./actions.js')).handleInviteAction }],
  views: [{ prefix: 'invite:sign-modal', load: async () => (await import('./shortcut.js')).signModalSubmit }],
  shortcuts: [
    { callbackId: 'invite:sign-shortcut', load: async () => (await import('./shortcut.js')).signShortcut },
  ],
  kinds: [
    {
      ...jobKind(signKind, async () => (await import('./sign-job.js')).signInviteKind, inviteSignCommand, {
        label: 'Signing invite',
        progress: signProgress,
      }),
      form: inviteSignCommand,
    },
    jobKind(
      partnerKind,
      async () => (await import('./partner-job.js')).partnerInviteKind,
      inviteCancelCommand,
      { label: 'Partner invitation', progress: partnerProgress },
    ),
    jobKind(cmSignWebhookKind, async () => (await import('./cm-sign-webhook.js')).cmSignWebhookJob),
  ],
  launcher: {
    name: 'Invites',
    entries: [
      { command: inviteSignCommand, label: 'Send a signing invite', action: 'form:open', common: true },
      {
        command: invitePartnerCommand,
        label: 'Create a partner invitation',
        action: 'form:open',
        common: true,
      },
      { command: inviteStatusCommand, label: 'Invite status', action: 'form:open' },
      { command: inviteLinkCommand, label: 'Partner link again', action: 'form:open' },
      { command: inviteCancelCommand, label: 'Cancel an invitation', action: 'form:open' },
    ],
  },
};
