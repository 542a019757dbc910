import { type FeatureManifest, jobKind } from '../slack/manifest.js';
import { inviteCancelCommand, inviteCommands, invitePartnerCommand, inviteSignCommand } from './commands.js';
import { invitePartnerForm, inviteSignForm } from './forms.js';
import { cmSignWebhookKind, partnerKind, partnerProgress, signKind, signProgress } from './kinds.js';

/** Signing invites (CM.com Sign) and partner invitations (Zavu). */
export const invitesManifest: FeatureManifest = {
  name: 'invites',
  commands: inviteCommands,
  forms: [inviteSignForm, invitePartnerForm],
  actions: [{ prefix: 'invite:', load: async () => (await import('./actions.js')).handleInviteAction }],
  views: [{ prefix: 'invite:sign-modal', load: async () => (await import('./shortcut.js')).signModalSubmit }],
  shortcuts: [
    { callbackId: 'invite:sign-shortcut', load: async () => (await import('./shortcut.js')).signShortcut },
  ],
  kinds: [
    jobKind(signKind, async () => (await import('./sign-job.js')).signInviteKind, inviteSignCommand, {
      label: 'Signing invite',
      progress: signProgress,
    }),
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
    ],
  },
};
