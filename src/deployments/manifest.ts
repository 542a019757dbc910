import { type FeatureManifest, jobKind } from '../slack/manifest.js';
import {
  deploymentCommands,
  deployPhotoCommand,
  deployProfileCommand,
  deployStartCommand,
} from './commands.js';
import { deployPhotoForm, deployProfileForm, deployStartForm } from './forms.js';
import { deploymentKind, deploymentProgress, deploymentTaskKind } from './kinds.js';

/** WhatsApp number provisioning through OTP verification to READY, and its business profile. */
export const deploymentsManifest: FeatureManifest = {
  name: 'deployments',
  commands: deploymentCommands,
  forms: [deployStartForm, deployProfileForm, deployPhotoForm],
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
    ],
  },
};
