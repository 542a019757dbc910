import { type FeatureManifest, jobKind } from '../slack/manifest.js';
import {
  deployDeleteCommand,
  deployListCommand,
  deploymentCommands,
  deployPhotoCommand,
  deployProfileCommand,
  deployResendCommand,
  deployStartCommand,
  deployStatusCommand,
  deployVerifyCommand,
} from './commands.js';
import {
  deployDeleteForm,
  deployListForm,
  deployPhotoForm,
  deployProfileForm,
  deployResendForm,
  deployStartForm,
  deployStatusForm,
  deployVerifyForm,
} from './forms.js';
import { deploymentKind, deploymentProgress, deploymentTaskKind } from './kinds.js';

/** WhatsApp number provisioning through OTP verification to READY, and its business profile. */
export const deploymentsManifest: FeatureManifest = {
  name: 'deployments',
  title: 'Deployments',
  commands: deploymentCommands,
  forms: [
    deployStartForm,
    deployProfileForm,
    deployPhotoForm,
    deployStatusForm,
    deployVerifyForm,
    deployResendForm,
    deployDeleteForm,
    deployListForm,
  ],
  actions: [{ prefix: 'deploy:', load: async () => (await import('./interactions.js')).deployAction }],
  views: [{ prefix: 'deploy:', load: async () => (await import('./interactions.js')).deployView }],
  kinds: [
    jobKind(deploymentKind, async () => (await import('./job.js')).deploymentJob, deployStartCommand, {
      label: 'Deployment',
      progress: deploymentProgress,
    }),
    jobKind(deploymentTaskKind, async () => (await import('./task.js')).deploymentTaskJob),
  ],
  launcher: {
    name: 'Deployments',
    entries: [
      { command: deployStartCommand, label: 'Start a deployment', action: 'form:open' },
      { command: deployProfileCommand, label: 'Business profile', action: 'form:open' },
      { command: deployPhotoCommand, label: 'Profile photo', action: 'form:open' },
      { command: deployStatusCommand, label: 'Deployment status', action: 'form:open' },
      { command: deployVerifyCommand, label: 'Enter the code', action: 'form:open' },
      { command: deployResendCommand, label: 'Send the code again', action: 'form:open' },
      { command: deployDeleteCommand, label: 'Delete a deployment', action: 'form:open' },
      { command: deployListCommand, label: 'All deployments', action: 'form:open' },
    ],
  },
};
