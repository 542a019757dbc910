/**
 * Every job kind of the product, by name. Each feature adds its line; the modules themselves
 * load only when a job of that kind runs.
 */
import { registerJobKind } from './kinds.js';

void registerJobKind;
registerJobKind('invite.sign', async () => (await import('../invites/sign-job.js')).signInviteKind as never);
registerJobKind(
  'cm-sign.webhook',
  async () => (await import('../invites/cm-sign-webhook.js')).cmSignWebhookKind as never,
);
registerJobKind(
  'invite.partner',
  async () => (await import('../invites/partner-job.js')).partnerInviteKind as never,
);
registerJobKind(
  'template.lookup',
  async () => (await import('../templates/lookup-job.js')).templateLookup as never,
);
registerJobKind(
  'template.watch',
  async () => (await import('../templates/watch-job.js')).templateWatch as never,
);
registerJobKind('template.send', async () => (await import('../templates/send.js')).templateSend as never);
registerJobKind(
  'contact.verify',
  async () => (await import('../contacts/verify-job.js')).contactVerify as never,
);
registerJobKind('deployment', async () => (await import('../deployments/job.js')).deploymentJob as never);
registerJobKind(
  'deployment-task',
  async () => (await import('../deployments/task.js')).deploymentTaskJob as never,
);
